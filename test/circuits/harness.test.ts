import { expect } from "chai";
import { Domain, certificateInputs } from "../../prover/model";
import { CircuitTester } from "../helpers/circuit";
import { MM, PRICES, boundaryValue, ctx, mixedState } from "./fixtures";

/** rejects() must name the check that refuses (issue 15 item 4): it fails on any other refusal. */
describe("Circuit test harness: rejects() is strict", function () {
  let c: CircuitTester;
  before(async () => {
    c = await CircuitTester.load("certificate");
  });

  const insolvent = () => {
    const s = mixedState();
    return certificateInputs(s, {
      value: boundaryValue(s, PRICES, MM) - 1n,
      d: 0n,
      prices: PRICES,
      pm: MM,
      context: ctx(Domain.Prove),
    });
  };

  async function fails(p: Promise<void>, message: RegExp): Promise<void> {
    let error: unknown;
    try {
      await p;
    } catch (e) {
      error = e;
    }
    expect(error, "rejects() passed where it must fail").to.be.instanceOf(Error);
    expect(String(error)).to.match(message);
  }

  it("passes when the named check refuses", async () => {
    await c.rejects(insolvent().inputs, { check: 4, template: "BoundedLessEq" });
  });

  it("fails when another check refuses", async () => {
    await fails(c.rejects(insolvent().inputs, { check: 2 }), /not in Check \(2\)/);
  });

  it("fails when another template refuses inside the check", async () => {
    await fails(c.rejects(insolvent().inputs, { check: 4, template: "Num2Bits" }), /innermost failing template/);
  });

  it("fails on a wrongly shaped input (a missing signal, a short array)", async () => {
    const { salt: _salt, ...missing } = insolvent().inputs;
    void _salt;
    await fails(c.rejects(missing, { check: 4 }), /another reason/);
    await fails(c.rejects({ ...insolvent().inputs, size: [0n] }, { check: 4 }), /another reason/);
  });

  it("fails when the circuit accepts", async () => {
    const s = mixedState();
    const ok = certificateInputs(s, {
      value: boundaryValue(s, PRICES, MM),
      d: 0n,
      prices: PRICES,
      pm: MM,
      context: 1n,
    });
    await fails(c.rejects(ok.inputs, { check: 4 }), /accepted/);
  });

  it("refuses a check number the statement does not have", async () => {
    await fails(c.rejects(insolvent().inputs, { check: 6 }), /no "\/\/ Check \(6\)" section/);
  });
});
