/**
 * CLI figure: `cli.help_ms`, the median wall time of `node dist/prover/cli.js --help` (the compiled CLI,
 * `npm run build:cli`; ts-node took 9 s), after one warm-up run so the file cache is warm.
 *
 * Register in bench/run.ts as { name: "cli", run: async () => (await import("./cli")).cliFigures() };
 * standalone: `npx ts-node --transpile-only bench/cli.ts`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../core/artifacts";
import { type Figure, figure, medianMs, progress } from "./lib/figures";

export const COMPILED_CLI = path.join(ROOT, "dist", "prover", "cli.js");

/** Median ms of `node dist/prover/cli.js --help`. */
export async function cliHelpMs(): Promise<number> {
  if (!fs.existsSync(COMPILED_CLI)) throw new Error(`${COMPILED_CLI} is missing: run \`npm run build:cli\``);
  return medianMs(
    "cli: zkm --help",
    () => {
      const r = spawnSync(process.execPath, [COMPILED_CLI, "--help"], { cwd: ROOT, encoding: "utf8" });
      if (r.status !== 0 || !r.stdout.includes("Usage: zkm")) throw new Error(`zkm --help failed: ${r.stderr}`);
    },
    7,
    1,
  );
}

export async function cliFigures(): Promise<Figure[]> {
  return [figure("cli.help_ms", await cliHelpMs(), "ms")];
}

if (require.main === module) {
  cliFigures()
    .then((fs) => fs.forEach((f) => process.stdout.write(`${f.name}: ${f.value} ${f.unit}\n`)))
    .catch((e: unknown) => {
      progress(`failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    });
}
