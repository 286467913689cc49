/**
 * An in-memory deployment behind the keeper's ChainReader and Actions interfaces, for unit tests and the
 * benchmark: registry events are real ABI-encoded logs (decoded by the same index code as eth_getLogs
 * results), the lens views apply the registry's rule (keeper/rule.ts, itself checked against the lens
 * in test/keeper/rule.test.ts), and a transaction is counted as the four JSON-RPC requests the real
 * executor makes (eth_call preflight, eth_estimateGas, eth_sendRawTransaction, receipt). Every method
 * call counts as one JSON-RPC request, so a round's request count is what a node would have seen.
 */
import { ZeroHash, getAddress, zeroPadValue } from "ethers";
import pino from "pino";
import { loadConfig } from "../config";
import type { Actions, TxResult } from "../executor";
import { type Role, registryInterface } from "../index/events";
import { Indexer } from "../index/indexer";
import { Keeper } from "../keeper";
import type { Metrics } from "../metrics";
import type { Cert, ChallengeRecord, Incentives, LogLike, Timing } from "../index/types";
import { type Market, challengeable, collateralValue, deadlineOf } from "../rule";
import type { Addresses, AuctionParams, AuctionState, ChainReader, Head, ProtocolParams } from "./reader";

const E8 = 10n ** 8n;
const OPENED = registryInterface.getEvent("AccountOpened")!.topicHash;
const CERTIFIED = registryInterface.getEvent("Certified")!.topicHash;
const DEPOSITED = registryInterface.getEvent("Deposited")!.topicHash;
const word = (x: bigint): string => `0x${x.toString(16).padStart(64, "0")}`;

export const MEMORY_MARKET: Market = {
  marketPrices: 3_000n * E8 + ((60_000n * E8) << 64n) + ((150n * E8) << 128n) + ((80n * 10n ** 6n) << 192n),
  assetPrices: E8 + ((3_000n * E8) << 64n),
  mm: 300n + (250n << 16n) + (500n << 32n) + (600n << 48n),
  im: 600n + (500n << 16n) + (1000n << 32n) + (1200n << 48n),
  haircuts: 10_000n + (8_000n << 16n),
  decimals: [6, 18],
};

export const MEMORY_TIMING: Timing = {
  freshness: 6n * 3600n,
  responseWindow: 600n,
  exclusivePeriod: 120n,
  claimWindow: 7n * 86_400n,
  bountyRamp: 600n,
  maxStretchBps: 30_000n,
  refBasefee: 50n * 10n ** 9n,
};

export const MEMORY_INCENTIVES: Incentives = {
  bond: 10n ** 15n,
  bountyMinBps: 50n,
  bountyMaxBps: 200n,
  penaltyBps: 500n,
  relayerShareBps: 1_000n,
  bountyCap: 1_000n * 10n ** 18n,
};

interface SimAccount {
  status: "active" | "liquidated";
  nonce: bigint;
  cert: Cert;
  record?: ChallengeRecord;
  balances: bigint[];
}

const sameCert = (a: Cert, b: Cert) =>
  a.provenAt === b.provenAt &&
  a.d === b.d &&
  a.pm === b.pm &&
  a.haircuts === b.haircuts &&
  a.marketPrices === b.marketPrices &&
  a.assetPrices === b.assetPrices;

export class MemoryChain implements ChainReader {
  readonly addresses: Addresses;
  readonly calls = new Map<string, number>();
  market_: Market = MEMORY_MARKET;
  now: bigint;
  blockNumber = 1;
  private readonly logsByBlock = new Map<number, LogLike[]>();
  private readonly accounts = new Map<string, SimAccount>();
  /** Fail this many upcoming reads (transient), to exercise retries in the round. */
  failNext = 0;
  /** A sequencer outage (plus grace) that ended after every open challenge was pinned, seconds. */
  downtime = 0n;

  constructor(
    readonly chainId: bigint = 31337n,
    now = 1_000_000n,
    readonly timing: Timing = MEMORY_TIMING,
    readonly incentives: Incentives = MEMORY_INCENTIVES,
  ) {
    this.now = now;
    const a = (i: number) => getAddress(`0x${(0xa000 + i).toString(16).padStart(40, "0")}`);
    this.addresses = { registry: a(1), lens: a(2), oracle: a(3), risk: a(4), fund: a(5), auction: a(6) };
    this.emit("TimingSet", [timing]);
    this.emit("IncentivesSet", [incentives]);
  }

