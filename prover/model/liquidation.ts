import { BPS } from "./constants";
import { type MarketSnapshot, equitySides } from "./margin";
import { type MarketPosition, Side } from "./position";

/**
 * The private liquidation price of market j: the price at which equity equals the maintenance
 * requirement, all other prices held where they are.
 *   long:  V' + q P - K = R' + mm q P / BPS  =>  P* = (R' - V' + K) BPS / (q (BPS - mm))
 *   short: V' + K - q P = R' + mm q P / BPS  =>  P* = (V' + K - R') BPS / (q (BPS + mm))
 * where V' is V plus the other markets' PnL and R' their requirement. Returns undefined for an empty
 * market, 0n for a long that cannot be liquidated by this market alone (P* <= 0); a short's P* is
 * rounded down and a long's up, so the warning fires no later than the real threshold.
 */
export function liquidationPrice(
  markets: readonly MarketPosition[],
  snapshot: MarketSnapshot,
  mmRatios: readonly bigint[],
  j: number,
): bigint | undefined {
  const m = markets[j];
  if (m.size === 0n) return undefined;
  const others = markets.map((x, i) => (i === j ? { size: 0n, side: Side.Long, cost: 0n } : x));
  const s = equitySides(others, snapshot, mmRatios);
  // BPS * (V' ) = BPS * (assets - liabilities) over the other markets; R' scaled by BPS is requirement
  const vScaled = BPS * (s.assets - s.liabilities); // BPS * V'
  const rScaled = s.requirement; // BPS * R'
  const mm = mmRatios[j];
  if (m.side === Side.Long) {
    const num = rScaled - vScaled + BPS * m.cost;
    if (num <= 0n) return 0n;
    const den = m.size * (BPS - mm);
    return den === 0n ? undefined : (num + den - 1n) / den;
  }
  const num = vScaled + BPS * m.cost - rScaled;
  if (num <= 0n) return 0n;
  return num / (m.size * (BPS + mm));
}

/** Equity over notional in basis points (the trader's margin ratio), or undefined with no positions. */
export function marginRatioBps(markets: readonly MarketPosition[], snapshot: MarketSnapshot): bigint | undefined {
  const notional = markets.reduce((acc, m, j) => acc + m.size * snapshot.prices[j], 0n);
  if (notional === 0n) return undefined;
  const s = equitySides(markets, snapshot);
  return ((s.assets - s.liabilities) * BPS) / notional;
}
