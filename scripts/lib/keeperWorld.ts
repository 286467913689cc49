/**
 * A local world for the keeper's tests and benchmark: a v2 deployment in a real `hardhat node`
 * (scripts/lib/node.ts), many traders opened fast (random keys, balances set, every transaction signed
 * locally and sent in one JSON-RPC batch with automine off), time travel that keeps the feeds fresh, an
 * in-process keeper (the same openApp the CLI uses) pointed at any URL (the node, or a fault proxy in
 * front of it), and the keeper's transactions as the chain has them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Wallet } from "ethers";
import pino from "pino";
import { ROOT } from "../../core/artifacts";
import { TestToken__factory, ZkMarginRegistry__factory } from "../../core/contracts";
import type { System } from "./deploy";
import { localParams } from "./params";
import { type App, openApp } from "../../keeper/app";
import { type DeploymentConfig, SigningKey, loadConfig } from "../../keeper/config";
import { type FaultRates, FaultProxy } from "./faultProxy";
import { DEV_KEYS, type NodeProcess, deployToNode, freePort, rpc as rpcOnce, startNode } from "./node";

export { DEV_KEYS };

/** A connection the node closed while idle (keep-alive) fails the next request: try again. */
async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 4 || !(e instanceof TypeError)) throw e;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/** One JSON-RPC call (dev-chain methods too), retried over a closed idle connection. */
export function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  return retried(() => rpcOnce(url, method, params));
}

export const KEEPER_KEY = DEV_KEYS[9];
export const KEEPER = new Wallet(KEEPER_KEY).address;
export const USDC = (x: bigint | number) => BigInt(x) * 10n ** 6n;
export const WETH = (x: bigint | number) => BigInt(x) * 10n ** 18n;

export interface World {
  readonly node: NodeProcess;
  readonly url: string;
  readonly sys: System;
  readonly chainId: bigint;
  stop(): Promise<void>;
}

/** A node with a deployed and seeded v2 system (the timelock owns it; dev account 0 deployed it). */
export async function startWorld(o: { config?: string } = {}): Promise<World> {
  const node = o.config === undefined ? await startNode() : await startNodeWithConfig(o.config);
  const sys = await deployToNode(node.url, localParams());
  const chainId = BigInt(String(await rpc(node.url, "eth_chainId")));
  return { node, url: node.url, sys, chainId, stop: () => node.stop() };
}

