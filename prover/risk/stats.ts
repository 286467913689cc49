/**
 * Statistics of a Monte Carlo breach estimate: the standard normal CDF (for the closed form), the
 * binomial standard error, Wilson's score interval and the number of paths a target error needs.
 */
import { RiskError, RiskErrorCode, requireInteger, requirePositive } from "./errors";

/** The two-sided 95 % standard normal quantile, Phi^-1(0.975). */
export const Z95 = 1.959963984540054;

/**
 * The standard normal CDF Phi(x), by Hart's rational approximation 5666 as given by G. West, "Better
 * approximations to cumulative normal functions" (2005): absolute error below 1e-15 over the real line
 * and relative error below 1e-7 in the lower tail (computed directly, with no 1 - x cancellation), checked
 * against the C library's erfc in test/prover/risk-stats.test.ts.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let tail: number;
  if (a > 37) {
    tail = 0;
  } else {
    const e = Math.exp((-a * a) / 2);
    if (a < 7.07106781186547) {
      let n = 3.52624965998911e-2 * a + 0.700383064443688;
      n = n * a + 6.37396220353165;
      n = n * a + 33.912866078383;
      n = n * a + 112.079291497871;
      n = n * a + 221.213596169931;
      n = n * a + 220.206867912376;
      let d = 8.83883476483184e-2 * a + 1.75566716318264;
      d = d * a + 16.064177579207;
      d = d * a + 86.7807322029461;
      d = d * a + 296.564248779674;
      d = d * a + 637.333633378831;
      d = d * a + 793.826512519948;
      d = d * a + 440.413735824752;
      tail = (e * n) / d;
    } else {
      let b = a + 0.65;
      b = a + 4 / b;
      b = a + 3 / b;
      b = a + 2 / b;
      b = a + 1 / b;
      tail = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

/** A breach probability estimated from `breaches` of `paths` independent paths. */
export interface BreachEstimate {
  /** p^ = breaches / paths. */
  readonly probability: number;
  readonly breaches: number;
  readonly paths: number;
  /** The binomial standard error sqrt(p^ (1 - p^) / paths); 0 when no path (or every path) breached. */
  readonly standardError: number;
  /** Wilson's 95 % score interval [low, high]: never empty, and informative when p^ is 0 or 1. */
  readonly interval95: readonly [number, number];
}

export function estimate(breaches: number, paths: number): BreachEstimate {
  requireInteger("the number of paths", paths, 1);
  requireInteger("the number of breaches", breaches, 0, paths);
  const p = breaches / paths;
  return {
    probability: p,
    breaches,
    paths,
    standardError: Math.sqrt((p * (1 - p)) / paths),
    interval95: wilsonInterval(breaches, paths),
  };
}

/**
 * Wilson's score interval for a binomial proportion: centre (p + z^2/2n) / (1 + z^2/n), half-width
 * z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2/n). Clamped to [0, 1] against rounding.
 */
export function wilsonInterval(breaches: number, paths: number, z = Z95): [number, number] {
  requireInteger("the number of paths", paths, 1);
  requireInteger("the number of breaches", breaches, 0, paths);
  requirePositive("the normal quantile z", z);
  const n = paths;
  const p = breaches / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [breaches === 0 ? 0 : Math.max(0, centre - half), breaches === n ? 1 : Math.min(1, centre + half)];
}

/** What a run should reach: an absolute standard error, or one relative to the probability. */
export type ErrorTarget = { readonly standardError: number } | { readonly relativeError: number };

/**
 * The paths needed so that the standard error of an estimate of `probability` is at most the target:
 * n = p (1 - p) / se^2 (absolute) or n = (1 - p) / (p r^2) (relative, se = r p), rounded up. For a
 * planning figure after a run whose p^ is 0 or 1, pass the nearer end of its Wilson interval instead (a
 * probability of exactly 0 needs no paths for an absolute target and infinitely many for a relative one).
 */
export function pathsNeeded(probability: number, target: ErrorTarget): number {
  if (!(probability >= 0 && probability <= 1)) {
    throw new RiskError(RiskErrorCode.BadValue, `a probability must be between 0 and 1, got ${probability}`);
  }
  const v = probability * (1 - probability);
  if ("standardError" in target) {
    requirePositive("the target standard error", target.standardError);
    return Math.ceil(v / (target.standardError * target.standardError));
  }
  requirePositive("the target relative error", target.relativeError);
  if (probability === 0) return Infinity;
  return Math.ceil((1 - probability) / (probability * target.relativeError * target.relativeError));
}

/**
 * The p to plan with after a run: p^ itself when some but not all paths breached, else the Wilson bound
 * on the open side (so "no breach in 10,000 paths" plans for p = 3.8e-4, not for p = 0).
 */
export function planningProbability(e: BreachEstimate): number {
  if (e.breaches === 0) return e.interval95[1];
  if (e.breaches === e.paths) return e.interval95[0];
  return e.probability;
}
