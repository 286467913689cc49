/**
 * Protocol constants shared with the circuits (circuits/lib/constants.circom, docs/protocol-v2.md section 1).
 * test/circuits/bounds.test.ts checks that the two stay in step and that no sum reaches p.
 */

/** BN254 scalar field modulus: every circuit value lives below it (core/encoding.ts). */
export { FIELD_MODULUS } from "../../core/encoding";

export const PRICE_BITS = 64;
export const SIZE_BITS = 96;
export const COST_BITS = 156;
/** Collateral value, fees, claims and penalties (v1: 128). */
export const VALUE_BITS = 120;
/** Signed cash c and settlement s are written x + 2^CASH_OFFSET_BITS in CASH_BITS bits. */
export const CASH_OFFSET_BITS = 127;
export const CASH_BITS = 128;
export const RATIO_BITS = 14;
/** minValue of the dust rule, in units of MIN_VALUE_UNIT value units (1e-6 quote). */
export const MIN_VALUE_BITS = 40;
export const MIN_VALUE_UNIT = 10n ** 12n;
export const MARGIN_BITS = 194;
/** A packed public word (2^252 < p, so its bit decomposition is unique). */
export const WORD_BITS = 252;
export const BPS = 10_000n;
/** ASCII "zkmargin.pos.v2": domain tag of the v2 state commitment. */
export const STATE_TAG = 0x7a6b6d617267696e2e706f732e7632n;
export const MAX_MARKETS = 14;
/** Markets per account in the default circuit instances. */
export const DEFAULT_MARKETS = 4;

export const CASH_OFFSET = 1n << BigInt(CASH_OFFSET_BITS);
/** Cash as the circuits' range check admits it: -2^127 <= c < 2^127. */
export const MIN_CASH = -CASH_OFFSET;
export const MAX_CASH = CASH_OFFSET - 1n;
export const MAX_PRICE = (1n << BigInt(PRICE_BITS)) - 1n;
export const MAX_SIZE = (1n << BigInt(SIZE_BITS)) - 1n;
export const MAX_COST = (1n << BigInt(COST_BITS)) - 1n;
export const MAX_VALUE = (1n << BigInt(VALUE_BITS)) - 1n;
export const MAX_RATIO = BPS;
/** Sizes have 10 decimals: size x price (8 decimals) is in value units (1e-18 of the quote). */
export const SIZE_DECIMALS = 10;
export const VALUE_DECIMALS = 18;
export const PRICE_DECIMALS = 8;
