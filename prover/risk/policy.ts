/**
 * What to do about a breach probability: a pure function of the probabilities and the policy, for the
 * daemon's config (warn at p1, top up from the wallet at p2 up to a cap, reduce to a target margin at p3).
 *
 * Rule: per horizon, the level is the highest threshold p(h) reaches (p >= reduce: reduce; >= topUp: top
 * up; >= warn: warn); the action is the highest level over the horizons, and the trigger is the horizon
 * with the highest probability at that level (the first such in the caller's order). Pass the Wilson
 * upper bound instead of p^ to act on the pessimistic end of the Monte Carlo error.
 *
 * Margin usage, as exchanges define it: maintenance / equity (1 = at maintenance; >= 1 or equity <= 0 is a
 * breach). Given the account's current equity and maintenance (quote units):
 *  - reduce: the fraction f of every position to close at mark so that usage falls to the target,
 *    f = 1 - target x equity / maintenance (closing at mark leaves equity unchanged, fees aside, and scales
 *    maintenance by 1 - f), clamped to [0, 1]; 1 when equity <= 0;
 *  - top-up: the deposit D with maintenance / (equity + D) = target, D = maintenance / target - equity,
 *    at least 0 and at most the cap.
 */
import { RiskError, RiskErrorCode, requireFinite, requireNonNegative } from "./errors";

export type RiskAction = "none" | "warn" | "top-up" | "reduce";

/** p1 < p2 < p3: probabilities in (0, 1]. */
export interface Thresholds {
  readonly warn: number;
  readonly topUp: number;
  readonly reduce: number;
}

export interface RiskPolicy {
  /** Thresholds for every horizon without its own. */
  readonly thresholds: Thresholds;
  /** Thresholds for particular horizons (a 1 % chance within the hour is worse than within the day). */
  readonly byHorizon?: readonly (Thresholds & { readonly horizonSeconds: number })[];
  /** The margin usage (maintenance / equity) a reduce or top-up aims for, in (0, 1). */
  readonly targetMarginUsage: number;
  /** The largest top-up in quote units (default: no cap). */
  readonly topUpCap?: number;
}

export interface HorizonProbability {
  readonly horizonSeconds: number;
  readonly probability: number;
}

/** The account now, in quote units. */
export interface AccountMargin {
  readonly equity: number;
  readonly maintenance: number;
}

export interface RiskDecision {
  readonly action: RiskAction;
  /** What set the action; null for "none". */
  readonly trigger: {
    readonly horizonSeconds: number;
    readonly probability: number;
    readonly threshold: number;
  } | null;
  /** reduce and top-up: the margin usage to reach. */
  readonly targetMarginUsage?: number;
  /** reduce, with the account given: the fraction of every position to close, in [0, 1]. */
  readonly reduceFraction?: number;
  /** top-up, with the account given: the deposit in quote units (capped). */
  readonly topUpAmount?: number;
  /** top-up: true when the cap cut the deposit short of the target. */
  readonly topUpCapped?: boolean;
}

const LEVELS: readonly RiskAction[] = ["none", "warn", "top-up", "reduce"];

export function requireThresholds(what: string, t: Thresholds): void {
  for (const [k, v] of Object.entries({ warn: t.warn, topUp: t.topUp, reduce: t.reduce })) {
    requireFinite(`${what}: the ${k} threshold`, v);
  }
  if (!(t.warn > 0 && t.warn < t.topUp && t.topUp < t.reduce && t.reduce <= 1)) {
    throw new RiskError(
      RiskErrorCode.BadPolicy,
      `${what}: the thresholds must rise, 0 < warn < top-up < reduce <= 1; got warn ${t.warn}, top-up ${t.topUp}, reduce ${t.reduce}`,
    );
  }
}

export function requirePolicy(policy: RiskPolicy): void {
  requireThresholds("the policy", policy.thresholds);
  const seen = new Set<number>();
  for (const t of policy.byHorizon ?? []) {
    requireThresholds(`the policy for ${t.horizonSeconds} s`, t);
    if (seen.has(t.horizonSeconds)) {
      throw new RiskError(RiskErrorCode.BadPolicy, `the policy has two entries for ${t.horizonSeconds} s`);
    }
    seen.add(t.horizonSeconds);
  }
  requireFinite("the target margin usage", policy.targetMarginUsage);
  if (!(policy.targetMarginUsage > 0 && policy.targetMarginUsage < 1)) {
    throw new RiskError(
      RiskErrorCode.BadPolicy,
      `the target margin usage (maintenance / equity) must be between 0 and 1, got ${policy.targetMarginUsage}`,
    );
  }
  if (policy.topUpCap !== undefined && policy.topUpCap !== Infinity)
    requireNonNegative("the top-up cap", policy.topUpCap);
}

function level(p: number, t: Thresholds): number {
  if (p >= t.reduce) return 3;
  if (p >= t.topUp) return 2;
  if (p >= t.warn) return 1;
  return 0;
}

function thresholdOf(t: Thresholds, lvl: number): number {
  return lvl === 3 ? t.reduce : lvl === 2 ? t.topUp : t.warn;
}

/** The action the policy takes for these probabilities (and its size, when the account is given). */
export function decideAction(
  probabilities: readonly HorizonProbability[],
  policy: RiskPolicy,
  account?: AccountMargin,
): RiskDecision {
  requirePolicy(policy);
  if (account) {
    requireFinite("the equity", account.equity);
    requireNonNegative("the maintenance requirement", account.maintenance);
  }
  let best = 0;
  let trigger: RiskDecision["trigger"] = null;
  for (const { horizonSeconds, probability } of probabilities) {
    requireFinite(`the probability at ${horizonSeconds} s`, probability);
    if (probability < 0 || probability > 1) {
      throw new RiskError(
        RiskErrorCode.BadValue,
        `the probability at ${horizonSeconds} s must be in [0, 1], got ${probability}`,
      );
    }
    const t = policy.byHorizon?.find((b) => b.horizonSeconds === horizonSeconds) ?? policy.thresholds;
    const l = level(probability, t);
    if (l > 0 && (l > best || (l === best && trigger !== null && probability > trigger.probability))) {
      best = l;
      trigger = { horizonSeconds, probability, threshold: thresholdOf(t, l) };
    }
  }
  const action = LEVELS[best];
  if (action === "none" || action === "warn") return { action, trigger };
  const target = policy.targetMarginUsage;
  if (!account) return { action, trigger, targetMarginUsage: target };
  const { equity, maintenance } = account;
  if (action === "reduce") {
    const f = equity <= 0 ? 1 : maintenance === 0 ? 0 : 1 - (target * equity) / maintenance;
    return { action, trigger, targetMarginUsage: target, reduceFraction: Math.min(1, Math.max(0, f)) };
  }
  const needed = Math.max(0, maintenance / target - equity);
  const cap = policy.topUpCap ?? Infinity;
  return {
    action,
    trigger,
    targetMarginUsage: target,
    topUpAmount: Math.min(needed, cap),
    topUpCapped: needed > cap,
  };
}
