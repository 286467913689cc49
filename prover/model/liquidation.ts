import { BPS } from "./constants";
import { equity } from "./margin";
import { type AccountState, EMPTY_MARKET, Side } from "./state";

/**
 * The private liquidation price of market j: the price at which equity (with cash) equals the
 * maintenance requirement, every other price held where it is.
 *   long:  V' + q P - K = R' + mm q P / BPS  =>  P* = (R' - V' + K) BPS / (q (BPS - mm))
 *   short: V' + K - q P = R' + mm q P / BPS  =>  P* = (V' + K - R') BPS / (q (BPS + mm))
 * where V' = V + c + the other markets' PnL and R' their requirement. Returns undefined for an empty
 * market, 0n for a long that this market alone cannot bring down (P* <= 0); a short's P* is rounded down
 * and a long's up, so a warning fires no later than the real threshold.
 */
export function liquidationPrice(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  mm: readonly bigint[],
  j: number,
): bigint | undefined {
  const m = state.markets[j];
  if (m.size === 0n) return undefined;
  const others: AccountState = { ...state, markets: state.markets.map((x, i) => (i === j ? EMPTY_MARKET : x)) };
  const vScaled = BPS * equity(others, value, prices);
  const rScaled = others.markets.reduce((acc, x, i) => acc + mm[i] * x.size * prices[i], 0n);
  if (m.side === Side.Long) {
    const num = rScaled - vScaled + BPS * m.cost;
    if (num <= 0n) return 0n;
    const den = m.size * (BPS - mm[j]);
    return den <= 0n ? undefined : (num + den - 1n) / den;
  }
  const num = vScaled + BPS * m.cost - rScaled;
  if (num <= 0n) return 0n;
  return num / (m.size * (BPS + mm[j]));
}

/** Equity over notional in basis points (the trader's margin ratio), or undefined with no positions. */
export function marginRatioBps(state: AccountState, value: bigint, prices: readonly bigint[]): bigint | undefined {
  const notional = state.markets.reduce((acc, m, j) => acc + m.size * prices[j], 0n);
  if (notional === 0n) return undefined;
  return (equity(state, value, prices) * BPS) / notional;
}

/** The most the owner can claim after a liquidation: E - penalty (0 when negative). */
export function claimable(state: AccountState, value: bigint, prices: readonly bigint[], penalty: bigint): bigint {
  const e = equity(state, value, prices) - penalty;
  return e > 0n ? e : 0n;
}

/** `amount` rounded down to `digits` significant digits (the default claim does not publish E). */
export function roundClaim(amount: bigint, digits = 2): bigint {
  if (!Number.isInteger(digits) || digits < 1) throw new RangeError(`digits must be a positive integer, got ${digits}`);
  if (amount <= 0n) return 0n;
  const length = amount.toString().length;
  if (length <= digits) return amount;
  const unit = 10n ** BigInt(length - digits);
  return (amount / unit) * unit;
}
