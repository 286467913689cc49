import { expect } from "chai";
import fc from "fast-check";
import {
  CERTIFICATE_LAYOUT,
  DELEVERAGE_LAYOUT,
  EQUITY_LAYOUT,
  type Layout,
  ModelError,
  UPDATE_LAYOUT,
  certificateFields,
  deleverageFields,
  equityFields,
  greedyLayout,
  packUpdate,
  unpackUpdate,
  unpackWords,
  updateFields,
} from "../../prover/model";

/** The tables of docs/protocol-v2.md section 4, as (field, word, first bit, last bit). */
const SPEC: Record<string, [string, number, number, number][]> = {
  update: [
    ["value", 0, 0, 119],
    ["settle", 0, 120, 247],
    ["withdrawing", 0, 248, 248],
    ["d", 1, 0, 13],
    ["minValue", 1, 14, 53],
    ["price0", 1, 54, 117],
    ["price1", 1, 118, 181],
    ["price2", 1, 182, 245],
    ["price3", 2, 0, 63],
    ...[0, 1, 2, 3].map((j): [string, number, number, number] => [`mm${j}`, 2, 64 + 14 * j, 77 + 14 * j]),
    ...[0, 1, 2, 3].map((j): [string, number, number, number] => [`im${j}`, 2, 120 + 14 * j, 133 + 14 * j]),
    ...[0, 1, 2, 3].map((j): [string, number, number, number] => [`pm${j}`, 2, 176 + 14 * j, 189 + 14 * j]),
  ],
  certificate: [
    ["value", 0, 0, 119],
    ["d", 0, 120, 133],
    ["price0", 0, 134, 197],
    ["price1", 1, 0, 63],
    ["price2", 1, 64, 127],
    ["price3", 1, 128, 191],
    ...[0, 1, 2, 3].map((j): [string, number, number, number] => [`pm${j}`, 1, 192 + 14 * j, 205 + 14 * j]),
  ],
  deleverage: [
    ["value", 0, 0, 119],
    ["fee", 0, 120, 239],
    ["feeBps", 1, 0, 13],
    ["d", 1, 14, 27],
    ["price0", 1, 28, 91],
    ["price1", 1, 92, 155],
    ["price2", 1, 156, 219],
    ["price3", 2, 0, 63],
    ...[0, 1, 2, 3].map((j): [string, number, number, number] => [`pm${j}`, 2, 64 + 14 * j, 77 + 14 * j]),
  ],
  equity: [
    ["value", 0, 0, 119],
    ["claimed", 0, 120, 239],
    ["penalty", 1, 0, 119],
    ["price0", 1, 120, 183],
    ["price1", 1, 184, 247],
    ["price2", 2, 0, 63],
    ["price3", 2, 64, 127],
  ],
};

const table = (l: Layout) =>
  l.fields.map((f): [string, number, number, number] => [f.name, f.word, f.offset, f.offset + f.bits - 1]);

describe("Packed public words (docs/protocol-v2.md section 4)", () => {
  it("the generic greedy packer reproduces the spec's four tables", () => {
    expect(table(greedyLayout(updateFields(4)))).to.deep.equal(SPEC.update);
    expect(table(greedyLayout(certificateFields(4)))).to.deep.equal(SPEC.certificate);
    expect(table(greedyLayout(deleverageFields(4)))).to.deep.equal(SPEC.deleverage);
    expect(table(greedyLayout(equityFields(4)))).to.deep.equal(SPEC.equity);
    expect([UPDATE_LAYOUT, CERTIFICATE_LAYOUT, DELEVERAGE_LAYOUT, EQUITY_LAYOUT].map((l) => l.words)).to.deep.equal([
      3, 2, 3, 3,
    ]);
  });

  it("a field that does not fit the rest of a word starts the next one; later fields never go back", () => {
    const l = greedyLayout([
      { name: "a", bits: 200 },
      { name: "b", bits: 60 },
      { name: "c", bits: 52 },
    ]);
    expect(table(l)).to.deep.equal([
      ["a", 0, 0, 199],
      ["b", 1, 0, 59],
      ["c", 1, 60, 111],
    ]);
  });

  it("pack and unpack are inverse (Update, signed settlement)", () => {
    const bits = (n: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(n)) - 1n });
    const four = (n: number) => fc.tuple(bits(n), bits(n), bits(n), bits(n));
    fc.assert(
      fc.property(
        fc.record({
          value: bits(120),
          settle: fc.bigInt({ min: -(1n << 127n), max: (1n << 127n) - 1n }),
          withdrawing: fc.boolean(),
          d: bits(14),
          minValue: bits(40),
          prices: four(64),
          mm: four(14),
          im: four(14),
          pm: four(14),
        }),
        (u) => {
          const words = packUpdate(u);
          words.forEach((w) => expect(w < 1n << 252n).to.equal(true));
          expect(unpackUpdate(words)).to.deep.equal(u);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("unpack refuses a word with a bit outside its fields, as the circuits do", () => {
    expect(() => unpackWords(CERTIFICATE_LAYOUT, [0n, 1n << 248n])).to.throw(ModelError, /outside its fields/);
    expect(() => unpackWords(EQUITY_LAYOUT, [1n << 240n, 0n, 0n])).to.throw(ModelError);
  });
});
