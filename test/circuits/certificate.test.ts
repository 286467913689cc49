import { expect } from "chai";
import {
  type AccountState,
  BPS,
  CASH_OFFSET,
  COST_BITS,
  Domain,
  Side,
  boxMargin,
  certificateInputs,
  commitment,
  commitmentFields,
  emptyState,
  hashFields,
  maxBoxBps,
} from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import { MM, P, PRICES, QUOTE, UNIT, boundaryValue, ctx, mixedState, setWordBit, state } from "./fixtures";

describe("Certificate circuit (prove and respond: BoxMargin(d, pm))", function () {
  let c: CircuitTester;
  before(async () => {
    c = await CircuitTester.load("certificate");
  });

  const context = ctx(Domain.Prove, 4n);
  const build = (s: AccountState, value: bigint, d = 0n, pm: readonly bigint[] = MM, prices = PRICES) =>
    certificateInputs(s, { value, d, prices, pm, context });

  describe("accepts exactly at the box boundary", () => {
    for (const d of [0n, 250n, 1000n]) {
      it(`mixed long/short account with cash at d = ${d}: V at the boundary passes, one unit less fails Check (4)`, async () => {
        const s = mixedState();
        const value = boundaryValue(s, PRICES, MM, d);
        const ok = build(s, value, d);
        const w = await c.accepts(ok.inputs);
        expect(w.slice(1, 5)).to.deep.equal(ok.publicSignals);
        await c.rejects(build(s, value - 1n, d).inputs, { check: 4, template: "BoundedLessEq" });
      });
    }

    it("the empty state (salt 0) proves any box, even d = BPS with V = 0", async () => {
      await c.accepts(build(emptyState(), 0n, BPS, [BPS, BPS, BPS, BPS]).inputs);
    });

    it("maxBoxBps is the largest d that passes", async () => {
      const s = mixedState();
      const value = 6_000n * QUOTE;
      const d = maxBoxBps(s, value, PRICES, MM)!;
      await c.accepts(build(s, value, d).inputs);
      await c.rejects(build(s, value, d + 1n).inputs, { check: 4 });
    });
  });

  describe("Check (1): ranges of the state", () => {
    it("rejects cash 2^127 (c + 2^127 must fit 128 bits)", async () => {
      const w = build(state([], 0n), 0n);
      await c.rejects({ ...w.inputs, cash: CASH_OFFSET }, { check: 1, template: "Num2Bits" });
    });

    it("rejects cash -2^127 - 1 (written p - 2^127 - 1)", async () => {
      const w = build(state([], 0n), 0n);
      await c.rejects({ ...w.inputs, cash: P - CASH_OFFSET - 1n }, { check: 1, template: "Num2Bits" });
    });

    it("cash c + p is the same field element as c: the same commitment opens, nothing aliases", async () => {
      const s = mixedState();
      const w = build(s, 10_000n * QUOTE);
      await c.accepts({ ...w.inputs, cash: (w.inputs.cash as bigint) + P });
      expect(commitment(s)).to.equal(w.publicSignals[0]);
    });

    it("rejects a size of 2^96, a side of 2 and a cost of 2^156", async () => {
      const w = build(mixedState(), 10n ** 24n);
      const size = w.inputs.size as bigint[];
      await c.rejects({ ...w.inputs, size: [1n << 96n, ...size.slice(1)] }, { check: 1, template: "Num2Bits" });
      await c.rejects({ ...w.inputs, side: [2n, 1n, 0n, 0n] }, { check: 1, template: "StateRange" });
      const cost = w.inputs.cost as bigint[];
      await c.rejects({ ...w.inputs, cost: [1n << BigInt(COST_BITS), ...cost.slice(1)] }, { check: 1 });
    });
  });

  describe("Check (2): the state opens C; salt 0 only for the empty state", () => {
    it("rejects a wrong salt", async () => {
      const w = build(mixedState(), 10n ** 24n);
      await c.rejects({ ...w.inputs, salt: (w.inputs.salt as bigint) + 1n }, { check: 2 });
    });

    it("rejects salt 0 with cash, with a position, and with a short side", async () => {
      const cases: AccountState[] = [
        { salt: 0n, cash: 1n, markets: emptyState().markets },
        { salt: 0n, cash: 0n, markets: state([{ size: UNIT, cost: UNIT * PRICES[0] }]).markets },
        { salt: 0n, cash: 0n, markets: state([{}, { side: Side.Short }]).markets },
      ];
      for (const s of cases) {
        const w = build(emptyState(), 10n ** 24n);
        const inputs = {
          ...w.inputs,
          commitment: hashFields(commitmentFields(s)),
          cash: s.cash,
          size: s.markets.map((m) => m.size),
          side: s.markets.map((m) => BigInt(m.side)),
          cost: s.markets.map((m) => m.cost),
        };
        await c.rejects(inputs, { check: 2, template: "SaltRule" });
      }
    });
  });

  describe("Check (3): the words decompose", () => {
    it("rejects a nonzero unused bit in w0 (198..251) and in w1 (248..251)", async () => {
      const w = build(mixedState(), 10n ** 24n);
      for (const [i, bit] of [
        [0, 198],
        [0, 251],
        [1, 248],
      ] as const) {
        await c.rejects({ ...w.inputs, word: setWordBit(w.words, i, bit) }, { check: 3, template: "PackedWords" });
      }
    });

    it("rejects a word of 2^252 or more", async () => {
      const w = build(mixedState(), 10n ** 24n);
      await c.rejects(
        { ...w.inputs, word: [w.words[0] + (1n << 252n), w.words[1]] },
        { check: 3, template: "Num2Bits" },
      );
    });
  });

  describe("Check (4): BoxMargin(d, pm) at the worst corner by side", () => {
    const eth = (side: Side) => state([{ size: 10n * UNIT, side, cost: 10n * UNIT * PRICES[0] }], 0n);

    it("a long is checked at P (1 - d): V enough at P (1 + d) but not at P (1 - d) is refused", async () => {
      const s = eth(Side.Long);
      const d = 500n;
      const atWorst = boundaryValue(s, PRICES, MM, d);
      // what would pass if the long were (wrongly) checked at its best corner P (1 + d):
      // BPS V (BPS - d) + BPS (q P (BPS + d) - BPS K) >= mm q P (BPS + d)
      const qp = 10n * UNIT * PRICES[0];
      const need = MM[0] * qp * (BPS + d) - BPS * (qp * (BPS + d) - BPS * qp);
      const wrong = need <= 0n ? 0n : (need + BPS * (BPS - d) - 1n) / (BPS * (BPS - d));
      expect(wrong < atWorst).to.equal(true);
      await c.rejects(build(s, atWorst - 1n, d).inputs, { check: 4 });
      await c.accepts(build(s, atWorst, d).inputs);
    });

    it("a short is checked at P (1 + d)", async () => {
      const s = eth(Side.Short);
      const d = 500n;
      const atWorst = boundaryValue(s, PRICES, MM, d);
      await c.rejects(build(s, atWorst - 1n, d).inputs, { check: 4 });
      await c.accepts(build(s, atWorst, d).inputs);
    });

    it("a prover that evaluates a long at the short's corner violates the R1CS (corner constraint)", async () => {
      const s = eth(Side.Long);
      const d = 500n;
      const w = await c.accepts(build(s, 10n ** 24n, d).inputs);
      const wrongCorner = 10n * UNIT * PRICES[0] * (BPS + d);
      c.violates(c.tamper(w, { "box.corner[0]": wrongCorner }), "box.corner[0]");
    });

    it("rejects d = BPS + 1 (d out of range)", async () => {
      const w = build(emptyState(), 0n, BPS);
      const words = [w.words[0] + (1n << 120n), w.words[1]];
      await c.rejects({ ...w.inputs, word: words }, { check: 4, template: "Num2Bits" });
    });

    it("pm above the current ratio asks for more collateral", async () => {
      const s = mixedState();
      const value = boundaryValue(s, PRICES, MM, 100n);
      expect(boxMargin(s, value, PRICES, 100n, MM)).to.equal(true);
      await c.rejects(
        build(
          s,
          value,
          100n,
          MM.map((r) => r + 1n),
        ).inputs,
        { check: 4 },
      );
    });
  });

  describe("Check (5): the context is bound", () => {
    it("a witness with another context violates contextSquared", async () => {
      const w = await c.accepts(build(mixedState(), 10n ** 24n).inputs);
      c.violates(c.tamper(w, { context: ctx(Domain.Respond, 4n) }), "context");
    });
  });
});
