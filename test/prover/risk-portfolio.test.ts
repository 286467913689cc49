import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import {
  DEFAULT_SCALES,
  type Portfolio,
  type ScaledPortfolio,
  assessRisk,
  closedFormBreach,
  distanceToLiquidation,
  equity,
  fromScaled,
  liquidationPrice,
  maintenance,
  portfolioFromScaled,
} from "../../prover/risk";
import { ETH, USDC, levered, market } from "./risk.fixtures";

const DAY = 86_400;

/** ETH long 2 @ 2800 (now 3000), BTC short 0.1 @ 62,000 (now 60,000), 1,000 USDC and 0.5 WETH (10 % haircut). */
const BOOK: Portfolio = {
  markets: [
    { ...market("ETH", "long", 2), costBasis: 5600, maintenanceBps: 100 },
    { ...market("BTC", "short", 0.1, 60_000), costBasis: 6200, maintenanceBps: 200, volatility: { annualised: 0.6 } },
  ],
  collateral: [
    { ...USDC, amount: 1000 },
    { name: "WETH", amount: 0.5, price: ETH, haircutBps: 1000, volatility: { annualised: 0.8 } },
  ],
  cash: -50,
  correlation: [
    [1, 0.8, 0, 0.99],
    [0.8, 1, 0, 0.8],
    [0, 0, 1, 0],
    [0.99, 0.8, 0, 1],
  ],
};

describe("risk: portfolio arithmetic", () => {
  it("computes equity and maintenance as the formulas say", () => {
    // 1000 + 0.5 x 3000 x 0.9 - 50 + (2 x 3000 - 5600) + (6200 - 0.1 x 60000)
    expect(equity(BOOK)).to.be.closeTo(1000 + 1350 - 50 + 400 + 200, 1e-9);
    // 1 % x 6000 + 2 % x 6000
    expect(maintenance(BOOK)).to.be.closeTo(180, 1e-9);
    const moved = { markets: [2700, 66_000], collateral: [1, 2700] };
    expect(equity(BOOK, moved)).to.be.closeTo(1000 + 1215 - 50 + (5400 - 5600) + (6200 - 6600), 1e-9);
    expect(maintenance(BOOK, moved)).to.be.closeTo(54 + 132, 1e-9);
  });

  it("puts each market's liquidation price exactly at maintenance, everything else fixed", () => {
    for (const j of [0, 1]) {
      const star = liquidationPrice(BOOK, j)!;
      const prices = { markets: BOOK.markets.map((m, i) => (i === j ? star : m.price)), collateral: [1, ETH] };
      expect(equity(BOOK, prices) - maintenance(BOOK, prices)).to.be.closeTo(0, 1e-9);
    }
    expect(liquidationPrice(BOOK, 0)).to.be.below(ETH);
    expect(liquidationPrice(BOOK, 1)).to.be.above(60_000);
  });

  it("has no liquidation price for a long that the collateral covers entirely", () => {
    const p: Portfolio = { markets: [market("ETH", "long", 1)], collateral: [{ ...USDC, amount: 5000 }], cash: 0 };
    expect(liquidationPrice(p, 0)).to.equal(null);
    expect(distanceToLiquidation(p, DAY).markets[0].sigmas).to.equal(Infinity);
    expect(closedFormBreach(p, DAY)).to.equal(0);
  });
});

