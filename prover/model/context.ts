import { hashFields } from "./hash";

/** The proof context (core/encoding.ts), part of the model's API. */
export { contextOf } from "../../core/encoding";

/** Poseidon over a list of prices or ratios (the registry stores the ratios' hash when they are set). */
export function listHash(values: readonly bigint[]): bigint {
  return hashFields(values);
}

/** Solvency's snapshotHash = Poseidon(context, Poseidon(price_1..price_M), Poseidon(ratio_1..ratio_M)). */
export function snapshotHash(context: bigint, prices: readonly bigint[], ratios: readonly bigint[]): bigint {
  if (prices.length !== ratios.length) throw new RangeError("prices and ratios differ in length");
  return hashFields([context, listHash(prices), listHash(ratios)]);
}
