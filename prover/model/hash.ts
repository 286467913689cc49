import * as poseidon from "poseidon-lite";

type PoseidonFn = (inputs: bigint[]) => bigint;

function poseidonN(n: number): PoseidonFn {
  const fn = (poseidon as unknown as Record<string, PoseidonFn>)[`poseidon${n}`];
  if (!fn) throw new RangeError(`no Poseidon with ${n} inputs`);
  return fn;
}

/**
 * Poseidon over 1..31 field elements, as HashFields(n) in circuits/lib/hash.circom:
 * one Poseidon(n) up to 16 elements, else Poseidon(16) then Poseidon over [digest, rest].
 */
export function hashFields(values: readonly bigint[]): bigint {
  const n = values.length;
  if (n < 1 || n > 31) throw new RangeError(`hashFields takes 1..31 elements, got ${n}`);
  if (n <= 16) return poseidonN(n)([...values]);
  const first = poseidonN(16)(values.slice(0, 16));
  return poseidonN(n - 15)([first, ...values.slice(16)]);
}
