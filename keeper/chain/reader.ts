/**
 * Everything the keeper reads from one deployment, behind one interface (the benchmark and unit tests
 * put an in-memory chain behind it). Per round: the head block, new logs of the registry, auction
 * house, fund and taker (one eth_getLogs), one market read through the lens; the batched lens views for
 * candidates (hundreds of accounts per eth_call); protocol parameters come from events.
 */
import { type Provider } from "ethers";
import {
  AuctionHouse__factory,
  IUniswapV2Router__factory,
  InsuranceFund__factory,
  OracleAdapter__factory,
  RegistryLens__factory,
  RiskEngine__factory,
  UniswapV2Taker__factory,
  ZkMarginRegistry__factory,
  type AuctionHouse,
  type OracleAdapter,
  type RegistryLens,
  type ZkMarginRegistry,
} from "../../core/contracts";
import { revertDataOf } from "../../core/rpcErrors";
import type { LogSource } from "../index/indexer";
import type { Cert, Incentives, LogLike, Timing } from "../index/types";
import type { Market } from "../rule";

export interface Head {
  readonly number: number;
  readonly hash: string;
  readonly timestamp: bigint;
  readonly baseFeePerGas: bigint | null;
}

export interface Addresses {
  readonly registry: string;
  readonly lens: string;
  readonly oracle: string;
  readonly risk: string;
  readonly fund: string;
  readonly auction: string;
  readonly taker?: string;
}

export interface ProtocolParams {
  readonly timing: Timing;
  readonly incentives: Incentives;
  readonly pausedUntil: bigint;
}

/** AuctionHouse.auction(id) now. */
export interface AuctionState {
  readonly id: bigint;
  readonly asset: bigint;
  readonly lot: bigint;
  readonly top: bigint;
  readonly tic: bigint;
  readonly price: bigint;
  readonly needsRedo: boolean;
}

export interface AuctionParams {
  readonly chost: bigint;
  readonly tail: bigint;
}

export interface ChainReader extends LogSource {
  readonly addresses: Addresses;
  head(): Promise<Head>;
  blockHash(block: number): Promise<string | null>;
  /** Prices, ratios and haircuts now (reverts while the oracle does: stale feed, sequencer down). */
  market(): Promise<Market>;
  params(): Promise<ProtocolParams>;
  pauseClock(): Promise<bigint>;
  downtimeSince(t: bigint): Promise<bigint>;
  /** RegistryLens.challengeable for many accounts in one eth_call. */
  checkChallenges(accounts: readonly string[], certs: readonly Cert[]): Promise<{ flags: boolean[]; values: bigint[] }>;
  /** RegistryLens.values for many accounts in one eth_call. */
  values(accounts: readonly string[]): Promise<bigint[]>;
  auction(id: bigint): Promise<AuctionState | undefined>;
  auctionParams(): Promise<AuctionParams>;
  token(asset: bigint): Promise<string>;
  /** Router output of selling `amountIn` along `path` (undefined without a router). */
  quote(router: string, amountIn: bigint, path: readonly string[]): Promise<bigint>;
  /** Deficit ledger: entries recorded, head, and what the fund could repay now. */
  fundLedger(): Promise<{ length: bigint; head: bigint; available: bigint; owed: bigint }>;
  balance(address: string): Promise<bigint>;
}

const IFACES = [
  ZkMarginRegistry__factory.createInterface(),
  OracleAdapter__factory.createInterface(),
  AuctionHouse__factory.createInterface(),
  InsuranceFund__factory.createInterface(),
  RiskEngine__factory.createInterface(),
  UniswapV2Taker__factory.createInterface(),
];

/** The custom error (name and arguments) a call or transaction reverted with, decoded against the ABIs. */
export function revertReason(e: unknown): string | undefined {
  const data = revertDataOf(e);
  if (data === undefined) return undefined;
  for (const iface of IFACES) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return `${parsed.name}(${parsed.args.map((a) => String(a)).join(", ")})`;
    } catch {
      /* another interface's error */
    }
  }
  if (data.startsWith("0x08c379a0")) {
    try {
      return `Error(${IFACES[0].getAbiCoder().decode(["string"], `0x${data.slice(10)}`)[0]})`;
    } catch {
      /* not a string */
    }
  }
  return `revert ${data.slice(0, 10)}`;
}

/** Just the error's name (`Registry__NotActive`), for matching. */
export function revertName(e: unknown): string | undefined {
  return revertReason(e)?.split("(")[0];
}

export class RegistryReader implements ChainReader {
  private constructor(
    private readonly provider: Provider,
    readonly addresses: Addresses,
    private readonly registry: ZkMarginRegistry,
    private readonly lens: RegistryLens,
    private readonly oracle: OracleAdapter,
    private readonly house: AuctionHouse,
  ) {}

