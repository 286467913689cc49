import { COST_BITS, SIZE_BITS } from "./constants";
import { ModelError, ModelErrorCode, requireRange, requireSigned127 } from "./errors";
import { requirePrices } from "./margin";
import { type AccountState, type MarketPosition, Side, requireValidState } from "./state";

/**
 * One private state transition, as the Update circuit sees it.
 * - none:     no market changes (a withdrawal, a deposit, a settlement, or a re-salt);
 * - increase: open (from size 0, taking `side`) or add to a position at the oracle price;
 * - reduce:   reduce or close (size = whole position) a position at the oracle price.
 */
export type Trade =
  | { readonly kind: "none" }
  | { readonly kind: "increase"; readonly market: number; readonly size: bigint; readonly side?: Side }
  | { readonly kind: "reduce"; readonly market: number; readonly size: bigint };

export interface TradeResult {
  readonly next: AccountState;
  /** Realised PnL r of the trade (signed, value units): it goes into cash, never public. */
  readonly realised: bigint;
  /** t = c + r, the cash before the settlement: the largest settlement allowed is s = t. */
  readonly settleable: bigint;
  /** floor(K size / q) removed from the cost basis by a reduce (else 0). */
  readonly costRemoved: bigint;
}

/**
 * The sign and size rule of Update Check (8): s and c' = t - s have the sign of t, so |s| <= |t|
 * (a settlement never pays more than the realised cash and never flips it); |s|, |c'| < 2^127.
 */
export function requireSettlement(settleable: bigint, settle: bigint): void {
  requireSigned127("settle", settle);
  const rest = settleable - settle;
  const ok = settleable >= 0n ? settle >= 0n && rest >= 0n : settle <= 0n && rest <= 0n;
  if (!ok) {
    throw new ModelError(
      ModelErrorCode.SettleTooLarge,
      `cannot settle ${settle}: the cash after the trade is ${settleable} (settle between 0 and it)`,
    );
  }
  const bound = 1n << 127n;
  if (settle <= -bound || settle >= bound || rest <= -bound || rest >= bound) {
    throw new ModelError(ModelErrorCode.OutOfRange, `settlement ${settle} or the cash left ${rest} is not below 2^127`);
  }
}

/** Applies `trade` at the oracle prices, then settles `settle` of the cash, with the next state's salt. */
export function applyTrade(
  state: AccountState,
  trade: Trade,
  prices: readonly bigint[],
  settle: bigint,
  newSalt: bigint,
): TradeResult {
  requireValidState(state);
  requirePrices(state.markets.length, prices);
  let markets = state.markets;
  let realised = 0n;
  let costRemoved = 0n;
  if (trade.kind !== "none") {
    const j = trade.market;
    if (!Number.isInteger(j) || j < 0 || j >= state.markets.length) {
      throw new ModelError(ModelErrorCode.BadShape, `market ${j} is outside 0..${state.markets.length - 1}`);
    }
    requireRange("trade size", trade.size, SIZE_BITS);
    const old = state.markets[j];
    const price = prices[j];
    let updated: MarketPosition;
    if (trade.kind === "increase") {
      let side = old.side;
      if (old.size === 0n) {
        side = trade.side ?? Side.Long;
      } else if (trade.side !== undefined && trade.side !== old.side) {
        throw new ModelError(
          ModelErrorCode.SideFlip,
          `market ${j} holds a ${Side[old.side]} position: close it before opening ${Side[trade.side]}`,
        );
      }
      updated = { size: old.size + trade.size, side, cost: old.cost + trade.size * price };
    } else {
      if (old.size === 0n) throw new ModelError(ModelErrorCode.ReduceTooLarge, `market ${j} has no position to reduce`);
      if (trade.size > old.size) {
        throw new ModelError(
          ModelErrorCode.ReduceTooLarge,
          `cannot reduce market ${j} by ${trade.size}: the position is ${old.size}`,
        );
      }
      costRemoved = (old.cost * trade.size) / old.size;
      const gain = trade.size * price - costRemoved;
      realised = old.side === Side.Long ? gain : -gain;
      updated = { size: old.size - trade.size, side: old.side, cost: old.cost - costRemoved };
    }
    requireRange(`market ${j} new size`, updated.size, SIZE_BITS);
    requireRange(`market ${j} new cost`, updated.cost, COST_BITS);
    markets = state.markets.map((m, i) => (i === j ? updated : m));
  }
  const settleable = state.cash + realised;
  requireSettlement(settleable, settle);
  const next: AccountState = { salt: newSalt, cash: settleable - settle, markets };
  requireValidState(next);
  return { next, realised, settleable, costRemoved };
}

/** True when the update increases a position (open or add) or withdraws: it must leave initial margin. */
export function usesInitialMargin(trade: Trade, withdrawing: boolean): boolean {
  return withdrawing || trade.kind === "increase";
}

/**
 * The ratios of Update Check (10): im when the update increases a position or withdraws, else mm (a
 * reduce, close or settle-only update needs maintenance only).
 */
export function marginRatios(
  trade: Trade,
  withdrawing: boolean,
  mm: readonly bigint[],
  im: readonly bigint[],
): readonly bigint[] {
  return usesInitialMargin(trade, withdrawing) ? im : mm;
}
