import { expect } from "chai";
import {
  type Portfolio,
  RiskError,
  RiskErrorCode,
  cholesky,
  closedFormBreach,
  distanceToLiquidation,
  simulateBreach,
} from "../../prover/risk";
import { USDC, levered, market } from "./risk.fixtures";

function threeMarkets(correlation: number[][]): Portfolio {
  return {
    markets: [market("ETH", "long", 1), market("BTC", "long", 0.05, 60_000), market("SOL", "long", 10, 150)],
    collateral: [{ ...USDC, amount: 1000 }],
    cash: 0,
    correlation,
  };
}

/** Runs `fn`, expects a RiskError with this code and a message matching `message`. */
function expectRiskError(fn: () => unknown, code: RiskErrorCode, message: RegExp): void {
  expect(fn).to.throw(RiskError, message).with.property("code", code);
}

describe("risk: input validation", () => {
  it("refuses correlations that cannot hold together, naming the markets and the pairs", () => {
    const p = threeMarkets([
      [1, 0.9, -0.9],
      [0.9, 1, 0.9],
      [-0.9, 0.9, 1],
    ]);
    expectRiskError(
      () => simulateBreach(p),
      RiskErrorCode.NotPositiveSemiDefinite,
      /correlations among ETH, BTC and SOL cannot all hold at once .*ETH-BTC 0\.9, ETH-SOL -0\.9, BTC-SOL 0\.9/,
    );
    expectRiskError(
      () => distanceToLiquidation(p, 3600),
      RiskErrorCode.NotPositiveSemiDefinite,
      /not positive semi-definite/,
    );
  });

  it("accepts a singular but valid matrix (correlation 1) and factors it exactly", () => {
    const m = [
      [1, 1, 0.5],
      [1, 1, 0.5],
      [0.5, 0.5, 1],
    ];
    const { lower: L } = cholesky(m, ["ETH", "WETH", "BTC"]);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += L[i * 3 + k] * L[j * 3 + k];
        expect(s).to.be.closeTo(m[i][j], 1e-15);
      }
    }
  });

  it("refuses a matrix that is not symmetric, has a diagonal other than 1 or an entry beyond 1", () => {
    expectRiskError(
      () => simulateBreach(threeMarkets([[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]])), // prettier-ignore
      RiskErrorCode.BadCorrelation,
      /not symmetric: ETH and BTC is 0\.5 one way and 0\.4 the other/,
    );
    expectRiskError(
      () => simulateBreach(threeMarkets([[1, 0, 0], [0, 0.9, 0], [0, 0, 1]])), // prettier-ignore
      RiskErrorCode.BadCorrelation,
      /correlation of BTC with itself must be 1/,
    );
    expectRiskError(
      () => simulateBreach(threeMarkets([[1, 1.2, 0], [1.2, 1, 0], [0, 0, 1]])), // prettier-ignore
      RiskErrorCode.BadCorrelation,
      /ETH and BTC is 1\.2: it must be between -1 and 1/,
    );
  });

  it("refuses a correlation matrix of the wrong size, saying which factors it must cover", () => {
    expectRiskError(
      () => simulateBreach(threeMarkets([[1, 0], [0, 1]])), // prettier-ignore
      RiskErrorCode.BadShape,
      /needs 4 rows \(ETH, BTC, SOL, USDC\), or 3 \(the markets only\) when no collateral has a volatility; got 2/,
    );
    expectRiskError(
      () => simulateBreach(threeMarkets([[1, 0, 0], [0, 1], [0, 0, 1]])), // prettier-ignore
      RiskErrorCode.BadShape,
      /row 1 \(BTC\) of the correlation matrix needs 3 entries, got 2/,
    );
    const weth: Portfolio = {
      markets: [market("ETH", "long", 1)],
      collateral: [{ name: "WETH", amount: 1, price: 3000, haircutBps: 0, volatility: { annualised: 0.8 } }],
      cash: 0,
      correlation: [[1]],
    };
    expectRiskError(
      () => simulateBreach(weth),
      RiskErrorCode.BadShape,
      /covers the 1 markets only, but collateral WETH/,
    );
    expectRiskError(
      () => simulateBreach({ ...weth, correlation: undefined }),
      RiskErrorCode.BadShape,
      /a correlation matrix is needed: ETH, WETH all have a volatility/,
    );
  });

  it("refuses a negative volatility, a negative size, a zero price and a ratio above 100 %", () => {
    expectRiskError(
      () => simulateBreach(levered("long", 10, { volatility: { annualised: -0.8 } })),
      RiskErrorCode.BadValue,
      /ETH: the annualised volatility cannot be negative, got -0\.8/,
    );
    expectRiskError(
      () => simulateBreach(levered("long", 10, { volatility: { perSecond: NaN } })),
      RiskErrorCode.BadValue,
      /ETH: the per-second volatility must be a finite number/,
    );
    expectRiskError(
      () => simulateBreach(levered("long", 10, { size: -1 })),
      RiskErrorCode.BadValue,
      /ETH: the size \(give a short as side "short" and a size >= 0\) cannot be negative/,
    );
    expectRiskError(
      () => simulateBreach(levered("long", 10, { price: 0 })),
      RiskErrorCode.BadValue,
      /ETH: the price must be above zero/,
    );
    expectRiskError(
      () => simulateBreach(levered("long", 10, { maintenanceBps: 12_000 })),
      RiskErrorCode.BadValue,
      /ETH: the maintenance ratio must be from 0 to 10,000 bps, got 12000/,
    );
  });

  it("refuses bad horizons, path counts and monitoring steps", () => {
    const p = levered("long", 10);
    expectRiskError(() => simulateBreach(p, { horizonsSeconds: [] }), RiskErrorCode.BadShape, /at least one horizon/);
    expectRiskError(() => simulateBreach(p, { horizonsSeconds: [0] }), RiskErrorCode.BadValue, /horizon .* above zero/);
    expectRiskError(
      () => simulateBreach(p, { horizonsSeconds: [3600, 3600] }),
      RiskErrorCode.BadValue,
      /horizons must be distinct/,
    );
    expectRiskError(
      () => simulateBreach(p, { paths: 10.5 }),
      RiskErrorCode.BadValue,
      /number of paths must be a whole number/,
    );
    expectRiskError(() => simulateBreach(p, { monitoringSteps: -1 }), RiskErrorCode.BadValue, /monitoring steps/);
  });

  it("the closed form refuses a portfolio of two markets or moving collateral", () => {
    const two = threeMarkets([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expectRiskError(() => closedFormBreach(two, 3600), RiskErrorCode.BadShape, /one market with a position/);
  });
});
