import { expect } from "chai";
import {
  DAY,
  HOUR,
  type Portfolio,
  closedFormBreach,
  discreteTouch,
  distanceToLiquidation,
  logNormalBreach,
  logNormalTouch,
  oneMarket,
  simulateBreach,
} from "../../prover/risk";
import { ETH, USDC, fourMarkets, levered, market } from "./risk.fixtures";

const WEEK = 7 * DAY;
const PATHS = 20_000;

/** |p^ - p| within k standard errors of the true p (sqrt(p (1 - p) / n)). */
function expectWithin(pHat: number, p: number, paths: number, k = 4): void {
  const se = Math.sqrt((p * (1 - p)) / paths);
  expect(Math.abs(pHat - p), `p^ = ${pHat}, closed form ${p}, se ${se}`).to.be.at.most(k * se);
}

describe("risk: Monte Carlo against the closed form for one market", () => {
  const cases: { side: "long" | "short"; leverage: number }[] = [
    { side: "long", leverage: 5 },
    { side: "long", leverage: 10 },
    { side: "long", leverage: 20 },
    { side: "long", leverage: 50 },
    { side: "short", leverage: 10 },
    { side: "short", leverage: 25 },
  ];
  for (const { side, leverage } of cases) {
    it(`a ${leverage}x ${side}: within 4 standard errors at 1 h, 24 h and 7 d`, () => {
      const p = levered(side, leverage);
      const sim = simulateBreach(p, { horizonsSeconds: [HOUR, DAY, WEEK], paths: PATHS, seed: 7 });
      for (const h of sim.horizons) {
        const exact = closedFormBreach(p, h.horizonSeconds);
        expectWithin(h.atHorizon.probability, exact, PATHS);
        expect(h.atHorizon.interval95[0]).to.be.at.most(h.atHorizon.probability);
        expect(h.atHorizon.interval95[1]).to.be.at.least(h.atHorizon.probability);
      }
      // The cases are not all trivial: 20x and more breach within the week often.
      if (leverage >= 20) expect(sim.horizons[2].atHorizon.probability).to.be.above(0.2);
    });
  }

  it("a breach probability of a few percent within the hour at 50x, as the closed form says", () => {
    const p = levered("long", 50);
    const exact = closedFormBreach(p, HOUR);
    expect(exact).to.be.within(0.03, 0.05);
    const sim = simulateBreach(p, { horizonsSeconds: [HOUR], paths: 50_000, seed: 11 });
    expectWithin(sim.horizons[0].atHorizon.probability, exact, 50_000);
  });

  it("gives the same figures for a per-second volatility as for the annualised one", () => {
    const annual = levered("long", 20);
    const perSecond = levered("long", 20, { volatility: { perSecond: 0.8 / Math.sqrt(365 * 86_400) } });
    expect(simulateBreach(perSecond, { paths: 2000 })).to.deep.equal(simulateBreach(annual, { paths: 2000 }));
  });

  it("is exactly reproducible with a seed, and a different seed gives different paths", () => {
    const p = levered("long", 30);
    const a = simulateBreach(p, { paths: 5000, seed: 123n, monitoringSteps: 12 });
    const b = simulateBreach(p, { paths: 5000, seed: 123n, monitoringSteps: 12 });
    expect(a).to.deep.equal(b);
    const c = simulateBreach(p, { paths: 5000, seed: 124n, monitoringSteps: 12 });
    expect(c.horizons[1].atHorizon.breaches).to.not.equal(a.horizons[1].atHorizon.breaches);
  });

  it("pins the breach counts of seed 1 (a change of generator, seeding or draw order shows here)", () => {
    const sim = simulateBreach(levered("long", 30), { paths: 10_000, seed: 1 });
    expect(sim.horizons.map((h) => h.atHorizon.breaches)).to.deep.equal(PINNED_SEED_1);
    expect(sim.seed).to.equal("1");
  });

  it("monitoring at n steps breaches at least as often as at the horizon, and matches the BGK-corrected barrier", () => {
    const p = levered("long", 20);
    const n = 24;
    const sim = simulateBreach(p, { horizonsSeconds: [DAY], paths: PATHS, seed: 3, monitoringSteps: n });
    const h = sim.horizons[0];
    expect(h.anyStep!.steps).to.equal(n);
    expect(h.anyStep!.breaches).to.be.at.least(h.atHorizon.breaches);
    const m = oneMarket(p);
    const continuous = logNormalTouch(m, DAY);
    const discrete = discreteTouch(m, DAY, n);
    expect(discrete).to.be.below(continuous);
    expect(discrete).to.be.above(logNormalBreach(m, DAY));
    // BGK's correction is itself an approximation (error o(1/sqrt n)): allow 0.005 beside the sampling error.
    const se = Math.sqrt((discrete * (1 - discrete)) / PATHS);
    expect(Math.abs(h.anyStep!.probability - discrete)).to.be.at.most(4 * se + 0.005);
  });

  it("plans the paths for a target error from the estimate", () => {
    const sim = simulateBreach(levered("long", 20), { paths: 4000, target: { standardError: 0.002 } });
    const h = sim.horizons[1];
    const p = h.atHorizon.probability;
    expect(h.pathsForTarget).to.equal(Math.ceil((p * (1 - p)) / 0.002 ** 2));
  });
});

