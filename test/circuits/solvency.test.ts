import { expect } from "chai";
import {
  COST_BITS,
  MAX_COST,
  MAX_PRICE,
  MAX_SIZE,
  MAX_VALUE,
  PRICE_BITS,
  SIZE_BITS,
  Side,
  VALUE_BITS,
  meetsMargin,
  snapshotHash,
  solvencyInputs,
} from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import {
  ACCOUNT,
  MM,
  M,
  OTHER_ACCOUNT,
  P,
  PRICES,
  UNIT,
  boundaryValue,
  ctx,
  mixedState,
  state,
} from "../helpers/fixtures";

describe("Solvency circuit (statement 1, maintenance margin)", function () {
  let c: CircuitTester;
  before(async () => {
    c = await CircuitTester.load("solvency");
  });

  const ID = 7n;
  function inputs(s = mixedState(), value?: bigint, prices = PRICES, ratios = MM, context = ctx(ID)) {
    const v = value ?? boundaryValue(s, prices, ratios);
    return solvencyInputs(s, { value: v, prices }, ratios, context);
  }

  describe("boundaries", () => {
    it("accepts a position exactly at maintenance margin and rejects one unit of value below", async () => {
      const s = state([{ size: 3n * UNIT, side: Side.Long, cost: 3n * UNIT * 3100_00000000n }]);
      const v = boundaryValue(s, PRICES, MM);
      expect(v).to.be.greaterThan(0n);
      expect(meetsMargin(s.markets, { value: v, prices: PRICES }, MM)).to.equal(true);
      await c.accepts(inputs(s, v));
      expect(meetsMargin(s.markets, { value: v - 1n, prices: PRICES }, MM)).to.equal(false);
      await c.rejects(inputs(s, v - 1n));
    });

    it("accepts exactly at the margin when the requirement divides evenly (no rounding slack)", async () => {
      // long 1 unit at cost = notional: equity = V, requirement = 5% of 3000 = 150 quote
      const s = state([{ size: UNIT, side: Side.Long, cost: UNIT * PRICES[0] }]);
      const v = (UNIT * PRICES[0] * MM[0]) / 10_000n;
      expect((UNIT * PRICES[0] * MM[0]) % 10_000n).to.equal(0n);
      await c.accepts(inputs(s, v));
      await c.rejects(inputs(s, v - 1n));
    });

    it("handles a short position at its boundary", async () => {
      const s = state([{}, {}, { size: 50n * UNIT, side: Side.Short, cost: 50n * UNIT * 140_00000000n }]);
      const v = boundaryValue(s, PRICES, MM);
      await c.accepts(inputs(s, v));
      await c.rejects(inputs(s, v - 1n));
    });

    it("nets several markets at once (a winning short covers a losing long)", async () => {
      const s = state([
        { size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 3500_00000000n },
        { size: UNIT, side: Side.Short, cost: UNIT * 70000_00000000n },
        { size: 100n * UNIT, side: Side.Long, cost: 100n * UNIT * 150_00000000n },
        { size: 1000n * UNIT, side: Side.Short, cost: 1000n * UNIT * 70000000n },
      ]);
      const v = boundaryValue(s, PRICES, MM);
      await c.accepts(inputs(s, v));
      await c.rejects(inputs(s, v - 1n));
    });

    it("accepts zero positions with zero collateral", async () => {
      await c.accepts(inputs(state([]), 0n));
    });

    it("accepts maximum sizes, costs, prices and value without wrapping around the field", async () => {
      const s = state([
        { size: MAX_SIZE, side: Side.Long, cost: MAX_COST },
        { size: MAX_SIZE, side: Side.Short, cost: MAX_COST },
        { size: MAX_SIZE, side: Side.Long, cost: 0n },
        { size: MAX_SIZE, side: Side.Short, cost: MAX_COST },
      ]);
      const prices = [MAX_PRICE, MAX_PRICE, MAX_PRICE, 1n];
      const ratios = [10_000n, 10_000n, 10_000n, 10_000n];
      // long max x max price has huge positive PnL: solvent even with V = 0 at a 100% ratio? check the model
      const solvent = meetsMargin(s.markets, { value: MAX_VALUE, prices }, ratios);
      if (solvent) await c.accepts(inputs(s, MAX_VALUE, prices, ratios));
      else await c.rejects(inputs(s, MAX_VALUE, prices, ratios));
      // a deeply insolvent max short is refused, not wrapped into a "solvent" field element
      const short = state([{ size: MAX_SIZE, side: Side.Short, cost: 0n }]);
      expect(meetsMargin(short.markets, { value: MAX_VALUE, prices }, ratios)).to.equal(false);
      await c.rejects(inputs(short, MAX_VALUE, prices, ratios));
    });
  });

  describe("Check (1): position fields in range", () => {
    it("rejects a size of 2^96", async () => {
      const i = inputs(state([{ size: 1n, side: Side.Long, cost: 0n }]), 10n ** 30n);
      (i.size as bigint[])[0] = 1n << BigInt(SIZE_BITS);
      await c.rejects(i);
    });

    it("rejects a size of p - 1 (a negative size)", async () => {
      const i = inputs(state([]), 10n ** 30n);
      (i.size as bigint[])[1] = P - 1n;
      await c.rejects(i);
    });

    it("rejects a cost of 2^156", async () => {
      const i = inputs(state([]), 10n ** 30n);
      (i.cost as bigint[])[2] = 1n << BigInt(COST_BITS);
      await c.rejects(i);
    });

    it("rejects a side that is not 0 or 1", async () => {
      const i = inputs(state([]), 10n ** 30n);
      (i.side as bigint[])[0] = 2n;
      await c.rejects(i);
    });

    it("rejects a tampered witness whose side is 2 even with every other signal consistent", async () => {
      const w = await c.accepts(inputs(state([]), 10n ** 30n));
      expect(c.satisfies(c.tamper(w, { "side[0]": 2n }))).to.equal(false);
    });
  });

  describe("Check (2): commitment opening", () => {
    it("rejects a wrong salt", async () => {
      const i = inputs();
      i.salt = (i.salt as bigint) + 1n;
      await c.rejects(i);
    });

    it("rejects a wrong commitment", async () => {
      const i = inputs();
      i.commitment = (i.commitment as bigint) + 1n;
      await c.rejects(i);
    });

    it("rejects a smaller position than the committed one (hiding a losing market)", async () => {
      const s = state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 4000_00000000n }]);
      const i = inputs(s, 0n);
      (i.size as bigint[])[0] = 0n;
      (i.cost as bigint[])[0] = 0n;
      await c.rejects(i);
    });

    it("rejects a flipped side (the packing binds the side)", async () => {
      const i = inputs();
      (i.side as bigint[])[0] = 1n;
      await c.rejects(i);
    });
  });

  describe("Check (3): value, prices and ratios in range", () => {
    it(`rejects a value of 2^${VALUE_BITS}`, async () => {
      const i = inputs(state([]), 0n);
      i.value = 1n << BigInt(VALUE_BITS);
      await c.rejects(i);
    });

    it(`rejects a price of 2^${PRICE_BITS} even when it is hashed consistently`, async () => {
      const prices = [...PRICES];
      prices[3] = 1n << BigInt(PRICE_BITS);
      const s = state([]);
      const i = solvencyInputs(s, { value: 0n, prices: PRICES }, MM, ctx(ID));
      i.price = prices;
      i.snapshotHash = snapshotHash(ctx(ID), prices, MM);
      await c.rejects(i);
    });

    it("rejects a ratio of 2^14 even when it is hashed consistently", async () => {
      const ratios = [...MM];
      ratios[0] = 1n << 14n;
      const i = solvencyInputs(state([]), { value: 0n, prices: PRICES }, MM, ctx(ID));
      i.ratio = ratios;
      i.snapshotHash = snapshotHash(ctx(ID), PRICES, ratios);
      await c.rejects(i);
    });

    it("rejects a value of p - 1 (a negative value)", async () => {
      const i = inputs(state([]), 0n);
      i.value = P - 1n;
      await c.rejects(i);
    });
  });

  describe("Check (4): pinned context, prices and ratios", () => {
    it("rejects a proof input for another account", async () => {
      const i = inputs();
      i.context = ctx(ID, OTHER_ACCOUNT);
      await c.rejects(i);
    });

    it("rejects another challenge id", async () => {
      const i = inputs();
      i.context = ctx(ID + 1n);
      await c.rejects(i);
    });

    it("rejects another chain", async () => {
      const i = inputs();
      i.context = ctx(ID, ACCOUNT, 1n);
      await c.rejects(i);
    });

    it("rejects prices other than the pinned ones (a higher price for a long)", async () => {
      const s = state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 3100_00000000n }]);
      const i = inputs(s, boundaryValue(s, PRICES, MM) - 1n);
      (i.price as bigint[])[0] = PRICES[0] + 100_00000000n;
      await c.rejects(i);
    });

    it("rejects a lower maintenance ratio than the pinned one", async () => {
      const i = inputs();
      (i.ratio as bigint[])[0] = 0n;
      await c.rejects(i);
    });
  });

  describe("Check (5): equity >= maintenance requirement", () => {
    it("rejects a tampered witness that claims the comparator passed", async () => {
      const s = state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 3100_00000000n }]);
      const good = await c.accepts(inputs(s));
      // the same witness with a lower public value: every range/hash signal still matches
      const lowered = c.tamper(good, { value: good[c.index("value")] - 1n });
      expect(c.satisfies(lowered)).to.equal(false);
    });

    it("rejects a witness whose comparator bit decomposition is forged", async () => {
      const s = state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 3100_00000000n }]);
      const good = await c.accepts(inputs(s));
      // the sign bit is fixed by `out === 1` (optimised away); any other forged bit breaks the sum
      for (const bit of ["margin.enough.lt.diff.out[0]", "margin.enough.lt.diff.out[150]"]) {
        const forged = c.tamper(good, { [bit]: 1n - good[c.index(bit)] });
        expect(c.satisfies(forged), bit).to.equal(false);
      }
    });
  });

  describe("proofs", () => {
    it("proves and verifies with snarkjs; public signals are [C, V, snapshotHash]", async () => {
      const i = inputs();
      const { proof, publicSignals } = await c.prove(i);
      expect(publicSignals.map(BigInt)).to.deep.equal([i.commitment, i.value, i.snapshotHash]);
      expect(await c.verify(publicSignals, proof)).to.equal(true);
    });

    it("a proof does not verify for another context (challenge) or a lower value", async () => {
      const i = inputs();
      const { proof, publicSignals } = await c.prove(i);
      const otherSnapshot = snapshotHash(ctx(ID + 1n), PRICES, MM);
      expect(await c.verify([publicSignals[0], publicSignals[1], otherSnapshot], proof)).to.equal(false);
      expect(await c.verify([publicSignals[0], BigInt(publicSignals[1]) - 1n, publicSignals[2]], proof)).to.equal(
        false,
      );
    });

    it(`has ${M} markets in the default instance`, () => {
      expect(c.labels("main.size[").length).to.equal(M);
    });
  });
});
