import { BPS, RATIO_BITS, SIZE_BITS, VALUE_BITS } from "./constants";
import { ModelError, ModelErrorCode, requireRange, requireSigned127 } from "./errors";
import { boxMargin, requireBox, requirePrices, requireRatios } from "./margin";
import { type AccountState, Side, requireValidState } from "./state";

export interface DeleverageResult {
  readonly next: AccountState;
  /** floor(feeBps x sum_j dq_j P_j / BPS): the one quantity a deleverage reveals. */
  readonly fee: bigint;
  /** floor(K_j dq_j / q_j) per market (0 where nothing is reduced). */
  readonly costRemoved: readonly bigint[];
  /** Realised PnL of all reductions, moved into cash. */
  readonly realised: bigint;
  /** sum_j dq_j P_j, the reduced notional. */
  readonly notional: bigint;
}

/**
 * Deleverage Checks (4)-(6): reduces market j by dq_j (0 <= dq_j <= q_j, side kept, cost removed
 * floor(K_j dq_j / q_j)) at the current prices, moves the realised PnL into cash and computes the fee.
 */
export function applyDeleverage(
  state: AccountState,
  reduce: readonly bigint[],
  prices: readonly bigint[],
  feeBps: bigint,
  newSalt: bigint,
): DeleverageResult {
  requireValidState(state);
  const M = state.markets.length;
  requirePrices(M, prices);
  requireRange("feeBps", feeBps, RATIO_BITS);
  if (reduce.length !== M)
    throw new ModelError(ModelErrorCode.BadShape, `expected ${M} reductions, got ${reduce.length}`);
  let realised = 0n;
  let notional = 0n;
  const costRemoved: bigint[] = [];
  const markets = state.markets.map((m, j) => {
    const dq = reduce[j];
    requireRange(`reduction ${j}`, dq, SIZE_BITS);
    if (dq > m.size) {
      throw new ModelError(
        ModelErrorCode.ReduceTooLarge,
        `cannot reduce market ${j} by ${dq}: the position is ${m.size}`,
      );
    }
    if (m.size > 0n && m.cost === 0n) {
      // the circuit proves dq >= 0 through the rounding equation, which needs K != 0 (docs/protocol-v2.md
      // section 4, "Ranges by induction"); no state the protocol creates has q > 0 with K = 0
      throw new ModelError(
        ModelErrorCode.OutOfRange,
        `market ${j} holds ${m.size} with a cost basis of 0: the Deleverage statement needs K > 0 for q > 0`,
      );
    }
    const removed = m.size === 0n ? 0n : (m.cost * dq) / m.size;
    costRemoved.push(removed);
    const gain = dq * prices[j] - removed;
    realised += m.side === Side.Long ? gain : -gain;
    notional += dq * prices[j];
    return { size: m.size - dq, side: m.side, cost: m.cost - removed };
  });
  const cash = state.cash + realised;
  requireSigned127("cash after the deleverage", cash);
  const fee = (feeBps * notional) / BPS;
  requireRange("fee", fee, VALUE_BITS);
  const next: AccountState = { salt: newSalt, cash, markets };
  requireValidState(next);
  return { next, fee, costRemoved, realised, notional };
}

/** Parameters of a deleverage plan: the box and ratios C' must meet, the pinned fee rate. */
export interface DeleveragePlanParams {
  readonly prices: readonly bigint[];
  /** Proven ratios of the new certificate (pm_j >= ceil(mm_j targetFactor / BPS)). */
  readonly pm: readonly bigint[];
  /** Box half-width of the new certificate (0: the target margin at the current prices only). */
  readonly d: bigint;
  readonly feeBps: bigint;
  /** V' as the contract computes it after debiting `fee` (default: value - fee; a reduction whose fee
   *  exceeds the collateral is never planned). */
  readonly valueAfterFee?: (fee: bigint) => bigint;
}

export interface DeleveragePlan {
  readonly reduce: readonly bigint[];
  readonly fee: bigint;
  /** V' after the fee. */
  readonly value: bigint;
  readonly result: DeleverageResult;
}

/**
 * Reducing market j by dq changes the BoxMargin slack (scaled by BPS^2; the removed cost cancels out)
 * by about dq P_j (BPS d + r_j f_j - feeBps (BPS - d)), f_j = BPS - d (long) or BPS + d (short), while
 * the fee grows by feeBps dq P_j / BPS: the margin released per fee paid is ranked by
 * BPS d + r_j f_j - feeBps (BPS - d) per unit of notional.
 */
