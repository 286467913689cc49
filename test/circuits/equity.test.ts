import { expect } from "chai";
import { MAX_COST, MAX_PRICE, MAX_SIZE, MAX_VALUE, Side, equity, equityInputs } from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import { OTHER_ACCOUNT, P, PRICES, UNIT, ctx, mixedState, state } from "../helpers/fixtures";

describe("Equity circuit (statement 3, equity at the liquidation snapshot)", function () {
  let c: CircuitTester;
  before(async () => {
    c = await CircuitTester.load("equity");
  });

  const CHALLENGE = 9n;
  const underwater = () => state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 3100_00000000n }]);

  describe("Check (4): equity output", () => {
    it("outputs V + unrealised PnL (long loss, short gain)", async () => {
      const s = mixedState();
      const value = 5000n * 10n ** 18n;
      const { inputs, equity: e } = equityInputs(s, { value, prices: PRICES }, ctx(CHALLENGE));
      expect(e).to.equal(value + 10n * UNIT * (PRICES[0] - 2900_00000000n) + UNIT * (61000_00000000n - PRICES[1]));
      const w = await c.accepts(inputs);
      expect(w[c.index("equity")]).to.equal(e);
    });

    it("outputs exactly 0 when the loss equals the collateral, and refuses one unit less collateral", async () => {
      const s = underwater();
      const loss = 10n * UNIT * 100_00000000n;
      const at = equityInputs(s, { value: loss, prices: PRICES }, ctx(CHALLENGE));
      expect(at.equity).to.equal(0n);
      const w = await c.accepts(at.inputs);
      expect(w[c.index("equity")]).to.equal(0n);
      const below = equityInputs(s, { value: loss - 1n, prices: PRICES }, ctx(CHALLENGE));
      expect(below.equity).to.equal(-1n);
      await c.rejects(below.inputs);
    });

    it("accepts zero positions (equity = V) and maximum fields without wrapping", async () => {
      const zero = equityInputs(state([]), { value: MAX_VALUE, prices: PRICES }, ctx(CHALLENGE));
      expect((await c.accepts(zero.inputs))[c.index("equity")]).to.equal(MAX_VALUE);
      const big = state([
        { size: MAX_SIZE, side: Side.Long, cost: MAX_COST },
        { size: MAX_SIZE, side: Side.Short, cost: MAX_COST },
      ]);
      const prices = [MAX_PRICE, 1n, PRICES[2], PRICES[3]];
      const r = equityInputs(big, { value: MAX_VALUE, prices }, ctx(CHALLENGE));
      expect(r.equity).to.equal(equity(big.markets, { value: MAX_VALUE, prices }));
      expect((await c.accepts(r.inputs))[c.index("equity")]).to.equal(r.equity);
    });

    it("rejects a tampered witness claiming more equity", async () => {
      const { inputs } = equityInputs(mixedState(), { value: 10n ** 20n, prices: PRICES }, ctx(CHALLENGE));
      const w = await c.accepts(inputs);
      expect(c.satisfies(c.tamper(w, { equity: w[c.index("equity")] + 1n }))).to.equal(false);
    });
  });

  describe("Checks (1) to (3): range and opening", () => {
    it("rejects a wrong salt and a wrong commitment", async () => {
      const { inputs } = equityInputs(mixedState(), { value: 10n ** 20n, prices: PRICES }, ctx(CHALLENGE));
      await c.rejects({ ...inputs, salt: (inputs.salt as bigint) + 1n });
      await c.rejects({ ...inputs, commitment: (inputs.commitment as bigint) + 1n });
    });

    it("rejects a size over 2^96, a side of 2, a price of 2^64 and a value of p - 1", async () => {
      const { inputs } = equityInputs(state([]), { value: 10n ** 20n, prices: PRICES }, ctx(CHALLENGE));
      await c.rejects({ ...inputs, size: [1n << 96n, 0n, 0n, 0n] });
      await c.rejects({ ...inputs, side: [2n, 0n, 0n, 0n] });
      await c.rejects({ ...inputs, price: [1n << 64n, ...PRICES.slice(1)] });
      await c.rejects({ ...inputs, value: P - 1n });
    });
  });

  describe("Check (5) and proofs", () => {
    it("proves; public signals are [equity, C, V, context, prices]; another account or challenge fails", async () => {
      const r = equityInputs(mixedState(), { value: 10n ** 21n, prices: PRICES }, ctx(CHALLENGE));
      const { proof, publicSignals } = await c.prove(r.inputs);
      const i = r.inputs;
      expect(publicSignals.map(BigInt)).to.deep.equal([
        r.equity,
        i.commitment,
        i.value,
        i.context,
        ...(i.price as bigint[]),
      ]);
      expect(await c.verify(publicSignals, proof)).to.equal(true);
      const other = [...publicSignals];
      other[3] = ctx(CHALLENGE, OTHER_ACCOUNT).toString();
      expect(await c.verify(other, proof)).to.equal(false);
      const inflated = [...publicSignals];
      inflated[0] = (r.equity + 1n).toString();
      expect(await c.verify(inflated, proof)).to.equal(false);
    });

    it("keeps the context in the witness (dummy square)", async () => {
      const { inputs } = equityInputs(state([]), { value: 1n, prices: PRICES }, ctx(CHALLENGE));
      const w = await c.accepts(inputs);
      expect(c.satisfies(c.tamper(w, { contextSquared: 0n }))).to.equal(false);
    });
  });
});
