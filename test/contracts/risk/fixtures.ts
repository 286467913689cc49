/**
 * Standalone deployments for the oracle (v2) and risk engine tests: four 8-decimal TestAggregators for
 * the markets, two for the collateral assets, an OracleAdapter and a RiskEngine both owned by a real
 * OpenZeppelin TimelockController (2-day delay), and the engine's defaults.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import {
  OracleAdapter__factory,
  RiskEngine__factory,
  TestAggregator__factory,
  type OracleAdapter,
  type RiskEngine,
  type TestAggregator,
} from "../../../core/contracts/typechain";
import type { IRiskEngine } from "../../../core/contracts/typechain/contracts/risk/RiskEngine";
import * as ref from "../../helpers/ewma";
import { DAY, deployTimelock } from "../../helpers/timelock";

export type Four<T> = [T, T, T, T];
export const E8 = 10n ** 8n;
export const E18 = 10n ** 18n;
/** Heartbeat bound of the test feeds: long, so time travel never makes them stale unless a test wants it. */
export const MAX_AGE = 7 * 86_400;
export const MARKET_PRICES: Four<bigint> = [3000n * E8, 60_000n * E8, 150n * E8, 1n * E8];
export const ASSET_PRICES = [E8, 3000n * E8];

/** The engine's defaults (see RiskEngine's NatSpec and the report): z 4, tau 6 h, T 15 min, im 2x, step 25. */
export const PARAMS: ref.Params = { z: 4n * E18, tau: 6n * 3600n, horizon: 900n, imFactorBps: 20_000n, stepBps: 25n };
export const BOUNDS: ref.Bounds = { baseBps: 50n, minBps: 50n, maxBps: 5000n };
/** Seed volatility of every market (annualised, WAD): 80%. */
export const SEED_VOL = (8n * E18) / 10n;

export const paramsArg = (p: ref.Params): IRiskEngine.ParamsStruct => ({
  z: p.z,
  tau: p.tau,
  horizon: p.horizon,
  imFactorBps: p.imFactorBps,
  stepBps: p.stepBps,
});
export const boundsArg = (b: ref.Bounds): IRiskEngine.MarketBoundsStruct => ({
  baseBps: b.baseBps,
  minBps: b.minBps,
  maxBps: b.maxBps,
});

export async function riskFixture() {
  const [admin, stranger, guardian] = await ethers.getSigners();
  const timelock = await deployTimelock(admin, 2n * DAY);
  const aggFactory = new TestAggregator__factory(admin);
  const agg = async (decimals: number, answer: bigint) => {
    const a = await aggFactory.deploy(decimals, answer);
    await a.waitForDeployment();
    return a;
  };
  const markets: TestAggregator[] = [];
  for (const p of MARKET_PRICES) markets.push(await agg(8, p));
  const assets: TestAggregator[] = [];
  for (const p of ASSET_PRICES) assets.push(await agg(8, p));
  const marketAddrs = (await Promise.all(markets.map((m) => m.getAddress()))) as Four<string>;
  const assetAddrs = await Promise.all(assets.map((a) => a.getAddress()));
  const oracleFactory = new OracleAdapter__factory(admin);
  const oracle: OracleAdapter = await oracleFactory.deploy(
    await timelock.getAddress(),
    marketAddrs,
    [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE],
    assetAddrs,
    assetAddrs.map(() => MAX_AGE),
  );
  const engineFactory = new RiskEngine__factory(admin);
  const deployEngine = async (
    p: ref.Params = PARAMS,
    b: Four<ref.Bounds> = [BOUNDS, BOUNDS, BOUNDS, BOUNDS],
    seeds: Four<bigint> = [SEED_VOL, SEED_VOL, SEED_VOL, SEED_VOL],
    owner?: string,
  ): Promise<RiskEngine> =>
    engineFactory.deploy(
      owner ?? (await timelock.getAddress()),
      await oracle.getAddress(),
      paramsArg(p),
      b.map(boundsArg) as Four<IRiskEngine.MarketBoundsStruct>,
      seeds,
    );
  const engine = await deployEngine();
  return {
    admin,
    stranger,
    guardian,
    timelock,
    agg,
    markets,
    assets,
    marketAddrs,
    assetAddrs,
    oracle,
    oracleFactory,
    engine,
    engineFactory,
    deployEngine,
  };
}

export type RiskFixture = Awaited<ReturnType<typeof riskFixture>>;

