/**
 * The registry's rules, mirrored off chain as pure functions over what events and one market read
 * tell (no per-account RPC):
 * - challengeable: contracts/registry/logic/Shared.sol `challengeable` (docs/protocol-v2.md section 5);
 * - collateral value: Shared.value / RegistryLens.valueOf (rounded down per asset);
 * - the deadline of a challenge: Shared.deadline (pauses and sequencer outages extend it);
 * - the bounty: LiquidationLogic.bountyBps, capped at bountyCap.
 * test/keeper/rule.test.ts checks `challengeable` against the lens on random certificates.
 */
import type { Cert, ChallengeRecord, Incentives } from "./index/types";

export const BPS = 10_000n;
export const MARKETS = 4;
const PRICE_TO_VALUE = 10n ** 10n;
const M64 = (1n << 64n) - 1n;
const M16 = (1n << 16n) - 1n;

/** Current prices, ratios and haircuts as the registry reads them (RegistryLens.market()). */
export interface Market {
  readonly marketPrices: bigint;
  readonly assetPrices: bigint;
  readonly mm: bigint;
  readonly im: bigint;
  readonly haircuts: bigint;
  readonly decimals: readonly number[];
}

export const at64 = (w: bigint, i: number): bigint => (w >> (64n * BigInt(i))) & M64;
export const at16 = (w: bigint, i: number): bigint => (w >> (16n * BigInt(i))) & M16;

export type ChallengeReason = "freshness" | "box" | "collateral" | "ratio" | "haircut";

/** Why the registry would accept a challenge against `c` now (undefined: it would not). */
export function challengeReason(c: Cert, now: bigint, freshness: bigint, m: Market): ChallengeReason | undefined {
  if (now > c.provenAt + freshness) return "freshness";
  const lo = BPS - c.d;
  const hi = BPS + c.d;
  for (let j = 0; j < MARKETS; j++) {
    const proven = at64(c.marketPrices, j);
    const current = at64(m.marketPrices, j) * BPS;
    if (current < proven * lo || current > proven * hi) return "box";
    if (at16(m.mm, j) > at16(c.pm, j)) return "ratio";
  }
  for (let i = 0; i < m.decimals.length; i++) {
    if (at64(m.assetPrices, i) * BPS < at64(c.assetPrices, i) * lo) return "collateral";
    if (at16(m.haircuts, i) < at16(c.haircuts, i)) return "haircut";
  }
  return undefined;
}

export function challengeable(c: Cert, now: bigint, freshness: bigint, m: Market): boolean {
  return challengeReason(c, now, freshness, m) !== undefined;
}

/** V = sum_i balance_i x price_i x haircut_i (value units, rounded down per asset). */
export function collateralValue(balances: readonly bigint[], m: Market): bigint {
  let v = 0n;
  for (let i = 0; i < m.decimals.length; i++) {
    const b = balances[i] ?? 0n;
    if (b === 0n) continue;
    v += (b * at64(m.assetPrices, i) * at16(m.haircuts, i) * PRICE_TO_VALUE) / (BPS * 10n ** BigInt(m.decimals[i]));
  }
  return v;
}

/** Settlement-asset base units -> value units at the settlement asset's price. */
export function settlementToValue(amount: bigint, m: Market): bigint {
  return (amount * at64(m.assetPrices, 0) * PRICE_TO_VALUE) / 10n ** BigInt(m.decimals[0] ?? 18);
}

/** Shared.deadline: the pinned deadline, extended by pauses since and by a sequencer outage when past. */
export function deadlineOf(r: ChallengeRecord, now: bigint, pauseClock: bigint, downtimeSince: bigint): bigint {
  const d = r.deadline + (pauseClock > r.pauseClockAt ? pauseClock - r.pauseClockAt : 0n);
  return now > d ? d + downtimeSince : d;
}

/** LiquidationLogic.bountyBps: min until the exclusive period ends, then linear to max over the ramp. */
export function bountyBps(inc: Incentives, exclusiveEnd: bigint, ramp: bigint, now: bigint): bigint {
  if (now <= exclusiveEnd || inc.bountyMaxBps <= inc.bountyMinBps) return inc.bountyMinBps;
  const elapsed = now - exclusiveEnd;
  if (ramp === 0n || elapsed >= ramp) return inc.bountyMaxBps;
  return inc.bountyMinBps + ((inc.bountyMaxBps - inc.bountyMinBps) * elapsed) / ramp;
}

/** The bounty (value units) of liquidating collateral worth `value` at `bps`. */
export function bountyValue(value: bigint, bps: bigint, inc: Incentives): bigint {
  const b = (value * bps) / BPS;
  return b < inc.bountyCap ? b : inc.bountyCap;
}
