import { COST_BITS, SIZE_BITS } from "./constants";
import { ModelError, ModelErrorCode, requireRange } from "./errors";
import { type AccountState, type MarketPosition, Side, requireValidState } from "./position";

/**
 * One private state transition, as the Update circuit sees it.
 * - none:     no market changes (a withdrawal, or a re-salt);
 * - increase: open (from size 0, taking `side`) or add to a position at the oracle price;
 * - reduce:   reduce or close (size = whole position) a position at the oracle price.
 */
export type Trade =
  | { readonly kind: "none" }
  | { readonly kind: "increase"; readonly market: number; readonly size: bigint; readonly side?: Side }
  | { readonly kind: "reduce"; readonly market: number; readonly size: bigint };

export interface TradeResult {
  readonly next: AccountState;
  /** Realised PnL in value units (signed): what the vault settles. */
  readonly pnl: bigint;
  /** floor(cost * size / position size) removed from the cost basis by a reduce (else 0). */
  readonly costRemoved: bigint;
}

/** Applies a trade at the given oracle prices and gives the next state (with `newSalt`). */
export function applyTrade(state: AccountState, trade: Trade, prices: readonly bigint[], newSalt: bigint): TradeResult {
  requireValidState(state);
  if (trade.kind === "none") {
    return { next: { salt: newSalt, markets: state.markets }, pnl: 0n, costRemoved: 0n };
  }
  const j = trade.market;
  if (!Number.isInteger(j) || j < 0 || j >= state.markets.length) {
    throw new ModelError(ModelErrorCode.BadShape, `market ${j} is outside 0..${state.markets.length - 1}`);
  }
  requireRange("trade size", trade.size, SIZE_BITS);
  const old = state.markets[j];
  const price = prices[j];
  let updated: MarketPosition;
  let pnl = 0n;
  let costRemoved = 0n;
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
    if (old.size === 0n) {
      throw new ModelError(ModelErrorCode.ReduceTooLarge, `market ${j} has no position to reduce`);
    }
    if (trade.size > old.size) {
      throw new ModelError(
        ModelErrorCode.ReduceTooLarge,
        `cannot reduce market ${j} by ${trade.size}: the position is ${old.size}`,
      );
    }
    costRemoved = (old.cost * trade.size) / old.size;
    const notional = trade.size * price;
    pnl = old.side === Side.Long ? notional - costRemoved : costRemoved - notional;
    updated = { size: old.size - trade.size, side: old.side, cost: old.cost - costRemoved };
  }
  requireRange(`market ${j} new size`, updated.size, SIZE_BITS);
  requireRange(`market ${j} new cost`, updated.cost, COST_BITS);
  const markets = state.markets.map((m, i) => (i === j ? updated : m));
  return { next: { salt: newSalt, markets }, pnl, costRemoved };
}
