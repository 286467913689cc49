import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import * as model from "../../prover/model";
import { ROOT } from "../../scripts/lib/circuits";
import { CircuitTester } from "../helpers/circuit";

/** Reads `function NAME() { return VALUE; }` constants from circuits/lib/constants.circom. */
function circomConstants(): Record<string, bigint> {
  const src = fs.readFileSync(path.join(ROOT, "circuits", "lib", "constants.circom"), "utf8");
  const out: Record<string, bigint> = {};
  for (const m of src.matchAll(/function (\w+)\(\) \{ return (0x[0-9a-f]+|\d+); \}/g)) out[m[1]] = BigInt(m[2]);
  return out;
}

describe("Bit widths and field bounds", () => {
  const P = model.FIELD_MODULUS;
  const c = circomConstants();

  it("the TypeScript model uses the circuits' constants", () => {
    expect(c.PRICE_BITS).to.equal(BigInt(model.PRICE_BITS));
    expect(c.SIZE_BITS).to.equal(BigInt(model.SIZE_BITS));
    expect(c.COST_BITS).to.equal(BigInt(model.COST_BITS));
    expect(c.VALUE_BITS).to.equal(BigInt(model.VALUE_BITS));
    expect(c.RATIO_BITS).to.equal(BigInt(model.RATIO_BITS));
    expect(c.MARGIN_BITS).to.equal(BigInt(model.MARGIN_BITS));
    expect(c.BPS).to.equal(model.BPS);
    expect(c.POSITION_TAG).to.equal(model.POSITION_TAG);
    expect(c.MAX_MARKETS).to.equal(BigInt(model.MAX_MARKETS));
  });

  it("the largest reachable margin sums stay below 2^MARGIN_BITS and far below p for every M", () => {
    const maxRatio = (1n << BigInt(model.RATIO_BITS)) - 1n;
    const notional = model.MAX_SIZE * model.MAX_PRICE;
    for (let M = 1; M <= model.MAX_MARKETS; M++) {
      const m = BigInt(M);
      // assets: V + each market's max(q P, K); liabilities likewise; requirement: ratio x q x P
      const side = notional > model.MAX_COST ? notional : model.MAX_COST;
      const lhs = model.BPS * (model.MAX_VALUE + m * side);
      const rhs = model.BPS * m * side + m * maxRatio * notional;
      const bound = 1n << BigInt(model.MARGIN_BITS);
      expect(lhs < bound && rhs < bound, `M = ${M}`).to.equal(true);
      // SafeLessEqThan(200) adds 2^201 to its operands: still far below p
      expect(rhs + 1n + (1n << BigInt(model.MARGIN_BITS + 1)) < P).to.equal(true);
    }
  });

  it("the reduce rounding products cost x size stay below 2^252 < p", () => {
    expect(model.MAX_COST * model.MAX_SIZE < 1n << 252n).to.equal(true);
    expect(1n << 252n < P).to.equal(true);
    // the largest increase notional added to the largest cost is range-checked before it can wrap
    expect(model.MAX_COST + model.MAX_SIZE * model.MAX_PRICE < P).to.equal(true);
  });

  it("packing size + side * 2^96 is injective below p", () => {
    expect(model.MAX_SIZE + (1n << BigInt(model.SIZE_BITS)) < P).to.equal(true);
  });
});

describe("Constraint counts of the default instances (M = 4): regression", () => {
  // Update these numbers deliberately when a circuit changes; the targets come from the issue.
  const expected = { solvency: 3578, update: 4025, equity: 2061 } as const;
  const targets = { solvency: 4000, update: 8000, equity: 8000 } as const;

  for (const name of ["solvency", "update", "equity"] as const) {
    it(`${name} has ${expected[name]} constraints (target <= ${targets[name]})`, async () => {
      const t = await CircuitTester.load(name);
      expect(t.r1cs.nConstraints).to.equal(expected[name]);
      expect(t.r1cs.nConstraints).to.be.at.most(targets[name]);
    });
  }

  it("solvency fits a 2^12 FFT domain and every circuit fits the 2^13 powers of tau", async () => {
    for (const [name, power] of [
      ["solvency", 12],
      ["update", 13],
      ["equity", 13],
    ] as const) {
      const t = await CircuitTester.load(name);
      expect(t.r1cs.nConstraints + t.r1cs.nPubInputs + t.r1cs.nOutputs + 1).to.be.at.most(2 ** power);
    }
  });
});
