import {
  CASH_BITS,
  CASH_OFFSET,
  DEFAULT_MARKETS,
  MIN_VALUE_BITS,
  PRICE_BITS,
  RATIO_BITS,
  VALUE_BITS,
  WORD_BITS,
} from "./constants";
import { ModelError, ModelErrorCode, requireRange, requireSigned127 } from "./errors";

/** One scalar public field of a statement, in the statement's order. */
export interface FieldSpec {
  readonly name: string;
  readonly bits: number;
}

/** A field placed by the packing rule: bits [offset, offset + bits) of word `word`. */
export interface PlacedField extends FieldSpec {
  readonly word: number;
  readonly offset: number;
}

export interface Layout {
  readonly words: number;
  readonly fields: readonly PlacedField[];
}

/**
 * The packing rule of docs/protocol-v2.md section 4 (PackedWords in circuits/lib/words.circom): the
 * fields, in order, are placed greedily, least significant bits first; a field that does not fit in the
 * rest of a word starts the next word (no field straddles two words).
 */
export function greedyLayout(fields: readonly FieldSpec[], wordBits = WORD_BITS): Layout {
  const placed: PlacedField[] = [];
  let word = 0;
  let used = 0;
  for (const f of fields) {
    if (!Number.isInteger(f.bits) || f.bits < 1 || f.bits > wordBits) {
      throw new ModelError(ModelErrorCode.BadShape, `field ${f.name} has ${f.bits} bits`);
    }
    if (used + f.bits > wordBits) {
      word++;
      used = 0;
    }
    placed.push({ ...f, word, offset: used });
    used += f.bits;
  }
  return { words: placed.length === 0 ? 0 : word + 1, fields: placed };
}

/** Packs named non-negative field values into words (every field of the layout must be given). */
export function packWords(layout: Layout, values: Readonly<Record<string, bigint>>): bigint[] {
  const words = Array.from({ length: layout.words }, () => 0n);
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) throw new ModelError(ModelErrorCode.BadShape, `missing packed field ${f.name}`);
    requireRange(f.name, v, f.bits);
    words[f.word] |= v << BigInt(f.offset);
  }
  return words;
}

/** The fields of packed words; refuses a word with a bit set outside every field (as the circuit does). */
export function unpackWords(layout: Layout, words: readonly bigint[]): Record<string, bigint> {
  if (words.length !== layout.words) {
    throw new ModelError(ModelErrorCode.BadShape, `expected ${layout.words} words, got ${words.length}`);
  }
  const out: Record<string, bigint> = {};
  const used = words.map(() => 0n);
  for (const f of layout.fields) {
    const mask = ((1n << BigInt(f.bits)) - 1n) << BigInt(f.offset);
    out[f.name] = (words[f.word] & mask) >> BigInt(f.offset);
    used[f.word] |= mask;
  }
  words.forEach((w, i) => {
    requireRange(`word ${i}`, w, WORD_BITS);
    if ((w & ~used[i]) !== 0n)
      throw new ModelError(ModelErrorCode.OutOfRange, `word ${i} has a bit set outside its fields`);
  });
  return out;
}

const each = (prefix: string, bits: number, markets: number): FieldSpec[] =>
  Array.from({ length: markets }, (_, j) => ({ name: `${prefix}${j}`, bits }));

/** Update: V', s + 2^127, withdrawing, d, minValue / 1e12, P_j, mm_j, im_j, pm_j. */
export function updateFields(markets = DEFAULT_MARKETS): FieldSpec[] {
  return [
    { name: "value", bits: VALUE_BITS },
    { name: "settle", bits: CASH_BITS },
    { name: "withdrawing", bits: 1 },
    { name: "d", bits: RATIO_BITS },
    { name: "minValue", bits: MIN_VALUE_BITS },
    ...each("price", PRICE_BITS, markets),
    ...each("mm", RATIO_BITS, markets),
    ...each("im", RATIO_BITS, markets),
    ...each("pm", RATIO_BITS, markets),
  ];
}

/** Certificate: V, d, P_j, pm_j. */
export function certificateFields(markets = DEFAULT_MARKETS): FieldSpec[] {
  return [
    { name: "value", bits: VALUE_BITS },
    { name: "d", bits: RATIO_BITS },
    ...each("price", PRICE_BITS, markets),
    ...each("pm", RATIO_BITS, markets),
  ];
}

/** Deleverage: V', fee, feeBps, d, P_j, pm_j. */
export function deleverageFields(markets = DEFAULT_MARKETS): FieldSpec[] {
  return [
    { name: "value", bits: VALUE_BITS },
    { name: "fee", bits: VALUE_BITS },
    { name: "feeBps", bits: RATIO_BITS },
    { name: "d", bits: RATIO_BITS },
    ...each("price", PRICE_BITS, markets),
    ...each("pm", RATIO_BITS, markets),
  ];
}

/** Equity: V, claimed, penalty, P_j. */
export function equityFields(markets = DEFAULT_MARKETS): FieldSpec[] {
  return [
    { name: "value", bits: VALUE_BITS },
    { name: "claimed", bits: VALUE_BITS },
    { name: "penalty", bits: VALUE_BITS },
    ...each("price", PRICE_BITS, markets),
  ];
}

/** The layouts of the M = 4 instances (docs/protocol-v2.md section 4 lists them). */
export const UPDATE_LAYOUT = greedyLayout(updateFields());
export const CERTIFICATE_LAYOUT = greedyLayout(certificateFields());
export const DELEVERAGE_LAYOUT = greedyLayout(deleverageFields());
export const EQUITY_LAYOUT = greedyLayout(equityFields());