/** `hardhat node --config <file>` (another chain id, test/keeper/fixtures/chain2.hardhat.config.ts). */
export async function startNodeWithConfig(config: string): Promise<NodeProcess> {
  const port = await freePort();
  const cli = path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "cli.js");
  const proc: ChildProcess = spawn(
    process.execPath,
    [cli, "node", "--config", config, "--hostname", "127.0.0.1", "--port", String(port)],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, HARDHAT_NETWORK: undefined } },
  );
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hardhat node exited (${proc.exitCode})`);
    try {
      await rpc(url, "eth_chainId");
      break;
    } catch {
      if (Date.now() > until) throw new Error("hardhat node did not start");
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    url,
    port,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 5_000).unref();
      }),
  };
}

/** One JSON-RPC batch (hardhat answers arrays). */
export async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < calls.length; i += 500) {
    const body = calls.slice(i, i + 500).map((c, k) => ({ jsonrpc: "2.0", id: i + k, ...c }));
    const arr = (await retried(async () => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return res.json();
    })) as { id: number; result?: unknown; error?: { message: string } }[];
    arr.sort((a, b) => a.id - b.id);
    for (const r of arr) {
      // a batch of sends tried again: what arrived the first time is known now
      if (r.error && /already known|known transaction|nonce too low/i.test(r.error.message)) continue;
      if (r.error) throw new Error(`${calls[r.id].method}: ${r.error.message}`);
      out.push(r.result);
    }
  }
  return out;
}

/** Mines until the mempool is empty (automine off while many transactions go in). */
async function mineAll(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const pending = (await rpc(url, "eth_getBlockByNumber", ["pending", false])) as { transactions: string[] };
    if (pending.transactions.length === 0) return;
    await rpc(url, "evm_mine");
  }
  throw new Error("mempool did not drain");
}

/**
 * Opens `count` accounts from fresh random keys, each depositing `usdc` (settlement, base units) and
 * `weth` (collateral asset 1) when non-zero. Returns the addresses.
 */
export async function openTraders(
  w: World,
  count: number,
  amounts: { usdc?: bigint; weth?: bigint } = {},
): Promise<string[]> {
  const wallets = Array.from({ length: count }, () => Wallet.createRandom());
  await rpcBatch(
    w.url,
    wallets.map((x) => ({ method: "hardhat_setBalance", params: [x.address, "0x56bc75e2d63100000"] })),
  );
  const registry = w.sys.addresses.registry;
  const reg = ZkMarginRegistry__factory.createInterface();
  const tok = TestToken__factory.createInterface();
  const tokens = [w.sys.addresses["token.USDC"], w.sys.addresses["token.WETH"]];
  const raws: string[] = [];
  for (const x of wallets) {
    let nonce = 0;
    const tx = async (to: string, data: string, gasLimit: number) =>
      raws.push(
        await x.signTransaction({
          type: 2,
          chainId: w.chainId,
          nonce: nonce++,
          to,
          data,
          gasLimit,
          maxFeePerGas: 20n * 10n ** 9n,
          maxPriorityFeePerGas: 10n ** 9n,
        }),
      );
    await tx(registry, reg.encodeFunctionData("openAccount"), 250_000);
    const deposit = [amounts.usdc ?? 0n, amounts.weth ?? 0n];
    for (let k = 0; k < 2; k++) {
      if (deposit[k] === 0n) continue;
      await tx(tokens[k], tok.encodeFunctionData("mint", [x.address, deposit[k]]), 80_000);
      await tx(tokens[k], tok.encodeFunctionData("approve", [registry, deposit[k]]), 60_000);
      await tx(registry, reg.encodeFunctionData("deposit", [k, deposit[k]]), 120_000);
    }
  }
  await rpc(w.url, "evm_setAutomine", [false]);
  try {
    await rpcBatch(
      w.url,
      raws.map((r) => ({ method: "eth_sendRawTransaction", params: [r] })),
    );
    await mineAll(w.url);
  } finally {
    await rpc(w.url, "evm_setAutomine", [true]);
  }
  return wallets.map((x) => x.address);
}

/** Re-publishes every feed at the current time (the adapter refuses old rounds), optionally moved. */
export async function refreshFeeds(w: World, moves: Record<number, bigint> = {}): Promise<void> {
  const feeds = [...w.sys.marketFeeds, ...w.sys.assetFeeds];
  const answers = await Promise.all(feeds.map((f) => f.answer()));
  const dev = new Wallet(DEV_KEYS[0]);
  let nonce = Number(await rpc(w.url, "eth_getTransactionCount", [dev.address, "pending"]));
  const iface = feeds[0].interface;
  const raws: string[] = [];
  for (let i = 0; i < feeds.length; i++) {
    const answer = moves[i] ?? answers[i];
    raws.push(
      await dev.signTransaction({
        type: 2,
        chainId: w.chainId,
        nonce: nonce++,
        to: await feeds[i].getAddress(),
        data: iface.encodeFunctionData("setAnswer", [answer]),
        gasLimit: 200_000,
        maxFeePerGas: 20n * 10n ** 9n,
        maxPriorityFeePerGas: 10n ** 9n,
      }),
    );
  }
  await rpc(w.url, "evm_setAutomine", [false]);
  try {
    await rpcBatch(
      w.url,
      raws.map((r) => ({ method: "eth_sendRawTransaction", params: [r] })),
    );
    await mineAll(w.url);
  } finally {
    await rpc(w.url, "evm_setAutomine", [true]);
  }
}

/** Moves time forward and refreshes the feeds (as live Chainlink feeds keep updating). */
export async function jump(w: World, seconds: number): Promise<void> {
  await rpc(w.url, "evm_increaseTime", [seconds]);
  await rpc(w.url, "evm_mine");
  await refreshFeeds(w);
}

export function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `zkm-keeper-${label}-`));
}

/** A deployment config for tests: fast polling and receipts, small retries, cheap gas model. */
export function deploymentConfig(
  w: World,
  dir: string,
  extra: Record<string, unknown> = {},
  url = w.url,
): DeploymentConfig {
  return loadConfig({
    flags: {
      rpcUrl: url,
      registry: w.sys.addresses.registry,
      lens: w.sys.addresses.lens,
      confirmations: 2,
      pollIntervalMs: 100,
      checkpointFile: path.join(dir, `${String(extra.name ?? "main")}.checkpoint.json`),
      checkpointEveryMs: 0,
      gas: { receiptPollMs: 25, stuckAfterMs: 3_000, maxAttempts: 3 },
      rpc: { retries: 8, retryDelayMs: 20, timeoutMs: 4_000 },
      profit: { ethPriceInQuote: "3000" },
      ...extra,
    },
    env: {},
  }).config.deployments[0];
}

export const quiet = pino({ level: process.env.KEEPER_TEST_LOG ?? "silent" });

export function keeperApp(d: DeploymentConfig, key: string | undefined = KEEPER_KEY): Promise<App> {
  return openApp(d, key === undefined ? undefined : new SigningKey(key), quiet, { signer: key !== undefined });
}

/** Our transactions on the chain (hash, status, handled count from its logs), from block `from`. */
export async function keeperTxs(
  url: string,
  from: number,
  who = KEEPER,
): Promise<{ hash: string; logs: number; status: number }[]> {
  const head = Number(await rpc(url, "eth_blockNumber"));
  const out: { hash: string; logs: number; status: number }[] = [];
  for (let b = from; b <= head; b += 100) {
    const blocks = (await rpcBatch(
      url,
      Array.from({ length: Math.min(100, head - b + 1) }, (_, k) => ({
        method: "eth_getBlockByNumber",
        params: [`0x${(b + k).toString(16)}`, true],
      })),
    )) as { transactions: { hash: string; from: string }[] }[];
    const mine = blocks.flatMap((x) => x.transactions).filter((t) => t.from.toLowerCase() === who.toLowerCase());
    if (mine.length === 0) continue;
    const receipts = (await rpcBatch(
      url,
      mine.map((t) => ({ method: "eth_getTransactionReceipt", params: [t.hash] })),
    )) as { transactionHash: string; logs: unknown[]; status: string }[];
    for (const r of receipts) out.push({ hash: r.transactionHash, logs: r.logs.length, status: Number(r.status) });
  }
  return out;
}

/** Accounts the registry has challenged and liquidated since block `from` (read from the node itself). */
export async function onChain(w: World, from: number): Promise<{ challenged: Set<string>; liquidated: Set<string> }> {
  const reg = ZkMarginRegistry__factory.createInterface();
  const logs = (await rpc(w.url, "eth_getLogs", [
    { address: w.sys.addresses.registry, fromBlock: `0x${from.toString(16)}`, toBlock: "latest" },
  ])) as { topics: string[]; data: string }[];
  const challenged = new Set<string>();
  const liquidated = new Set<string>();
  for (const l of logs) {
    const p = reg.parseLog(l);
    if (p?.name === "Challenged") challenged.add(p.args.account as string);
    if (p?.name === "Liquidated") liquidated.add(p.args.account as string);
  }
  return { challenged, liquidated };
}

export interface FaultRun {
  readonly accounts: number;
  readonly challenged: number;
  readonly liquidated: number;
  readonly challengeRounds: number;
  readonly liquidateRounds: number;
  readonly failedRounds: number;
  /** Our mined transactions that did nothing (no event) or reverted: resent batches, lost races. */
  readonly wastedTxs: number;
  readonly txs: number;
  /** Transactions the keeper's rounds reported failed or of unknown outcome (a mined one must not be). */
  readonly reportedFailed: number;
  readonly sendsForwarded: number;
  readonly faults: Record<string, number>;
}

/**
 * The fault scenario of issue 16: `accounts` funded accounts (and `dust` ones worth less than a
 * challenge's gas) go stale; a fresh keeper behind a fault proxy (`rates`, per method) runs rounds until
 * every funded one is challenged (at most maxRounds), then after the window until every one is
 * liquidated. Rounds, failed rounds and wasted transactions are counted from the chain itself. Runs in
 * `world` (whose earlier accounts are done) or in a new one.
 */
export async function faultScenario(o: {
  accounts: number;
  dust?: number;
  rates?: Partial<FaultRates>;
  perMethod?: Record<string, Partial<FaultRates>>;
  maxRounds?: number;
  seed?: number;
  dir: string;
  world?: World;
  keeper?: Record<string, unknown>;
}): Promise<FaultRun> {
  const w = o.world ?? (await startWorld());
  const proxy = new FaultProxy(w.url, {
    seed: o.seed ?? 7,
    rates: o.rates,
    perMethod: o.perMethod,
    delayMs: [20, 300],
  });
  await proxy.start();
  let app: App | undefined;
  try {
    const mine = new Set(await openTraders(w, o.accounts, { usdc: 4_000n * 10n ** 6n }));
    // dust: accounts whose collateral is worth less than a challenge's gas (a tenth of them hold 1 USDC,
    // the rest nothing: opening is one transaction then, and the keeper must skip them all the same)
    const dust = o.dust ?? 0;
    if (dust > 0) {
      await openTraders(w, Math.ceil(dust / 10), { usdc: 10n ** 6n });
      await openTraders(w, dust - Math.ceil(dust / 10));
    }
    const from = Number(await rpc(w.url, "eth_blockNumber"));
    app = await keeperApp(deploymentConfig(w, o.dir, o.keeper ?? {}, proxy.url));
    const max = o.maxRounds ?? 10;
    let failedRounds = 0;
    let reportedFailed = 0;
    const count = async (want: "challenged" | "liquidated") =>
      [...(await onChain(w, from))[want]].filter((a) => mine.has(a)).length;
    const until = async (want: "challenged" | "liquidated"): Promise<number> => {
      for (let r = 1; r <= max; r++) {
        const s = await app!.keeper.safeRound();
        if (s === undefined) failedRounds++;
        reportedFailed += s?.txs.filter((t) => t.status === "failed" || t.status === "unknown").length ?? 0;
        if ((await count(want)) >= o.accounts) return r;
      }
      return max + 1;
    };
    await jump(w, 6 * 3600 + 10);
    const challengeRounds = await until("challenged");
    await jump(w, 600 + 120 + 1);
    const liquidateRounds = await until("liquidated");
    const txs = await keeperTxs(w.url, from);
    return {
      accounts: o.accounts,
      challenged: await count("challenged"),
      liquidated: await count("liquidated"),
      challengeRounds,
      liquidateRounds,
      failedRounds,
      wastedTxs: txs.filter((t) => t.status !== 1 || t.logs === 0).length,
      txs: txs.length,
      reportedFailed,
      sendsForwarded: proxy.forwardedSends.length,
      faults: { ...proxy.faults },
    };
  } finally {
    app?.close();
    await proxy.stop();
    if (o.world === undefined) await w.stop();
  }
}
