/**
 * The public state a trader's proofs are made against, read from the chain: prices, ratios, haircuts,
 * the account's collateral, commitment, nonce and records, the fund's available balance. Everything here
 * is public already; nothing private (sizes, sides, trades) is ever sent to the RPC provider: the
 * post-update value and every public input are computed locally from it (value.ts), never asked of a
 * view with the trade's values.
 */
import { AbiCoder, type EventLog, type Provider, keccak256 } from "ethers";
import {
  IERC20Metadata__factory,
  InsuranceFund__factory,
  OracleAdapter__factory,
  RiskEngine__factory,
  type Types,
  type ZkMarginRegistry,
} from "../../core/contracts";
import { unpackPrices } from "../../core/encoding";

export const ACCOUNT_STATUS = ["none", "active", "liquidated", "closed"] as const;
export type AccountStatus = (typeof ACCOUNT_STATUS)[number];

/** A certificate as the registry emits and hashes it (Types.Cert). */
export interface Cert {
  provenAt: bigint;
  d: bigint;
  pm: bigint;
  haircuts: bigint;
  marketPrices: bigint;
  assetPrices: bigint;
}

/** An open challenge's record (Types.ChallengeRecord). */
export interface ChallengeRecord {
  challenger: string;
  nonce: bigint;
  pinnedAt: bigint;
  deadline: bigint;
  pauseClockAt: bigint;
  bond: bigint;
  exclusivePeriod: bigint;
  targetFactorBps: bigint;
  deleverageFeeBps: bigint;
  keeperShareBps: bigint;
  mm: bigint;
  haircuts: bigint;
  marketPrices: bigint;
  assetPrices: bigint;
}

/** A liquidation's record (Types.LiquidationRecord). */
export interface LiquidationRecord {
  nonce: bigint;
  claimUntil: bigint;
  value: bigint;
  penalty: bigint;
  marketPrices: bigint;
  assetPrices: bigint;
}

const CERT_TYPE =
  "tuple(uint40 provenAt, uint16 d, uint64 pm, uint64 haircuts, uint256 marketPrices, uint256 assetPrices)";
const RECORD_TYPE =
  "tuple(address challenger, uint64 nonce, uint40 pinnedAt, uint40 deadline, uint64 pauseClockAt, uint128 bond, uint32 exclusivePeriod, uint16 targetFactorBps, uint16 deleverageFeeBps, uint16 keeperShareBps, uint64 mm, uint64 haircuts, uint256 marketPrices, uint256 assetPrices)";
const LIQUIDATION_TYPE =
  "tuple(uint64 nonce, uint40 claimUntil, uint128 value, uint128 penalty, uint256 marketPrices, uint256 assetPrices)";

export const certHash = (c: Cert): string => keccak256(AbiCoder.defaultAbiCoder().encode([CERT_TYPE], [c]));
export const recordHash = (r: ChallengeRecord): string =>
  keccak256(AbiCoder.defaultAbiCoder().encode([RECORD_TYPE], [r]));
export const liquidationHash = (r: LiquidationRecord): string =>
  keccak256(AbiCoder.defaultAbiCoder().encode([LIQUIDATION_TYPE], [r]));

/** Four 16-bit fields (bits 16j) as numbers; and back. */
export function unpack16(word: bigint, n = 4): bigint[] {
  return Array.from({ length: n }, (_, j) => (word >> BigInt(16 * j)) & 0xffffn);
}
export function pack16(values: readonly bigint[]): bigint {
  return values.reduce((w, v, j) => w | (v << BigInt(16 * j)), 0n);
}

export function toCert(c: Types.CertStructOutput | Cert): Cert {
  return {
    provenAt: BigInt(c.provenAt),
    d: BigInt(c.d),
    pm: BigInt(c.pm),
    haircuts: BigInt(c.haircuts),
    marketPrices: BigInt(c.marketPrices),
    assetPrices: BigInt(c.assetPrices),
  };
}

export function toRecord(r: Types.ChallengeRecordStructOutput | ChallengeRecord): ChallengeRecord {
  return {
    challenger: String(r.challenger),
    nonce: BigInt(r.nonce),
    pinnedAt: BigInt(r.pinnedAt),
    deadline: BigInt(r.deadline),
    pauseClockAt: BigInt(r.pauseClockAt),
    bond: BigInt(r.bond),
    exclusivePeriod: BigInt(r.exclusivePeriod),
    targetFactorBps: BigInt(r.targetFactorBps),
    deleverageFeeBps: BigInt(r.deleverageFeeBps),
    keeperShareBps: BigInt(r.keeperShareBps),
    mm: BigInt(r.mm),
    haircuts: BigInt(r.haircuts),
    marketPrices: BigInt(r.marketPrices),
    assetPrices: BigInt(r.assetPrices),
  };
}

export function toLiquidation(r: Types.LiquidationRecordStructOutput | LiquidationRecord): LiquidationRecord {
  return {
    nonce: BigInt(r.nonce),
    claimUntil: BigInt(r.claimUntil),
    value: BigInt(r.value),
    penalty: BigInt(r.penalty),
    marketPrices: BigInt(r.marketPrices),
    assetPrices: BigInt(r.assetPrices),
  };
}

/** What one account's next proof is made against. */
export interface PublicState {
  readonly chainId: bigint;
  readonly registry: string;
  readonly account: string;
  readonly status: AccountStatus;
  readonly commitment: bigint;
  readonly nonce: bigint;
  readonly certHash: string;
  readonly recordHash: string;
  readonly collateral: bigint[];
  readonly marketPrices: bigint[];
  readonly assetPrices: bigint[];
  readonly mm: bigint[];
  readonly im: bigint[];
  readonly haircuts: bigint[];
  readonly decimals: number[];
  readonly symbols: string[];
  readonly fundAvailable: bigint;
  /** Dust rule, in 1e12 value units. */
  readonly minValue: bigint;
  readonly timing: { freshness: bigint; responseWindow: bigint; exclusivePeriod: bigint; claimWindow: bigint };
  readonly blockTime: bigint;
  readonly paused: boolean;
}

