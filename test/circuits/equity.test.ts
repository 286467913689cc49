import { expect } from "chai";
import {
  type AccountState,
  CASH_OFFSET,
  Domain,
  Side,
  claimable,
  commitmentFields,
  emptyState,
  equity,
  equityInputs,
  hashFields,
  roundClaim,
} from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import { PRICES, QUOTE, UNIT, ctx, mixedState, setWordBit, state } from "./fixtures";

describe("Equity circuit (claim at the liquidation's prices, with cash)", function () {
  let c: CircuitTester;
  before(async () => {
    c = await CircuitTester.load("equity");
  });

  const context = ctx(Domain.Claim, 9n);
  const V = 2_000n * QUOTE;
  const PENALTY = 100n * QUOTE;
  const build = (s: AccountState, claimed: bigint, penalty = PENALTY, value = V) =>
    equityInputs(s, { value, claimed, penalty, prices: PRICES, context });

  it("accepts claimed = E - penalty exactly (E with cash); one unit more fails Check (4)", async () => {
    const s = mixedState();
    const most = claimable(s, V, PRICES, PENALTY);
    expect(most).to.equal(equity(s, V, PRICES) - PENALTY);
    const ok = build(s, most);
    const w = await c.accepts(ok.inputs);
    expect(w.slice(1, 6)).to.deep.equal(ok.publicSignals);
    await c.rejects(build(s, most + 1n).inputs, { check: 4, template: "BoundedLessEq" });
  });

  it("accepts a rounded claim (2 significant digits) below E - penalty", async () => {
    const s = mixedState();
    const claim = roundClaim(claimable(s, V, PRICES, PENALTY));
    expect(claim.toString().replace(/0+$/, "").length <= 2).to.equal(true);
    await c.accepts(build(s, claim).inputs);
  });

  it("negative cash lowers the claim; a claim of 0 with negative equity still fails", async () => {
    const s = state([{ size: UNIT, side: Side.Long, cost: UNIT * PRICES[0] }], -3_000n * QUOTE);
    expect(equity(s, V, PRICES) < 0n).to.equal(true);
    await c.rejects(build(s, 0n, 0n).inputs, { check: 4 });
  });

  it("the empty state claims 0 of 0", async () => {
    await c.accepts(build(emptyState(), 0n, 0n, 0n).inputs);
  });

  it("rejects cash 2^127 (Check (1)), salt 0 with a position (Check (2)), an unused bit (Check (3))", async () => {
    const w = build(mixedState(), 0n);
    await c.rejects({ ...w.inputs, cash: CASH_OFFSET }, { check: 1, template: "Num2Bits" });
    const s: AccountState = { ...mixedState(), salt: 0n };
    await c.rejects(
      { ...w.inputs, salt: 0n, commitment: hashFields(commitmentFields(s)) },
      { check: 2, template: "SaltRule" },
    );
    for (const [i, bit] of [
      [0, 240],
      [1, 248],
      [2, 128],
    ] as const) {
      await c.rejects({ ...w.inputs, word: setWordBit(w.words, i, bit) }, { check: 3, template: "PackedWords" });
    }
  });

  it("a witness with another context violates contextSquared (Check (5))", async () => {
    const w = await c.accepts(build(mixedState(), 0n).inputs);
    c.violates(c.tamper(w, { context: ctx(Domain.Claim, 10n) }), "context");
  });
});
