/**
 * The keeper's decisions, as pure functions over the in-memory index (no I/O, unit-tested):
 * - scan: one pass over every account; challenge candidates by the registry's rule (keeper/rule.ts) on
 *   the latest certificate, liquidation candidates by the pinned deadline (pauses included);
 * - rank: every candidate gets its expected profit (bounty at current prices - its share of the gas, in
 *   value units) BEFORE any per-round bound, so unprofitable ones (dust) never take a profitable one's
 *   place; the estimate uses the collateral the events show, the lens' exact value decides at the end;
 * - select: the best confirmed candidates, within the bond cap and the per-round bound, in batches.
 */
import type { AccountRecord, AccountsView, Cert, ChallengeRecord, Incentives, Timing } from "./index/types";
import {
  type ChallengeReason,
  type Market,
  bountyBps,
  bountyValue,
  challengeReason,
  collateralValue,
  deadlineOf,
} from "./rule";

export interface Economics {
  /** Expected price per gas unit (wei). */
  readonly gasPriceWei: bigint;
  readonly challengeBaseGas: bigint;
  readonly challengeGasPerAccount: bigint;
  readonly liquidateBaseGas: bigint;
  readonly liquidateGasPerAccount: bigint;
  /** Value units per wei (= price of 1 ETH in the quote currency). */
  readonly ethPriceInQuote: bigint;
  /** Minimum net gain of one account's action (value units). */
  readonly minProfitValue: bigint;
  readonly batchSize: number;
}

export interface ChallengeCandidate {
  readonly account: string;
  readonly cert: Cert;
  readonly reason: ChallengeReason;
  /** Collateral value: the events' estimate, or the lens' exact value once checked. */
  readonly value: bigint;
  /** Expected bounty - gas share (value units). */
  readonly profit: bigint;
}

export interface LiquidationCandidate {
  readonly account: string;
  readonly record: ChallengeRecord;
  readonly ours: boolean;
  readonly deadline: bigint;
  readonly value: bigint;
  readonly profit: bigint;
}

export interface ScanContext {
  /** Current prices, ratios and haircuts; undefined when the oracle read failed (nothing can be acted on). */
  readonly market: Market | undefined;
  readonly now: bigint;
  readonly me: string | undefined;
  readonly timing: Timing;
  readonly incentives: Incentives;
  readonly paused: boolean;
  readonly pauseClock: bigint;
  readonly econ: Economics;
  /** True for accounts to leave alone this round (cool-down after a refusal). */
  readonly coolingDown?: (account: string, nonce: bigint) => boolean;
}

export interface Counts {
  accounts: number;
  active: number;
  challenged: number;
  liquidated: number;
  closed: number;
  challengeable: number;
  due: number;
  unprofitable: number;
}

export interface Scan {
  /** Profitable by estimate, best first. */
  readonly challenge: ChallengeCandidate[];
  readonly liquidate: LiquidationCandidate[];
  readonly ourOpenChallenges: number;
  readonly counts: Counts;
  /** Expected profit of everything actionable (value units), for the dry run and status. */
  readonly expectedProfit: bigint;
}

const gasValue = (gas: bigint, e: Economics): bigint => gas * e.gasPriceWei * e.ethPriceInQuote;

/** Gas share of one account in a full batch (base / batchSize + per account). */
function share(base: bigint, per: bigint, e: Economics): bigint {
  return base / BigInt(Math.max(1, e.batchSize)) + per;
}

/**
 * Expected profit of challenging collateral worth `value`: the bounty we would get liquidating it at
 * the minimum rate (within our exclusive period), less the gas of the challenge and of the liquidation.
 * (Whether the owner answers cannot be known: positions are private. The bond cap bounds that risk.)
 */
export function challengeProfit(value: bigint, inc: Incentives, e: Economics): bigint {
  const gas =
    share(e.challengeBaseGas, e.challengeGasPerAccount, e) + share(e.liquidateBaseGas, e.liquidateGasPerAccount, e);
  return bountyValue(value, inc.bountyMinBps, inc) - gasValue(gas, e);
}

/** Expected profit of liquidating collateral worth `value` now. */
export function liquidationProfit(
  value: bigint,
  r: ChallengeRecord,
  deadline: bigint,
  now: bigint,
  t: Timing,
  inc: Incentives,
  e: Economics,
): bigint {
  const bps = bountyBps(inc, deadline + r.exclusivePeriod, t.bountyRamp, now);
  return bountyValue(value, bps, inc) - gasValue(share(e.liquidateBaseGas, e.liquidateGasPerAccount, e), e);
}

function byProfit<T extends { profit: bigint; account: string }>(a: T, b: T): number {
  if (a.profit !== b.profit) return a.profit > b.profit ? -1 : 1;
  return a.account < b.account ? -1 : a.account > b.account ? 1 : 0;
}

