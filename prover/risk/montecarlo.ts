/**
 * Monte Carlo breach probabilities of a cross-margined portfolio over correlated log-normal moves.
 *
 * Model: each factor f (market or collateral price) follows dX_f / X_f = sigma_f dW_f with
 * corr(dW_f, dW_g) = rho_fg and no drift, so that every price is a martingale (E[X_f(t)] = X_f(0)): over a
 * step dt the log-price moves by -sigma_f^2 dt / 2 + sigma_f sqrt(dt) (L z)_f, with L the Cholesky factor
 * of the correlation matrix and z independent standard normals. The -sigma^2/2 term is that convention,
 * not a forecast: over a day it is 1e-4 for an 80 % volatility, far inside the error of sigma itself.
 *
 * Breach: Slack = Equity - Maintenance < 0 (portfolio.ts), evaluated exactly (not linearised) on each
 * simulated price vector.
 *  - at the horizon h: the fraction of paths with Slack(h) < 0;
 *  - with `monitoringSteps` n >= 1, also at any of the n times h k / n (k = 1..n, the last is h): a
 *    discretely monitored breach, as a keeper checking n times would see it. It is at least the at-horizon
 *    figure and approaches the continuously monitored one from below as n grows (bias of order
 *    1 / sqrt(n); Broadie, Glasserman and Kou 1997).
 * All horizons share each path (one Brownian path per sample, stepped through the sorted union of every
 * horizon's times), so the figures of different horizons are consistent with each other.
 *
 * Random numbers: prng.ts (xoshiro128**, SplitMix64 seeding, Box-Muller); per path, per time step, one
 * normal per moving factor, in factor order. The same portfolio, options and seed give bit-identical results.
 * Factors with no volatility or no weight in the slack are constants and draw nothing.
 *
 * Error: paths are independent, so each estimate is binomial: stats.ts gives its standard error, Wilson's
 * 95 % interval and the paths a target error needs.
 */
import { choleskyOf } from "./correlation";
import { RiskError, RiskErrorCode, requireInteger, requirePositive } from "./errors";
import { type Portfolio, linearSlack } from "./portfolio";
import { Xoshiro128ss } from "./prng";
import { type BreachEstimate, type ErrorTarget, estimate, pathsNeeded, planningProbability } from "./stats";

export const HOUR = 3_600;
export const DAY = 86_400;
export const DEFAULT_HORIZONS: readonly number[] = [HOUR, DAY];
export const DEFAULT_PATHS = 10_000;
/** The seed used when none is given (results are reproducible either way). */
export const DEFAULT_SEED = 1n;
export const DEFAULT_TARGET: ErrorTarget = { standardError: 0.001 };
/** Each path keeps one bit per horizon. */
export const MAX_HORIZONS = 32;
export const MAX_MONITORING_STEPS = 100_000;
export const GENERATOR = "xoshiro128** (SplitMix64 seeding), Box-Muller normals";

export interface SimulationOptions {
  /** Horizons in seconds, distinct, > 0 (default: 1 h and 24 h). Results keep this order. */
  readonly horizonsSeconds?: readonly number[];
  /** Independent paths (default 10,000). */
  readonly paths?: number;
  /** 0 <= seed < 2^64 (default DEFAULT_SEED). */
  readonly seed?: bigint | number;
  /** n >= 1: also report a breach at any of n equally spaced times up to each horizon (default 0: off). */
  readonly monitoringSteps?: number;
  /** The error `pathsForTarget` plans for (default: a standard error of 0.001). */
  readonly target?: ErrorTarget;
}

export interface HorizonBreach {
  readonly horizonSeconds: number;
  /** P(Slack(h) < 0). */
  readonly atHorizon: BreachEstimate;
  /** P(Slack(h k / n) < 0 for some k = 1..n), when monitoringSteps = n >= 1. */
  readonly anyStep?: BreachEstimate & { readonly steps: number };
  /** Paths for the at-horizon estimate to reach the target error (planned with stats.planningProbability). */
  readonly pathsForTarget: number;
}

export interface Simulation {
  readonly horizons: readonly HorizonBreach[];
  readonly paths: number;
  /** The seed, as a decimal string (JSON has no bigint). */
  readonly seed: string;
  readonly generator: string;
  /** Factors that moved (volatility > 0 and a weight in the slack), by name. */
  readonly movingFactors: readonly string[];
}

interface Grid {
  /** Per step: the step's standard deviation and drift, per moving factor (flat, step-major). */
  readonly sd: Float64Array;
  readonly drift: Float64Array;
  /** Per step: the bits of the horizons that monitor this time. */
  readonly monitors: Uint32Array;
  /** Per step: the index (in the caller's order) of the horizon that ends here, or -1. */
  readonly endsHorizon: Int32Array;
  readonly steps: number;
}

