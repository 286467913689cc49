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

  it("both sides of BoxMargin stay below 2^195 < 2^MARGIN_BITS < p at the widest inputs (M = 14)", () => {
    const ratios = Array.from({ length: MAX_MARKETS }, () => max(RATIO_BITS));
    const prices = Array.from({ length: MAX_MARKETS }, () => max(PRICE_BITS));
    let widest = 0n;
    for (const side of [Side.Long, Side.Short]) {
      for (const d of [0n, BPS]) {
        const s = {
          salt: 1n,
          cash: CASH_OFFSET - 1n,
          markets: Array.from({ length: MAX_MARKETS }, () => ({ size: max(SIZE_BITS), side, cost: max(COST_BITS) })),
        };
        const { lhs, rhs } = boxSides(s, max(VALUE_BITS), prices, d, ratios);
        widest = [widest, lhs, rhs].reduce((a, b) => (b > a ? b : a));
      }
    }
    expect(widest < 1n << 195n).to.equal(true);
    expect(1n << BigInt(MARGIN_BITS + 1) < FIELD_MODULUS).to.equal(true);
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
