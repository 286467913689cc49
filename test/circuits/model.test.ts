/** The reference model's own rules (prover/model), where the circuits' tests do not already show them. */
import { expect } from "chai";
import {
  BPS,
  EMPTY_COMMITMENT,
  ModelError,
  ModelErrorCode,
  Side,
  applyDeleverage,
  applyTrade,
  boxMargin,
  commitment,
  emptyState,
  liquidationPrice,
  marginRatios,
  maxBoxBps,
  requireValidState,
  roundClaim,
} from "../../prover/model";
import { IM, MM, PRICES, QUOTE, UNIT, mixedState, state } from "./fixtures";

function code(fn: () => unknown): ModelErrorCode | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ModelError) return e.code;
    throw e;
  }
  return undefined;
}

describe("Reference model (v2 rules)", () => {
  it("EMPTY_COMMITMENT is the commitment of emptyState() (the registry's constant)", () => {
    expect(commitment(emptyState())).to.equal(EMPTY_COMMITMENT);
    expect(EMPTY_COMMITMENT.toString(16)).to.equal("8cd1d5eca5dd03f998cac798549adc93e6efaf0a66aa44d068d9fbf7238f3e3");
  });

  it("refuses salt 0 for a non-empty state and cash outside [-2^127, 2^127)", () => {
    expect(code(() => requireValidState({ ...mixedState(), salt: 0n }))).to.equal(ModelErrorCode.SaltRule);
    expect(code(() => requireValidState(state([], 1n << 127n)))).to.equal(ModelErrorCode.OutOfRange);
    expect(code(() => requireValidState(state([], -(1n << 127n))))).to.equal(undefined);
  });

  it("settlement rule: s of the sign of c + r and no larger; c' = c + r - s", () => {
    const s = state([{ size: UNIT, side: Side.Long, cost: UNIT * 2000_00000000n }], -100n * QUOTE);
    const t = { kind: "reduce", market: 0, size: UNIT } as const;
    const gain = UNIT * (PRICES[0] - 2000_00000000n);
    const all = applyTrade(s, t, PRICES, gain - 100n * QUOTE, 1n);
    expect(all.realised).to.equal(gain);
    expect(all.next.cash).to.equal(0n);
    expect(code(() => applyTrade(s, t, PRICES, gain - 100n * QUOTE + 1n, 1n))).to.equal(ModelErrorCode.SettleTooLarge);
    expect(code(() => applyTrade(s, t, PRICES, -1n, 1n))).to.equal(ModelErrorCode.SettleTooLarge);
    const neg = state([], -5n);
    expect(applyTrade(neg, { kind: "none" }, PRICES, -5n, 1n).next.cash).to.equal(0n);
    expect(code(() => applyTrade(neg, { kind: "none" }, PRICES, -6n, 1n))).to.equal(ModelErrorCode.SettleTooLarge);
  });

  it("margin rule: IM when increasing or withdrawing, MM for a reduce, close or settle", () => {
    expect(marginRatios({ kind: "increase", market: 0, size: 1n }, false, MM, IM)).to.equal(IM);
    expect(marginRatios({ kind: "none" }, true, MM, IM)).to.equal(IM);
    expect(marginRatios({ kind: "reduce", market: 0, size: 1n }, false, MM, IM)).to.equal(MM);
    expect(marginRatios({ kind: "none" }, false, MM, IM)).to.equal(MM);
  });

  it("applyDeleverage: fee = floor(feeBps x notional / BPS); never more than the position", () => {
    const s = mixedState();
    const r = applyDeleverage(s, [3n, 0n, 0n, 0n], PRICES, 7n, 1n);
    expect(r.fee).to.equal((7n * 3n * PRICES[0]) / BPS);
    expect(code(() => applyDeleverage(s, [11n * UNIT, 0n, 0n, 0n], PRICES, 7n, 1n))).to.equal(
      ModelErrorCode.ReduceTooLarge,
    );
  });

  it("liquidation price with cash: maintenance holds at P* and fails one tick beyond", () => {
    const s = mixedState();
    const value = 1_500n * QUOTE;
    for (const j of [0, 1]) {
      const pStar = liquidationPrice(s, value, PRICES, MM, j)!;
      const at = PRICES.map((p, i) => (i === j ? pStar : p));
      const beyond = PRICES.map((p, i) => (i === j ? (s.markets[j].side === Side.Long ? pStar - 1n : pStar + 1n) : p));
      expect(boxMargin(s, value, at, 0n, MM), `market ${j} at P*`).to.equal(true);
      expect(boxMargin(s, value, beyond, 0n, MM), `market ${j} beyond P*`).to.equal(false);
    }
  });

  it("maxBoxBps is undefined below maintenance at the centre", () => {
    expect(maxBoxBps(mixedState(), 0n, PRICES, MM)).to.equal(undefined);
  });

  it("roundClaim keeps the leading digits and rounds down", () => {
    expect(roundClaim(123_456n)).to.equal(120_000n);
    expect(roundClaim(123_456n, 3)).to.equal(123_000n);
    expect(roundClaim(99n)).to.equal(99n);
    expect(roundClaim(0n)).to.equal(0n);
    expect(roundClaim(-5n)).to.equal(0n);
  });
});
