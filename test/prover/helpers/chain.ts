/**
 * One local chain for the trader's end-to-end tests: a real `hardhat node` process on 127.0.0.1 with a
 * full v2 deployment (scripts/lib/node.ts deployToNode: timelock, oracle, risk engine, fund, auction
 * house, verifiers, registry, Uniswap pool; dev accounts 1-9 funded), started once per mocha process.
 * Each test file takes a snapshot before and reverts to it after (evm_snapshot / evm_revert restore
 * balances, accounts and the clock), so files do not see each other's trades or time travel.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Signer } from "ethers";
import { type System, E8 } from "../../../scripts/lib/deploy";
import { type NodeProcess, DEV_KEYS, deployToNode, devWallet, rpc, startNode } from "../../../scripts/lib/node";
import { type ChallengeRecord, ChainView, toRecord } from "../../../prover/lib/chain";
import type { Types } from "../../../core/contracts";

export { DEV_KEYS, devWallet, rpc };

export interface Chain {
  readonly node: NodeProcess;
  readonly url: string;
  readonly sys: System;
}

let shared: Promise<Chain> | undefined;

/** The shared chain (started on first use; stopped when the test process exits). */
export function localChain(): Promise<Chain> {
  shared ??= (async () => {
    const node = await startNode();
    process.once("exit", () => node.proc.kill("SIGKILL"));
    const sys = await deployToNode(node.url);
    return { node, url: node.url, sys };
  })();
  return shared;
}

/** Registers before/after hooks in the calling suite: a chain, a snapshot, a revert. */
export function useChain(): () => Chain {
  let chain: Chain | undefined;
  let snap: string | undefined;
  before(async function () {
    this.timeout(180_000);
    chain = await localChain();
    snap = (await rpc(chain.url, "evm_snapshot")) as string;
  });
  after(async () => {
    if (chain && snap) await rpc(chain.url, "evm_revert", [snap]);
  });
  return () => {
    if (!chain) throw new Error("useChain(): the chain is not started yet (use it inside a test)");
    return chain;
  };
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `zkm-${prefix}-`));
}

export async function increaseTime(url: string, seconds: number): Promise<void> {
  await rpc(url, "evm_increaseTime", [seconds]);
  await rpc(url, "evm_mine");
}

/** Sets market prices (8 decimals) and refreshes every other feed (as live feeds keep updating). */
export async function setPrices(c: Chain, prices: Record<number, bigint> = {}): Promise<void> {
  const w = devWallet(c.url, 0);
  for (let j = 0; j < c.sys.marketFeeds.length; j++) {
    const f = c.sys.marketFeeds[j].connect(w);
    await (await f.setAnswer(prices[j] ?? (await f.answer()))).wait();
  }
  for (const f of c.sys.assetFeeds) {
    const a = f.connect(w);
    await (await a.setAnswer(await a.answer())).wait();
  }
}

export const price = (x: number) => BigInt(Math.round(x * 1e8)) * (E8 / E8);

/** Challenges `account` from dev account `keeper` with its latest certificate; returns the record. */
export async function challenge(c: Chain, account: string, keeper = 9): Promise<ChallengeRecord> {
  const signer: Signer = devWallet(c.url, keeper);
  const reg = c.sys.registry.connect(signer);
  const cert = await new ChainView(reg, account).latestCert((await reg.accountOf(account)).certHash);
  if (!cert) throw new Error(`no certificate for ${account}`);
  const bond = (await reg.incentives()).bond;
  const rc = await (await reg.challenge(account, cert, { value: bond })).wait();
  const ev = rc!.logs
    .map((l) => {
      try {
        return reg.interface.parseLog(l);
      } catch {
        return null;
      }
    })
    .find((e) => e?.name === "Challenged");
  return toRecord(ev!.args.record as unknown as Types.ChallengeRecordStructOutput);
}

/** Whether the account's open challenge was answered (no record hash any more). */
export async function unchallenged(c: Chain, account: string): Promise<boolean> {
  return /^0x0+$/.test((await c.sys.registry.accountOf(account)).recordHash);
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
  log?: () => string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve(fn()).catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${log ? `\n--- log ---\n${log().slice(-4000)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
