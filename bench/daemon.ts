/**
 * Daemon figure: `daemon.idle_cpu_pct`, the CPU (user + system, from /proc) of one trader daemon process
 * (the compiled CLI, default options: a 5 s idle poll over HTTP, no subscription) over 30 s with no
 * challenge and no new block, in percent of one core. A local hardhat node with a v2 deployment serves it;
 * the account holds a position (so every check runs). The WebSocket (subscription) case is logged beside.
 *
 * Register in bench/run.ts as { name: "daemon", run: async () => (await import("./daemon")).daemonFigures() };
 * standalone: `npx ts-node --transpile-only bench/daemon.ts`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../core/artifacts";
import { main } from "../prover/cli/main";
import { DEV_KEYS, deployToNode, startNode } from "../scripts/lib/node";
import { type Figure, figure, progress, round } from "./lib/figures";

const IDLE_S = 30;

function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

async function zkm(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let err = "";
  const code = await main(["node", "zkm", ...args], { out: () => undefined, err: (s) => (err += s), env });
  if (code !== 0) throw new Error(`zkm ${args.join(" ")}: ${err}`);
}

async function idleCpu(env: NodeJS.ProcessEnv): Promise<number> {
  const proc: ChildProcess = spawn(process.execPath, [path.join(ROOT, "dist", "prover", "cli.js"), "daemon"], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  proc.stdout!.on("data", (d) => (log += String(d)));
  proc.stderr!.on("data", (d) => (log += String(d)));
  try {
    for (let i = 0; !log.includes("daemon started"); i++) {
      if (proc.exitCode !== null || i > 600) throw new Error(`the daemon did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 10_000)); // first ticks, keys loaded, JIT settled
    const c0 = cpuSeconds(proc.pid!);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    return ((cpuSeconds(proc.pid!) - c0) / ((Date.now() - t0) / 1000)) * 100;
  } finally {
    proc.kill("SIGTERM");
  }
}

export async function daemonIdleCpuPct(): Promise<number> {
  const node = await startNode();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zkm-bench-daemon-"));
  try {
    const sys = await deployToNode(node.url);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ZKMARGIN_RPC: node.url,
      ZKMARGIN_REGISTRY: sys.addresses.registry,
      ZKMARGIN_PRIVATE_KEY: DEV_KEYS[1],
      ZKMARGIN_PASSPHRASE: "bench passphrase (insecure)",
      ZKMARGIN_STATE: path.join(dir, "state.json"),
      ZKMARGIN_WS: "",
      LOG_LEVEL: "warn",
    };
    for (const args of [["init"], ["deposit", "USDC", "5000"], ["open", "ETH", "long", "2"]]) await zkm(args, env);
    const http = await idleCpu(env);
    const ws = await idleCpu({ ...env, ZKMARGIN_WS: node.url.replace("http", "ws") });
    progress(
      `daemon: idle CPU ${http.toFixed(3)}% of a core polling over HTTP, ${ws.toFixed(3)}% with a head subscription`,
    );
    return round(http, 3);
  } finally {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function daemonFigures(): Promise<Figure[]> {
  return [figure("daemon.idle_cpu_pct", await daemonIdleCpuPct(), "%")];
}

if (require.main === module) {
  daemonFigures()
    .then((fs) => fs.forEach((f) => process.stdout.write(`${f.name}: ${f.value} ${f.unit}\n`)))
    .catch((e: unknown) => {
      progress(`failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    })
    .finally(() => setTimeout(() => process.exit(), 100).unref());
}
