import { expect } from "chai";
import { RiskError, RiskErrorCode, type RiskPolicy, decideAction } from "../../prover/risk";

const POLICY: RiskPolicy = {
  thresholds: { warn: 0.01, topUp: 0.05, reduce: 0.2 },
  byHorizon: [{ horizonSeconds: 3600, warn: 0.001, topUp: 0.01, reduce: 0.05 }],
  targetMarginUsage: 0.4,
  topUpCap: 500,
};
const p = (h1: number, h24: number) => [
  { horizonSeconds: 3600, probability: h1 },
  { horizonSeconds: 86_400, probability: h24 },
];

describe("risk: policy", () => {
  it("does nothing below every threshold and warns exactly at p1", () => {
    expect(decideAction(p(0.0009, 0.0099), POLICY)).to.deep.equal({ action: "none", trigger: null });
    expect(decideAction(p(0, 0.01), POLICY)).to.deep.equal({
      action: "warn",
      trigger: { horizonSeconds: 86_400, probability: 0.01, threshold: 0.01 },
    });
  });

  it("uses a horizon's own thresholds: 1 % within the hour tops up, 1 % within the day only warns", () => {
    expect(decideAction(p(0.01, 0.01), POLICY).action).to.equal("top-up");
    expect(decideAction(p(0.01, 0.01), POLICY).trigger).to.deep.equal({
      horizonSeconds: 3600,
      probability: 0.01,
      threshold: 0.01,
    });
  });

  it("takes the most severe action over the horizons, the highest probability at that level as its trigger", () => {
    const d = decideAction(p(0.06, 0.3), POLICY);
    expect(d.action).to.equal("reduce");
    expect(d.trigger).to.deep.equal({ horizonSeconds: 86_400, probability: 0.3, threshold: 0.2 });
    expect(d.targetMarginUsage).to.equal(0.4);
  });

  it("sizes a reduce to the target margin usage: close 1 - target x equity / maintenance", () => {
    const d = decideAction(p(0, 0.25), POLICY, { equity: 1000, maintenance: 800 });
    expect(d.reduceFraction).to.be.closeTo(0.5, 1e-15); // 800 -> 400 = 0.4 x 1000
    expect(decideAction(p(0, 0.25), POLICY, { equity: -10, maintenance: 800 }).reduceFraction).to.equal(1);
    expect(decideAction(p(0, 0.25), POLICY, { equity: 1000, maintenance: 100 }).reduceFraction).to.equal(0);
  });

  it("sizes a top-up to the target, up to the cap", () => {
    const d = decideAction(p(0, 0.06), POLICY, { equity: 1000, maintenance: 500 });
    expect(d).to.deep.include({ action: "top-up", topUpAmount: 250, topUpCapped: false }); // 500 / 0.4 - 1000
    const capped = decideAction(p(0, 0.06), POLICY, { equity: 1000, maintenance: 800 });
    expect(capped).to.deep.include({ topUpAmount: 500, topUpCapped: true }); // 1000 needed
  });

  it("refuses thresholds out of order, a target outside (0, 1) and probabilities outside [0, 1]", () => {
    const bad = (policy: RiskPolicy, re: RegExp) =>
      expect(() => decideAction(p(0, 0), policy))
        .to.throw(RiskError, re)
        .with.property("code", RiskErrorCode.BadPolicy);
    bad({ ...POLICY, thresholds: { warn: 0.05, topUp: 0.01, reduce: 0.2 } }, /0 < warn < top-up < reduce <= 1/);
    bad({ ...POLICY, byHorizon: [{ horizonSeconds: 3600, warn: 0, topUp: 0.1, reduce: 0.2 }] }, /for 3600 s/);
    bad({ ...POLICY, targetMarginUsage: 1.5 }, /target margin usage .* between 0 and 1/);
    expect(() => decideAction(p(1.5, 0), POLICY)).to.throw(RiskError, /probability at 3600 s must be in \[0, 1\]/);
  });
});
