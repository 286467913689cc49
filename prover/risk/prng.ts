/**
 * The simulation's random numbers: seeded, reproducible on every platform (32-bit integer arithmetic
 * only: Math.imul, shifts, xor; no Math.random).
 *
 * - Generator: xoshiro128** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
 *   128-bit state, period 2^128 - 1.
 * - Seeding: the seed (an integer 0 <= seed < 2^64) goes through SplitMix64, as the authors advise; its
 *   first two outputs, split low word first, are the four state words.
 * - Uniforms: 53-bit doubles from two outputs, (a >>> 5) * 2^26 + (b >>> 6), over 2^53, in [0, 1).
 * - Normals: Box-Muller (basic form), u1 in (0, 1] and u2 in [0, 1): both z0 = r cos(theta) and
 *   z1 = r sin(theta) are used, in that order, so each pair of normals costs four generator outputs.
 */
import { RiskError, RiskErrorCode } from "./errors";

const MASK64 = (1n << 64n) - 1n;
const TWO_POW_M53 = 1 / 9007199254740992;
const TWO_PI = 2 * Math.PI;

/** SplitMix64's next output from `state` (returns [output, next state]). */
function splitMix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [z ^ (z >> 31n), next];
}

/** The four xoshiro128** state words a seed expands to (SplitMix64, low word first). */
export function seedState(seed: bigint | number): [number, number, number, number] {
  const s = typeof seed === "number" ? BigInt(requireSeedNumber(seed)) : seed;
  if (s < 0n || s > MASK64) {
    throw new RiskError(RiskErrorCode.BadValue, `the seed must be an integer from 0 to 2^64 - 1, got ${s}`);
  }
  const [a, st] = splitMix64(s);
  const [b] = splitMix64(st);
  const words: [number, number, number, number] = [
    Number(a & 0xffffffffn),
    Number(a >> 32n),
    Number(b & 0xffffffffn),
    Number(b >> 32n),
  ];
  // SplitMix64 is a bijection of its counter, so two consecutive outputs are never both zero; kept as a guard.
  if (words.every((w) => w === 0)) throw new RiskError(RiskErrorCode.BadValue, "the seed gives an all-zero state");
  return words;
}

function requireSeedNumber(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RiskError(RiskErrorCode.BadValue, `the seed must be a whole number >= 0, got ${String(seed)}`);
  }
  return seed;
}

/** xoshiro128** with a Box-Muller normal sampler on top. Not for cryptographic use. */
export class Xoshiro128ss {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;

  /** From a seed (expanded by SplitMix64), or from four explicit state words (not all zero). */
  constructor(seed: bigint | number | readonly [number, number, number, number]) {
    const w = typeof seed === "bigint" || typeof seed === "number" ? seedState(seed) : seed;
    if (w.length !== 4 || w.every((x) => (x | 0) === 0)) {
      throw new RiskError(RiskErrorCode.BadValue, "the generator needs four state words, not all zero");
    }
    this.s0 = w[0] | 0;
    this.s1 = w[1] | 0;
    this.s2 = w[2] | 0;
    this.s3 = w[3] | 0;
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * TWO_POW_M53;
  }

  /** A standard normal variate (Box-Muller; the second of each pair is kept for the next call). */
  nextNormal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const u1 = 1 - this.nextDouble(); // (0, 1]: the logarithm stays finite
    const u2 = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = TWO_PI * u2;
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }
}
