/**
 * Encodings the contracts, the prover and the keeper share: the field the proofs live in, the proof
 * context (what binds a proof to one chain, deployment, account and challenge or state), and the packed
 * price word the registry stores and emits.
 */
import { AbiCoder, keccak256 } from "ethers";

/** BN254 scalar field modulus: every circuit value lives below it. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** The entry point a proof is made for (docs/protocol-v2.md section 4): part of its context. */
export enum Domain {
  /** Update, keyed by the account nonce. */
  Update = 1,
  /** Certificate submitted by prove(), keyed by the account nonce. */
  Prove = 2,
  /** Certificate submitted by respond(), keyed by the challenge nonce. */
  Respond = 3,
  /** Deleverage submitted by respondDeleverage(), keyed by the challenge nonce. */
  Deleverage = 4,
  /** Equity submitted by claim(), keyed by the liquidation nonce. */
  Claim = 5,
}

/**
 * ctx = keccak256(abi.encode(uint256 domain, uint256 chainId, address registry, address account,
 * uint256 nonce)) mod p. The domain keeps a proof made for one entry point from verifying at another
 * (a Certificate made for prove() does not answer a challenge). The contracts compute the same value.
 */
export function contextOf(domain: Domain, chainId: bigint, registry: string, account: string, nonce: bigint): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["uint256", "uint256", "address", "address", "uint256"],
    [BigInt(domain), chainId, registry, account, nonce],
  );
  return BigInt(keccak256(encoded)) % FIELD_MODULUS;
}

/** Prices in one packed word (contracts/registry/PublicInputs.sol pack/unpack). */
export const PACKED_PRICES = 4;
const PRICE_SLOT_BITS = 64n;
const PRICE_SLOT_MASK = (1n << PRICE_SLOT_BITS) - 1n;

/** Up to four 64-bit prices in one word, the first in the lowest bits (PublicInputs.pack). */
export function packPrices(prices: readonly bigint[]): bigint {
  if (prices.length > PACKED_PRICES) throw new RangeError(`at most ${PACKED_PRICES} prices fit one word`);
  return prices.reduce((word, p, j) => {
    if (p < 0n || p > PRICE_SLOT_MASK) throw new RangeError(`price ${j} = ${p} does not fit 64 bits`);
    return word | (p << (PRICE_SLOT_BITS * BigInt(j)));
  }, 0n);
}

/** The four prices of a packed word (PublicInputs.unpack). */
export function unpackPrices(word: bigint): bigint[] {
  return Array.from({ length: PACKED_PRICES }, (_, j) => (word >> (PRICE_SLOT_BITS * BigInt(j))) & PRICE_SLOT_MASK);
}