/** Read-only access to a registry and the contracts around it, for one account. */
export class ChainView {
  private decimals?: number[];
  private symbols?: string[];

  constructor(
    readonly registry: ZkMarginRegistry,
    readonly account: string,
    /** First block to scan for the account's events (the deployment block of the address book). */
    readonly fromBlock = 0,
  ) {}

  get provider(): Provider {
    const p = this.registry.runner?.provider;
    if (!p) throw new Error("the registry contract has no provider");
    return p;
  }

  private async assetMeta(): Promise<{ decimals: number[]; symbols: string[] }> {
    if (!this.decimals || !this.symbols) {
      const [tokens, decimals] = await this.registry.assets();
      this.decimals = decimals.map(Number);
      this.symbols = await Promise.all(
        tokens.map((t) =>
          IERC20Metadata__factory.connect(t, this.provider)
            .symbol()
            .catch(() => "?"),
        ),
      );
    }
    return { decimals: this.decimals, symbols: this.symbols };
  }

  /** Everything public the next proof depends on (about ten eth_calls, in parallel). */
  async read(): Promise<PublicState> {
    const r = this.registry;
    const provider = this.provider;
    const [oracleAddr, riskAddr, fundAddr] = await Promise.all([r.oracle(), r.risk(), r.fund()]);
    const oracle = OracleAdapter__factory.connect(oracleAddr, provider);
    const [
      acc,
      collateral,
      marketPrices,
      assetPrices,
      packedRatios,
      haircuts,
      dl,
      timing,
      available,
      block,
      paused,
      net,
      meta,
    ] = await Promise.all([
      r.accountOf(this.account),
      r.collateralOf(this.account),
      oracle.marketPrices(),
      oracle.assetPrices(),
      RiskEngine__factory.connect(riskAddr, provider).packedRatios(),
      r.haircuts(),
      r.deleverageParams(),
      r.timing(),
      InsuranceFund__factory.connect(fundAddr, provider).available(),
      provider.getBlock("latest"),
      r.paused(),
      provider.getNetwork(),
      this.assetMeta(),
    ]);
    const n = meta.decimals.length;
    return {
      chainId: net.chainId,
      registry: await r.getAddress(),
      account: this.account,
      status: ACCOUNT_STATUS[Number(acc.status)],
      commitment: acc.commitment,
      nonce: acc.nonce,
      certHash: acc.certHash,
      recordHash: acc.recordHash,
      collateral: collateral.slice(0, n).map(BigInt),
      marketPrices: marketPrices.map(BigInt),
      assetPrices: assetPrices.map(BigInt),
      mm: unpack16(packedRatios & ((1n << 64n) - 1n)),
      im: unpack16(packedRatios >> 64n),
      haircuts: unpack16(haircuts, n),
      decimals: meta.decimals,
      symbols: meta.symbols,
      fundAvailable: available,
      minValue: BigInt(dl.minValue),
      timing: {
        freshness: BigInt(timing.freshness),
        responseWindow: BigInt(timing.responseWindow),
        exclusivePeriod: BigInt(timing.exclusivePeriod),
        claimWindow: BigInt(timing.claimWindow),
      },
      blockTime: BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)),
      paused,
    };
  }

  /** The account's latest certificate (checked against the stored hash), scanning its Certified events. */
  async latestCert(expectedHash?: string): Promise<Cert | undefined> {
    const logs = await this.lastLogs(this.registry.filters.Certified(this.account));
    for (let i = logs.length - 1; i >= 0; i--) {
      const c = toCert(logs[i].args.cert as unknown as Types.CertStructOutput);
      if (expectedHash === undefined || certHash(c) === expectedHash) return c;
    }
    return undefined;
  }

  /** The account's open challenge record (matching the stored hash), if any. */
  async openChallenge(expectedHash: string): Promise<ChallengeRecord | undefined> {
    if (/^0x0+$/.test(expectedHash)) return undefined;
    const logs = await this.lastLogs(this.registry.filters.Challenged(this.account));
    for (let i = logs.length - 1; i >= 0; i--) {
      const rec = toRecord(logs[i].args.record as unknown as Types.ChallengeRecordStructOutput);
      if (recordHash(rec) === expectedHash) return rec;
    }
    return undefined;
  }

  /** The account's liquidation record (matching the stored hash), if any. */
  async liquidation(expectedHash: string): Promise<LiquidationRecord | undefined> {
    const logs = await this.lastLogs(this.registry.filters.Liquidated(this.account));
    for (let i = logs.length - 1; i >= 0; i--) {
      const rec = toLiquidation(logs[i].args.record as unknown as Types.LiquidationRecordStructOutput);
      if (liquidationHash(rec) === expectedHash) return rec;
    }
    return undefined;
  }

  /** Logs of `filter`, scanning back from the head in chunks (hosted RPCs cap eth_getLogs ranges). */
  private async lastLogs(filter: Parameters<ZkMarginRegistry["queryFilter"]>[0]): Promise<EventLog[]> {
    const head = await this.provider.getBlockNumber();
    const chunk = 50_000;
    for (let to = head; to >= this.fromBlock; to -= chunk) {
      const from = Math.max(this.fromBlock, to - chunk + 1);
      const logs = (await this.registry.queryFilter(filter, from, to)).filter((l): l is EventLog => "args" in l);
      if (logs.length > 0) return logs;
      if (from === this.fromBlock) break;
    }
    return [];
  }
}

export { unpackPrices };
