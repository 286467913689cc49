import { FIELD_MODULUS } from "./constants";

/** Reduces any integer into [0, p). */
export function mod(x: bigint): bigint {
  const r = x % FIELD_MODULUS;
  return r < 0n ? r + FIELD_MODULUS : r;
}

/** Encodes a signed value as a field element (negative x becomes p - |x|). */
export function signedToField(x: bigint): bigint {
  return mod(x);
}

/** Decodes a field element holding a signed value of magnitude < 2^bits. */
export function fieldToSigned(x: bigint, bits = 200): bigint {
  const bound = 1n << BigInt(bits);
  if (x < bound) return x;
  if (x > FIELD_MODULUS - bound && x < FIELD_MODULUS) return x - FIELD_MODULUS;
  throw new RangeError(`field element ${x} does not encode a signed value below 2^${bits}`);
}