  get totalCalls(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  private count(method: string, n = 1): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + n);
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error("injected"), { code: "ECONNRESET" });
    }
  }

  emit(name: string, values: unknown[]): void {
    const { data, topics } = registryInterface.encodeEventLog(name, values);
    this.push(topics, data);
  }

  /** A new block (time moves by `seconds`). */
  mine(seconds = 2n): void {
    this.blockNumber++;
    this.now += seconds;
  }

  /** Opens `account` with `usdc` settlement base units, certified at `provenAt` at the current market. */
  open(account: string, usdc: bigint, provenAt = this.now, d = 10_000n): void {
    const cert: Cert = {
      provenAt,
      d,
      pm: 0x2710271027102710n,
      haircuts: 0n,
      marketPrices: this.market_.marketPrices,
      assetPrices: this.market_.assetPrices,
    };
    this.accounts.set(account, { status: "active", nonce: 0n, cert, balances: [usdc, 0n] });
    // the three logs of an opening, encoded by hand (all words static; ABI encoding 30k logs is slow)
    const who = zeroPadValue(account.toLowerCase(), 32);
    this.push([OPENED, who], word(1n));
    const certData = `${word(0n)}${[cert.provenAt, cert.d, cert.pm, cert.haircuts, cert.marketPrices, cert.assetPrices].map((x) => word(x).slice(2)).join("")}`;
    this.push([CERTIFIED, who], certData);
    if (usdc > 0n) this.push([DEPOSITED, who, word(0n)], word(usdc));
  }

  /** Collateral that arrives without an event of its own (a settlement's gain): `Updated` says only settle. */
  settleGain(account: string, usdc: bigint): void {
    const a = this.accounts.get(account)!;
    a.nonce++;
    a.balances[0] += usdc;
    this.emit("Updated", [account, a.nonce, 5n, usdc * 10n ** 12n, 0n, 0n]);
  }

  private push(topics: string[], data: string): void {
    const l: LogLike = { blockNumber: this.blockNumber, address: this.addresses.registry, data, topics };
    const list = this.logsByBlock.get(this.blockNumber);
    if (list === undefined) this.logsByBlock.set(this.blockNumber, [l]);
    else list.push(l);
  }

  async head(): Promise<Head> {
    this.count("eth_getBlockByNumber");
    return {
      number: this.blockNumber,
      hash: this.hash(this.blockNumber),
      timestamp: this.now,
      baseFeePerGas: 10n ** 9n,
    };
  }

  private hash(n: number): string {
    return `0x${n.toString(16).padStart(64, "0")}`;
  }

  async blockHash(block: number): Promise<string | null> {
    this.count("eth_getBlockByNumber");
    return block <= this.blockNumber ? this.hash(block) : null;
  }

  async logs(fromBlock: number, toBlock: number): Promise<readonly LogLike[]> {
    this.count("eth_getLogs");
    const out: LogLike[] = [];
    for (let b = fromBlock; b <= toBlock; b++) {
      const l = this.logsByBlock.get(b);
      if (l !== undefined) out.push(...l);
    }
    return out;
  }

  async market(): Promise<Market> {
    this.count("eth_call");
    return this.market_;
  }

  async params(): Promise<ProtocolParams> {
    this.count("eth_call", 3);
    return { timing: this.timing, incentives: this.incentives, pausedUntil: 0n };
  }

  async pauseClock(): Promise<bigint> {
    this.count("eth_call");
    return 0n;
  }

  async downtimeSince(): Promise<bigint> {
    this.count("eth_call");
    return this.downtime;
  }

  private isChallengeable(account: string, cert: Cert): boolean {
    const a = this.accounts.get(account);
    if (a === undefined || a.status !== "active" || a.record !== undefined || !sameCert(a.cert, cert)) return false;
    return challengeable(cert, this.now, this.timing.freshness, this.market_);
  }

  async checkChallenges(accounts: readonly string[], certs: readonly Cert[]) {
    this.count("eth_call");
    return {
      flags: accounts.map((a, k) => this.isChallengeable(a, certs[k])),
      values: accounts.map((a) => collateralValue(this.accounts.get(a)?.balances ?? [], this.market_)),
    };
  }

  async values(accounts: readonly string[]): Promise<bigint[]> {
    this.count("eth_call");
    return accounts.map((a) => collateralValue(this.accounts.get(a)?.balances ?? [], this.market_));
  }

  async auction(): Promise<AuctionState | undefined> {
    this.count("eth_call");
    return undefined;
  }

  async auctionParams(): Promise<AuctionParams> {
    this.count("eth_call");
    return { chost: 0n, tail: 0n };
  }

  async token(): Promise<string> {
    this.count("eth_call");
    return ZeroHash.slice(0, 42);
  }

  async quote(): Promise<bigint> {
    this.count("eth_call");
    return 0n;
  }

  async fundLedger() {
    this.count("eth_call", 4);
    return { length: 0n, head: 0n, available: 0n, owed: 0n };
  }

  async balance(): Promise<bigint> {
    this.count("eth_getBalance");
    return 10n ** 20n;
  }

  /** The write side: each transaction costs the four requests of the real executor. */
  actions(me: string): Actions {
    const tx = (action: TxResult["action"], accounts: string[], handled: string[]): TxResult => {
      this.count("eth_call");
      this.count("eth_estimateGas");
      this.count("eth_sendRawTransaction");
      this.count("eth_getTransactionReceipt");
      const hash = this.hash(1_000_000 + this.totalCalls);
      return {
        status: "mined",
        action,
        accounts,
        handled,
        hash,
        gasUsed: 100_000n,
        gasWei: 10n ** 14n,
        attempts: 1,
        receipt: undefined as never,
      };
    };
    const nothing = (action: TxResult["action"]): Promise<TxResult> => {
      this.count("eth_call");
      return Promise.resolve({ status: "skipped", action, accounts: [], reason: "taken" });
    };
    return {
      me,
      canTake: false,
      challenge: async (accounts, certs) => {
        this.mine(1n); // mined in a block of its own
        const handled: string[] = [];
        accounts.forEach((acc, k) => {
          if (!this.isChallengeable(acc, certs[k])) return;
          const a = this.accounts.get(acc)!;
          a.nonce++;
          const r: ChallengeRecord = {
            challenger: me,
            nonce: a.nonce,
            pinnedAt: this.now,
            deadline: this.now + this.timing.responseWindow,
            pauseClockAt: 0n,
            bond: this.incentives.bond,
            exclusivePeriod: this.timing.exclusivePeriod,
            targetFactorBps: 12_500n,
            deleverageFeeBps: 50n,
            keeperShareBps: 2_000n,
            mm: this.market_.mm,
            haircuts: this.market_.haircuts,
            marketPrices: this.market_.marketPrices,
            assetPrices: this.market_.assetPrices,
          };
          a.record = r;
          this.emit("Challenged", [acc, me, r]);
          handled.push(acc);
        });
        return tx("challenge", accounts, handled);
      },
      liquidate: async (accounts) => {
        this.mine(1n);
        const handled: string[] = [];
        for (const acc of accounts) {
          const a = this.accounts.get(acc);
          if (a?.record === undefined || this.now <= deadlineOf(a.record, this.now, 0n, this.downtime)) continue;
          const v = collateralValue(a.balances, this.market_);
          const rec = {
            nonce: a.record.nonce,
            claimUntil: this.now + this.timing.claimWindow,
            value: v,
            penalty: (v * this.incentives.penaltyBps) / 10_000n,
            marketPrices: this.market_.marketPrices,
            assetPrices: this.market_.assetPrices,
          };
          this.emit("Liquidated", [acc, me, rec, (v * this.incentives.bountyMinBps) / 10_000n]);
          a.status = "liquidated";
          a.record = undefined;
          a.balances = [0n, 0n];
          handled.push(acc);
        }
        return tx("liquidate", accounts, handled);
      },
      take: () => nothing("take"),
      redo: () => nothing("redo"),
      repay: () => nothing("repay"),
      poke: () => nothing("poke"),
    };
  }
}

