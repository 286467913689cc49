/**
 * The keeper's decisions, as pure functions over the in-memory index (no I/O, unit-tested):
 * - challengeable: the registry's own rule (ZkMarginRegistry._challengeable): active, no open
 *   challenge, and either now > provenAt + freshness or some market moved beyond the band,
 *   |a - b| * 10000 > bandBps * b in integers;
 * - liquidatable: an open challenge past its deadline, and past deadline + exclusivePeriod when we are
 *   not the challenger;
 * - economics: bounty = min(pinnedValue * bountyBps / 1e4, bountyCap) (value units, 1e-18 quote) must
 *   beat the gas, valued at ethPriceInQuote value units per wei; bonds of our open challenges capped.
 */
import type { ProtocolParams } from "./chain/reader";
import type { AccountRecord, AccountsView } from "./index/types";

export const BPS = 10_000n;

/** The contract's band rule: |a - b| * 10000 > bandBps * b. */
export function movedBeyondBand(current: bigint, proven: bigint, bandBps: bigint): boolean {
  const diff = current > proven ? current - proven : proven - current;
  return diff * BPS > bandBps * proven;
}

/** Size of a move in basis points of the proven price (floor); a zero proven price counts as huge. */
export function moveBps(current: bigint, proven: bigint): bigint {
  const diff = current > proven ? current - proven : proven - current;
  return proven === 0n ? (diff === 0n ? 0n : 1n << 64n) : (diff * BPS) / proven;
}

export type StaleReason =
  | { readonly kind: "price"; readonly market: number; readonly moveBps: bigint }
  | { readonly kind: "time"; readonly ageSeconds: bigint };

/** Why `acc` may be challenged at `prices` and time `now` (price moves take precedence), or undefined. */
export function staleness(
  acc: AccountRecord,
  prices: readonly bigint[],
  now: bigint,
  p: Pick<ProtocolParams, "freshness" | "bandBps">,
): StaleReason | undefined {
  if (acc.status !== "active" || acc.challenge !== undefined) return undefined;
  let best: StaleReason | undefined;
  for (let j = 0; j < prices.length; j++) {
    const proven = acc.provenPrices[j] ?? 0n;
    if (!movedBeyondBand(prices[j], proven, p.bandBps)) continue;
    const m = moveBps(prices[j], proven);
    if (best === undefined || (best.kind === "price" && m > best.moveBps))
      best = { kind: "price", market: j, moveBps: m };
  }
  if (best !== undefined) return best;
  if (now > acc.provenAt + p.freshness) return { kind: "time", ageSeconds: now - acc.provenAt };
  return undefined;
}

export interface ChallengeCandidate {
  readonly account: string;
  readonly nonce: bigint;
  readonly reason: StaleReason;
}

export interface LiquidationCandidate {
  readonly account: string;
  readonly nonce: bigint;
  readonly challenger: string;
  /** Deadline known to the keeper (event deadline, or a later pause-extended one it read). */
  readonly deadline: bigint;
  readonly ours: boolean;
}

export interface ScanContext {
  /** Current oracle prices; undefined when the oracle read failed (then nothing can be challenged). */
  readonly prices: readonly bigint[] | undefined;
  readonly now: bigint;
  /** Our address (challenger identity); undefined for a read-only keeper. */
  readonly me: string | undefined;
  readonly params: ProtocolParams;
  /** Pause-extended deadlines read earlier, keyed by `${account}:${nonce}`. */
  readonly deadlineHints?: ReadonlyMap<string, bigint>;
  /** True for accounts to leave alone this round (cool-down after a refusal), by account and nonce. */
  readonly coolingDown?: (account: string, nonce: bigint) => boolean;
}

export interface Scan {
  readonly challenge: ChallengeCandidate[];
  readonly liquidate: LiquidationCandidate[];
  readonly ourOpenChallenges: number;
  readonly counts: {
    accounts: number;
    active: number;
    challenged: number;
    liquidated: number;
    closed: number;
    stale: number;
  };
}

export const hintKey = (account: string, nonce: bigint): string => `${account}:${nonce}`;

