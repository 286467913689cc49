/**
 * Keeper figures (bench/run.ts wires them):
 * In memory (keeper/chain/memory.ts: ABI-encoded logs through the real index, the registry's rule in the
 * lens views, four JSON-RPC requests counted per transaction):
 * - keeper.rpc_calls_per_round_10k_candidates: requests of one round that finds 10,000 challengeable
 *   funded accounts (it challenges the best 200: 4 batches of 50; the lens is asked in batches of 250);
 * - keeper.dust_rounds_to_challenge: rounds until all 100 funded accounts hidden among 600 dust ones are
 *   challenged (default bounds);
 * - keeper.round_ms_two_chains: one round over two deployments of 10,000 accounts each (1% challengeable,
 *   both rounds concurrent, a new block each), median;
 * - keeper.index_ms_per_1k_accounts: building the index from scratch (3 events per account), per 1,000;
 * - keeper.tick_ms_at_10k_accounts: the in-memory scan and ranking of one round at 10,000 accounts.
 * On a hardhat node behind the fault proxy (scripts/lib/faultProxy.ts):
 * - keeper.fault5_challenged_ratio: challenged / stale after at most 5 rounds at 5% mixed faults
 *   (150 accounts);
 * - keeper.fault_wasted_txs: mined transactions that did nothing or reverted, with half of the send
 *   responses lost after execution (100 accounts, batches of 10).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { getAddress } from "ethers";
import { MemoryChain, memoryKeeper } from "../keeper/chain/memory";
import { Indexer } from "../keeper/index/indexer";
import type { Role } from "../keeper/index/events";
import * as strategy from "../keeper/strategy";
import { MIXED_5 } from "../scripts/lib/faultProxy";
import { faultScenario } from "../scripts/lib/keeperWorld";
import { type Figure, figure, medianMs, progress } from "./lib/figures";

const addr = (i: number) => getAddress(`0x${(0x100000 + i).toString(16).padStart(40, "0")}`);
const USDC = (x: bigint) => x * 10n ** 6n;
const FRESHNESS = 6n * 3600n;

/** `funded` accounts of 4,000 USDC and `dust` of 1 USDC, `staleShare` of them past their freshness. */
function chain(funded: number, dust = 0, staleShare = 1, chainId = 31337n): MemoryChain {
  const c = new MemoryChain(chainId);
  const stale = Math.round(funded * staleShare);
  for (let i = 0; i < dust; i++) c.open(addr(i), USDC(1n), c.now - FRESHNESS - 10n);
  for (let i = 0; i < funded; i++)
    c.open(addr(100_000 + i), USDC(4_000n) + BigInt(i), i < stale ? c.now - FRESHNESS - 10n : c.now);
  c.mine();
  return c;
}

export async function rpcCallsPerRound10k(): Promise<Figure> {
  const c = chain(10_000);
  const k = memoryKeeper(c);
  await k.init();
  const r = await k.round();
  progress(
    `keeper: 10k candidates, ${r.challenged.length} challenged, calls ${JSON.stringify(Object.fromEntries(c.calls))}`,
  );
  return figure("keeper.rpc_calls_per_round_10k_candidates", r.rpcCalls, "calls");
}

export async function dustRoundsToChallenge(): Promise<Figure> {
  const c = chain(100, 600);
  const k = memoryKeeper(c);
  await k.init();
  let done = 0;
  let rounds = 0;
  while (done < 100 && rounds < 20) {
    rounds++;
    done += (await k.round()).challenged.length;
    c.mine();
  }
  return figure("keeper.dust_rounds_to_challenge", rounds, "rounds");
}

export async function roundMsTwoChains(): Promise<Figure> {
  const chains = [chain(10_000, 0, 0.01, 31337n), chain(10_000, 0, 0.01, 31338n)];
  const keepers = chains.map((c, i) => memoryKeeper(c, { name: `chain${i}` }));
  for (const k of keepers) await k.init();
  await Promise.all(keepers.map((k) => k.round())); // catch up (and challenge the 1%)
  const ms = await medianMs("keeper round over two deployments of 10,000 accounts", async () => {
    for (const c of chains) c.mine();
    await Promise.all(keepers.map((k) => k.round()));
  });
  return figure("keeper.round_ms_two_chains", ms, "ms");
}

export async function indexMsPer1k(): Promise<Figure> {
  const n = 2_000;
  const c = chain(n, 0, 0);
  const roles = new Map<string, Role>([[c.addresses.registry.toLowerCase(), "registry"]]);
  const head = { number: c.blockNumber, hash: "0x01" };
  const ms = await medianMs("keeper index build (2,000 accounts)", async () => {
    const idx = new Indexer(c, { startBlock: 0, confirmations: 0, chunk: 100_000, roles });
    await idx.sync(head);
  });
  return figure("keeper.index_ms_per_1k_accounts", Math.round((ms / (n / 1_000)) * 10) / 10, "ms");
}

export async function tickMsAt10k(): Promise<Figure> {
  const c = chain(10_000, 0, 0.01);
  const k = memoryKeeper(c);
  await k.init();
  await k.round();
  const view = k.view;
  const market = await c.market();
  const econ: strategy.Economics = {
    gasPriceWei: 10n ** 9n,
    challengeBaseGas: 200_000n,
    challengeGasPerAccount: 45_000n,
    liquidateBaseGas: 300_000n,
    liquidateGasPerAccount: 50_000n,
    ethPriceInQuote: 3_000n,
    minProfitValue: 0n,
    batchSize: 50,
  };
  const ms = await medianMs("keeper tick (10,000 accounts)", () => {
    strategy.scan(view, {
      market,
      now: c.now + FRESHNESS, // everything stale: the whole ranking runs
      me: undefined,
      timing: c.timing,
      incentives: c.incentives,
      paused: false,
      pauseClock: 0n,
      econ,
    });
  });
  return figure("keeper.tick_ms_at_10k_accounts", ms, "ms");
}

function tmp(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `zkm-bench-keeper-${label}-`));
}

export async function fault5ChallengedRatio(): Promise<Figure> {
  const r = await faultScenario({ accounts: 150, rates: MIXED_5, maxRounds: 5, dir: tmp("f5"), seed: 11 });
  progress(`keeper at 5% faults: ${JSON.stringify(r)}`);
  return figure("keeper.fault5_challenged_ratio", Math.round((r.challenged / r.accounts) * 1000) / 1000, "ratio");
}

export async function faultWastedTxs(): Promise<Figure> {
  const r = await faultScenario({
    accounts: 100,
    perMethod: { eth_sendRawTransaction: { lostAfter: 0.5 } },
    maxRounds: 5,
    dir: tmp("lost"),
    seed: 5,
    keeper: { batchSize: 10 },
  });
  progress(`keeper with half the send responses lost: ${JSON.stringify(r)}`);
  return figure("keeper.fault_wasted_txs", r.wastedTxs, "txs");
}

/** Every keeper figure (the in-memory ones first; the node-based ones start a hardhat node each). */
export async function keeperFigures(): Promise<Figure[]> {
  return [
    await rpcCallsPerRound10k(),
    await dustRoundsToChallenge(),
    await roundMsTwoChains(),
    await indexMsPer1k(),
    await tickMsAt10k(),
    await fault5ChallengedRatio(),
    await faultWastedTxs(),
  ];
}
