/**
 * The named bit widths keep every circuit value below p (STYLE.md: one test shows the largest reachable
 * sum stays below the field), and the model's constants are the circuits'.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import * as model from "../../prover/model";
import {
  BPS,
  CASH_OFFSET,
  COST_BITS,
  FIELD_MODULUS,
  MARGIN_BITS,
  MAX_MARKETS,
  PRICE_BITS,
  RATIO_BITS,
  SIZE_BITS,
  Side,
  VALUE_BITS,
  WORD_BITS,
  boxSides,
} from "../../prover/model";

const max = (bits: number) => (1n << BigInt(bits)) - 1n;

describe("Bit widths and field bounds", () => {
  it("the model's constants are the circuits' (circuits/lib/constants.circom)", () => {
    const src = fs.readFileSync(path.join(__dirname, "..", "..", "circuits", "lib", "constants.circom"), "utf8");
    const constants = Object.fromEntries(
      [...src.matchAll(/function (\w+)\(\) \{ return (0x[0-9a-f]+|\d+); \}/g)].map((m) => [m[1], BigInt(m[2])]),
    );
    const ts = model as unknown as Record<string, bigint | number>;
    for (const [name, tsName] of [
      ["PRICE_BITS", "PRICE_BITS"],
      ["SIZE_BITS", "SIZE_BITS"],
      ["COST_BITS", "COST_BITS"],
      ["VALUE_BITS", "VALUE_BITS"],
      ["CASH_OFFSET_BITS", "CASH_OFFSET_BITS"],
      ["CASH_BITS", "CASH_BITS"],
      ["RATIO_BITS", "RATIO_BITS"],
      ["MIN_VALUE_BITS", "MIN_VALUE_BITS"],
      ["MIN_VALUE_UNIT", "MIN_VALUE_UNIT"],
      ["MARGIN_BITS", "MARGIN_BITS"],
      ["WORD_BITS", "WORD_BITS"],
      ["BPS", "BPS"],
      ["STATE_TAG", "STATE_TAG"],
      ["MAX_MARKETS", "MAX_MARKETS"],
    ]) {
      expect(BigInt(ts[tsName]), name).to.equal(constants[name]);
    }
  });

  // BoundedLessEq(MARGIN_BITS) range-checks only the gap RHS - LHS: it is sound only if both sides are
  // non-negative integers below 2^MARGIN_BITS at every reachable input, for every market count
  it("both sides of BoxMargin stay below 2^193 < 2^MARGIN_BITS at the widest inputs, for every M <= 14", () => {
    for (let M = 1; M <= MAX_MARKETS; M++) {
      const ratios = Array.from({ length: M }, () => max(RATIO_BITS));
      const prices = Array.from({ length: M }, () => max(PRICE_BITS));
      let widest = 0n;
      for (const side of [Side.Long, Side.Short]) {
        for (const d of [0n, BPS]) {
          const s = {
            salt: 1n,
            cash: CASH_OFFSET - 1n,
            markets: Array.from({ length: M }, () => ({ size: max(SIZE_BITS), side, cost: max(COST_BITS) })),
          };
          const { lhs, rhs } = boxSides(s, max(VALUE_BITS), prices, d, ratios);
          expect(lhs >= 0n && rhs >= 0n, `M = ${M}`).to.equal(true);
          widest = [widest, lhs, rhs].reduce((a, b) => (b > a ? b : a));
        }
      }
      expect(widest < 1n << 193n, `M = ${M}: widest side has ${widest.toString(2).length} bits`).to.equal(true);
    }
    expect(MARGIN_BITS).to.be.at.least(193);
    // a wrapped gap p - x (0 < x < 2^MARGIN_BITS) must not fit MARGIN_BITS bits
    expect(FIELD_MODULUS - (1n << BigInt(MARGIN_BITS)) >= 1n << BigInt(MARGIN_BITS)).to.equal(true);
  });

  it("both sides of EquityCovers stay below 2^MARGIN_BITS at the widest inputs (M = 14)", () => {
    const M = MAX_MARKETS;
    // assets = V + (c + 2^127) + sum_long q P + sum_short K; liabilities = 2^127 + sum_long K + sum_short q P + amount
    const qp = max(SIZE_BITS) * max(PRICE_BITS);
    const widestTerm = qp > max(COST_BITS) ? qp : max(COST_BITS);
    const assets = max(VALUE_BITS) + 2n * CASH_OFFSET + BigInt(M) * widestTerm;
    const liabilities = CASH_OFFSET + BigInt(M) * widestTerm + (1n << 121n);
    expect(assets < 1n << BigInt(MARGIN_BITS) && liabilities < 1n << BigInt(MARGIN_BITS)).to.equal(true);
  });

  it("rounding products (K dq, Kr q), fee products and packed words stay below p", () => {
    expect(max(COST_BITS) * max(SIZE_BITS) < 1n << 252n).to.equal(true);
    const notional = 4n * max(SIZE_BITS) * max(PRICE_BITS);
    expect(max(RATIO_BITS) * notional < 1n << 180n).to.equal(true);
    expect(1n << BigInt(WORD_BITS) < FIELD_MODULUS).to.equal(true);
    // Update's |c + r|: |c| < 2^127 plus a realised PnL below 2^161
    expect(CASH_OFFSET + max(SIZE_BITS) * max(PRICE_BITS) + max(COST_BITS) < FIELD_MODULUS / 2n).to.equal(true);
  });
});
