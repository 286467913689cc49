/**
 * Keeper test support: a deployment with small windows in a real `hardhat node`, traders opened through
 * dev wallets, time and price moves that keep the feeds fresh, and the keeper CLI as a separate process
 * whose JSON log lines the test can wait on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { NonceManager } from "ethers";
import { ROOT } from "../../core/artifacts";
import { DEFAULTS, E8, type LocalSystem, deployLocal } from "../../scripts/lib/deploy";
import { TestToken__factory, ZkMarginRegistry__factory, type ZkMarginRegistry } from "../../core/contracts";
import { DEV_KEYS, devWallet, increaseTime, rpc } from "../helpers/node";

export { DEV_KEYS, E8 };

/** Windows small enough for tests: 5 min to answer (the contract's minimum), 1 min exclusivity. */
export const TIMING = { ...DEFAULTS.timing, responseWindow: 300n, exclusivePeriod: 60n };

const wallets = new Map<string, NonceManager>();
/** One nonce-managed wallet per dev account and node (two managers for one key would collide). */
export function wallet(url: string, i: number): NonceManager {
  const k = `${url}#${i}`;
  if (!wallets.has(k)) wallets.set(k, devWallet(url, i));
  return wallets.get(k)!;
}

export async function deploy(url: string): Promise<LocalSystem> {
  return deployLocal(wallet(url, 0), { timing: TIMING });
}

export interface TraderHandle {
  readonly address: string;
  readonly registry: ZkMarginRegistry;
}

/** Opens dev account `i` on the registry with `usdc` dollars of USDC collateral. */
export async function openTrader(url: string, sys: LocalSystem, i: number, usdc = 4_000n): Promise<TraderHandle> {
  const w = wallet(url, i);
  const address = await w.getAddress();
  const registryAddress = await sys.registry.getAddress();
  const registry = ZkMarginRegistry__factory.connect(registryAddress, w);
  const amount = usdc * 10n ** 6n;
  await (await sys.tokens[0].connect(wallet(url, 0)).mint(address, amount)).wait();
  await (await TestToken__factory.connect(await sys.tokens[0].getAddress(), w).approve(registryAddress, amount)).wait();
  await (await registry.openAccount()).wait();
  await (await registry.deposit(0, amount)).wait();
  return { address, registry };
}

/**
 * Re-publishes every feed at the current time (maxAge is 3600 s: after a time jump they go stale), with
 * `market` moved to `price`. With `mineAt` (automine off) the updates are mined in one block there.
 */
export async function refreshFeeds(sys: LocalSystem, market?: number, price?: bigint, mineAt?: string): Promise<void> {
  let last;
  for (let j = 0; j < sys.marketFeeds.length; j++) {
    const f = sys.marketFeeds[j];
    last = await f.setAnswer(j === market && price !== undefined ? price : await f.answer());
  }
  for (const f of sys.assetFeeds) last = await f.setAnswer(await f.answer());
  if (mineAt !== undefined) await rpc(mineAt, "evm_mine");
  await last?.wait();
}

export async function jump(url: string, sys: LocalSystem, seconds: number): Promise<void> {
  await increaseTime(url, seconds);
  await refreshFeeds(sys);
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `zkm-keeper-${label}-`));
}

export function writeConfig(dir: string, name: string, cfg: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

/** Config for a keeper in tests: fast polling, 2 confirmations, fast receipts, debug logs (every round). */
export function testConfig(
  url: string,
  registry: string,
  dir: string,
  name: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    rpcUrl: url,
    registry,
    confirmations: 2,
    pollIntervalMs: 200,
    checkpointFile: path.join(dir, `${name}.checkpoint.json`),
    checkpointEveryMs: 0,
    gas: { receiptPollMs: 50, stuckAfterMs: 5_000 },
    rpc: { retries: 2, retryDelayMs: 50, timeoutMs: 5_000 },
    profit: { ethPriceInQuote: "3000" },
    logLevel: "debug",
    ...extra,
  };
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export class KeeperProcess {
  readonly lines: LogLine[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    let buf = "";
    proc.stderr!.on("data", (d: Buffer) => {
      const s = String(d);
      this.stderr += s;
      buf += s;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          /* not a log line */
        }
      }
    });
    proc.stdout!.on("data", (d: Buffer) => (this.stdout += String(d)));
    this.exited = new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
  }

  rounds(): LogLine[] {
    return this.lines.filter((l) => l.msg === "round");
  }

  /** Waits for a round that saw at least block `block` (the keeper has looked at the chain since). */
  async roundAtLeast(block: number, timeoutMs = 20_000): Promise<LogLine> {
    return waitFor(
      `a keeper round at block >= ${block}`,
      () => this.rounds().find((r) => Number(r.block) >= block),
      timeoutMs,
      50,
    );
  }

  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<number | null> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }
}

/** Starts the keeper CLI (`keeper/cli.ts <command> --config <file>`) as a separate Node process. */
export function spawnKeeper(
  command: string,
  configFile: string,
  key: string | undefined,
  extraArgs: string[] = [],
): KeeperProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ZKMARGIN_KEEPER_KEY;
  if (key !== undefined) env.ZKMARGIN_KEEPER_KEY = key;
  const proc = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      path.join("keeper", "cli.ts"),
      command,
      "--config",
      configFile,
      ...extraArgs,
    ],
    {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new KeeperProcess(proc);
}

export async function blockNumber(url: string): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
  });
  return Number(((await res.json()) as { result: string }).result);
}
