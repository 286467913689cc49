import { expect } from "chai";
import {
  type AccountState,
  BPS,
  CASH_OFFSET,
  type DeleverageParams,
  Domain,
  Side,
  applyDeleverage,
  boxMargin,
  commitmentFields,
  deleverageInputs,
  hashFields,
  planDeleverage,
} from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import {
  MM,
  P,
  PRICES,
  QUOTE,
  UNIT,
  ctx,
  mixedState,
  randomSalt,
  setWordBit,
  state,
  withMarket,
  withOld,
} from "./fixtures";

describe("Deleverage circuit (private partial liquidation while challenged)", function () {
  let c: CircuitTester;
  before(async () => {
    c = await CircuitTester.load("deleverage");
  });

  const FEE_BPS = 50n;
  /** pm = ceil(mm x targetFactor / BPS) with targetFactor 1.5. */
  const PM = MM.map((m) => (m * 15_000n + BPS - 1n) / BPS);
  const base = (reduce: readonly bigint[], over: Partial<DeleverageParams> = {}): DeleverageParams => ({
    reduce,
    prices: PRICES,
    feeBps: FEE_BPS,
    d: 0n,
    pm: PM,
    value: 10n ** 24n,
    context: ctx(Domain.Deleverage, 2n),
    newSalt: randomSalt(),
    ...over,
  });
  const build = (s: AccountState, reduce: readonly bigint[], over: Partial<DeleverageParams> = {}) =>
    deleverageInputs(s, base(reduce, over));
  const withNext = (inputs: Record<string, bigint | bigint[]>, next: AccountState) => ({
    ...inputs,
    newCommitment: hashFields(commitmentFields(next)),
  });

  /** Under water at the target: 2,000 of collateral against the mixed account's requirement. */
  const V = 1_000n * QUOTE;

  describe("the planned reduction", () => {
    it("planDeleverage reaches the target exactly: its V' passes, one unit less fails Check (8)", async () => {
      const s = mixedState();
      expect(boxMargin(s, V, PRICES, 0n, PM)).to.equal(false);
      const plan = planDeleverage(s, V, { prices: PRICES, pm: PM, d: 0n, feeBps: FEE_BPS })!;
      expect(plan).to.not.equal(undefined);
      const ok = build(s, plan.reduce, { value: plan.value });
      expect(ok.result.fee).to.equal(plan.fee);
      const w = await c.accepts(ok.inputs);
      expect(w.slice(1, 7)).to.deep.equal(ok.publicSignals);
      // "target margin one unit short": the smallest V' of the reduced state, minus one
      const next = plan.result.next;
      let low = 0n;
      let high = plan.value;
      while (high - low > 1n) {
        const mid = (low + high) / 2n;
        if (boxMargin(next, mid, PRICES, 0n, PM)) high = mid;
        else low = mid;
      }
      await c.accepts(build(s, plan.reduce, { value: high }).inputs);
      await c.rejects(build(s, plan.reduce, { value: high - 1n }).inputs, { check: 8, template: "BoundedLessEq" });
    });

    it("reduces several markets at once, with a box d > 0", async () => {
      const s = mixedState();
      const reduce = [4n * UNIT, UNIT / 2n, 0n, 0n];
      await c.accepts(build(s, reduce, { d: 200n }).inputs);
    });
  });

  describe("Check (1), (2), (3)", () => {
    it("rejects an old size of 2^96 (Check (1)): a short of size q cannot be opened as a long of q + 2^96", async () => {
      // C packs q + s 2^96: the short (q = 1) and the long (q = 2^96 + 1) hash the same field
      const short = state([{ size: 1n, side: Side.Short, cost: PRICES[0] }], 0n);
      const w = build(short, [0n, 0n, 0n, 0n]);
      const asLong = { ...w.inputs, size: [(1n << 96n) + 1n, 0n, 0n, 0n], side: [0n, 0n, 0n, 0n] };
      expect(hashFields(commitmentFields(short))).to.equal(w.inputs.commitment);
      await c.rejects({ ...asLong, reduce: [2n, 0n, 0n, 0n] }, { check: 1, template: "Num2Bits" });
    });

    it("rejects a side that is not a bit (Check (1))", async () => {
      const w = build(mixedState(), [0n, 0n, 0n, 0n]);
      const sides = (w.inputs.side as bigint[]).map((x, j) => (j === 0 ? 2n : x));
      await c.rejects({ ...w.inputs, side: sides }, { check: 1 });
    });

    // The old cash, cost and salt rule hold by induction (docs/protocol-v2.md section 4, "Ranges by
    // induction"): every stored C is the empty state or a C' that Update or Deleverage range-checked.
    it("an old cash of 2^127 (opening its own C) is still refused, at the new cash range (Check (5))", async () => {
      const w = build(mixedState(), [0n, 0n, 0n, 0n]);
      const s: AccountState = { ...mixedState(), cash: CASH_OFFSET };
      await c.rejects(withOld(w.inputs, s), { check: 5, template: "Num2Bits" });
    });

    it("the states it creates keep the induction's ranges: 0 <= K' <= K and q' < 2^96", async () => {
      const s = mixedState();
      const w = build(s, [UNIT, UNIT / 2n, 0n, 0n]);
      await c.accepts(w.inputs);
      w.result.next.markets.forEach((m, j) => {
        expect(m.cost <= s.markets[j].cost && m.cost >= 0n).to.equal(true);
        expect(m.size < 1n << 96n).to.equal(true);
      });
    });

    it("rejects a nonzero unused bit in each word (w0 240, w1 220, w2 120) (Check (3))", async () => {
      const w = build(mixedState(), [UNIT, 0n, 0n, 0n]);
      for (const [i, bit] of [
        [0, 240],
        [1, 220],
        [2, 120],
      ] as const) {
        await c.rejects({ ...w.inputs, word: setWordBit(w.words, i, bit) }, { check: 3, template: "PackedWords" });
      }
    });
  });

  describe("Check (4): reductions 0 <= dq <= q, side kept, cost removed floor(K dq / q)", () => {
    it("rejects a reduce that flips a position (dq = q + 1)", async () => {
      const s = state([{ size: 2n, side: Side.Long, cost: 7n }], 0n);
      const w = build(s, [2n, 0n, 0n, 0n]);
      await c.rejects({ ...w.inputs, reduce: [3n, 0n, 0n, 0n] }, { check: 4, template: "Num2Bits" });
    });

    it("rejects a reduce that grows a position (dq = -1)", async () => {
      const s = mixedState();
      const w = build(s, [0n, 0n, 0n, 0n]);
      const grown = applyDeleverage(s, [0n, 0n, 0n, 0n], PRICES, FEE_BPS, w.inputs.newSalt as bigint).next;
      const next = withMarket(grown, 0, { size: grown.markets[0].size + 1n });
      await c.rejects(
        { ...withNext(w.inputs, next), reduce: [P - 1n, 0n, 0n, 0n] },
        { check: 4, template: "Num2Bits" },
      );
    });

    it("rejects a removed cost one unit off, either way", async () => {
      const s = state([{ size: 3n, side: Side.Short, cost: 10n }], 0n);
      const w = build(s, [1n, 0n, 0n, 0n]);
      expect(w.result.costRemoved[0]).to.equal(3n);
      await c.rejects({ ...w.inputs, costRemoved: [4n, 0n, 0n, 0n] }, { check: 4, template: "Num2Bits" });
      await c.rejects({ ...w.inputs, costRemoved: [2n, 0n, 0n, 0n] }, { check: 4, template: "Num2Bits" });
    });

    it("rejects dq = -1 on a market with no position (dq + 2^96 Kr = 0 there)", async () => {
      const s = state([{ size: 0n, side: Side.Long, cost: 0n }], 0n, randomSalt());
      const w = build(s, [0n, 0n, 0n, 0n]);
      const next = withMarket(w.result.next, 0, { size: 1n });
      await c.rejects(
        { ...withNext(w.inputs, next), reduce: [P - 1n, 0n, 0n, 0n] },
        { check: 4, template: "Deleverage" },
      );
    });

    it("rejects a position with q > 0 and K = 0, whose dq >= 0 the rounding could not prove", async () => {
      const s = state([{ size: 2n, side: Side.Long, cost: 7n }], 0n);
      const w = build(s, [0n, 0n, 0n, 0n]);
      const free = state([{ size: 2n, side: Side.Long, cost: 0n }], 0n, s.salt);
      // with K = 0, dq = -1 would satisfy the rounding equation: the K != 0 constraint refuses it first
      const next = withMarket(w.result.next, 0, { size: 3n, cost: 0n });
      await c.rejects(
        { ...withNext(withOld(w.inputs, free), next), reduce: [P - 1n, 0n, 0n, 0n] },
        { check: 4, template: "Deleverage" },
      );
      await c.rejects(withOld(w.inputs, free), { check: 4, template: "Deleverage" });
      expect(() => applyDeleverage(free, [0n, 0n, 0n, 0n], PRICES, FEE_BPS, randomSalt())).to.throw(/cost basis of 0/);
    });

    it("rejects a removed cost on a market with no position", async () => {
      const s = state([{ size: 0n, side: Side.Long, cost: 5n }], 0n, randomSalt());
      const w = build(s, [0n, 0n, 0n, 0n]);
      await c.rejects({ ...w.inputs, costRemoved: [5n, 0n, 0n, 0n] }, { check: 4 });
    });

    it("a C' with a flipped side does not open (refused at Check (7))", async () => {
      const s = mixedState();
      const w = build(s, [UNIT, 0n, 0n, 0n]);
      const next = withMarket(w.result.next, 0, { side: Side.Short });
      await c.rejects(withNext(w.inputs, next), { check: 7 });
    });
  });

  describe("Check (5): realised PnL into cash", () => {
    it("rejects a reduction that pushes cash to 2^127", async () => {
      const s = state([{ size: UNIT, side: Side.Long, cost: 1n }], CASH_OFFSET - 1n);
      const w = build(mixedState(), [0n, 0n, 0n, 0n]);
      const inputs = { ...withOld(w.inputs, s), reduce: [UNIT, 0n, 0n, 0n], costRemoved: [1n, 0n, 0n, 0n] };
      await c.rejects(inputs, { check: 5, template: "Num2Bits" });
    });

    it("a C' whose cash misses the realised PnL does not open (Check (7))", async () => {
      const s = mixedState();
      const w = build(s, [UNIT, 0n, 0n, 0n]);
      await c.rejects(withNext(w.inputs, { ...w.result.next, cash: s.cash }), { check: 7 });
    });
  });

  describe("Check (6): fee = floor(feeBps x reduced notional / BPS)", () => {
    it("rejects a fee one unit above and one unit below", async () => {
      const s = mixedState();
      const w = build(s, [3n * UNIT, UNIT / 3n, 0n, 0n]);
      expect(w.result.fee).to.equal((FEE_BPS * (3n * UNIT * PRICES[0] + (UNIT / 3n) * PRICES[1])) / BPS);
      const plus = w.words.map((x, i) => (i === 0 ? x + (1n << 120n) : x));
      const minus = w.words.map((x, i) => (i === 0 ? x - (1n << 120n) : x));
      await c.rejects({ ...w.inputs, word: plus }, { check: 6, template: "Num2Bits" });
      await c.rejects({ ...w.inputs, word: minus }, { check: 6, template: "Num2Bits" });
    });

    it("a fee of 0 with no reduction", async () => {
      const w = build(mixedState(), [0n, 0n, 0n, 0n]);
      expect(w.result.fee).to.equal(0n);
      await c.accepts(w.inputs);
    });
  });

  describe("Check (7): the new state opens C' with salt != 0", () => {
    it("rejects new salt 0", async () => {
      const w = build(mixedState(), [UNIT, 0n, 0n, 0n]);
      await c.rejects(
        { ...withNext(w.inputs, { ...w.result.next, salt: 0n }), newSalt: 0n },
        { check: 7, template: "NonZeroSalt" },
      );
    });
  });

  describe("Check (8) and (9): target box and context", () => {
    it("rejects d out of range", async () => {
      const w = build(state([], 0n), [0n, 0n, 0n, 0n], { d: BPS, value: 0n });
      const words = w.words.map((x, i) => (i === 1 ? x + (1n << 14n) : x));
      await c.rejects({ ...w.inputs, word: words }, { check: 8, template: "Num2Bits" });
    });

    it("a witness with another context violates contextSquared", async () => {
      const w = await c.accepts(build(mixedState(), [UNIT, 0n, 0n, 0n]).inputs);
      c.violates(c.tamper(w, { context: ctx(Domain.Respond, 2n) }), "context");
    });
  });
});
