/**
 * Property tests of the v2 circuits against the reference model (MACI-style fuzzing), sized so the
 * whole test/circuits directory stays within a few minutes on 2 cores.
 */
import { expect } from "chai";
import fc from "fast-check";
import {
  type AccountState,
  BPS,
  Domain,
  type MarketPosition,
  Side,
  type Trade,
  applyDeleverage,
  applyTrade,
  boxMargin,
  boxShortfall,
  certificateInputs,
  deleverageInputs,
  emptyState,
  equity,
  equityInputs,
  marginRatios,
  maxBoxBps,
  planDeleverage,
  updateInputs,
} from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import { IM, MM, PRICES, QUOTE, UNIT, ctx } from "./fixtures";

const salt = fc.bigInt({ min: 1n, max: (1n << 250n) - 1n });
const ratio = fc.bigInt({ min: 0n, max: 3_000n });
const box = fc.bigInt({ min: 0n, max: 2_000n });
const cash = fc.bigInt({ min: -(10n ** 23n), max: 10n ** 23n });
const value = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.bigInt({ min: 0n, max: 10n ** 26n }));

/** A collateral value: random, or within 2 units of the boundary the property is about. */
type ValueChoice = { readonly v: bigint } | { readonly delta: bigint };
const valueChoice: fc.Arbitrary<ValueChoice> = fc.oneof(
  value.map((v) => ({ v })),
  fc.bigInt({ min: -2n, max: 2n }).map((delta) => ({ delta })),
);
function pick(choice: ValueChoice, boundary: () => bigint | undefined): bigint {
  if ("v" in choice) return choice.v;
  const b = boundary();
  const v = (b ?? 0n) + choice.delta;
  return v < 0n ? 0n : v;
}
const maxOf = (...xs: (bigint | undefined)[]) => xs.reduce<bigint>((a, b) => (b !== undefined && b > a ? b : a), 0n);

/** A position of up to 1,000 units entered within +-40% of `price`. */
const position = (price: bigint): fc.Arbitrary<MarketPosition> =>
  fc
    .record({
      units: fc.bigInt({ min: 0n, max: 1_000n * UNIT }),
      side: fc.constantFrom(Side.Long, Side.Short),
      entry: fc.bigInt({ min: 6_000n, max: 14_000n }),
    })
    .map(({ units, side, entry }) =>
      units === 0n
        ? { size: 0n, side: Side.Long, cost: 0n }
        : { size: units, side, cost: (units * price * entry) / BPS },
    );

const prices = (base: readonly bigint[]) =>
  fc.tuple(...base.map((p) => fc.bigInt({ min: (p * 7n) / 10n, max: (p * 13n) / 10n })));

const accountState = (base: readonly bigint[]): fc.Arbitrary<AccountState> =>
  fc
    .record({ salt, cash, markets: fc.tuple(...base.map((p) => position(p))) })
    .map((s) => ({ ...s, markets: [...s.markets] }));

/**
 * Independent of boxSides: BPS G x (equity - requirement) at prices P_j g_j / G, G = 4 BPS, collateral at
 * V (BPS - d) / BPS.
 */
function slackAt(
  s: AccountState,
  v: bigint,
  p: readonly bigint[],
  d: bigint,
  r: readonly bigint[],
  g: readonly bigint[],
) {
  const G = 4n * BPS;
  let e = v * (BPS - d) * G + G * BPS * s.cash;
  s.markets.forEach((m, j) => {
    const moved = m.size * p[j] * g[j];
    e += m.side === Side.Long ? BPS * moved - G * BPS * m.cost : G * BPS * m.cost - BPS * moved;
    e -= r[j] * moved;
  });
  return e;
}