/** One pass over every indexed account, no I/O: candidates with their expected profit, best first. */
export function scan(view: AccountsView, ctx: ScanContext): Scan {
  const challenge: ChallengeCandidate[] = [];
  const liquidate: LiquidationCandidate[] = [];
  const counts: Counts = {
    accounts: 0,
    active: 0,
    challenged: 0,
    liquidated: 0,
    closed: 0,
    challengeable: 0,
    due: 0,
    unprofitable: 0,
  };
  let ourOpenChallenges = 0;
  let expectedProfit = 0n;
  const me = ctx.me?.toLowerCase();
  const m = ctx.market;
  const { now, econ: e, incentives: inc, timing: t } = ctx;
  for (const [account, r] of view.entries()) {
    counts.accounts++;
    if (r.status === "liquidated") counts.liquidated++;
    else if (r.status === "closed") counts.closed++;
    else counts.active++;
    if (r.status !== "active") continue;
    const ch = r.challenge;
    if (ch !== undefined) {
      counts.challenged++;
      const ours = me !== undefined && ch.challenger.toLowerCase() === me;
      if (ours) ourOpenChallenges++;
      const deadline = deadlineOf(ch, now, ctx.pauseClock, 0n);
      if (now <= deadline + (ours ? 0n : ch.exclusivePeriod)) continue;
      counts.due++;
      if (m === undefined || ctx.paused || ctx.coolingDown?.(account, r.nonce)) continue;
      const value = estimate(r, m);
      const profit = liquidationProfit(value, ch, deadline, now, t, inc, e);
      if (profit < e.minProfitValue) {
        counts.unprofitable++;
        if (r.approx === true) liquidate.push({ account, record: ch, ours, deadline, value, profit });
        continue;
      }
      expectedProfit += profit;
      liquidate.push({ account, record: ch, ours, deadline, value, profit });
      continue;
    }
    if (m === undefined || r.cert === undefined) continue;
    const reason = challengeReason(r.cert, now, t.freshness, m);
    if (reason === undefined) continue;
    counts.challengeable++;
    if (ctx.paused || ctx.coolingDown?.(account, r.nonce)) continue;
    const value = estimate(r, m);
    const profit = challengeProfit(value, inc, e);
    if (profit < e.minProfitValue) {
      counts.unprofitable++;
      // an estimate (a settlement or fee moved collateral by an amount events do not give) may hide a
      // valuable account: it stays a candidate, ranked by its estimate (after every profitable one), and
      // the lens' exact value decides if the round's lens budget reaches it
      if (r.approx === true) challenge.push({ account, cert: r.cert, reason, value, profit });
      continue;
    }
    expectedProfit += profit;
    challenge.push({ account, cert: r.cert, reason, value, profit });
  }
  challenge.sort(byProfit);
  liquidate.sort(byProfit);
  return { challenge, liquidate, ourOpenChallenges, counts, expectedProfit };
}

/** The events' collateral value (an estimate after a settlement or fee: the lens' value decides). */
function estimate(r: AccountRecord, m: Market): bigint {
  return collateralValue(r.balances, m);
}

/** How many more challenges the bond cap allows. */
export function bondCapacity(ourOpenChallenges: number, bond: bigint, maxBondsAtRiskWei: bigint): number {
  if (bond <= 0n) return Number.MAX_SAFE_INTEGER;
  const atRisk = BigInt(ourOpenChallenges) * bond;
  if (atRisk >= maxBondsAtRiskWei) return 0;
  const n = (maxBondsAtRiskWei - atRisk) / bond;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** Splits a ranked list into batches of at most batchSize. */
export function batches<T>(items: readonly T[], batchSize: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += batchSize) out.push(items.slice(i, i + batchSize));
  return out;
}

/**
 * Re-ranks candidates with the lens' exact values: drops those the lens says are not challengeable
 * (returned as `refused`) and those no longer profitable, best first.
 */
export function confirmChallenges(
  checked: readonly ChallengeCandidate[],
  flags: readonly boolean[],
  values: readonly bigint[],
  inc: Incentives,
  e: Economics,
): { ok: ChallengeCandidate[]; refused: string[]; unprofitable: string[] } {
  const ok: ChallengeCandidate[] = [];
  const refused: string[] = [];
  const unprofitable: string[] = [];
  checked.forEach((c, k) => {
    if (!flags[k]) return void refused.push(c.account);
    const profit = challengeProfit(values[k], inc, e);
    if (profit < e.minProfitValue) return void unprofitable.push(c.account);
    ok.push({ ...c, value: values[k], profit });
  });
  ok.sort(byProfit);
  return { ok, refused, unprofitable };
}

export function confirmLiquidations(
  checked: readonly LiquidationCandidate[],
  values: readonly bigint[],
  now: bigint,
  t: Timing,
  inc: Incentives,
  e: Economics,
): { ok: LiquidationCandidate[]; unprofitable: string[] } {
  const ok: LiquidationCandidate[] = [];
  const unprofitable: string[] = [];
  checked.forEach((c, k) => {
    const profit = liquidationProfit(values[k], c.record, c.deadline, now, t, inc, e);
    if (profit < e.minProfitValue) return void unprofitable.push(c.account);
    ok.push({ ...c, value: values[k], profit });
  });
  ok.sort(byProfit);
  return { ok, unprofitable };
}