  /** Finds the oracle, risk engine, fund and auction house through the registry's immutables. */
  static async create(
    provider: Provider,
    o: { registry: string; lens: string; taker?: string },
  ): Promise<RegistryReader> {
    const registry = ZkMarginRegistry__factory.connect(o.registry, provider);
    const [oracle, risk, fund, auction] = await Promise.all([
      registry.oracle(),
      registry.risk(),
      registry.fund(),
      registry.auction(),
    ]);
    const addresses: Addresses = { registry: o.registry, lens: o.lens, oracle, risk, fund, auction, taker: o.taker };
    return new RegistryReader(
      provider,
      addresses,
      registry,
      RegistryLens__factory.connect(o.lens, provider),
      OracleAdapter__factory.connect(oracle, provider),
      AuctionHouse__factory.connect(auction, provider),
    );
  }

  async head(): Promise<Head> {
    const b = await this.provider.getBlock("latest");
    if (b === null || b.hash === null) throw new Error("eth_getBlockByNumber(latest) returned no block");
    return { number: b.number, hash: b.hash, timestamp: BigInt(b.timestamp), baseFeePerGas: b.baseFeePerGas };
  }

  async blockHash(block: number): Promise<string | null> {
    return (await this.provider.getBlock(block))?.hash ?? null;
  }

  async logs(fromBlock: number, toBlock: number): Promise<readonly LogLike[]> {
    const a = this.addresses;
    const address = [a.registry, a.auction, a.fund, ...(a.taker ? [a.taker] : [])];
    return this.provider.getLogs({ address, fromBlock, toBlock });
  }

  async market(): Promise<Market> {
    const m = await this.lens.market();
    return {
      marketPrices: m.marketPrices,
      assetPrices: m.assetPrices,
      mm: m.mm,
      im: m.im,
      haircuts: m.haircuts,
      decimals: m.decimals.map(Number),
    };
  }

  async params(): Promise<ProtocolParams> {
    const [t, i, pausedUntil] = await Promise.all([
      this.registry.timing(),
      this.registry.incentives(),
      this.registry.pausedUntil(),
    ]);
    return {
      timing: {
        freshness: t.freshness,
        responseWindow: t.responseWindow,
        exclusivePeriod: t.exclusivePeriod,
        claimWindow: t.claimWindow,
        bountyRamp: t.bountyRamp,
        maxStretchBps: t.maxStretchBps,
        refBasefee: t.refBasefee,
      },
      incentives: {
        bond: i.bond,
        bountyMinBps: i.bountyMinBps,
        bountyMaxBps: i.bountyMaxBps,
        penaltyBps: i.penaltyBps,
        relayerShareBps: i.relayerShareBps,
        bountyCap: i.bountyCap,
      },
      pausedUntil,
    };
  }

  pauseClock(): Promise<bigint> {
    return this.registry.pauseClock();
  }

  downtimeSince(t: bigint): Promise<bigint> {
    return this.oracle.sequencerDowntimeSince(t);
  }

  async checkChallenges(
    accounts: readonly string[],
    certs: readonly Cert[],
  ): Promise<{ flags: boolean[]; values: bigint[] }> {
    const [flags, values] = await this.lens.challengeable([...accounts], [...certs]);
    return { flags: [...flags], values: [...values] };
  }

  async values(accounts: readonly string[]): Promise<bigint[]> {
    return [...(await this.lens.values([...accounts]))];
  }

  async auction(id: bigint): Promise<AuctionState | undefined> {
    try {
      const v = await this.house.auction(id);
      return {
        id: v.id,
        asset: v.asset,
        lot: v.lot,
        top: v.top,
        tic: v.tic,
        price: v.price,
        needsRedo: v.needsRedo,
      };
    } catch (e) {
      if (revertName(e) === "AuctionHouse__NotRunning") return undefined;
      throw e;
    }
  }

  async auctionParams(): Promise<AuctionParams> {
    const p = await this.house.params();
    return { chost: p.chost, tail: p.tail };
  }

  token(asset: bigint): Promise<string> {
    return this.house.token(asset);
  }

  async quote(router: string, amountIn: bigint, path: readonly string[]): Promise<bigint> {
    const out = await IUniswapV2Router__factory.connect(router, this.provider).getAmountsOut(amountIn, [...path]);
    return out[out.length - 1];
  }

  async fundLedger(): Promise<{ length: bigint; head: bigint; available: bigint; owed: bigint }> {
    const fund = InsuranceFund__factory.connect(this.addresses.fund, this.provider);
    const [length, head, available, owed] = await Promise.all([
      fund.ledgerLength(),
      fund.ledgerHead(),
      fund.available(),
      fund.totalOwed(),
    ]);
    return { length, head, available, owed };
  }

  balance(address: string): Promise<bigint> {
    return this.provider.getBalance(address);
  }
}