describe("Property tests against the reference model (with cash)", function () {
  this.timeout(180_000);

  describe("model, M = 2: box solvency = solvency at the worst corner", () => {
    it("boxMargin equals the brute force over all corners and a 5 x 5 grid of the box", () => {
      fc.assert(
        fc.property(
          accountState(PRICES.slice(0, 2)),
          valueChoice,
          prices(PRICES.slice(0, 2)),
          box,
          fc.tuple(ratio, ratio),
          (s, choice, p, d, r) => {
            const v = pick(choice, () => boxShortfall(s, 0n, p, d, r));
            const steps = [0n, 1n, 2n, 3n, 4n].map((k) => 4n * (BPS - d) + 2n * d * k);
            let gridMin: bigint | undefined;
            let cornerMin: bigint | undefined;
            for (const g0 of steps)
              for (const g1 of steps) {
                const x = slackAt(s, v, p, d, r, [g0, g1]);
                if (gridMin === undefined || x < gridMin) gridMin = x;
                const corner = (g0 === steps[0] || g0 === steps[4]) && (g1 === steps[0] || g1 === steps[4]);
                if (corner && (cornerMin === undefined || x < cornerMin)) cornerMin = x;
              }
            const model = boxMargin(s, v, p, d, r);
            expect(model).to.equal(cornerMin! >= 0n);
            expect(model).to.equal(gridMin! >= 0n);
            expect(gridMin).to.equal(cornerMin);
          },
        ),
        { numRuns: 300 },
      );
    });

    it("maxBoxBps: the box passes at d and fails at d + 1", () => {
      fc.assert(
        fc.property(
          accountState(PRICES.slice(0, 2)),
          value,
          prices(PRICES.slice(0, 2)),
          fc.tuple(ratio, ratio),
          (s, v, p, r) => {
            const d = maxBoxBps(s, v, p, r);
            if (d === undefined) {
              expect(boxMargin(s, v, p, 0n, r)).to.equal(false);
            } else {
              expect(boxMargin(s, v, p, d, r)).to.equal(true);
              if (d < BPS) expect(boxMargin(s, v, p, d + 1n, r)).to.equal(false);
            }
          },
        ),
        { numRuns: 300 },
      );
    });

    it("planDeleverage on one market is the smallest passing reduction (brute force)", () => {
      const pm = [1_000n];
      fc.assert(
        fc.property(
          fc.bigInt({ min: 1n, max: 300n }),
          fc.constantFrom(Side.Long, Side.Short),
          fc.bigInt({ min: 5_000n, max: 15_000n }),
          fc.bigInt({ min: 0n, max: 200n }),
          fc.bigInt({ min: 0n, max: 100n }),
          fc.bigInt({ min: 0n, max: 500n }),
          fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
          (q, side, entry, v, feeBps, d, cash) => {
            const p = [3000_00000000n];
            const s: AccountState = {
              salt: 1n,
              cash,
              markets: [{ size: q, side, cost: (q * p[0] * entry) / BPS }],
            };
            const plan = planDeleverage(s, v * 10n ** 10n, { prices: p, pm, d, feeBps });
            const passes = (dq: bigint) => {
              const r = applyDeleverage(s, [dq], p, feeBps, 1n);
              const after = v * 10n ** 10n - r.fee;
              return after >= 0n && boxMargin(r.next, after, p, d, pm);
            };
            let smallest: bigint | undefined;
            for (let dq = 0n; dq <= q; dq++)
              if (passes(dq)) {
                smallest = dq;
                break;
              }
            expect(plan?.reduce[0]).to.equal(smallest);
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe("circuits, M = 4: accept exactly when the model does", () => {
    let cert: CircuitTester;
    let update: CircuitTester;
    let deleverage: CircuitTester;
    let eq: CircuitTester;
    before(async () => {
      [cert, update, deleverage, eq] = await Promise.all(
        (["certificate", "update", "deleverage", "equity"] as const).map((n) => CircuitTester.load(n)),
      );
    });

    it("Certificate: BoxMargin(d, pm) of the model", async () => {
      await fc.assert(
        fc.asyncProperty(
          accountState(PRICES),
          valueChoice,
          prices(PRICES),
          box,
          fc.tuple(ratio, ratio, ratio, ratio),
          async (s, choice, p, d, pm) => {
            const v = pick(choice, () => boxShortfall(s, 0n, p, d, pm));
            const inputs = certificateInputs(s, { value: v, d, prices: p, pm, context: ctx(Domain.Prove) }).inputs;
            if (boxMargin(s, v, p, d, pm)) await cert.accepts(inputs);
            else await cert.rejects(inputs, { check: 4, template: "BoundedLessEq" });
          },
        ),
        { numRuns: 20 },
      );
    });

    it("Update: the margin rule, the box and the dust rule of the model", async () => {
      const trade = fc.oneof(
        fc.constant<Trade>({ kind: "none" }),
        fc
          .record({
            market: fc.nat({ max: 3 }),
            units: fc.bigInt({ min: 1n, max: 100n * UNIT }),
            side: fc.constantFrom(Side.Long, Side.Short),
          })
          .map((x): Trade => ({ kind: "increase", market: x.market, size: x.units, side: x.side })),
        fc
          .record({ market: fc.nat({ max: 3 }), share: fc.bigInt({ min: 1n, max: BPS }) })
          .map((x): Trade => ({ kind: "reduce", market: x.market, size: x.share })),
      );
      await fc.assert(
        fc.asyncProperty(
          accountState(PRICES),
          trade,
          fc.boolean(),
          valueChoice,
          box,
          fc.bigInt({ min: 0n, max: 10n ** 7n }),
          fc.bigInt({ min: 0n, max: BPS }),
          async (s0, t0, withdrawing, choice, d, minValue, settleShare) => {
            const s = s0;
            let t = t0;
            if (t.kind === "reduce") {
              const m = s.markets[t.market];
              if (m.size === 0n) t = { kind: "none" };
              else t = { ...t, size: (m.size * t.size + BPS - 1n) / BPS };
            }
            if (t.kind === "increase" && s.markets[t.market].size > 0n) t = { ...t, side: s.markets[t.market].side };
            const probe = applyTrade(s, t, PRICES, 0n, 1n);
            const settle = (probe.settleable * settleShare) / BPS;
            const after = applyTrade(s, t, PRICES, settle, 1n).next;
            const flat = after.markets.every((m) => m.size === 0n);
            const v = pick(choice, () =>
              maxOf(
                boxShortfall(after, 0n, PRICES, 0n, marginRatios(t, withdrawing, MM, IM)),
                boxShortfall(after, 0n, PRICES, d, MM),
                flat ? 0n : minValue * 10n ** 12n,
              ),
            );
            const params = {
              trade: t,
              settle,
              withdrawing,
              value: v,
              prices: PRICES,
              mm: MM,
              im: IM,
              d,
              pm: MM,
              minValue,
              context: ctx(Domain.Update),
              newSalt: 7n,
            };
            const w = updateInputs(s, params);
            const next = w.result.next;
            const centre = boxMargin(next, v, PRICES, 0n, marginRatios(t, withdrawing, MM, IM));
            const inBox = boxMargin(next, v, PRICES, d, MM);
            const dust = flat || v >= minValue * 10n ** 12n;
            if (!centre) await update.rejects(w.inputs, { check: 10 });
            else if (!inBox) await update.rejects(w.inputs, { check: 11 });
            else if (!dust) await update.rejects(w.inputs, { check: 12 });
            else await update.accepts(w.inputs);
          },
        ),
        { numRuns: 15 },
      );
    });

    it("Deleverage: BoxMargin(d, pm) of the reduced state with V'", async () => {
      await fc.assert(
        fc.asyncProperty(
          accountState(PRICES),
          fc.tuple(...PRICES.map(() => fc.bigInt({ min: 0n, max: BPS }))),
          valueChoice,
          box,
          fc.bigInt({ min: 0n, max: 200n }),
          async (s, shares, choice, d, feeBps) => {
            const reduce = s.markets.map((m, j) => (m.size * shares[j]) / BPS);
            const r = applyDeleverage(s, reduce, PRICES, feeBps, 9n);
            const pm = MM.map((x) => x * 2n);
            const v = pick(choice, () => boxShortfall(r.next, 0n, PRICES, d, pm));
            const inputs = deleverageInputs(s, {
              reduce,
              prices: PRICES,
              feeBps,
              d,
              pm,
              value: v,
              context: ctx(Domain.Deleverage),
              newSalt: 9n,
            }).inputs;
            if (boxMargin(r.next, v, PRICES, d, pm)) await deleverage.accepts(inputs);
            else await deleverage.rejects(inputs, { check: 8, template: "BoundedLessEq" });
          },
        ),
        { numRuns: 15 },
      );
    });

    it("Equity: claimed + penalty <= E of the model", async () => {
      await fc.assert(
        fc.asyncProperty(
          accountState(PRICES),
          value,
          valueChoice,
          fc.bigInt({ min: 0n, max: 10n ** 22n }),
          async (s, v, choice, penalty) => {
            // claimed: random, or within 2 units of E - penalty
            const claimed = pick(choice, () => equity(s, v, PRICES) - penalty);
            const inputs = equityInputs(s, {
              value: v,
              claimed,
              penalty,
              prices: PRICES,
              context: ctx(Domain.Claim),
            }).inputs;
            if (claimed + penalty <= equity(s, v, PRICES)) await eq.accepts(inputs);
            else await eq.rejects(inputs, { check: 4 });
          },
        ),
        { numRuns: 15 },
      );
    });

    it("the empty state is accepted by every statement that opens it", async () => {
      const e = emptyState();
      await cert.accepts(certificateInputs(e, { value: 0n, d: BPS, prices: PRICES, pm: MM, context: 1n }).inputs);
      await eq.accepts(
        equityInputs(e, { value: QUOTE, claimed: QUOTE, penalty: 0n, prices: PRICES, context: 1n }).inputs,
      );
    });
  });
});
