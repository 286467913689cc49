import { AbiCoder, keccak256 } from "ethers";
import { FIELD_MODULUS } from "./constants";
import { hashFields } from "./hash";

/**
 * Context = keccak256(abi.encode(chainId, registry, account, id)) mod p, where id is the challenge id
 * (Solvency, Equity) or the account's state nonce (Update). The contracts compute the same value.
 */
export function contextOf(chainId: bigint, registry: string, account: string, id: bigint): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["uint256", "address", "address", "uint256"],
    [chainId, registry, account, id],
  );
  return BigInt(keccak256(encoded)) % FIELD_MODULUS;
}

/** Poseidon over a list of prices or ratios (the registry stores the ratios' hash when they are set). */
export function listHash(values: readonly bigint[]): bigint {
  return hashFields(values);
}

/** Solvency's snapshotHash = Poseidon(context, Poseidon(price_1..price_M), Poseidon(ratio_1..ratio_M)). */
export function snapshotHash(context: bigint, prices: readonly bigint[], ratios: readonly bigint[]): bigint {
  if (prices.length !== ratios.length) throw new RangeError("prices and ratios differ in length");
  return hashFields([context, listHash(prices), listHash(ratios)]);
}