export function requireHorizons(horizons: readonly number[]): void {
  if (!Array.isArray(horizons) || horizons.length === 0) {
    throw new RiskError(RiskErrorCode.BadShape, "give at least one horizon (in seconds)");
  }
  if (horizons.length > MAX_HORIZONS) {
    throw new RiskError(RiskErrorCode.BadShape, `at most ${MAX_HORIZONS} horizons at once, got ${horizons.length}`);
  }
  horizons.forEach((h) => requirePositive("a horizon (in seconds)", h));
  if (new Set(horizons).size !== horizons.length) {
    throw new RiskError(RiskErrorCode.BadValue, `the horizons must be distinct, got ${horizons.join(", ")} s`);
  }
}

function buildGrid(horizons: readonly number[], monitoringSteps: number, sigmas: Float64Array): Grid {
  const times = new Map<number, { monitors: number; ends: number }>();
  const at = (t: number) => {
    let e = times.get(t);
    if (!e) times.set(t, (e = { monitors: 0, ends: -1 }));
    return e;
  };
  horizons.forEach((h, i) => {
    at(h).ends = i;
    for (let k = 1; k <= monitoringSteps; k++)
      at(k === monitoringSteps ? h : (h * k) / monitoringSteps).monitors |= 1 << i;
  });
  const sorted = [...times.keys()].sort((a, b) => a - b);
  const n = sigmas.length;
  const G = sorted.length;
  const sd = new Float64Array(G * n);
  const drift = new Float64Array(G * n);
  const monitors = new Uint32Array(G);
  const endsHorizon = new Int32Array(G);
  let prev = 0;
  sorted.forEach((t, g) => {
    const dt = t - prev;
    prev = t;
    for (let f = 0; f < n; f++) {
      sd[g * n + f] = sigmas[f] * Math.sqrt(dt);
      drift[g * n + f] = -0.5 * sigmas[f] * sigmas[f] * dt;
    }
    const e = times.get(t)!;
    monitors[g] = e.monitors;
    endsHorizon[g] = e.ends;
  });
  return { sd, drift, monitors, endsHorizon, steps: G };
}

/** Breach probabilities of `portfolio` at each horizon (and, optionally, at any monitoring time before it). */
export function simulateBreach(portfolio: Portfolio, options: SimulationOptions = {}): Simulation {
  const horizons = options.horizonsSeconds ?? DEFAULT_HORIZONS;
  requireHorizons(horizons);
  const paths = options.paths ?? DEFAULT_PATHS;
  requireInteger("the number of paths", paths, 1, 1e9);
  const steps = options.monitoringSteps ?? 0;
  requireInteger("the number of monitoring steps", steps, 0, MAX_MONITORING_STEPS);
  const seed = options.seed ?? DEFAULT_SEED;
  const rng = new Xoshiro128ss(seed);
  const target = options.target ?? DEFAULT_TARGET;

  const slack = linearSlack(portfolio);
  const moving: number[] = [];
  let constant = slack.constant;
  slack.factors.forEach((f, i) => {
    if (f.sigma > 0 && f.weight !== 0) moving.push(i);
    else constant += f.weight * f.price;
  });
  const n = moving.length;
  const L = choleskyOf(
    slack.correlation,
    slack.factors.map((f) => f.name),
    moving,
  ).lower;
  const sigmas = Float64Array.from(moving, (i) => slack.factors[i].sigma);
  /** Each moving factor's slack at its current price: Slack = constant + sum_f c_f exp(x_f). */
  const c = Float64Array.from(moving, (i) => slack.factors[i].weight * slack.factors[i].price);
  const grid = buildGrid(horizons, steps, sigmas);
  const H = horizons.length;
  const atCount = new Float64Array(H);
  const anyCount = new Float64Array(H);

  const { sd, drift, monitors, endsHorizon } = grid;
  const G = grid.steps;
  const x = new Float64Array(n); // log(X_f(t) / X_f(0))
  const z = new Float64Array(n);
  for (let path = 0; path < paths; path++) {
    for (let f = 0; f < n; f++) x[f] = 0;
    let hit = 0;
    for (let g = 0; g < G; g++) {
      for (let f = 0; f < n; f++) z[f] = rng.nextNormal();
      const off = g * n;
      let s = constant;
      for (let f = 0; f < n; f++) {
        const row = f * n;
        let e = 0;
        for (let k = 0; k <= f; k++) e += L[row + k] * z[k];
        const xf = x[f] + drift[off + f] + sd[off + f] * e;
        x[f] = xf;
        s += c[f] * Math.exp(xf);
      }
      if (s < 0) {
        hit |= monitors[g];
        const h = endsHorizon[g];
        if (h >= 0) atCount[h]++;
      }
    }
    if (hit !== 0) for (let h = 0; h < H; h++) if ((hit >>> h) & 1) anyCount[h]++;
  }

  return {
    horizons: horizons.map((h, i) => {
      const atHorizon = estimate(atCount[i], paths);
      return {
        horizonSeconds: h,
        atHorizon,
        ...(steps > 0 ? { anyStep: { ...estimate(anyCount[i], paths), steps } } : {}),
        pathsForTarget: pathsNeeded(planningProbability(atHorizon), target),
      };
    }),
    paths,
    seed: BigInt(seed).toString(),
    generator: GENERATOR,
    movingFactors: moving.map((i) => slack.factors[i].name),
  };
}
