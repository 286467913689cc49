/**
 * Keeper figures (medians of RUNS timed runs after WARMUP):
 * - keeper.index_ms_per_1k_accounts: building the account index from scratch for 2,000 accounts
 *   (~5.5 registry events each). The logs are SYNTHETIC: encoded with the registry ABI and fed
 *   through the same Indexer / decodeLog / applyEvent path that eth_getLogs results take, from memory
 *   (so the figure is the keeper's own decode-and-apply cost, without the node's getLogs latency).
 * - keeper.tick_ms_at_10k_accounts: the in-memory part of one round over 10,000 indexed accounts
 *   (1% stale by price, 1% with a due challenge): scan + candidate selection, no RPC.
 * - keeper.rpc_calls_per_tick_idle: JSON-RPC calls of one keeper round that sees a new block and finds
 *   nothing to do (12 fresh accounts), on an in-process Hardhat network behind a counting EIP-1193
 *   wrapper. The count does not depend on the number of accounts (test/keeper/chain.test.ts).
 */
import { BrowserProvider, type Eip1193Provider, HDNodeWallet, Mnemonic, Network } from "ethers";
import pino from "pino";
import { packPrices } from "../core/encoding";
import { type ChainReader, RegistryReader, type ProtocolParams } from "../keeper/chain/reader";
import { loadConfig } from "../keeper/config";
import { registryInterface } from "../keeper/index/events";
import { Indexer } from "../keeper/index/indexer";
import type { LogLike } from "../keeper/index/types";
import { Keeper } from "../keeper/keeper";
import * as strategy from "../keeper/strategy";
import { type Figure, figure, medianMs, progress } from "./lib/figures";

const E8 = 10n ** 8n;
const E18 = 10n ** 18n;
const PRICES = [3_000n * E8, 60_000n * E8, 150n * E8, 80n * 10n ** 6n];
const OLD_SOL = [3_000n * E8, 60_000n * E8, 120n * E8, 80n * 10n ** 6n];
const PARAMS: ProtocolParams = {
  freshness: 86_400n,
  responseWindow: 3_600n,
  exclusivePeriod: 600n,
  bond: 10n ** 16n,
  bandBps: 500n,
  bountyBps: 100n,
  bountyCap: 1_000n * E18,
  paused: false,
};
const NOW = 2_000_000n;
const KEEPER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

const addr = (i: number) => `0x${(0x10_0000 + i).toString(16).padStart(40, "0")}`;

function ev(blockNumber: number, name: string, values: unknown[]): LogLike {
  const { data, topics } = registryInterface.encodeEventLog(name, values);
  return { blockNumber, data, topics };
}

/** A plausible history: open, prove, deposit, trade (update + prove); every 100th stale by price, every 100th challenged and due. */
function history(accounts: number): LogLike[] {
  const logs: LogLike[] = [];
  for (let i = 0; i < accounts; i++) {
    const a = addr(i);
    const b = 1 + Math.floor(i / 10);
    const prices = i % 100 === 1 ? OLD_SOL : PRICES;
    logs.push(
      ev(b, "AccountOpened", [a, 1n]),
      ev(b, "Proven", [a, 0n, packPrices(prices), NOW - 5_000n]),
      ev(b, "Deposited", [a, 0n, 4_000n * 10n ** 6n]),
    );
    logs.push(
      ev(b, "Updated", [a, 1n, 12345n, 0n, 0n, 0n]),
      ev(b, "Proven", [a, 1n, packPrices(prices), NOW - 4_000n]),
    );
    if (i % 100 === 2) logs.push(ev(b, "Challenged", [a, 2n, KEEPER, NOW - 10n, packPrices(PRICES), 99n]));
    if (i % 20 === 3) {
      logs.push(ev(b, "Challenged", [a, 2n, KEEPER, NOW - 1_000n, packPrices(PRICES), 98n]));
      logs.push(ev(b, "Responded", [a, 2n, a]), ev(b, "Proven", [a, 2n, packPrices(PRICES), NOW - 1_500n]));
    }
  }
  return logs;
}

function memorySource(logs: readonly LogLike[]) {
  const byBlock = new Map<number, LogLike[]>();
  for (const l of logs) byBlock.set(l.blockNumber, [...(byBlock.get(l.blockNumber) ?? []), l]);
  const head = Math.max(...byBlock.keys());
  return {
    head,
    async logs(from: number, to: number): Promise<LogLike[]> {
      const out: LogLike[] = [];
      for (let b = from; b <= to; b++) out.push(...(byBlock.get(b) ?? []));
      return out;
    },
  };
}

