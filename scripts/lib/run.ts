import { spawn, spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./circuits";

const SNARKJS = path.join(ROOT, "node_modules", "snarkjs", "build", "cli.cjs");
const CIRCOM = path.join(ROOT, "node_modules", "circom2", "cli.js");

/** Runs a command from the repository root with its output shown; throws on failure. */
export function run(cmd: string, args: string[], opts: { quiet?: boolean } = {}): string {
  const res = spawnSync(cmd, args, {
    cwd: ROOT,
    // progress goes to stderr, so `npm run bench` prints only figures on stdout
    stdio: opts.quiet ? ["ignore", "pipe", "pipe"] : ["ignore", process.stderr, process.stderr],
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.status !== 0) {
    const detail = opts.quiet ? `\n${res.stdout ?? ""}${res.stderr ?? ""}` : "";
    throw new Error(`${path.basename(cmd)} ${args.join(" ")} failed (exit ${res.status})${detail}`);
  }
  return res.stdout ?? "";
}

export function snarkjs(args: string[], opts: { quiet?: boolean } = {}): string {
  return run(process.execPath, [SNARKJS, ...args], opts);
}

/** snarkjs as a child process that does not block: its output is kept and shown only when it fails. */
export function snarkjsAsync(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [SNARKJS, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (d: Buffer) => (tail = (tail + String(d)).slice(-4000));
    p.stdout.on("data", keep);
    p.stderr.on("data", keep);
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`snarkjs ${args.join(" ")} failed (exit ${code})\n${tail}`)),
    );
  });
}

/**
 * Runs the tasks at most `limit` at a time, in order of start; resolves when all are done, rejects with the
 * first failure (after the running ones end). snarkjs's groth16 setup is single-threaded, so on a 2-core
 * machine two keys at a time take about the time of one.
 */
export async function inParallel(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < tasks.length && failure === undefined) {
      const task = tasks[next++];
      try {
        await task();
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  if (failure !== undefined) throw failure;
}

/** How many single-threaded setup steps run at once: the cores, at most 4 (memory). */
export function setupParallelism(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** circom2 (Circom 2.2.3 in WebAssembly) only opens paths relative to the working directory. */
export function circom(args: string[], opts: { quiet?: boolean } = {}): string {
  return run(process.execPath, [CIRCOM, ...args.map((a) => (path.isAbsolute(a) ? path.relative(ROOT, a) : a))], opts);
}

export function step(msg: string): void {
  console.error(`[build] ${new Date().toISOString().slice(11, 19)} ${msg}`);
}

/**
 * Runs snarkjs with `-v` and condenses its debug flood into one progress line per section it works on
 * (e.g. "tauG1", "alphaTauG1"), so long steps show progress without thousands of lines.
 */
export function snarkjsWithProgress(args: string[], label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [SNARKJS, ...args, "-v"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let section = "";
    let tail = "";
    const started = Date.now();
    const onData = (d: Buffer) => {
      tail = (tail + String(d)).slice(-4000);
      for (const m of String(d).matchAll(/snarkJS\S*: (\w+):/g)) {
        if (m[1] !== section) {
          section = m[1];
          step(`${label}: ${section} (${Math.round((Date.now() - started) / 1000)} s)`);
        }
      }
    };
    p.stdout.on("data", onData);
    p.stderr.on("data", onData);
    p.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`snarkjs ${args.join(" ")} failed (exit ${code})\n${tail}`)),
    );
  });
}