/**
 * A market's feed history and the reference model of the engine, kept in step with the chain: `push`
 * appends rounds (moving time forward so none lies in the future), `poke` pokes both and returns what
 * the contract reported.
 */
export class MarketHarness {
  readonly rounds: ref.Round[] = [];
  model!: ref.MarketModel;
  params: ref.Params = PARAMS;
  bounds: ref.Bounds = BOUNDS;

  constructor(
    readonly engine: RiskEngine,
    readonly feed: TestAggregator,
    readonly market: number,
  ) {}

  /** Loads the feed's first round and the engine's state after deployment. */
  async init(): Promise<this> {
    const n = Number(await this.feed.roundId());
    for (let id = 1; id <= n; id++) {
      const [, answer, , updatedAt, answered] = await this.feed.getRoundData(id);
      this.rounds.push({ answer, updatedAt, answeredInRound: answered });
    }
    const s = await this.engine.marketState(this.market);
    const [mm, im] = await this.engine.ratios();
    this.model = {
      roundId: s.roundId,
      price: s.price,
      updatedAt: s.updatedAt,
      variance: s.variance,
      mm: mm[this.market],
      im: im[this.market],
    };
    return this;
  }

  lastTime(): bigint {
    return this.rounds[this.rounds.length - 1].updatedAt;
  }

  /** Appends complete rounds (answer, updatedAt), moving the chain's clock to the last one if needed. */
  async push(series: readonly { answer: bigint; updatedAt: bigint }[]): Promise<void> {
    if (series.length === 0) return;
    const last = series[series.length - 1].updatedAt;
    if (BigInt(await time.latest()) < last) await time.increaseTo(last);
    for (let i = 0; i < series.length; i += 64) {
      const chunk = series.slice(i, i + 64);
      await (
        await this.feed.pushRounds(
          chunk.map((r) => r.answer),
          chunk.map((r) => r.updatedAt),
        )
      ).wait();
    }
    for (const r of series) this.rounds.push({ answer: r.answer, updatedAt: r.updatedAt });
  }

  /** Removes round `id` from the feed's history (getRoundData then reverts or reads zeros). */
  async drop(id: number): Promise<void> {
    await (await this.feed.deleteRound(id)).wait();
    this.rounds[id - 1] = { ...this.rounds[id - 1], missing: true };
  }

  /** Overwrites round `id` of the history with any fields. */
  async overwrite(id: number, r: ref.Round): Promise<void> {
    await (await this.feed.setHistoricRound(id, r.answer, r.updatedAt, r.updatedAt, r.answeredInRound ?? id)).wait();
    this.rounds[id - 1] = r;
  }

  /** Pokes the engine and the model; returns the contract's rounds used and gas, the model's outcome. */
  async poke(): Promise<{ used: number; gas: bigint; model: { used: number; changed: boolean } }> {
    const tx = await this.engine.poke(this.market);
    const receipt = (await tx.wait())!;
    const block = await receipt.getBlock();
    const model = ref.poke(this.model, this.rounds, BigInt(block.timestamp), this.params, this.bounds);
    let used = 0;
    for (const log of receipt.logs) {
      const parsed = this.engine.interface.parseLog(log);
      if (parsed?.name === "Poked") used = Number(parsed.args.rounds);
    }
    return { used, gas: receipt.gasUsed, model };
  }

  /** The contract's state for this market, in the model's shape. */
  async chain(): Promise<ref.MarketModel> {
    const s = await this.engine.marketState(this.market);
    const [mm, im] = await this.engine.ratios();
    return {
      roundId: s.roundId,
      price: s.price,
      updatedAt: s.updatedAt,
      variance: s.variance,
      mm: mm[this.market],
      im: im[this.market],
    };
  }
}

/** Deterministic pseudo-random numbers (mulberry32) and standard normals (Box-Muller). */
export function rng(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/**
 * A geometric Brownian motion without drift: `n` rounds every `dt` seconds after `t0`, annualised
 * volatility `vol`, starting from `p0` (8-decimal answers).
 */
export function gbm(p0: bigint, t0: bigint, dt: number, n: number, vol: number, seed: number) {
  const r = rng(seed);
  const sd = vol * Math.sqrt(dt / (365 * 86_400));
  let logp = Math.log(Number(p0));
  const out: { answer: bigint; updatedAt: bigint }[] = [];
  for (let i = 1; i <= n; i++) {
    logp += sd * r.normal();
    out.push({ answer: BigInt(Math.round(Math.exp(logp))), updatedAt: t0 + BigInt(i * dt) });
  }
  return out;
}