describe("risk: distance to liquidation", () => {
  it("is the slack over the delta-approximation sd of the slack, for one market ln(P/P*) / (sigma sqrt T)", () => {
    const p = levered("long", 20);
    const d = distanceToLiquidation(p, DAY);
    const m = p.markets[0];
    const sigmaT = 0.8 * Math.sqrt(DAY / (365 * 86_400));
    const slack = 1000 - 0.005 * m.size * ETH;
    expect(d.slack).to.be.closeTo(slack, 1e-9);
    expect(d.slackSd).to.be.closeTo(m.size * 0.995 * ETH * sigmaT, 1e-9);
    expect(d.portfolioSigmas).to.be.closeTo(slack / (m.size * 0.995 * ETH * sigmaT), 1e-12);
    const star = liquidationPrice(p, 0)!;
    expect(d.markets[0]).to.deep.include({ name: "ETH", side: "long", liquidationPrice: star });
    expect(d.markets[0].sigmas).to.be.closeTo(Math.log(ETH / star) / sigmaT, 1e-12);
    // Four times the horizon halves the distance.
    expect(distanceToLiquidation(p, 4 * DAY).portfolioSigmas).to.be.closeTo(d.portfolioSigmas / 2, 1e-12);
  });

  it("counts collateral that moves with the market: WETH collateral brings an ETH long closer", () => {
    const stable: Portfolio = {
      ...BOOK,
      collateral: [{ ...USDC, amount: 1000 + 1350 }],
      correlation: [
        [1, 0.8],
        [0.8, 1],
      ],
    };
    expect(equity(stable)).to.be.closeTo(equity(BOOK), 1e-9);
    expect(distanceToLiquidation(BOOK, DAY).portfolioSigmas).to.be.below(
      distanceToLiquidation(stable, DAY).portfolioSigmas,
    );
  });

  it("is negative once the slack is negative, and a short's liquidation price is above its price", () => {
    const p = levered("short", 20, { maintenanceBps: 600 }); // 6 % of 20x = 120 % of the collateral
    const d = distanceToLiquidation(p, DAY);
    expect(d.slack).to.be.below(0);
    expect(d.portfolioSigmas).to.be.below(0);
    expect(d.markets[0].liquidationPrice).to.be.below(ETH); // already past: the short must fall to recover
    expect(d.markets[0].sigmas).to.be.below(0);
    expect(closedFormBreach(p, DAY)).to.be.above(0.5);
  });
});

describe("risk: scaled inputs and the report", () => {
  it("converts fixed-point integers to the nearest double", () => {
    expect(fromScaled(123_456_789n, 8)).to.equal(1.23456789);
    expect(fromScaled(-5n * 10n ** 17n, 18)).to.equal(-0.5);
    expect(fromScaled(2n ** 96n - 1n, 10)).to.be.closeTo(Number(2n ** 96n) / 1e10, 1e3);
    expect(fromScaled(0n, 18)).to.equal(0);
  });

  it("maps a scaled portfolio in the prover's encoding onto the plain one", () => {
    const scaled: ScaledPortfolio = {
      markets: [
        {
          name: "ETH",
          side: "long",
          size: 2n * 10n ** 10n,
          costBasis: 5600n * 10n ** 18n,
          price: 3000n * 10n ** 8n,
          maintenanceBps: 100n,
          volatility: { scaled: 8n * 10n ** 17n, decimals: 18, per: "year" },
        },
      ],
      collateral: [
        {
          name: "USDC",
          amount: 1000n * 10n ** 6n,
          decimals: 6,
          price: 10n ** 8n,
          haircutBps: 0n,
          volatility: { annualised: 0 },
        },
      ],
      cash: -50n * 10n ** 18n,
    };
    expect(DEFAULT_SCALES).to.deep.equal({ size: 10, price: 8, value: 18 });
    expect(portfolioFromScaled(scaled)).to.deep.equal({
      markets: [{ ...market("ETH", "long", 2), costBasis: 5600, maintenanceBps: 100 }],
      collateral: [{ ...USDC, amount: 1000 }],
      cash: -50,
    });
  });

  it("reports the margin now, the probabilities and the distances per horizon", () => {
    const r = assessRisk(BOOK, { paths: 2000, monitoringSteps: 4 });
    expect(r.equity).to.be.closeTo(equity(BOOK), 1e-9);
    expect(r.maintenance).to.be.closeTo(180, 1e-9);
    expect(r.marginUsage).to.be.closeTo(180 / r.equity, 1e-12);
    expect(r.horizons.map((h) => h.horizonSeconds)).to.deep.equal([3600, DAY]);
    expect(r.horizons[1].distance).to.deep.equal(distanceToLiquidation(BOOK, DAY));
    expect(r.horizons[1].anyStep!.steps).to.equal(4);
    expect(r.movingFactors).to.deep.equal(["ETH", "BTC", "WETH"]);
    expect(JSON.parse(JSON.stringify(r)).seed).to.equal("1");
  });
});

describe("risk: module boundary", () => {
  it("imports nothing but its own files and core/ (no chain, no state format, no prover/model)", () => {
    const dir = path.join(__dirname, "../../prover/risk");
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const source = fs.readFileSync(path.join(dir, file), "utf8");
      for (const [, spec] of source.matchAll(/(?:from|import|require\()\s*["']([^"']+)["']/g)) {
        expect(spec, `${file} imports ${spec}`).to.match(/^\.\/[a-zA-Z]+$|^\.\.\/\.\.\/core\//);
      }
    }
  });
});