function perMarket(prefix: string, values: readonly bigint[]): Record<string, bigint> {
  return Object.fromEntries(values.map((v, j) => [`${prefix}${j}`, v]));
}

function listOf(prefix: string, fields: Record<string, bigint>, markets: number): bigint[] {
  return Array.from({ length: markets }, (_, j) => fields[`${prefix}${j}`]);
}

function requireMarkets(what: string, values: readonly bigint[], markets: number): void {
  if (values.length !== markets) {
    throw new ModelError(ModelErrorCode.BadShape, `expected ${markets} ${what}, got ${values.length}`);
  }
}

/** The scalar public values of an Update proof (w0..w2). */
export interface UpdatePublic {
  /** V' after the settlement and the withdrawal (value units). */
  readonly value: bigint;
  /** The settled amount s (signed: s > 0 the fund pays the account). */
  readonly settle: bigint;
  readonly withdrawing: boolean;
  readonly d: bigint;
  /** minValue of the dust rule in units of 1e12 value units. */
  readonly minValue: bigint;
  readonly prices: readonly bigint[];
  readonly mm: readonly bigint[];
  readonly im: readonly bigint[];
  readonly pm: readonly bigint[];
}

export function packUpdate(u: UpdatePublic, layout = UPDATE_LAYOUT): bigint[] {
  const M = u.prices.length;
  for (const [what, xs] of [
    ["mm", u.mm],
    ["im", u.im],
    ["pm", u.pm],
  ] as const)
    requireMarkets(what, xs, M);
  requireSigned127("settle", u.settle);
  return packWords(layout, {
    value: u.value,
    settle: u.settle + CASH_OFFSET,
    withdrawing: u.withdrawing ? 1n : 0n,
    d: u.d,
    minValue: u.minValue,
    ...perMarket("price", u.prices),
    ...perMarket("mm", u.mm),
    ...perMarket("im", u.im),
    ...perMarket("pm", u.pm),
  });
}

export function unpackUpdate(
  words: readonly bigint[],
  markets = DEFAULT_MARKETS,
  layout = UPDATE_LAYOUT,
): UpdatePublic {
  const f = unpackWords(layout, words);
  return {
    value: f.value,
    settle: f.settle - CASH_OFFSET,
    withdrawing: f.withdrawing === 1n,
    d: f.d,
    minValue: f.minValue,
    prices: listOf("price", f, markets),
    mm: listOf("mm", f, markets),
    im: listOf("im", f, markets),
    pm: listOf("pm", f, markets),
  };
}

/** The scalar public values of a Certificate proof (w0, w1). */
export interface CertificatePublic {
  readonly value: bigint;
  readonly d: bigint;
  readonly prices: readonly bigint[];
  readonly pm: readonly bigint[];
}

export function packCertificate(c: CertificatePublic, layout = CERTIFICATE_LAYOUT): bigint[] {
  requireMarkets("pm", c.pm, c.prices.length);
  return packWords(layout, { value: c.value, d: c.d, ...perMarket("price", c.prices), ...perMarket("pm", c.pm) });
}

export function unpackCertificate(
  words: readonly bigint[],
  markets = DEFAULT_MARKETS,
  layout = CERTIFICATE_LAYOUT,
): CertificatePublic {
  const f = unpackWords(layout, words);
  return { value: f.value, d: f.d, prices: listOf("price", f, markets), pm: listOf("pm", f, markets) };
}

/** The scalar public values of a Deleverage proof (w0..w2). */
export interface DeleveragePublic {
  /** V' after the fee is debited. */
  readonly value: bigint;
  readonly fee: bigint;
  readonly feeBps: bigint;
  readonly d: bigint;
  readonly prices: readonly bigint[];
  readonly pm: readonly bigint[];
}

export function packDeleverage(x: DeleveragePublic, layout = DELEVERAGE_LAYOUT): bigint[] {
  requireMarkets("pm", x.pm, x.prices.length);
  return packWords(layout, {
    value: x.value,
    fee: x.fee,
    feeBps: x.feeBps,
    d: x.d,
    ...perMarket("price", x.prices),
    ...perMarket("pm", x.pm),
  });
}

export function unpackDeleverage(
  words: readonly bigint[],
  markets = DEFAULT_MARKETS,
  layout = DELEVERAGE_LAYOUT,
): DeleveragePublic {
  const f = unpackWords(layout, words);
  return {
    value: f.value,
    fee: f.fee,
    feeBps: f.feeBps,
    d: f.d,
    prices: listOf("price", f, markets),
    pm: listOf("pm", f, markets),
  };
}

/** The scalar public values of an Equity proof (w0..w2). */
export interface EquityPublic {
  readonly value: bigint;
  readonly claimed: bigint;
  readonly penalty: bigint;
  readonly prices: readonly bigint[];
}

export function packEquity(e: EquityPublic, layout = EQUITY_LAYOUT): bigint[] {
  return packWords(layout, { value: e.value, claimed: e.claimed, penalty: e.penalty, ...perMarket("price", e.prices) });
}

export function unpackEquity(
  words: readonly bigint[],
  markets = DEFAULT_MARKETS,
  layout = EQUITY_LAYOUT,
): EquityPublic {
  const f = unpackWords(layout, words);
  return { value: f.value, claimed: f.claimed, penalty: f.penalty, prices: listOf("price", f, markets) };
}