async function buildIndex(logs: readonly LogLike[]): Promise<Indexer> {
  const src = memorySource(logs);
  const idx = new Indexer(src, { startBlock: 0, confirmations: 3, chunk: 2_000 });
  await idx.sync({ number: src.head, hash: "0x01" });
  return idx;
}

async function indexFigure(): Promise<Figure> {
  const n = 2_000;
  const logs = history(n);
  progress(`keeper: ${logs.length} synthetic logs for ${n} accounts`);
  const ms = await medianMs("keeper index build (2,000 accounts)", () => buildIndex(logs));
  return figure("keeper.index_ms_per_1k_accounts", Math.round((ms / (n / 1_000)) * 10) / 10, "ms");
}

async function tickFigure(): Promise<Figure> {
  const idx = await buildIndex(history(10_000));
  const econ: strategy.Economics = {
    gasPriceWei: 10n ** 9n,
    challengeBaseGas: 210_000n,
    challengeGasPerAccount: 170_000n,
    liquidateBaseGas: 80_000n,
    liquidateGasPerAccount: 120_000n,
    ethPriceInQuote: 3_000n,
    minProfitWei: 0n,
  };
  const limits = { batchSize: 20, maxBatches: 2 };
  let found = { challenge: 0, liquidate: 0 };
  const ms = await medianMs("keeper tick (10,000 accounts)", () => {
    const s = strategy.scan(idx.view(), { prices: PRICES, now: NOW, me: KEEPER, params: PARAMS });
    strategy.selectChallenges(
      s.challenge.map((candidate) => ({ candidate, challengeable: true, value: 4_000n * E18 })),
      PARAMS,
      econ,
      strategy.bondCapacity(s.ourOpenChallenges, PARAMS.bond, E18),
      limits,
    );
    strategy.selectLiquidations(
      s.liquidate.map((candidate) => ({ candidate, deadline: candidate.deadline, pinnedValue: 4_000n * E18 })),
      NOW,
      PARAMS,
      econ,
      limits,
    );
    found = { challenge: s.challenge.length, liquidate: s.liquidate.length };
  });
  progress(`keeper tick: ${idx.view().size} accounts, ${found.challenge} stale, ${found.liquidate} due`);
  return figure("keeper.tick_ms_at_10k_accounts", ms, "ms");
}

async function rpcFigure(): Promise<Figure> {
  progress("keeper: in-process Hardhat network");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as typeof import("hardhat");
  const { deployLocal } = await import("../scripts/lib/deploy");
  const signers = await hre.ethers.getSigners();
  const sys = await deployLocal(signers[0]);
  for (const s of signers.slice(2, 14)) await (await sys.registry.connect(s).openAccount()).wait();
  let calls = 0;
  const inner = hre.network.provider;
  const counting: Eip1193Provider = {
    request: (args) => {
      calls++;
      return inner.request(args as { method: string; params?: unknown[] });
    },
  };
  const network = Network.from(31337n);
  const provider = new BrowserProvider(counting, network, { staticNetwork: network, cacheTimeout: -1 });
  const registry = await sys.registry.getAddress();
  const key = HDNodeWallet.fromMnemonic(
    Mnemonic.fromPhrase("test test test test test test test test test test test junk"),
    "m/44'/60'/0'/0/1",
  );
  const cfg = loadConfig({
    flags: { rpcUrl: "http://in-process", registry, checkpointFile: "/dev/null", profit: { ethPriceInQuote: "3000" } },
    env: {},
  }).config;
  const chain: ChainReader = await RegistryReader.create(provider, registry);
  const log = pino({ level: "silent" });
  const keeper = new Keeper({
    config: cfg,
    chainId: 31337n,
    chain,
    indexer: new Indexer(chain, { startBlock: 0, confirmations: 3, chunk: 2_000 }, log),
    log,
    me: key.address,
    rpcCalls: () => calls,
    readOnly: true,
  });
  await keeper.round(); // catch up
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    await inner.request({ method: "evm_mine", params: [] });
    const r = await keeper.round();
    if (r.candidates.challenge + r.candidates.liquidate > 0) throw new Error("idle round found work");
    samples.push(r.rpcCalls);
  }
  samples.sort((a, b) => a - b);
  progress(`keeper idle round RPC calls: ${samples.join(" ")}`);
  provider.destroy();
  return figure("keeper.rpc_calls_per_tick_idle", samples[samples.length >> 1], "calls");
}

export async function keeperFigures(): Promise<Figure[]> {
  return [await indexFigure(), await tickFigure(), await rpcFigure()];
}