describe("risk: correlated markets and collateral", () => {
  it("two markets with correlation 1 breach as one market of the summed exposure", () => {
    const two: Portfolio = {
      markets: [market("ETH-A", "long", 4), market("ETH-B", "long", 6)],
      collateral: [{ ...USDC, amount: 2000 }],
      cash: 0,
      correlation: [
        [1, 1],
        [1, 1],
      ],
    };
    const one: Portfolio = { markets: [market("ETH", "long", 10)], collateral: [{ ...USDC, amount: 2000 }], cash: 0 };
    const horizons = [HOUR, DAY];
    const a = simulateBreach(two, { horizonsSeconds: horizons, paths: PATHS, seed: 5 });
    const b = simulateBreach(one, { horizonsSeconds: horizons, paths: PATHS, seed: 6 });
    horizons.forEach((h, i) => {
      const exact = closedFormBreach(one, h);
      expectWithin(a.horizons[i].atHorizon.probability, exact, PATHS);
      expectWithin(b.horizons[i].atHorizon.probability, exact, PATHS);
      const da = distanceToLiquidation(two, h);
      const db = distanceToLiquidation(one, h);
      expect(da.portfolioSigmas).to.be.closeTo(db.portfolioSigmas, 1e-9);
      expect(da.slack).to.be.closeTo(db.slack, 1e-9);
    });
    expect(closedFormBreach(one, DAY)).to.be.above(0.05); // not a trivial case
  });

  it("a hedged long/short pair with correlation 1 never breaches, even at 25x gross leverage", () => {
    const q = 10;
    const hedged = (rho: number, maintenanceBps: number): Portfolio => ({
      markets: [
        market("ETH", "long", q, ETH, { maintenanceBps }),
        market("ETH-perp", "short", q, ETH, { maintenanceBps }),
      ],
      collateral: [{ ...USDC, amount: (2 * q * ETH) / 25 }],
      cash: 0,
      correlation: [
        [1, rho],
        [rho, 1],
      ],
    });
    for (const mm of [0, 100]) {
      const sim = simulateBreach(hedged(1, mm), {
        horizonsSeconds: [HOUR, DAY, WEEK],
        paths: 5000,
        monitoringSteps: 24,
      });
      for (const h of sim.horizons) {
        expect(h.atHorizon.breaches).to.equal(0);
        expect(h.anyStep!.breaches).to.equal(0);
      }
    }
    // The same book unhedged (independent legs) breaches within the week: the zero above is the hedge's.
    const loose = simulateBreach(hedged(0, 100), { horizonsSeconds: [WEEK], paths: 5000 });
    expect(loose.horizons[0].atHorizon.probability).to.be.above(0.1);
    expect(distanceToLiquidation(hedged(1, 0), DAY).portfolioSigmas).to.equal(Infinity);
  });

  it("WETH collateral moving with an ETH long adds to the risk, as the closed form of the combined exposure says", () => {
    const weth = 1000 / ETH; // 1,000 USDC worth
    const p: Portfolio = {
      markets: [market("ETH", "long", 20_000 / ETH)],
      collateral: [{ name: "WETH", amount: weth, price: ETH, haircutBps: 1000, volatility: { annualised: 0.8 } }],
      cash: 0,
      correlation: [
        [1, 1],
        [1, 1],
      ],
    };
    // Slack = (a + b) P - K with a = q (1 - mm), b = weth (1 - haircut): one market of weight a + b.
    const m = p.markets[0];
    const w = m.size * (1 - m.maintenanceBps / 10_000) + weth * 0.9;
    const star = m.costBasis / w;
    const sigma = 0.8 / Math.sqrt(365 * 86_400);
    const sim = simulateBreach(p, { horizonsSeconds: [HOUR, DAY], paths: PATHS, seed: 9 });
    const stable: Portfolio = { ...p, collateral: [{ ...USDC, amount: 900 }], correlation: undefined };
    for (const h of sim.horizons) {
      const exact = logNormalBreach({ side: "long", price: ETH, liquidationPrice: star, sigma }, h.horizonSeconds);
      expectWithin(h.atHorizon.probability, exact, PATHS);
      expect(exact).to.be.above(closedFormBreach(stable, h.horizonSeconds));
    }
    expect(sim.movingFactors).to.deep.equal(["ETH", "WETH"]);
  });

  it("accepts a markets-only correlation matrix when the collateral is stable, and draws nothing for it", () => {
    const p: Portfolio = {
      markets: [market("ETH", "long", 3), market("BTC", "short", 0.1, 60_000, { volatility: { annualised: 0.6 } })],
      collateral: [{ ...USDC, amount: 1500 }],
      cash: -100,
      correlation: [
        [1, 0.8],
        [0.8, 1],
      ],
    };
    const sim = simulateBreach(p, { paths: 1000 });
    expect(sim.movingFactors).to.deep.equal(["ETH", "BTC"]);
  });

  it("runs 10,000 paths of 4 markets over 2 horizons well under 100 ms", () => {
    const p = fourMarkets();
    simulateBreach(p, { paths: 10_000 }); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      simulateBreach(p, { paths: 10_000, seed: i });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    expect(times[2], `median of ${times.map((t) => t.toFixed(1)).join(", ")} ms`).to.be.below(100);
  });
});

/** Breach counts of `levered("long", 30)`, 10,000 paths, seed 1, at 1 h and 24 h. */
const PINNED_SEED_1 = [5, 2515];
