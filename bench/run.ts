/**
 * npm run bench: prints one figure per line, `name: value unit` (medians of several runs unless a
 * section says otherwise), and nothing else on stdout; progress goes to stderr.
 *
 * Sections are registered below; a new one (contract gas, keeper, prover latency, ...) is a module
 * exporting `async function xxxFigures(): Promise<Figure[]>` plus one entry in SECTIONS.
 * Environment: BENCH_SKIP_SETUP=1 skips the clean-setup timing (minutes).
 */
import { circuitFigures } from "./circuits";
import { type Section, formatFigure, progress } from "./lib/figures";
import { setupFigures } from "./setup";

const SECTIONS: readonly Section[] = [
  { name: "circuits", run: circuitFigures },
  { name: "contracts", run: async () => (await import("./contracts")).contractFigures() },
  { name: "gas", run: async () => (await import("./gas")).gasFigures() },
  { name: "batch", run: async () => (await import("./batch")).batchFigures() },
  { name: "auction", run: async () => (await import("./auction")).auctionGasFigures() },
  { name: "risk", run: async () => (await import("./risk")).riskFigures() },
  { name: "risk-mc", run: async () => (await import("./risk-mc")).riskFigures() },
  { name: "prover", run: async () => (await import("./prover")).proverFigures() },
  { name: "keeper", run: async () => (await import("./keeper")).keeperFigures() },
  { name: "daemon", run: async () => (await import("./daemon")).daemonFigures() },
  { name: "cli", run: async () => (await import("./cli")).cliFigures() },
  { name: "dashboard", run: async () => (await import("./dashboard")).dashboardFigures() },
  { name: "crash", run: async () => (await import("./crash")).crashFigures() },
  { name: "privacy", run: async () => (await import("./privacy")).privacyFigures() },
  {
    name: "relayer",
    // the batch gas per account is bench/gas.ts's (in-process, same contract): keep the relayer's latency
    run: async () => (await (await import("./relayer")).relayerFigures()).filter((f) => !f.name.startsWith("gas.")),
  },
  {
    name: "setup",
    skip: () => (process.env.BENCH_SKIP_SETUP === "1" ? "BENCH_SKIP_SETUP=1" : undefined),
    run: setupFigures,
  },
];

async function main(): Promise<void> {
  // Anything a library logs must not mix with the figures: route console.log/info to stderr.
  console.log = console.error;
  console.info = console.error;
  for (const section of SECTIONS) {
    const reason = section.skip?.();
    if (reason !== undefined) {
      progress(`${section.name}: skipped (${reason})`);
      continue;
    }
    progress(`${section.name}: running`);
    for (const f of await section.run()) process.stdout.write(`${formatFigure(f)}\n`);
  }
}

/** snarkjs keeps the bn128 curve's worker threads alive; end them so the process can exit. */
async function shutdown(): Promise<void> {
  const curve = (globalThis as { curve_bn128?: { terminate?: () => Promise<void> | void } | null }).curve_bn128;
  await curve?.terminate?.();
}

main()
  .then(shutdown)
  .catch(async (e: unknown) => {
    progress(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    await shutdown().catch(() => undefined);
    process.exitCode = 1;
  });
