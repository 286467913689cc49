/**
 * Integer algebra of the privacy audit's attacks: exact division, the two-unknown linear Diophantine
 * equation x a + y b = A (two lots closed together), and how likely a solution is by chance, so the
 * audit calls a unique solution "exact" only when a coincidence is implausible.
 */

export function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

export function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** Extended Euclid on a, b >= 0: g = gcd(a, b) = a x + b y. */
export function egcd(a: bigint, b: bigint): { g: bigint; x: bigint; y: bigint } {
  let [r0, r1] = [a, b];
  let [s0, s1] = [1n, 0n];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return { g: r0, x: s0, y: t0 };
}

/** floor(a / b) for any signs (b != 0). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** ceil(a / b) for any signs (b != 0). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

/** Number of trailing decimal zeros of a (0 for a = 0). */
export function trailingZeros10(a: bigint): number {
  let x = abs(a);
  if (x === 0n) return 0;
  let z = 0;
  while (x % 10n === 0n) {
    x /= 10n;
    z++;
  }
  return z;
}

/** Significant decimal digits of a (the digits left once the trailing zeros are dropped). */
export function significantDigits(a: bigint): number {
  const x = abs(a);
  if (x === 0n) return 0;
  return x.toString().length - trailingZeros10(x);
}

/**
 * Probability that an integer shaped like `amount` (same trailing zeros, otherwise arbitrary) is a
 * multiple of `divisor`: gcd(divisor, 10^z) / |divisor|. A round amount is divisible by many round
 * divisors, so a solution found for it proves little.
 */
export function chanceDivisible(divisor: bigint, amount: bigint): number {
  const d = abs(divisor);
  if (d === 0n) return 0;
  const common = gcd(d, 10n ** BigInt(trailingZeros10(amount)));
  return Number(common) / Number(d);
}

export interface TwoLots {
  /** Solutions (x, y) with 1 <= x <= xMax, 1 <= y <= yMax (at most `limit` of them listed). */
  readonly solutions: Array<readonly [bigint, bigint]>;
  readonly count: bigint;
  /** Expected number of solutions for an amount of the same shape with no relation to a and b. */
  readonly expectedByChance: number;
}

/** The t interval of lo <= base + step t <= hi (step != 0), as [tLo, tHi] (empty when tLo > tHi). */
function tRange(base: bigint, step: bigint, lo: bigint, hi: bigint): [bigint, bigint] {
  return step > 0n
    ? [ceilDiv(lo - base, step), floorDiv(hi - base, step)]
    : [ceilDiv(hi - base, step), floorDiv(lo - base, step)];
}

/**
 * Solves x a + y b = A in integers 1 <= x <= xMax, 1 <= y <= yMax (a, b != 0): the general solution is
 * x = x0 + (b / g) t, y = y0 - (a / g) t with g = gcd(a, b), which must divide A.
 */
export function solveTwoLots(A: bigint, a: bigint, b: bigint, xMax: bigint, yMax: bigint, limit = 64): TwoLots {
  const none: TwoLots = { solutions: [], count: 0n, expectedByChance: 0 };
  if (a === 0n || b === 0n || xMax < 1n || yMax < 1n) return none;
  const expected = expectedTwoLots(A, a, b, xMax, yMax);
  const { g, x: ex, y: ey } = egcd(abs(a), abs(b));
  if (A % g !== 0n) return { ...none, expectedByChance: expected };
  const k = A / g;
  const x0 = ex * (a < 0n ? -1n : 1n) * k;
  const y0 = ey * (b < 0n ? -1n : 1n) * k;
  const sx = b / g; // x = x0 + sx t
  const sy = -a / g; // y = y0 + sy t
  const [t1, t2] = tRange(x0, sx, 1n, xMax);
  const [t3, t4] = tRange(y0, sy, 1n, yMax);
  const lo = t1 > t3 ? t1 : t3;
  const hi = t2 < t4 ? t2 : t4;
  if (lo > hi) return { ...none, expectedByChance: expected };
  const count = hi - lo + 1n;
  const solutions: Array<readonly [bigint, bigint]> = [];
  for (let t = lo; t <= hi && solutions.length < limit; t++) solutions.push([x0 + sx * t, y0 + sy * t]);
  return { solutions, count, expectedByChance: expected };
}

/**
 * Expected solutions of x a + y b = A' over the same box for an A' shaped like A: the length of the
 * segment of the line inside the box, in steps of |b| / g, times the chance that g divides A'.
 */
function expectedTwoLots(A: bigint, a: bigint, b: bigint, xMax: bigint, yMax: bigint): number {
  const g = gcd(a, b);
  const fa = Number(a);
  const fb = Number(b);
  const fA = Number(A);
  // y = (A - a x) / b in [1, yMax] for x in [1, xMax]
  const ya = (fA - fa) / fb;
  const yb = (fA - fa * Number(xMax)) / fb;
  const x1 = (fA - fb) / fa; // x where y = 1
  const x2 = (fA - fb * Number(yMax)) / fa; // x where y = yMax
  const [ylo, yhi] = ya < yb ? [ya, yb] : [yb, ya];
  if (yhi < 1 || ylo > Number(yMax)) return 0;
  const [xa, xb] = x1 < x2 ? [x1, x2] : [x2, x1];
  const lo = Math.max(1, xa);
  const hi = Math.min(Number(xMax), xb);
  if (hi < lo) return 0;
  return ((hi - lo) / (Math.abs(fb) / Number(g))) * chanceDivisible(g, A);
}