function releasePerNotional(state: AccountState, j: number, p: DeleveragePlanParams): bigint {
  const f = state.markets[j].side === Side.Long ? BPS - p.d : BPS + p.d;
  return BPS * p.d + p.pm[j] * f - p.feeBps * (BPS - p.d);
}

/**
 * The smallest reduction that brings the state to BoxMargin(d, pm) at the current prices, or undefined
 * when even closing every market that releases margin does not.
 *
 * Rule (a heuristic for several markets, exact for one): markets are taken in decreasing order of margin
 * released per fee paid (releasePerNotional above; markets whose reduction releases nothing are never
 * touched); each is closed in turn (or reduced as far as the collateral can pay its fee) until closing
 * the next one would be enough, and that one is reduced by the smallest dq that passes (binary search on
 * the exact model check, then a short downward scan for the rounding of the fee). With one market the
 * result is the smallest passing dq (a property test checks it by brute force). With several it is not
 * always the smallest total fee: the order is by rate, not by what each market can release.
 */
export function planDeleverage(
  state: AccountState,
  value: bigint,
  params: DeleveragePlanParams,
): DeleveragePlan | undefined {
  requireValidState(state);
  const M = state.markets.length;
  requirePrices(M, params.prices);
  requireRatios(M, params.pm, "pm");
  requireBox(params.d);
  requireRange("collateral value", value, VALUE_BITS);
  const after = params.valueAfterFee ?? ((fee: bigint) => value - fee);
  const salt = state.salt === 0n ? 1n : state.salt;
  const withReduce = (reduce: readonly bigint[], j: number, dq: bigint) => reduce.map((x, i) => (i === j ? dq : x));
  /** V' of a reduction, or undefined when its fee is more than the collateral can pay. */
  const valueOf = (reduce: readonly bigint[]): { v: bigint; result: DeleverageResult } | undefined => {
    const result = applyDeleverage(state, reduce, params.prices, params.feeBps, salt);
    const v = after(result.fee);
    return v < 0n || v >= 1n << BigInt(VALUE_BITS) ? undefined : { v, result };
  };
  const attempt = (reduce: readonly bigint[]): DeleveragePlan | undefined => {
    const x = valueOf(reduce);
    if (!x || !boxMargin(x.result.next, x.v, params.prices, params.d, params.pm)) return undefined;
    return { reduce: [...reduce], fee: x.result.fee, value: x.v, result: x.result };
  };
  let reduce: readonly bigint[] = state.markets.map(() => 0n);
  const none = attempt(reduce);
  if (none) return none;
  const order = state.markets
    .map((m, j) => ({ j, rate: releasePerNotional(state, j, params), size: m.size }))
    .filter((x) => x.size > 0n && x.rate > 0n)
    .sort((a, b) => (a.rate === b.rate ? a.j - b.j : a.rate > b.rate ? -1 : 1));
  for (const { j, size } of order) {
    // the largest reduction of market j whose fee the collateral can still pay (the fee grows with dq)
    let top = size;
    if (!valueOf(withReduce(reduce, j, size))) {
      let ok = 0n;
      let bad = size;
      while (bad - ok > 1n) {
        const mid = (ok + bad) / 2n;
        if (valueOf(withReduce(reduce, j, mid))) ok = mid;
        else bad = mid;
      }
      top = ok;
    }
    if (top === 0n) continue;
    if (!attempt(withReduce(reduce, j, top))) {
      reduce = withReduce(reduce, j, top);
      continue;
    }
    // smallest dq in (0, top] that passes, assuming the check is monotone in dq
    let lo = 0n;
    let hi = top;
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (attempt(withReduce(reduce, j, mid))) hi = mid;
      else lo = mid;
    }
    // the fee's rounding can make the check non-monotone by a unit or two: look a little lower
    let best = hi;
    for (let candidate = hi - 1n; candidate > 0n && candidate >= hi - 16n; candidate--) {
      if (attempt(withReduce(reduce, j, candidate))) best = candidate;
    }
    return attempt(withReduce(reduce, j, best));
  }
  return undefined;
}
