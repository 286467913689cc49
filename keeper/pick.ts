/**
 * The round's on-chain checks of its best candidates, in batches through RegistryLens (hundreds of
 * accounts per eth_call) until the per-round bound is filled: exact collateral values (and, for
 * challenges, the registry's own verdict), re-ranked by profit. A lens call that fails ends the checks
 * for this round; the candidates it held wait for the next one. A sequencer outage after a challenge
 * (which extends the registry's deadline) is read once per round, per pin time only when there was one.
 */
import type { Logger } from "pino";
import type { ChainReader } from "./chain/reader";
import { messageOf } from "./errors";
import type { Incentives, Timing } from "./index/types";
import { deadlineOf } from "./rule";
import * as strategy from "./strategy";

export interface PickContext {
  readonly chain: ChainReader;
  readonly now: bigint;
  readonly timing: Timing;
  readonly incentives: Incentives;
  readonly econ: strategy.Economics;
  readonly lensChunk: number;
  /** Lens calls left this round (shared by liquidations and challenges). */
  readonly lens: { left: number };
  readonly log: Logger;
}

const byProfit = <T extends { profit: bigint }>(a: T, b: T) =>
  a.profit === b.profit ? 0 : a.profit > b.profit ? -1 : 1;

/** At most `limit` liquidations, due by the registry's deadline (outages included), best first. */
export async function pickLiquidations(
  x: PickContext,
  cands: readonly strategy.LiquidationCandidate[],
  limit: number,
  pauseClock: bigint,
): Promise<strategy.LiquidationCandidate[]> {
  if (cands.length === 0) return [];
  let minPinned = cands[0].record.pinnedAt;
  for (const c of cands) if (c.record.pinnedAt < minPinned) minPinned = c.record.pinnedAt;
  let live: readonly strategy.LiquidationCandidate[] = cands;
  if ((await x.chain.downtimeSince(minPinned)) > 0n) {
    const byPin = new Map<bigint, bigint>();
    const due: strategy.LiquidationCandidate[] = [];
    for (const c of cands.slice(0, limit)) {
      const pin = c.record.pinnedAt;
      if (!byPin.has(pin)) byPin.set(pin, await x.chain.downtimeSince(pin));
      const deadline = deadlineOf(c.record, x.now, pauseClock, byPin.get(pin)!);
      if (x.now > deadline + (c.ours ? 0n : c.record.exclusivePeriod)) due.push({ ...c, deadline });
      if (byPin.size >= 16) break;
    }
    live = due;
  }
  const chosen: strategy.LiquidationCandidate[] = [];
  for (let i = 0; i < live.length && chosen.length < limit && x.lens.left > 0; i += x.lensChunk) {
    const chunk = live.slice(i, i + x.lensChunk);
    x.lens.left--;
    let values: bigint[];
    try {
      values = await x.chain.values(chunk.map((c) => c.account));
    } catch (e) {
      x.log.warn({ error: messageOf(e) }, "lens values failed: liquidations retried next round");
      break;
    }
    chosen.push(...strategy.confirmLiquidations(chunk, values, x.now, x.timing, x.incentives, x.econ).ok);
  }
  return chosen.sort(byProfit).slice(0, limit);
}

/** At most `capacity` challenges the registry would accept now, best first; refusals reported. */
export async function pickChallenges(
  x: PickContext,
  cands: readonly strategy.ChallengeCandidate[],
  capacity: number,
  onRefused: (account: string) => void,
): Promise<strategy.ChallengeCandidate[]> {
  const chosen: strategy.ChallengeCandidate[] = [];
  for (let i = 0; i < cands.length && chosen.length < capacity && x.lens.left > 0; i += x.lensChunk) {
    const chunk = cands.slice(i, i + x.lensChunk);
    x.lens.left--;
    let r: { flags: boolean[]; values: bigint[] };
    try {
      r = await x.chain.checkChallenges(
        chunk.map((c) => c.account),
        chunk.map((c) => c.cert),
      );
    } catch (e) {
      x.log.warn({ error: messageOf(e) }, "lens check failed: challenges retried next round");
      break;
    }
    const conf = strategy.confirmChallenges(chunk, r.flags, r.values, x.incentives, x.econ);
    for (const a of conf.refused) onRefused(a);
    chosen.push(...conf.ok);
  }
  return chosen.sort(byProfit).slice(0, capacity);
}
