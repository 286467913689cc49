/**
 * zkmargin-relayer CLI:
 *   npx ts-node --transpile-only relayer/cli.ts run --config relayer.json   # serve until SIGINT/SIGTERM
 *   npx ts-node --transpile-only relayer/cli.ts check --config relayer.json # print the parsed config, exit
 * The signing key comes from ZKMARGIN_RELAYER_KEY or the config's keyFile. Logs: pino JSON lines on stderr.
 * Exit codes: 0 ok, 1 unexpected, 2 bad config, 3 RPC unreachable, 4 deployment does not match.
 */
import { packageVersion } from "../core/version";
import { Command, CommanderError, Option } from "commander";
import { type RelayerConfig, loadConfig, loadKey } from "./config";
import { exitCodeOf, messageOf } from "./errors";
import { createLogger } from "./log";
import { startRelayer } from "./relayer";

interface Flags {
  config: string;
  port?: string;
  host?: string;
  rpcUrl?: string;
  logLevel?: string;
}

function configOf(o: Flags): RelayerConfig {
  const num = (v?: string) => (v === undefined ? undefined : Number(v));
  return loadConfig(o.config, {
    rpcUrl: o.rpcUrl,
    logLevel: o.logLevel,
    "http.port": num(o.port),
    "http.host": o.host,
  });
}

function withFlags(cmd: Command): Command {
  return cmd
    .requiredOption("-c, --config <file>", "JSON config file (see relayer/relayer.example.json)")
    .option("--port <n>", "HTTP port (overrides http.port; 0 = a free port)")
    .option("--host <address>", "HTTP interface (overrides http.host; default 127.0.0.1)")
    .option("--rpc-url <url>", "JSON-RPC endpoint (overrides rpcUrl)")
    .addOption(
      new Option("--log-level <level>", "log level").choices([
        "silent",
        "fatal",
        "error",
        "warn",
        "info",
        "debug",
        "trace",
      ]),
    );
}

export function program(): Command {
  const p = new Command("zkmargin-relayer")
    .version(packageVersion(), "-V, --version", "print the version")
    .description(
      "Batches zkmargin certificate answers into respondBatch transactions; paid by the registry's relayer share of each bond.",
    )
    .exitOverride();
  withFlags(p.command("run"))
    .description("serve POST /answers, GET /answers/:id and GET /healthz until SIGINT or SIGTERM")
    .action(async (o: Flags) => {
      const c = configOf(o);
      const log = createLogger(c.logLevel);
      const relayer = await startRelayer(c, loadKey(c), log);
      // the URL on stdout, for supervisors and tests that start it on a free port
      process.stdout.write(`${JSON.stringify({ url: relayer.url, address: relayer.address })}\n`);
      await new Promise<void>((resolve) => {
        for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve());
      });
      await relayer.close();
    });
  withFlags(p.command("check"))
    .description("validate the config file and print it with every default filled in")
    .action((o: Flags) => {
      const c = configOf(o);
      process.stdout.write(`${JSON.stringify(c, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
    });
  return p;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`error: ${messageOf(e)}\n`);
    return exitCodeOf(e);
  }
}

if (require.main === module) {
  main(process.argv).then(async (code) => {
    const curve = (globalThis as { curve_bn128?: { terminate?: () => Promise<void> | void } }).curve_bn128;
    await curve?.terminate?.();
    process.exit(code);
  });
}
