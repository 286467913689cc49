import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import * as ref from "../../helpers/ewma";
import { E8, E18, MarketHarness, gbm, riskFixture } from "./fixtures";

/**
 * The engine's EWMA against the bigint reference (test/helpers/ewma.ts) on synthetic round series. The
 * reference transliterates Solady's lnWad / expWad and repeats the engine's integer operations, so every
 * state field must match to the wei. The floating-point model (exact ln and exp, no rounding) bounds what
 * the integer pipeline loses: each step floors r^2 / dt (weight 1 - a) and the average (weight 1), each
 * by less than 1 wei, and a step's error decays by a, so |var_chain - var_exact| < 2 / (1 - a) wei with a
 * = exp(-dt_min / tau) (36 wei at dt = 10 min, 362 wei at 1 min, for tau = 6 h: below 1e-7 of the
 * variances here). lnWad's and expWad's own errors (about 1 wei on r and on a) are far below that.
 */
function roundingBound(dtMin: number, tau: number): number {
  return 2 / (1 - Math.exp(-dtMin / tau)) + 2;
}

describe("RiskEngine EWMA against the bigint reference", () => {
  async function harness(market = 0) {
    const f = await loadFixture(riskFixture);
    const h = await new MarketHarness(f.engine, f.markets[market], market).init();
    return { ...f, h };
  }

  /** Pokes and checks every field of the market against the model. */
  async function pokeAndCompare(h: MarketHarness) {
    const out = await h.poke();
    expect(out.used).to.equal(out.model.used, "rounds used");
    expect(await h.chain()).to.deep.equal(h.model);
    return out;
  }

  function relErr(chainVar: bigint, exact: number): number {
    return Math.abs(Number(chainVar) / 1e18 / exact - 1);
  }

  /** |chain - exact| in wei, below the rounding bound of the series' shortest interval. */
  function expectRounding(chainVar: bigint, exact: number, dtMin: number, tau: bigint) {
    const errWei = Math.abs(Number(chainVar) - exact * 1e18);
    expect(errWei).to.be.below(roundingBound(dtMin, Number(tau)));
  }

  it("a constant price (one round a minute) only decays the variance, to the wei", async () => {
    const { h } = await harness();
    const v0 = h.model.variance;
    const t0 = h.lastTime();
    const series = Array.from({ length: 60 }, (_, i) => ({ answer: 3000n * E8, updatedAt: t0 + BigInt(60 * (i + 1)) }));
    for (let i = 0; i < series.length; i += 20) {
      await h.push(series.slice(i, i + 20));
      const out = await pokeAndCompare(h);
      expect(out.used).to.equal(20);
    }
    // var = v0 x exp(-3600 / tau) up to the per-step floors
    const exact = (Number(v0) / 1e18) * Math.exp(-3600 / Number(h.params.tau));
    expectRounding(h.model.variance, exact, 60, h.params.tau);
  });

  it("heartbeat-only rounds (same price every hour) decay the variance and walk maintenance down by the step", async () => {
    const { h } = await harness(1);
    const t0 = h.lastTime();
    const mm0 = h.model.mm;
    for (let k = 1; k <= 8; k++) {
      await h.push([{ answer: 60_000n * E8, updatedAt: t0 + BigInt(3600 * k) }]);
      await pokeAndCompare(h);
    }
    expect(h.model.mm).to.be.below(mm0);
    const exact = ref.ewmaExact(
      Number(ref.seedVariance((8n * E18) / 10n)) / 1e18,
      [{ price: 1, t: 0 }, ...Array.from({ length: 8 }, (_, i) => ({ price: 1, t: 3600 * (i + 1) }))],
      Number(h.params.tau),
    );
    expectRounding(h.model.variance, exact, 3600, h.params.tau);
  });

  it("a steady trend (+0.1% a round) converges to r^2 / dt, to the wei", async () => {
    const { h } = await harness();
    const t0 = h.lastTime();
    let p = 3000n * E8;
    const series = [];
    for (let i = 1; i <= 192; i++) {
      p = (p * 1001n) / 1000n;
      series.push({ answer: p, updatedAt: t0 + BigInt(600 * i) });
    }
    const exactSeries = [
      { price: 3000 * 1e8, t: 0 },
      ...series.map((r, i) => ({ price: Number(r.answer), t: 600 * (i + 1) })),
    ];
    for (let i = 0; i < series.length; i += 32) {
      await h.push(series.slice(i, i + 32));
      await pokeAndCompare(h);
    }
    const exact = ref.ewmaExact(Number(ref.seedVariance((8n * E18) / 10n)) / 1e18, exactSeries, Number(h.params.tau));
    expectRounding(h.model.variance, exact, 600, h.params.tau);
    // 32 h = 5.3 tau: the seed's weight is below 0.5%, so the variance is within 10% of r^2 / dt
    const steady = Math.log(1.001) ** 2 / 600;
    expect(relErr(h.model.variance, steady)).to.be.below(0.1);
  });

  it("a 40% GBM poked every 8 rounds for two days matches the reference and the exact EWMA", async () => {
    const { h } = await harness(2);
    const series = gbm(150n * E8, h.lastTime(), 300, 576, 0.4, 7);
    for (let i = 0; i < series.length; i += 8) {
      await h.push(series.slice(i, i + 8));
      await pokeAndCompare(h);
    }
    const exactSeries = [
      { price: 150 * 1e8, t: 0 },
      ...series.map((r) => ({ price: Number(r.answer), t: Number(r.updatedAt - series[0].updatedAt + 300n) })),
    ];
    const exact = ref.ewmaExact(Number(ref.seedVariance((8n * E18) / 10n)) / 1e18, exactSeries, Number(h.params.tau));
    expectRounding(h.model.variance, exact, 300, h.params.tau);
    const sigma = Number(await h.engine.sigmaAnnual(2)) / 1e18;
    expect(sigma).to.be.within(0.3, 0.5);
  });

  it("jumps: a 10% gap, a crash to 1/1000 and a 5x spike are clamped to |r| <= 1, to the wei", async () => {
    const { h } = await harness(0);
    const t0 = h.lastTime();
    const series = [
      { answer: 3000n * E8, updatedAt: t0 + 60n },
      { answer: 3300n * E8, updatedAt: t0 + 120n }, // +9.5% log
      { answer: 3n * E8, updatedAt: t0 + 180n }, // 1/1100: below exp(-1), r = -1
      { answer: 3n * E8, updatedAt: t0 + 240n },
      { answer: 15n * E8, updatedAt: t0 + 300n }, // x5: ln 5 > 1, r = 1
      { answer: 2_000_000n * E8, updatedAt: t0 + 360n },
    ];
    expect(ref.logReturn(3300n * E8, 3n * E8)).to.equal(-E18);
    expect(ref.logReturn(3n * E8, 15n * E8)).to.equal(E18);
    await h.push(series);
    const out = await pokeAndCompare(h);
    expect(out.used).to.equal(6);
    // each clamped return contributes at most (1 - a) / dt of variance: bounded, not ln(1e5)^2
    expect(h.model.variance).to.be.below(E18);
  });

  it("skips missing (reverting and zero), incomplete, non-positive, older and future rounds, to the wei", async () => {
    const { h, markets } = await harness(3);
    const t0 = h.lastTime();
    const series = Array.from({ length: 20 }, (_, i) => ({
      answer: E8 + BigInt((i % 5) * 1_000_000),
      updatedAt: t0 + BigInt(120 * (i + 1)),
    }));
    await h.push(series);
    // ids: 1 is the deployment round, series are 2..21
    await h.drop(3); // reverting getRoundData
    await h.drop(4);
    await h.overwrite(6, { answer: E8, updatedAt: t0 + 600n, answeredInRound: 5n }); // incomplete
    await h.overwrite(8, { answer: 0n, updatedAt: t0 + 840n }); // non-positive
    await h.overwrite(9, { answer: -5n, updatedAt: t0 + 960n });
    await h.overwrite(11, { answer: 2n * E8, updatedAt: t0 + 100n }); // older than the anchor by then
    await h.overwrite(13, { answer: 2n * E8, updatedAt: t0 + 100_000_000n }); // in the future
    const out = await pokeAndCompare(h);
    expect(out.used).to.equal(20 - 7);
    // the same with zero-reading missing rounds
    await (await markets[3].setRevertOnMissing(false)).wait();
    const more = Array.from({ length: 10 }, (_, i) => ({
      answer: E8 + BigInt(i * 500_000),
      updatedAt: h.lastTime() + BigInt(60 * (i + 1)),
    }));
    await h.push(more);
    await h.drop(24);
    await h.drop(25);
    const out2 = await pokeAndCompare(h);
    expect(out2.used).to.equal(8);
  });

  it("reads only the newest MAX_ROUNDS rounds of a longer backlog, the first return spanning the gap", async () => {
    const { h } = await harness(0);
    const series = gbm(3000n * E8, h.lastTime(), 60, 50, 1.5, 11);
    await h.push(series);
    const out = await pokeAndCompare(h);
    expect(out.used).to.equal(32);
    expect(h.model.roundId).to.equal(51n);
    // the next poke has nothing new
    const again = await pokeAndCompare(h);
    expect(again.used).to.equal(0);
  });

  it("a Chainlink phase change (round id + 2^64) reads the newest rounds and uses the valid ones", async () => {
    const { h, markets } = await harness(0);
    const t = h.lastTime() + 3600n;
    const phased = (1n << 64n) + 1n;
    await time.increaseTo(t);
    await (await markets[0].setRound(phased, 3100n * E8, t, t, phased)).wait();
    const s0 = await h.engine.marketState(0);
    const tx = await h.engine.poke(0);
    const receipt = (await tx.wait())!;
    const poked = receipt.logs.map((l) => h.engine.interface.parseLog(l)).find((l) => l?.name === "Poked")!;
    expect(poked.args.roundId).to.equal(phased);
    expect(poked.args.rounds).to.equal(1n);
    const dt = t - s0.updatedAt;
    expect((await h.engine.marketState(0)).variance).to.equal(
      ref.ewmaStep(s0.variance, s0.price, 3100n * E8, dt, h.params.tau),
    );
  });
});
