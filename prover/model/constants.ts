/**
 * Protocol constants shared with the circuits (circuits/lib/constants.circom).
 * test/circuits/bounds.test.ts checks that the two stay in step and that no sum reaches p.
 */

/** BN254 scalar field modulus: every circuit value lives below it (core/encoding.ts). */
export { FIELD_MODULUS } from "../../core/encoding";

export const PRICE_BITS = 64;
export const SIZE_BITS = 96;
export const COST_BITS = 156;
export const VALUE_BITS = 128;
export const RATIO_BITS = 14;
export const MARGIN_BITS = 200;
export const BPS = 10_000n;
/** ASCII "zkmargin.pos.v1". */
export const POSITION_TAG = 0x7a6b6d617267696e2e706f732e7631n;
export const MAX_MARKETS = 14;
/** Markets per account in the default circuit instances. */
export const DEFAULT_MARKETS = 4;

export const MAX_PRICE = (1n << BigInt(PRICE_BITS)) - 1n;
export const MAX_SIZE = (1n << BigInt(SIZE_BITS)) - 1n;
export const MAX_COST = (1n << BigInt(COST_BITS)) - 1n;
export const MAX_VALUE = (1n << BigInt(VALUE_BITS)) - 1n;
export const MAX_RATIO = BPS;
/** Sizes have 10 decimals: size x price (8 decimals) is in value units (1e-18 of the quote). */
export const SIZE_DECIMALS = 10;
export const VALUE_DECIMALS = 18;
export const PRICE_DECIMALS = 8;
