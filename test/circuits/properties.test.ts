import { expect } from "chai";
import fc from "fast-check";
import {
  type AccountState,
  MAX_PRICE,
  Side,
  type Trade,
  applyTrade,
  equity,
  equityInputs,
  meetsMargin,
  solvencyInputs,
  updateInputs,
} from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import { M, boundaryValue, ctx } from "../helpers/fixtures";

/**
 * Property tests against the reference model (the oracle): the circuit accepts exactly when the model
 * says so. Values are drawn near the margin boundary so both outcomes are common.
 */
// mostly realistic magnitudes (so V stays below 2^128), sometimes the extremes of each bit width
const size = fc.oneof(
  { arbitrary: fc.constant(0n), weight: 1 },
  { arbitrary: fc.bigInt({ min: 1n, max: 1n << 40n }), weight: 5 },
  { arbitrary: fc.bigInt({ min: 1n, max: (1n << 96n) - 1n }), weight: 1 },
);
const price = fc.oneof(
  { arbitrary: fc.bigInt({ min: 1n, max: 1n << 40n }), weight: 5 },
  { arbitrary: fc.bigInt({ min: 1n, max: MAX_PRICE }), weight: 1 },
);
const ratio = fc.bigInt({ min: 0n, max: 10_000n });
const market = fc.record({
  size,
  side: fc.constantFrom(Side.Long, Side.Short),
  entry: price,
});
const account = fc
  .tuple(fc.array(market, { minLength: M, maxLength: M }), fc.bigInt({ min: 0n, max: 1n << 250n }))
  .map(([ms, salt]): AccountState => ({
    salt,
    markets: ms.map((m) => ({ size: m.size, side: m.side, cost: clampCost(m.size * m.entry) })),
  }));
const prices = fc.array(price, { minLength: M, maxLength: M });
const ratios = fc.array(ratio, { minLength: M, maxLength: M });
/** Offsets around the boundary value: exactly at it, just below, just above, and far. */
const offset = fc.oneof(
  { arbitrary: fc.constantFrom(-2n, -1n, 0n, 1n, 2n), weight: 4 },
  { arbitrary: fc.bigInt({ min: -(1n << 60n), max: 1n << 60n }), weight: 1 },
);

function clampCost(x: bigint): bigint {
  const max = (1n << 156n) - 1n;
  return x > max ? max : x;
}
function valueNear(s: AccountState, p: readonly bigint[], r: readonly bigint[], off: bigint): bigint | undefined {
  const v = boundaryValue(s, p, r) + off;
  return v < 0n || v >= 1n << 128n ? undefined : v;
}

describe("Property tests: circuits agree with the reference model", function () {
  let solvency: CircuitTester;
  let update: CircuitTester;
  let equityC: CircuitTester;
  before(async () => {
    [solvency, update, equityC] = await Promise.all([
      CircuitTester.load("solvency"),
      CircuitTester.load("update"),
      CircuitTester.load("equity"),
    ]);
  });

  async function accepted(t: CircuitTester, inputs: Parameters<CircuitTester["witness"]>[0]): Promise<boolean> {
    try {
      return t.satisfies(await t.witness(inputs));
    } catch {
      return false;
    }
  }

  it("Solvency accepts exactly the states the model calls solvent (1000 cases)", async () => {
    let solventSeen = 0;
    let insolventSeen = 0;
    await fc.assert(
      fc.asyncProperty(account, prices, ratios, offset, async (s, p, r, off) => {
        const value = valueNear(s, p, r, off);
        if (value === undefined) return;
        const expected = meetsMargin(s.markets, { value, prices: p }, r);
        if (expected) solventSeen++;
        else insolventSeen++;
        expect(await accepted(solvency, solvencyInputs(s, { value, prices: p }, r, ctx(1n)))).to.equal(expected);
      }),
      { numRuns: 1000 },
    );
    expect(solventSeen).to.be.greaterThan(60);
    expect(insolventSeen).to.be.greaterThan(60);
  });

  const trade: fc.Arbitrary<Trade> = fc.oneof(
    fc.constant<Trade>({ kind: "none" }),
    fc.record({
      kind: fc.constant("increase" as const),
      market: fc.nat(M - 1),
      size,
      side: fc.constantFrom(Side.Long, Side.Short),
    }),
    fc.record({ kind: fc.constant("reduce" as const), market: fc.nat(M - 1), size }),
  );

  it("Update accepts exactly the transitions the model allows and meet initial margin (700 cases)", async () => {
    let ok = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(account, trade, prices, ratios, offset, async (s, t, p, r, off) => {
        // the model refuses impossible trades (reduce more than held, side flips, cost overflow)
        let next: AccountState;
        try {
          next = applyTrade(s, t, p, 1n).next;
        } catch {
          return;
        }
        const value = valueNear(next, p, r, off);
        if (value === undefined) return;
        const expected = meetsMargin(next.markets, { value, prices: p }, r);
        if (expected) ok++;
        else refused++;
        const w = updateInputs(s, t, { value, prices: p }, r, ctx(5n), 1n);
        expect(await accepted(update, w.inputs)).to.equal(expected);
      }),
      { numRuns: 700 },
    );
    expect(ok).to.be.greaterThan(30);
    expect(refused).to.be.greaterThan(30);
  });

  it("Equity outputs the model's equity when it is >= 0 and refuses otherwise (1000 cases)", async () => {
    await fc.assert(
      fc.asyncProperty(account, prices, offset, async (s, p, off) => {
        const value = valueNear(
          s,
          p,
          p.map(() => 0n),
          off,
        );
        if (value === undefined) return;
        const e = equity(s.markets, { value, prices: p });
        const { inputs } = equityInputs(s, { value, prices: p }, ctx(2n));
        if (e < 0n) {
          expect(await accepted(equityC, inputs)).to.equal(false);
        } else {
          const w = await equityC.witness(inputs);
          expect(w[equityC.index("equity")]).to.equal(e);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
