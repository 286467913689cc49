import { expect } from "chai";
import {
  RiskError,
  RiskErrorCode,
  Xoshiro128ss,
  Z95,
  estimate,
  normalCdf,
  pathsNeeded,
  planningProbability,
  seedState,
  wilsonInterval,
} from "../../prover/risk";

describe("risk: generator", () => {
  it("reproduces the xoshiro128** reference outputs for a given state", () => {
    // State and outputs of the C reference implementation (https://prng.di.unimi.it/xoshiro128starstar.c).
    const g = new Xoshiro128ss([0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0]);
    expect([1, 2, 3, 4].map(() => g.nextUint32())).to.deep.equal([0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70]);
  });

  it("expands a seed by SplitMix64 (low word first) and repeats itself for the same seed", () => {
    // SplitMix64(0)'s first output is 0xe220a8397b1dcdaf (Vigna's splitmix64.c).
    expect(seedState(0).slice(0, 2)).to.deep.equal([0x7b1dcdaf, 0xe220a839]);
    expect(seedState(42n)).to.deep.equal(seedState(42));
    const a = new Xoshiro128ss(42n);
    const b = new Xoshiro128ss(42n);
    for (let i = 0; i < 100; i++) expect(a.nextNormal()).to.equal(b.nextNormal());
  });

  it("draws uniforms in [0, 1) and normals with mean 0 and variance 1", () => {
    const g = new Xoshiro128ss(2024);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let below = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = g.nextDouble();
      if (!(u >= 0 && u < 1)) outside++;
      const z = g.nextNormal();
      sum += z;
      sq += z * z;
      if (z < -1.96) below++;
    }
    expect(outside).to.equal(0);
    expect(sum / n).to.be.closeTo(0, 4 / Math.sqrt(n));
    expect(sq / n).to.be.closeTo(1, 4 * Math.sqrt(2 / n));
    const p = normalCdf(-1.96);
    expect(below / n).to.be.closeTo(p, 4 * Math.sqrt((p * (1 - p)) / n));
  });

  it("refuses a negative, fractional or too large seed", () => {
    for (const seed of [-1, 1.5, 2n ** 64n]) {
      expect(() => new Xoshiro128ss(seed))
        .to.throw(RiskError, /seed/)
        .with.property("code", RiskErrorCode.BadValue);
    }
  });
});

describe("risk: statistics", () => {
  it("computes Phi to 1e-15 absolute and 1e-7 relative in the lower tail", () => {
    // 0.5 erfc(-x / sqrt 2), from the C library's erfc.
    const ref: [number, number][] = [
      [-30, 4.906713927148764e-198],
      [-12, 1.776482112077702e-33],
      [-8, 6.220960574271819e-16],
      [-5, 2.866515718791946e-7],
      [-3, 0.0013498980316300957],
      [-1.5, 0.06680720126885809],
      [-0.5, 0.3085375387259869],
      [0, 0.5],
      [0.3, 0.6179114221889526],
      [1, 0.8413447460685429],
      [2.5, 0.9937903346742238],
      [4, 0.9999683287581669],
      [7.5, 0.9999999999999681],
    ];
    for (const [x, p] of ref) {
      expect(normalCdf(x), `Phi(${x})`).to.be.closeTo(p, 1e-15);
      if (x <= -5) expect(Math.abs(normalCdf(x) / p - 1), `Phi(${x}) relative`).to.be.below(1e-7);
    }
    expect(normalCdf(-40)).to.equal(0);
    expect(normalCdf(40)).to.equal(1);
    expect(normalCdf(Z95)).to.be.closeTo(0.975, 1e-15);
  });

  it("gives Wilson's interval, informative when no path breached", () => {
    const [lo0, hi0] = wilsonInterval(0, 10_000);
    expect(lo0).to.equal(0);
    expect(hi0).to.be.closeTo(0.00038399837067659573, 1e-15);
    const [lo, hi] = wilsonInterval(50, 1000);
    expect(lo).to.be.closeTo(0.03813026239274882, 1e-15);
    expect(hi).to.be.closeTo(0.06531382024425081, 1e-15);
    expect(wilsonInterval(10, 10)[1]).to.equal(1);
  });

  it("gives the binomial standard error and the paths for a target error", () => {
    const e = estimate(50, 1000);
    expect(e.probability).to.equal(0.05);
    expect(e.standardError).to.be.closeTo(Math.sqrt((0.05 * 0.95) / 1000), 1e-18);
    expect(pathsNeeded(0.05, { standardError: 0.001 })).to.equal(47_500);
    expect(pathsNeeded(0.01, { relativeError: 0.1 })).to.equal(9_900);
    expect(pathsNeeded(0, { relativeError: 0.1 })).to.equal(Infinity);
    // No breach in 10,000 paths: plan with the Wilson upper bound, not with p = 0.
    expect(planningProbability(estimate(0, 10_000))).to.be.closeTo(0.000384, 1e-6);
    expect(() => pathsNeeded(1.2, { standardError: 0.01 })).to.throw(RiskError, /between 0 and 1/);
  });
});
