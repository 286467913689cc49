/**
 * Risk engine figures on Hardhat's in-process network: a fresh RiskEngine over four 8-decimal
 * TestAggregators behind an OracleAdapter, with the engine's defaults (z 4, tau 6 h, horizon 900 s,
 * imFactor 2x, step 25 bps; base = min = 50 bps, max = 5000 bps; seed volatility 80%). Gas figures are
 * whole-transaction gasUsed (21000 intrinsic + calldata + execution), median over RUNS pokes.
 *
 *  gas.risk_poke      poke(market) reading one new round (latestRoundData only; EWMA step; ratio move)
 *  gas.risk_poke_max  poke(market) reading MAX_ROUNDS = 32 new rounds (31 getRoundData + latestRoundData)
 *  risk.mm_bps_calm      maintenance of one market after a synthetic calm series
 *  risk.mm_bps_stressed  maintenance of one market after a synthetic stressed series
 *
 * Synthetic series (deterministic, mulberry32 seeded, Box-Muller normals): a driftless geometric Brownian
 * motion, one Chainlink round every 300 s for 3 days (864 rounds, 12 tau: the seed's weight is e^-12),
 * annualised volatility 40% (calm) or 150% (stressed), poked every 16 rounds. The expected maintenance is
 * z x sigma x sqrt(T): 4 x 0.40 x sqrt(900 / 31,536,000) = 85.5 bps (calm) and 320.6 bps (stressed);
 * the figures differ from these by the sample's realised volatility.
 * Against TestAggregator: a real Chainlink proxy adds a call to its aggregator and a phase lookup per read.
 *
 * Hardhat is imported lazily; run without HARDHAT_NETWORK so the in-process network is used.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  OracleAdapter__factory,
  type RiskEngine,
  RiskEngine__factory,
  type TestAggregator,
  TestAggregator__factory,
} from "../core/contracts";
import { type Figure, RUNS, figure, median, progress } from "./lib/figures";

const E8 = 10n ** 8n;
const E18 = 10n ** 18n;
const YEAR_S = 365 * 86_400;
const MAX_AGE = 7 * 86_400;
const MAX_ROUNDS = 32;

/** The engine's defaults (also the tests' fixture). */
export const RISK_DEFAULTS = {
  params: { z: 4n * E18, tau: 6 * 3600, horizon: 900, imFactorBps: 20_000, stepBps: 25 },
  bounds: { baseBps: 50, minBps: 50, maxBps: 5000 },
  seedVolatility: (8n * E18) / 10n,
} as const;

/** The synthetic series of the margin figures. */
export const RISK_SERIES = { intervalS: 300, rounds: 864, pokeEvery: 16, calmVol: 0.4, stressedVol: 1.5 } as const;

interface Deployment {
  engine: RiskEngine;
  feeds: TestAggregator[];
  provider: { send(method: string, params: unknown[]): Promise<unknown> };
}

async function deploy(): Promise<Deployment> {
  const hre = (await import("hardhat")).default;
  const { ethers } = hre;
  const [deployer] = (await ethers.getSigners()) as HardhatEthersSigner[];
  const feeds: TestAggregator[] = [];
  for (const p of [3000n * E8, 60_000n * E8, 150n * E8, E8]) {
    const f = await new TestAggregator__factory(deployer).deploy(8, p);
    await f.waitForDeployment();
    feeds.push(f);
  }
  const addrs = (await Promise.all(feeds.map((f) => f.getAddress()))) as [string, string, string, string];
  // the bench exercises no setter: an EOA owner is enough (setters would refuse it: Governed__NotTimelock)
  const oracle = await new OracleAdapter__factory(deployer).deploy(
    deployer.address,
    addrs,
    [MAX_AGE, MAX_AGE, MAX_AGE, MAX_AGE],
    [addrs[3]],
    [MAX_AGE],
  );
  await oracle.waitForDeployment();
  const { params, bounds, seedVolatility: seed } = RISK_DEFAULTS;
  const engine = await new RiskEngine__factory(deployer).deploy(
    deployer.address,
    await oracle.getAddress(),
    params,
    [bounds, bounds, bounds, bounds],
    [seed, seed, seed, seed],
  );
  await engine.waitForDeployment();
  return { engine, feeds, provider: ethers.provider };
}

