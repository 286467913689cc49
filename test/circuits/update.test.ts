import { expect } from "chai";
import {
  type AccountState,
  BPS,
  CASH_OFFSET,
  Domain,
  MAX_COST,
  MAX_PRICE,
  MIN_VALUE_UNIT,
  Side,
  type Trade,
  type UpdateParams,
  applyTrade,
  commitment,
  commitmentFields,
  emptyState,
  hashFields,
  marginRatios,
  signedToField,
  updateInputs,
} from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import {
  IM,
  MM,
  P,
  PRICES,
  QUOTE,
  UNIT,
  boundaryValue,
  ctx,
  mixedState,
  randomSalt,
  setWordBit,
  state,
  withOld,
} from "./fixtures";

describe("Update circuit (one private state transition, cash and settlement)", function () {
  let c: CircuitTester;
  before(async () => {
    c = await CircuitTester.load("update");
  });

  const BIG = 10n ** 24n;
  const base = (trade: Trade, over: Partial<UpdateParams> = {}): UpdateParams => ({
    trade,
    settle: 0n,
    withdrawing: false,
    value: BIG,
    prices: PRICES,
    mm: MM,
    im: IM,
    d: 0n,
    pm: MM,
    minValue: 0n,
    context: ctx(Domain.Update, 3n),
    newSalt: randomSalt(),
    ...over,
  });
  const build = (s: AccountState, trade: Trade, over: Partial<UpdateParams> = {}) => updateInputs(s, base(trade, over));

  /** V' exactly at the centre margin rule of the update's new state. */
  function atRule(s: AccountState, trade: Trade, over: Partial<UpdateParams> = {}): bigint {
    const p = base(trade, over);
    const next = applyTrade(s, trade, p.prices, p.settle, 1n).next;
    return boundaryValue(next, p.prices, marginRatios(trade, p.withdrawing, p.mm, p.im));
  }

  /** Replaces the new state the inputs claim (C' of another next state). */
  function withNext(inputs: Record<string, bigint | bigint[]>, next: AccountState) {
    return { ...inputs, newCommitment: hashFields(commitmentFields(next)) };
  }

  const longEth = () => state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 3200_00000000n }], 0n);
  const winningLong = () => state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 2500_00000000n }], 0n);

  describe("transitions", () => {
    it("opens a long from the empty state (salt 0): exactly at initial margin passes", async () => {
      const t: Trade = { kind: "increase", market: 0, size: 2n * UNIT, side: Side.Long };
      const value = atRule(emptyState(), t);
      expect(value).to.equal((2n * UNIT * PRICES[0] * IM[0]) / BPS);
      const ok = build(emptyState(), t, { value });
      const w = await c.accepts(ok.inputs);
      expect(w.slice(1, 7)).to.deep.equal(ok.publicSignals);
      await c.rejects(build(emptyState(), t, { value: value - 1n }).inputs, { check: 10, template: "BoundedLessEq" });
    });

    it("reduces a winning long: the realised PnL goes into cash, nothing is public", async () => {
      const w = build(winningLong(), { kind: "reduce", market: 0, size: 3n * UNIT });
      expect(w.result.next.cash).to.equal(3n * UNIT * (PRICES[0] - 2500_00000000n));
      expect(w.publicSignals.slice(3)).to.deep.equal(build(longEth(), { kind: "none" }).words);
      await c.accepts(w.inputs);
    });

    it("reduces a losing short: negative cash is encoded p - |c|", async () => {
      const s = state([{}, { size: 2n * UNIT, side: Side.Short, cost: 2n * UNIT * 50000_00000000n }], 0n);
      const w = build(s, { kind: "reduce", market: 1, size: UNIT });
      expect(w.result.next.cash).to.equal(-UNIT * (PRICES[1] - 50000_00000000n));
      await c.accepts(w.inputs);
    });

    it("settles all of a positive cash balance with a withdrawal (s = c + r > 0, c' = 0)", async () => {
      const s = state([{ size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 2500_00000000n }], 100n * QUOTE);
      const t: Trade = { kind: "reduce", market: 0, size: 10n * UNIT };
      const settle = 100n * QUOTE + 10n * UNIT * (PRICES[0] - 2500_00000000n);
      const w = build(s, t, { settle, withdrawing: true });
      expect(w.result.next.cash).to.equal(0n);
      await c.accepts(w.inputs);
    });

    it("settles part of a negative cash balance without a withdrawal (s < 0)", async () => {
      const s = mixedState();
      const w = build(s, { kind: "none" }, { settle: -200n * QUOTE });
      expect(w.result.next.cash).to.equal(-300n * QUOTE);
      await c.accepts(w.inputs);
    });

    it("opens the largest position whose cost basis fits 2^156 at the largest price; one more unit fails Check (7)", async () => {
      const prices = [MAX_PRICE, ...PRICES.slice(1)];
      const size = MAX_COST / MAX_PRICE;
      const t: Trade = { kind: "increase", market: 0, size, side: Side.Long };
      const w = build(emptyState(), t, {
        prices,
        im: [0n, 0n, 0n, 0n],
        mm: [0n, 0n, 0n, 0n],
        pm: [0n, 0n, 0n, 0n],
        value: 0n,
      });
      await c.accepts(w.inputs);
      await c.rejects({ ...w.inputs, tradeSize: size + 1n }, { check: 7, template: "Num2Bits" });
    });
  });

  describe("Check (1) and (2): the old sizes and sides are in range, the old state opens C", () => {
    // The old cash, cost and salt rule hold by induction (docs/protocol-v2.md section 4, "Ranges by
    // induction"); an out-of-range old cash that opens its own C is still refused, by the new cash's range
    it("an old cash of 2^127 or -2^127 - 1 (opening its own C) is refused at the new cash range (Check (8))", async () => {
      const w = build(mixedState(), { kind: "none" });
      for (const cash of [CASH_OFFSET, -CASH_OFFSET - 1n]) {
        const s: AccountState = { ...mixedState(), cash };
        await c.rejects(withOld(w.inputs, s), { check: 8, template: "Num2Bits" });
      }
    });

    it("rejects an old size of p - 1", async () => {
      const w = build(mixedState(), { kind: "none" });
      await c.rejects({ ...w.inputs, size: [P - 1n, 0n, 0n, 0n] }, { check: 1, template: "Num2Bits" });
    });

    it("rejects an old size of 2^96 + 1 that packs like a short of 1 (Check (1))", async () => {
      const short = state([{ size: 1n, side: Side.Short, cost: PRICES[0] }], 0n);
      const w = build(short, { kind: "none" });
      await c.rejects(
        { ...w.inputs, size: [(1n << 96n) + 1n, 0n, 0n, 0n], side: [0n, 0n, 0n, 0n] },
        { check: 1, template: "Num2Bits" },
      );
    });

    it("rejects a side that is not a bit (Check (1))", async () => {
      const w = build(mixedState(), { kind: "none" });
      const sides = (w.inputs.side as bigint[]).map((x, j) => (j === 0 ? 2n : x));
      await c.rejects({ ...w.inputs, side: sides }, { check: 1 });
    });

    it("rejects another cash than the committed one (c + 1)", async () => {
      const w = build(mixedState(), { kind: "none" });
      await c.rejects({ ...w.inputs, cash: (w.inputs.cash as bigint) + 1n }, { check: 2 });
    });
  });

  describe("Check (3): the words decompose", () => {
    it("rejects a nonzero unused bit in each word (w0 bit 249, w1 bit 246, w2 bit 232)", async () => {
      const w = build(mixedState(), { kind: "none" });
      for (const [i, bit] of [
        [0, 249],
        [1, 246],
        [2, 232],
        [2, 251],
      ] as const) {
        await c.rejects({ ...w.inputs, word: setWordBit(w.words, i, bit) }, { check: 3, template: "PackedWords" });
      }
    });
  });

  describe("Check (4): trade shape", () => {
    it("rejects two selected markets, a select of 2 and a trade size with no market", async () => {
      const w = build(longEth(), { kind: "increase", market: 0, size: UNIT });
      await c.rejects({ ...w.inputs, select: [1n, 1n, 0n, 0n] }, { check: 4 });
      await c.rejects({ ...w.inputs, select: [2n, 0n, 0n, 0n] }, { check: 4 });
      const none = build(longEth(), { kind: "none" });
      await c.rejects({ ...none.inputs, tradeSize: UNIT }, { check: 4 });
      await c.rejects({ ...w.inputs, increase: 2n }, { check: 4 });
    });
  });

  describe("Check (5), (6), (7): price, removed cost, new size and side", () => {
    it("a trade at another price than the public one does not open C' (refused at Check (9))", async () => {
      const s = longEth();
      const t: Trade = { kind: "increase", market: 0, size: UNIT };
      const w = build(s, t);
      const elsewhere = applyTrade(s, t, [PRICES[0] - 1n, ...PRICES.slice(1)], 0n, w.inputs.newSalt as bigint).next;
      await c.rejects(withNext(w.inputs, elsewhere), { check: 9 });
    });

    it("rejects a removed cost one unit off floor(K dq / q), either way", async () => {
      const s = state([{ size: 3n, side: Side.Long, cost: 10n }], 0n);
      const w = build(s, { kind: "reduce", market: 0, size: 1n });
      expect(w.result.costRemoved).to.equal(3n);
      await c.rejects({ ...w.inputs, costRemoved: 4n }, { check: 6, template: "Num2Bits" });
      await c.rejects({ ...w.inputs, costRemoved: 2n }, { check: 6, template: "Num2Bits" });
    });

    it("rejects a removed cost on an increase", async () => {
      const w = build(longEth(), { kind: "increase", market: 0, size: UNIT });
      await c.rejects({ ...w.inputs, costRemoved: 1n }, { check: 6 });
    });

    it("rejects a reduce larger than the position (the new size wraps)", async () => {
      const w = build(longEth(), { kind: "reduce", market: 0, size: 10n * UNIT });
      await c.rejects({ ...w.inputs, tradeSize: 10n * UNIT + 1n }, { check: 6 });
      const tiny = state([{ size: 1n, side: Side.Long, cost: 0n }], 0n);
      const t = build(tiny, { kind: "reduce", market: 0, size: 1n });
      await c.rejects({ ...t.inputs, tradeSize: 2n }, { check: 7, template: "Num2Bits" });
    });

    it("rejects an increase that flips a long to short (the side is kept, C' does not open)", async () => {
      const s = longEth();
      const w = build(s, { kind: "increase", market: 0, size: UNIT });
      const flipped = {
        ...w.result.next,
        markets: w.result.next.markets.map((m, j) => (j === 0 ? { ...m, side: Side.Short } : m)),
      };
      await c.rejects({ ...withNext(w.inputs, flipped), openSide: 1n }, { check: 9 });
    });
  });

  describe("Check (8): realised PnL into cash, settlement rule", () => {
    it("rejects a pnl not moved into c (C' with the old cash does not open)", async () => {
      const w = build(winningLong(), { kind: "reduce", market: 0, size: 3n * UNIT });
      const kept = { ...w.result.next, cash: winningLong().cash };
      await c.rejects(withNext(w.inputs, kept), { check: 9 });
    });

    it("accepts s = c + r exactly and rejects a settle one unit larger than c allows", async () => {
      const s = winningLong();
      const t: Trade = { kind: "reduce", market: 0, size: 3n * UNIT };
      const all = 3n * UNIT * (PRICES[0] - 2500_00000000n);
      const ok = build(s, t, { settle: all, withdrawing: true });
      await c.accepts(ok.inputs);
      const over = ok.words.map((x, i) => (i === 0 ? x + (1n << 120n) : x));
      const next = { ...ok.result.next, cash: -1n };
      await c.rejects({ ...withNext(ok.inputs, next), word: over }, { check: 8, template: "Num2Bits" });
    });

    it("rejects a settlement of the wrong sign (taking from a positive cash balance)", async () => {
      const s = state([], 100n * QUOTE);
      const ok = build(s, { kind: "none" }, { settle: 10n * QUOTE });
      const words = build(s, { kind: "none" }, { settle: 0n }).words;
      const neg = words.map((x, i) => (i === 0 ? x - ((10n * QUOTE) << 120n) : x));
      const next = { ...ok.result.next, cash: 110n * QUOTE };
      await c.rejects({ ...withNext(ok.inputs, next), word: neg }, { check: 8, template: "Num2Bits" });
    });

    it("rejects a settlement that flips a negative balance positive", async () => {
      const s = state([], -100n * QUOTE);
      const ok = build(s, { kind: "none" }, { settle: -100n * QUOTE });
      await c.accepts(ok.inputs);
      const words = ok.words.map((x, i) => (i === 0 ? x - (1n << 120n) : x));
      const next = { ...ok.result.next, cash: 1n };
      await c.rejects({ ...withNext(ok.inputs, next), word: words }, { check: 8 });
    });

    it("rejects a new cash balance of 2^127 (|c'| < 2^127)", async () => {
      const s = state([{ size: UNIT, side: Side.Long, cost: 0n }], CASH_OFFSET - 1n);
      const t: Trade = { kind: "reduce", market: 0, size: UNIT };
      const ok = build(s, t, { settle: UNIT * PRICES[0] });
      await c.accepts(ok.inputs);
      const words = build(s, t, { settle: UNIT * PRICES[0] }).words.map((x, i) => (i === 0 ? x - (1n << 120n) : x));
      const next = { ...ok.result.next, cash: CASH_OFFSET };
      await c.rejects({ ...withNext(ok.inputs, next), word: words }, { check: 8, template: "Num2Bits" });
    });

    it("a prover that sets the sign bit of c + r to 2 violates the R1CS (negative * (negative - 1))", async () => {
      const w = await c.accepts(build(mixedState(), { kind: "none" }, { settle: -100n * QUOTE }).inputs);
      c.violates(c.tamper(w, { negative: 2n }), "negative");
    });
  });

  describe("Check (9): the new state opens C' with salt != 0", () => {
    it("rejects new salt 0", async () => {
      const s = mixedState();
      const w = build(s, { kind: "none" });
      const next = { ...w.result.next, salt: 0n };
      await c.rejects({ ...withNext(w.inputs, next), newSalt: 0n }, { check: 9, template: "NonZeroSalt" });
    });

    it("rejects a wrong C'", async () => {
      const w = build(mixedState(), { kind: "none" });
      await c.rejects({ ...w.inputs, newCommitment: (w.inputs.newCommitment as bigint) + 1n }, { check: 9 });
    });
  });

  describe("Check (10): margin rule at the centre (IM when increasing or withdrawing, MM otherwise)", () => {
    // long 10 and short 10 of one market's exposure (issue 9): IM 15%, MM 5%
    const im = [1500n, 1500n, 1500n, 1500n];
    const mm = [500n, 500n, 500n, 500n];
    const hedged = () =>
      state(
        [
          { size: 10n * UNIT, side: Side.Long, cost: 10n * UNIT * 3100_00000000n },
          { size: UNIT / 2n, side: Side.Short, cost: (UNIT / 2n) * 59000_00000000n },
        ],
        0n,
      );

    it("a reduce is refused one unit below MM and accepted exactly at MM (IM is not asked)", async () => {
      const t: Trade = { kind: "reduce", market: 1, size: UNIT / 4n };
      const value = atRule(hedged(), t, { im, mm, pm: mm });
      const next = applyTrade(hedged(), t, PRICES, 0n, 1n).next;
      expect(boundaryValue(next, PRICES, im) > value).to.equal(true);
      await c.accepts(build(hedged(), t, { im, mm, pm: mm, value }).inputs);
      await c.rejects(build(hedged(), t, { im, mm, pm: mm, value: value - 1n }).inputs, { check: 10 });
    });

    it("a close and a settle-only update need MM only", async () => {
      const t: Trade = { kind: "reduce", market: 1, size: UNIT / 2n };
      const value = atRule(hedged(), t, { im, mm, pm: mm });
      await c.accepts(build(hedged(), t, { im, mm, pm: mm, value }).inputs);
      const s = { ...hedged(), cash: 50n * QUOTE };
      const v2 = atRule(s, { kind: "none" }, { im, mm, pm: mm, settle: 50n * QUOTE });
      await c.accepts(build(s, { kind: "none" }, { im, mm, pm: mm, settle: 50n * QUOTE, value: v2 }).inputs);
    });

    it("an increase needs IM: refused at the MM boundary, accepted at the IM boundary", async () => {
      const t: Trade = { kind: "increase", market: 0, size: UNIT };
      const next = applyTrade(hedged(), t, PRICES, 0n, 1n).next;
      const atMm = boundaryValue(next, PRICES, mm);
      const atIm = boundaryValue(next, PRICES, im);
      await c.rejects(build(hedged(), t, { im, mm, pm: mm, value: atMm }).inputs, { check: 10 });
      await c.rejects(build(hedged(), t, { im, mm, pm: mm, value: atIm - 1n }).inputs, { check: 10 });
      await c.accepts(build(hedged(), t, { im, mm, pm: mm, value: atIm }).inputs);
    });

    it("a withdrawal needs IM", async () => {
      const t: Trade = { kind: "none" };
      const atIm = atRule(hedged(), t, { im, mm, pm: mm, withdrawing: true });
      await c.rejects(build(hedged(), t, { im, mm, pm: mm, withdrawing: true, value: atIm - 1n }).inputs, {
        check: 10,
      });
      await c.accepts(build(hedged(), t, { im, mm, pm: mm, withdrawing: true, value: atIm }).inputs);
    });
  });

  describe("Check (11): BoxMargin(d, pm) of the new state", () => {
    it("refuses a box the new state does not meet, accepts at its boundary", async () => {
      const s = mixedState();
      const t: Trade = { kind: "reduce", market: 0, size: UNIT };
      const next = applyTrade(s, t, PRICES, 0n, 1n).next;
      const d = 300n;
      const value = boundaryValue(next, PRICES, MM, d);
      await c.accepts(build(s, t, { d, value }).inputs);
      await c.rejects(build(s, t, { d, value: value - 1n }).inputs, { check: 11, template: "BoundedLessEq" });
    });

    it("rejects d out of range (BPS + 1)", async () => {
      const w = build(emptyState(), { kind: "none" }, { d: BPS, value: 0n });
      const words = w.words.map((x, i) => (i === 1 ? x + 1n : x));
      await c.rejects({ ...w.inputs, word: words }, { check: 11, template: "Num2Bits" });
    });
  });

  describe("Check (12): dust rule", () => {
    const minValue = 1_000_000n; // 1 quote unit
    it("a state with a position needs V' >= minValue; exactly minValue passes", async () => {
      const t: Trade = { kind: "increase", market: 3, size: UNIT, side: Side.Long };
      const value = minValue * MIN_VALUE_UNIT;
      expect(atRule(emptyState(), t) < value).to.equal(true);
      await c.accepts(build(emptyState(), t, { minValue, value }).inputs);
      await c.rejects(build(emptyState(), t, { minValue, value: value - 1n }).inputs, { check: 12 });
    });

    it("a state with no position passes with V' = 0", async () => {
      const s = state([{ size: UNIT, side: Side.Long, cost: UNIT * PRICES[0] }], 0n);
      await c.accepts(build(s, { kind: "reduce", market: 0, size: UNIT }, { minValue, value: 0n }).inputs);
    });
  });

  describe("Check (13): the context is bound", () => {
    it("a witness with another context violates contextSquared", async () => {
      const w = await c.accepts(build(mixedState(), { kind: "none" }).inputs);
      c.violates(c.tamper(w, { context: ctx(Domain.Prove, 3n) }), "context");
    });

    it("the old commitment is the model's", async () => {
      const s = mixedState();
      expect(build(s, { kind: "none" }).publicSignals[0]).to.equal(commitment(s));
      expect(signedToField(s.cash)).to.equal(P + s.cash);
    });
  });
});