function reasonOrder(a: ChallengeCandidate, b: ChallengeCandidate): number {
  const ra = a.reason;
  const rb = b.reason;
  if (ra.kind !== rb.kind) return ra.kind === "price" ? -1 : 1;
  const x = ra.kind === "price" ? ra.moveBps : ra.ageSeconds;
  const y = rb.kind === "price" ? rb.moveBps : (rb as { ageSeconds: bigint }).ageSeconds;
  if (x !== y) return x > y ? -1 : 1;
  return a.account < b.account ? -1 : a.account > b.account ? 1 : 0;
}

/**
 * One pass over every indexed account, no I/O: challenge candidates (biggest price move first, then
 * oldest proof) and liquidation candidates (earliest deadline first). A paused registry refuses both.
 */
export function scan(view: AccountsView, ctx: ScanContext): Scan {
  const challenge: ChallengeCandidate[] = [];
  const liquidate: LiquidationCandidate[] = [];
  const counts = { accounts: 0, active: 0, challenged: 0, liquidated: 0, closed: 0, stale: 0 };
  let ourOpenChallenges = 0;
  const me = ctx.me?.toLowerCase();
  const p = ctx.params;
  for (const [account, r] of view.entries()) {
    counts.accounts++;
    if (r.status === "liquidated") counts.liquidated++;
    else if (r.status === "closed") counts.closed++;
    else counts.active++;
    const ch = r.challenge;
    if (ch !== undefined && r.status === "active") {
      counts.challenged++;
      const ours = me !== undefined && ch.challenger.toLowerCase() === me;
      if (ours) ourOpenChallenges++;
      const deadline = maxBig(ch.deadline, ctx.deadlineHints?.get(hintKey(account, ch.nonce)) ?? 0n);
      const due = ctx.now > deadline + (ours ? 0n : p.exclusivePeriod);
      if (due && !p.paused && !ctx.coolingDown?.(account, r.nonce)) {
        liquidate.push({ account, nonce: ch.nonce, challenger: ch.challenger, deadline, ours });
      }
      continue;
    }
    if (ctx.prices === undefined) continue;
    const reason = staleness(r, ctx.prices, ctx.now, p);
    if (reason === undefined) continue;
    counts.stale++;
    if (!p.paused && !ctx.coolingDown?.(account, r.nonce)) challenge.push({ account, nonce: r.nonce, reason });
  }
  challenge.sort(reasonOrder);
  liquidate.sort((a, b) =>
    a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : a.account < b.account ? -1 : 1,
  );
  return { challenge, liquidate, ourOpenChallenges, counts };
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** How many more challenges the bond cap allows. */
export function bondCapacity(ourOpenChallenges: number, bond: bigint, maxBondsAtRiskWei: bigint): number {
  if (bond <= 0n) return Number.MAX_SAFE_INTEGER;
  const atRisk = BigInt(ourOpenChallenges) * bond;
  if (atRisk >= maxBondsAtRiskWei) return 0;
  const n = (maxBondsAtRiskWei - atRisk) / bond;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

export interface Economics {
  /** Expected price per gas unit (wei). */
  readonly gasPriceWei: bigint;
  readonly challengeBaseGas: bigint;
  readonly challengeGasPerAccount: bigint;
  readonly liquidateBaseGas: bigint;
  readonly liquidateGasPerAccount: bigint;
  /** Value units per wei (= price of 1 ETH in the quote currency). */
  readonly ethPriceInQuote: bigint;
  readonly minProfitWei: bigint;
}

/** The registry's bounty: min(value * bountyBps / 1e4, bountyCap), in value units. */
export function bountyOf(value: bigint, p: Pick<ProtocolParams, "bountyBps" | "bountyCap">): bigint {
  const b = (value * p.bountyBps) / BPS;
  return b < p.bountyCap ? b : p.bountyCap;
}

/**
 * Liquidating one account alone must pay: its bounty (plus, for our own challenge, the bond it frees:
 * the bond only comes back when someone liquidates) covers a one-account transaction's gas plus
 * minProfitWei, all in value units.
 */
export function liquidationPays(bounty: bigint, ours: boolean, bond: bigint, e: Economics): boolean {
  const gain = bounty + (ours ? bond * e.ethPriceInQuote : 0n);
  const cost = ((e.liquidateBaseGas + e.liquidateGasPerAccount) * e.gasPriceWei + e.minProfitWei) * e.ethPriceInQuote;
  return gain >= cost;
}

/**
 * A challenge is worth its gas only if the liquidation it may lead to would pay: the bounty at the
 * current collateral value covers the challenge and the liquidation transactions plus minProfitWei.
 * (Positions are private: whether the owner will answer is unknowable, so the bond cap bounds the risk.)
 */
export function challengePays(
  currentValue: bigint,
  p: Pick<ProtocolParams, "bountyBps" | "bountyCap">,
  e: Economics,
): boolean {
  const gas = e.challengeBaseGas + e.challengeGasPerAccount + e.liquidateBaseGas + e.liquidateGasPerAccount;
  return bountyOf(currentValue, p) >= (gas * e.gasPriceWei + e.minProfitWei) * e.ethPriceInQuote;
}

export type SkipReason =
  "no-open-challenge" | "not-due" | "unprofitable" | "not-challengeable" | "bond-cap" | "round-limit";

export interface Skip {
  readonly account: string;
  readonly reason: SkipReason;
}

export interface Selection {
  /** Accounts to send, best first, in batches of at most batchSize. */
  readonly batches: string[][];
  readonly skipped: Skip[];
}

export interface Limits {
  readonly batchSize: number;
  readonly maxBatches: number;
}

function batch(accounts: string[], skipped: Skip[], limits: Limits): string[][] {
  const max = limits.batchSize * limits.maxBatches;
  for (const a of accounts.slice(max)) skipped.push({ account: a, reason: "round-limit" });
  const out: string[][] = [];
  for (let i = 0; i < Math.min(max, accounts.length); i += limits.batchSize)
    out.push(accounts.slice(i, Math.min(i + limits.batchSize, max)));
  return out;
}

export interface CheckedLiquidation {
  readonly candidate: LiquidationCandidate;
  /** deadlineOf() now (pause-adjusted), or null when the challenge is gone. */
  readonly deadline: bigint | null;
  readonly pinnedValue: bigint;
}

/** Liquidations to send: due by the chain's own deadline, paying, highest bounty first. */
export function selectLiquidations(
  checked: readonly CheckedLiquidation[],
  now: bigint,
  p: ProtocolParams,
  e: Economics,
  limits: Limits,
): Selection {
  const skipped: Skip[] = [];
  const ok: { account: string; bounty: bigint }[] = [];
  for (const c of checked) {
    const { account, ours } = c.candidate;
    if (c.deadline === null) skipped.push({ account, reason: "no-open-challenge" });
    else if (now <= c.deadline + (ours ? 0n : p.exclusivePeriod)) skipped.push({ account, reason: "not-due" });
    else {
      const bounty = bountyOf(c.pinnedValue, p);
      if (liquidationPays(bounty, ours, p.bond, e)) ok.push({ account, bounty });
      else skipped.push({ account, reason: "unprofitable" });
    }
  }
  ok.sort((a, b) => (a.bounty === b.bounty ? (a.account < b.account ? -1 : 1) : a.bounty > b.bounty ? -1 : 1));
  return {
    batches: batch(
      ok.map((x) => x.account),
      skipped,
      limits,
    ),
    skipped,
  };
}

export interface CheckedChallenge {
  readonly candidate: ChallengeCandidate;
  readonly challengeable: boolean;
  readonly value: bigint;
}

/** Challenges to send: still challengeable, worth it, within the bond cap, highest expected bounty first. */
export function selectChallenges(
  checked: readonly CheckedChallenge[],
  p: ProtocolParams,
  e: Economics,
  capacity: number,
  limits: Limits,
): Selection {
  const skipped: Skip[] = [];
  const ok: { account: string; bounty: bigint }[] = [];
  for (const c of checked) {
    const { account } = c.candidate;
    if (!c.challengeable) skipped.push({ account, reason: "not-challengeable" });
    else if (!challengePays(c.value, p, e)) skipped.push({ account, reason: "unprofitable" });
    else ok.push({ account, bounty: bountyOf(c.value, p) });
  }
  ok.sort((a, b) => (a.bounty === b.bounty ? (a.account < b.account ? -1 : 1) : a.bounty > b.bounty ? -1 : 1));
  const allowed = ok.slice(0, capacity).map((x) => x.account);
  for (const x of ok.slice(capacity)) skipped.push({ account: x.account, reason: "bond-cap" });
  return { batches: batch(allowed, skipped, limits), skipped };
}