/** A keeper over a MemoryChain (checkpoint writes only with `persist`), with `overrides` of the deployment config. */
export function memoryKeeper(
  chain: MemoryChain,
  o: { me?: string; name?: string; overrides?: Record<string, unknown>; metrics?: Metrics; persist?: boolean } = {},
): Keeper {
  const me = o.me ?? getAddress(`0x${"7e".repeat(20)}`);
  const config = loadConfig({
    flags: {
      name: o.name ?? "memory",
      rpcUrl: "http://127.0.0.1:1",
      registry: chain.addresses.registry,
      lens: chain.addresses.lens,
      confirmations: 0,
      checkpointFile: "/dev/null",
      profit: { ethPriceInQuote: "3000" },
      sales: { poke: false, repay: false },
      ...o.overrides,
    },
    env: {},
  }).config.deployments[0];
  const log = pino({ level: "silent" });
  const roles = new Map<string, Role>([[chain.addresses.registry.toLowerCase(), "registry"]]);
  const indexer = new Indexer(chain, { startBlock: 0, confirmations: 0, chunk: 100_000, roles, identity: { me } }, log);
  return new Keeper({
    config,
    chainId: chain.chainId,
    chain,
    indexer,
    log,
    executor: chain.actions(me),
    me,
    rpcCalls: () => chain.totalCalls,
    readOnly: o.persist !== true,
    metrics: o.metrics,
  });
}