/** Deterministic standard normals (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(Math.max(uniform(), 1e-12))) * Math.cos(2 * Math.PI * uniform());
}

/** A feed's next `n` GBM rounds every `dt` seconds after its latest one. */
async function nextRounds(feed: TestAggregator, n: number, dt: number, vol: number, draw: () => number) {
  let logp = Math.log(Number(await feed.answer()));
  const t0 = Number(await feed.updatedAt());
  const sd = vol * Math.sqrt(dt / YEAR_S);
  const answers: bigint[] = [];
  const times: bigint[] = [];
  for (let i = 1; i <= n; i++) {
    logp += sd * draw();
    answers.push(BigInt(Math.round(Math.exp(logp))));
    times.push(BigInt(t0 + i * dt));
  }
  return { answers, times };
}

/** Appends rounds to a feed, moving the chain's clock to the last one first (no round in the future). */
async function push(d: Deployment, feed: TestAggregator, r: { answers: bigint[]; times: bigint[] }): Promise<void> {
  const last = Number(r.times[r.times.length - 1]);
  const block = (await d.provider.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  if (Number(block.timestamp) < last) {
    await d.provider.send("evm_setNextBlockTimestamp", [last]);
    await d.provider.send("evm_mine", []);
  }
  await (await feed.pushRounds(r.answers, r.times)).wait();
}

async function pokeGas(d: Deployment, market: number): Promise<number> {
  const receipt = await (await d.engine.poke(market)).wait();
  if (!receipt || receipt.status !== 1) throw new Error("poke failed");
  return Number(receipt.gasUsed);
}

/** gas.risk_poke and gas.risk_poke_max: median over RUNS pokes of market 0 (ETH at 80% volatility). */
export async function riskGasFigures(): Promise<Figure[]> {
  const d = await deploy();
  const draw = normals(1);
  const one: number[] = [];
  const max: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await push(d, d.feeds[0], await nextRounds(d.feeds[0], 1, 60, 0.8, draw));
    one.push(await pokeGas(d, 0));
    await push(d, d.feeds[0], await nextRounds(d.feeds[0], MAX_ROUNDS, 60, 0.8, draw));
    max.push(await pokeGas(d, 0));
  }
  progress(`risk: poke 1 round: ${one.join(" ")}; poke ${MAX_ROUNDS} rounds: ${max.join(" ")}`);
  return [figure("gas.risk_poke", median(one), "gas"), figure("gas.risk_poke_max", median(max), "gas")];
}

/** risk.mm_bps_calm and risk.mm_bps_stressed: markets 0 (calm) and 1 (stressed) after RISK_SERIES. */
export async function riskMarginFigures(): Promise<Figure[]> {
  const d = await deploy();
  const s = RISK_SERIES;
  const series: [number, number, number][] = [
    [0, s.calmVol, 40],
    [1, s.stressedVol, 150],
  ];
  for (const [market, vol, seed] of series) {
    const draw = normals(seed);
    for (let done = 0; done < s.rounds; done += s.pokeEvery) {
      await push(d, d.feeds[market], await nextRounds(d.feeds[market], s.pokeEvery, s.intervalS, vol, draw));
      await (await d.engine.poke(market)).wait();
    }
    const sigma = Number(await d.engine.sigmaAnnual(market)) / 1e18;
    const target = await d.engine.targetMaintenance(market);
    progress(`risk: market ${market} at ${vol * 100}% vol: sigma ${sigma.toFixed(4)}, target ${target} bps`);
  }
  const [mm] = await d.engine.ratios();
  return [figure("risk.mm_bps_calm", Number(mm[0]), "bps"), figure("risk.mm_bps_stressed", Number(mm[1]), "bps")];
}

/** Every risk engine figure (gas and margins). */
export async function riskFigures(): Promise<Figure[]> {
  return [...(await riskGasFigures()), ...(await riskMarginFigures())];
}
