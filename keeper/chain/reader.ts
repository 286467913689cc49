/**
 * Everything the keeper reads from the chain, behind one interface (the benchmark and unit tests put an
 * in-memory chain behind it). Per round: the head block, new logs, one oracle read; protocol parameters
 * only when their events appear (or every paramsRefreshRounds); per-account views only for candidates.
 */
import { type Provider, isCallException } from "ethers";
import {
  OracleAdapter__factory,
  ZkMarginRegistry__factory,
  type OracleAdapter,
  type ZkMarginRegistry,
} from "../../core/contracts";
import type { LogSource } from "../index/indexer";
import type { LogLike } from "../index/types";

export interface Head {
  readonly number: number;
  readonly hash: string;
  readonly timestamp: bigint;
  readonly baseFeePerGas: bigint | null;
}

/** RegistryConfig's timing and incentives, and the guardian pause. */
export interface ProtocolParams {
  readonly freshness: bigint;
  readonly responseWindow: bigint;
  readonly exclusivePeriod: bigint;
  readonly bond: bigint;
  readonly bandBps: bigint;
  readonly bountyBps: bigint;
  readonly bountyCap: bigint;
  readonly paused: boolean;
}

export interface ChainReader extends LogSource {
  head(): Promise<Head>;
  blockHash(block: number): Promise<string | null>;
  marketPrices(): Promise<bigint[]>;
  params(): Promise<ProtocolParams>;
  isChallengeable(account: string): Promise<boolean>;
  /** Pause-adjusted deadline of the open challenge, or null when none is open. */
  deadlineOf(account: string): Promise<bigint | null>;
  pinnedValue(account: string): Promise<bigint>;
  collateralValue(account: string): Promise<bigint>;
}

/** The name of a custom error a call reverted with (registry or oracle ABI), if any. */
export function revertName(e: unknown): string | undefined {
  if (!isCallException(e)) return undefined;
  if (e.revert?.name) return e.revert.name;
  const data = e.data;
  if (!data) return undefined;
  for (const iface of [ZkMarginRegistry__factory.createInterface(), OracleAdapter__factory.createInterface()]) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return parsed.name;
    } catch {
      /* another interface's error */
    }
  }
  return undefined;
}

export class RegistryReader implements ChainReader {
  private constructor(
    private readonly provider: Provider,
    readonly registry: ZkMarginRegistry,
    readonly oracle: OracleAdapter,
    readonly address: string,
  ) {}

  static async create(provider: Provider, registryAddress: string): Promise<RegistryReader> {
    const registry = ZkMarginRegistry__factory.connect(registryAddress, provider);
    const oracle = OracleAdapter__factory.connect(await registry.oracle(), provider);
    return new RegistryReader(provider, registry, oracle, registryAddress);
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
    return this.provider.getLogs({ address: this.address, fromBlock, toBlock });
  }

  async marketPrices(): Promise<bigint[]> {
    return [...(await this.oracle.marketPrices())];
  }

  async params(): Promise<ProtocolParams> {
    const [t, i, paused] = await Promise.all([
      this.registry.timing(),
      this.registry.incentives(),
      this.registry.challengesPaused(),
    ]);
    return {
      freshness: t.freshness,
      responseWindow: t.responseWindow,
      exclusivePeriod: t.exclusivePeriod,
      bond: i.bond,
      bandBps: i.bandBps,
      bountyBps: i.bountyBps,
      bountyCap: i.bountyCap,
      paused,
    };
  }

  isChallengeable(account: string): Promise<boolean> {
    return this.registry.isChallengeable(account);
  }

  async deadlineOf(account: string): Promise<bigint | null> {
    try {
      return await this.registry.deadlineOf(account);
    } catch (e) {
      if (revertName(e) === "Registry__NoOpenChallenge") return null;
      throw e;
    }
  }

  pinnedValue(account: string): Promise<bigint> {
    return this.registry.pinnedValue(account);
  }

  collateralValue(account: string): Promise<bigint> {
    return this.registry.collateralValue(account);
  }
}
