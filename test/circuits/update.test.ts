import { expect } from "chai";
import {
  type AccountState,
  MAX_COST,
  MAX_PRICE,
  Side,
  type Trade,
  applyTrade,
  commitment,
  commitmentFields,
  fieldToSigned,
  hashFields,
  mod,
  signedToField,
  updateInputs,
} from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import {
  IM,
  OTHER_ACCOUNT,
  P,
  PRICES,
  UNIT,
  boundaryValue,
  ctx,
  mixedState,
  randomSalt,
  state,
} from "../helpers/fixtures";

describe("Update circuit (statement 2, one private state transition)", function () {
  let c: CircuitTester;
  before(async () => {
    c = await CircuitTester.load("update");
  });

  const NONCE = 3n;
  /** Inputs with V set to exactly the initial-margin boundary of the new state (plus `extra`). */
  function build(s: AccountState, trade: Trade, extra = 0n, prices = PRICES, context = ctx(NONCE)) {
    const next = applyTrade(s, trade, prices, 0n).next;
    const value = boundaryValue(next, prices, IM) + extra;
    return updateInputs(s, trade, { value, prices }, IM, context, randomSalt());
  }

  /** A losing long (entry 3200, price 3000): it needs collateral to meet initial margin. */
  const longEth = () => state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 3200_00000000n }]);
  const winningLong = () => state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 2500_00000000n }]);

  describe("transitions at the initial-margin boundary", () => {
    it("opens a long from an empty account: exactly at initial margin passes, one unit below fails", async () => {
      const s = state([], 0n);
      const t: Trade = { kind: "increase", market: 0, size: 2n * UNIT, side: Side.Long };
      const ok = build(s, t);
      expect(ok.inputs.value).to.equal((2n * UNIT * PRICES[0] * IM[0]) / 10_000n);
      await c.accepts(ok.inputs);
      await c.rejects(build(s, t, -1n).inputs);
    });

    it("opens a short on another market", async () => {
      const t: Trade = { kind: "increase", market: 2, size: 40n * UNIT, side: Side.Short };
      const w = build(longEth(), t);
      expect(w.result.next.markets[2]).to.deep.equal({
        size: 40n * UNIT,
        side: Side.Short,
        cost: 40n * UNIT * PRICES[2],
      });
      await c.accepts(w.inputs);
      await c.rejects(build(longEth(), t, -1n).inputs);
    });

    it("increases an existing long at the oracle price (cost basis adds size x price)", async () => {
      const w = build(longEth(), { kind: "increase", market: 0, size: UNIT });
      expect(w.result.next.markets[0].cost).to.equal(10n * UNIT * 3200_00000000n + UNIT * PRICES[0]);
      await c.accepts(w.inputs);
    });

    it("reduces a winning long: realises dq P - floor(K dq / q) as positive pnl", async () => {
      const w = build(winningLong(), { kind: "reduce", market: 0, size: 3n * UNIT });
      expect(w.result.pnl).to.equal(3n * UNIT * (PRICES[0] - 2500_00000000n));
      expect(w.inputs.pnl).to.equal(w.result.pnl);
      await c.accepts(w.inputs);
    });

    it("reduces a losing short: negative pnl is encoded as p - |pnl|", async () => {
      const s = state([{}, { size: 2n * UNIT, side: Side.Short, cost: 2n * UNIT * 50000_00000000n }]);
      const w = build(s, { kind: "reduce", market: 1, size: UNIT });
      expect(w.result.pnl).to.equal(-UNIT * (PRICES[1] - 50000_00000000n));
      expect(w.inputs.pnl).to.equal(P + w.result.pnl);
      expect(fieldToSigned(w.inputs.pnl as bigint)).to.equal(w.result.pnl);
      await c.accepts(w.inputs);
    });

    it("rounds the removed cost basis down when it does not divide evenly", async () => {
      const s = state([{ size: 3n, side: Side.Long, cost: 10n }]);
      const w = build(s, { kind: "reduce", market: 0, size: 1n });
      expect(w.result.costRemoved).to.equal(3n);
      await c.accepts(w.inputs);
    });

    it("closes a position completely: size and cost basis return to 0", async () => {
      const w = build(mixedState(), { kind: "reduce", market: 1, size: UNIT });
      expect(w.result.next.markets[1].size).to.equal(0n);
      expect(w.result.next.markets[1].cost).to.equal(0n);
      await c.accepts(w.inputs);
    });

    it("withdraws (no trade): only the salt changes and the new value must still meet initial margin", async () => {
      const w = build(mixedState(), { kind: "none" });
      expect(w.result.next.markets).to.deep.equal(mixedState().markets);
      expect(w.result.pnl).to.equal(0n);
      await c.accepts(w.inputs);
      const below = build(longEth(), { kind: "none" }, -1n);
      await c.rejects(below.inputs);
    });

    it("opens the largest position whose cost basis fits 2^156 at the largest price", async () => {
      const prices = [MAX_PRICE, ...PRICES.slice(1)];
      const zero = [0n, 0n, 0n, 0n];
      const size = MAX_COST / MAX_PRICE;
      const t: Trade = { kind: "increase", market: 0, size, side: Side.Long };
      const w = updateInputs(state([], 0n), t, { value: 0n, prices }, zero, ctx(NONCE), randomSalt());
      await c.accepts(w.inputs);
      // one more unit of size pushes the cost basis past 2^156: Check (7) refuses it
      const next = {
        salt: w.inputs.newSalt as bigint,
        markets: [
          { size: size + 1n, side: Side.Long, cost: (size + 1n) * MAX_PRICE },
          ...w.result.next.markets.slice(1),
        ],
      };
      expect((size + 1n) * MAX_PRICE > MAX_COST).to.equal(true);
      await c.rejects({ ...w.inputs, tradeSize: size + 1n, newCommitment: hashFields(commitmentFields(next)) });
    });
  });

  describe("Check (1) and (2): the old state is in range and opens oldCommitment", () => {
    it("rejects a wrong old salt", async () => {
      const w = build(mixedState(), { kind: "none" });
      w.inputs.oldSalt = (w.inputs.oldSalt as bigint) + 1n;
      await c.rejects(w.inputs);
    });

    it("rejects a wrong old commitment", async () => {
      const w = build(mixedState(), { kind: "none" });
      w.inputs.oldCommitment = (w.inputs.oldCommitment as bigint) + 1n;
      await c.rejects(w.inputs);
    });

    it("rejects an old size of p - 1", async () => {
      const w = build(mixedState(), { kind: "none" });
      (w.inputs.size as bigint[])[3] = P - 1n;
      await c.rejects(w.inputs);
    });

    it("rejects an old side of 2", async () => {
      const w = build(mixedState(), { kind: "none" });
      (w.inputs.side as bigint[])[0] = 2n;
      await c.rejects(w.inputs);
    });
  });

  describe("Check (3): value, prices and ratios in range", () => {
    it("rejects a price of 2^64", async () => {
      const w = build(longEth(), { kind: "none" });
      (w.inputs.price as bigint[])[3] = 1n << 64n;
      await c.rejects(w.inputs);
    });

    it("rejects a value of p - 1", async () => {
      const w = build(longEth(), { kind: "none" });
      w.inputs.value = P - 1n;
      await c.rejects(w.inputs);
    });

    it("rejects a ratio of 2^14", async () => {
      const w = build(longEth(), { kind: "none" }, 10n ** 30n);
      (w.inputs.ratio as bigint[])[0] = 1n << 14n;
      await c.rejects(w.inputs);
    });
  });

  describe("Check (4): trade shape", () => {
    it("rejects two selected markets", async () => {
      const w = build(longEth(), { kind: "increase", market: 0, size: 0n }, 10n ** 30n);
      (w.inputs.select as bigint[])[1] = 1n;
      await c.rejects(w.inputs);
    });

    it("rejects a selector value of 2", async () => {
      const w = build(longEth(), { kind: "increase", market: 0, size: 0n }, 10n ** 30n);
      (w.inputs.select as bigint[])[0] = 2n;
      await c.rejects(w.inputs);
    });

    it("rejects a trade size with no market selected", async () => {
      const w = build(longEth(), { kind: "none" }, 10n ** 30n);
      w.inputs.tradeSize = 1n;
      await c.rejects(w.inputs);
    });

    it("rejects a non-binary increase flag and a non-binary open side", async () => {
      const w = build(longEth(), { kind: "increase", market: 0, size: 1n }, 10n ** 30n);
      await c.rejects({ ...w.inputs, increase: 2n });
      const o = build(state([]), { kind: "increase", market: 0, size: 1n, side: Side.Long }, 10n ** 30n);
      await c.rejects({ ...o.inputs, openSide: 2n });
    });

    it("rejects a trade size of 2^96", async () => {
      const w = build(state([]), { kind: "increase", market: 0, size: 1n }, 10n ** 30n);
      w.inputs.tradeSize = 1n << 96n;
      await c.rejects(w.inputs);
    });
  });

  describe("Check (5): the trade executes at the public oracle price", () => {
    it("rejects a trade at a price other than the public one", async () => {
      const s = longEth();
      const t: Trade = { kind: "increase", market: 0, size: UNIT };
      const cheap = [...PRICES];
      cheap[0] = PRICES[0] - 500_00000000n;
      // the prover computes the new state at a cheaper price but must show the public price
      const w = updateInputs(s, t, { value: 10n ** 30n, prices: cheap }, IM, ctx(NONCE), randomSalt());
      w.inputs.price = PRICES;
      await c.rejects(w.inputs);
    });
  });

  describe("Check (6): reduce removes floor(K dq / q) of the cost basis", () => {
    const s = () => state([{ size: 3n, side: Side.Long, cost: 10n }]);

    it("rejects a removed cost one above the floor", async () => {
      const w = build(s(), { kind: "reduce", market: 0, size: 1n }, 10n ** 30n);
      await c.rejects(forgeReduce(w.inputs, s(), 4n));
    });

    it("rejects a removed cost one below the floor", async () => {
      const w = build(s(), { kind: "reduce", market: 0, size: 1n }, 10n ** 30n);
      await c.rejects(forgeReduce(w.inputs, s(), 2n));
    });

    it("rejects removing cost basis on an increase", async () => {
      const w = build(s(), { kind: "increase", market: 0, size: 1n }, 10n ** 30n);
      w.inputs.costRemoved = 1n;
      const next = state([{ size: 4n, side: Side.Long, cost: 10n + PRICES[0] - 1n }], w.inputs.newSalt as bigint);
      w.inputs.newCommitment = commitment(next);
      await c.rejects(w.inputs);
    });

    /** Recomputes newCommitment and pnl for a forged costRemoved so only Check (6) can catch it. */
    function forgeReduce(inputs: Record<string, bigint | bigint[]>, old: AccountState, removed: bigint) {
      const next = state([{ size: 2n, side: Side.Long, cost: 10n - removed }], inputs.newSalt as bigint);
      return {
        ...inputs,
        costRemoved: removed,
        newCommitment: commitment(next),
        pnl: signedToField(PRICES[0] - removed),
      };
    }
  });

  describe("Check (7): new size and cost are in range", () => {
    it("rejects reducing more than the position (the new size would be negative)", async () => {
      const s = state([{ size: 2n, side: Side.Long, cost: 2n * PRICES[0] }]);
      const w = build(s, { kind: "reduce", market: 0, size: 1n }, 10n ** 30n);
      // a forged reduce of 3 from 2 that is consistent with every other check:
      // costRemoved = 3 P (so the rounding check holds), pnl = 0, new size p - 1, new cost p - P
      const next = {
        salt: w.inputs.newSalt as bigint,
        markets: [{ size: P - 1n, side: Side.Long, cost: P - PRICES[0] }, ...s.markets.slice(1)],
      };
      await c.rejects({
        ...w.inputs,
        tradeSize: 3n,
        costRemoved: 3n * PRICES[0],
        pnl: 0n,
        newCommitment: hashFields(commitmentFields(next).map(mod)),
      });
    });
  });

  describe("Check (8): realised PnL equals the public pnl", () => {
    it("rejects a pnl one unit higher, and a pnl with the sign flipped", async () => {
      const w = build(longEth(), { kind: "reduce", market: 0, size: UNIT }, 10n ** 30n);
      const pnl = w.inputs.pnl as bigint;
      await c.rejects({ ...w.inputs, pnl: pnl + 1n });
      await c.rejects({ ...w.inputs, pnl: P - pnl });
    });

    it("rejects realised pnl on a pure withdrawal", async () => {
      const w = build(longEth(), { kind: "none" }, 10n ** 30n);
      await c.rejects({ ...w.inputs, pnl: 1n });
    });
  });

  describe("Check (9): the new state opens newCommitment", () => {
    it("rejects a wrong new commitment", async () => {
      const w = build(longEth(), { kind: "none" }, 10n ** 30n);
      await c.rejects({ ...w.inputs, newCommitment: (w.inputs.newCommitment as bigint) + 1n });
    });

    it("rejects a new state in which a market that was not traded changed", async () => {
      const s = mixedState();
      const w = build(s, { kind: "increase", market: 0, size: UNIT }, 10n ** 30n);
      const next = w.result.next;
      const sneaky = {
        salt: next.salt,
        markets: next.markets.map((m, j) => (j === 1 ? { ...m, size: 0n, cost: 0n } : m)),
      };
      await c.rejects({ ...w.inputs, newCommitment: commitment(sneaky) });
    });
  });

  describe("Check (10): initial margin on the new state", () => {
    it("rejects a tampered witness with a lower post-update value", async () => {
      const good = await c.accepts(build(longEth(), { kind: "increase", market: 0, size: UNIT }).inputs);
      expect(c.satisfies(c.tamper(good, { value: good[c.index("value")] - 1n }))).to.equal(false);
    });

    it("rejects initial ratios lower than the public ones in the witness", async () => {
      const good = await c.accepts(build(longEth(), { kind: "increase", market: 0, size: UNIT }).inputs);
      expect(c.satisfies(c.tamper(good, { "ratio[0]": 0n }))).to.equal(false);
    });
  });

  describe("Check (11) and proofs", () => {
    it("proves and verifies; public signals are [C, C', V, pnl, context, prices, ratios]", async () => {
      const w = build(longEth(), { kind: "reduce", market: 0, size: UNIT });
      const { proof, publicSignals } = await c.prove(w.inputs);
      const i = w.inputs;
      expect(publicSignals.map(BigInt)).to.deep.equal([
        i.oldCommitment,
        i.newCommitment,
        i.value,
        i.pnl,
        i.context,
        ...(i.price as bigint[]),
        ...(i.ratio as bigint[]),
      ]);
      expect(await c.verify(publicSignals, proof)).to.equal(true);
      const forOther = [...publicSignals];
      forOther[4] = ctx(NONCE, OTHER_ACCOUNT).toString();
      expect(await c.verify(forOther, proof), "another account").to.equal(false);
      const nextNonce = [...publicSignals];
      nextNonce[4] = ctx(NONCE + 1n).toString();
      expect(await c.verify(nextNonce, proof), "another nonce").to.equal(false);
    });

    it("keeps the context in the witness (the dummy square is not optimised away)", async () => {
      const w = await c.accepts(build(longEth(), { kind: "none" }).inputs);
      expect(c.satisfies(c.tamper(w, { contextSquared: 5n }))).to.equal(false);
    });
  });
});
