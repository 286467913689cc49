import { BPS, PRICE_BITS, RATIO_BITS, VALUE_BITS } from "./constants";
import { ModelError, ModelErrorCode, requireRange } from "./errors";
import { type MarketPosition, Side, requireValidState } from "./position";

/** Public market data a statement is checked against. */
export interface MarketSnapshot {
  /** Collateral value V in value units (1e-18 of the quote currency). */
  readonly value: bigint;
  /** Oracle prices, 8 decimals. */
  readonly prices: readonly bigint[];
}

export interface EquitySides {
  /** value + sum_long size * price + sum_short cost */
  readonly assets: bigint;
  /** sum_long cost + sum_short size * price */
  readonly liabilities: bigint;
  /** sum_j ratio_j * size_j * price_j (basis points of value) */
  readonly requirement: bigint;
}

export function requireSnapshot(markets: number, snapshot: MarketSnapshot, ratios?: readonly bigint[]): void {
  requireRange("collateral value", snapshot.value, VALUE_BITS);
  if (snapshot.prices.length !== markets) {
    throw new ModelError(ModelErrorCode.BadShape, `expected ${markets} prices, got ${snapshot.prices.length}`);
  }
  snapshot.prices.forEach((p, j) => requireRange(`price ${j}`, p, PRICE_BITS));
  if (ratios) {
    if (ratios.length !== markets) {
      throw new ModelError(ModelErrorCode.BadShape, `expected ${markets} ratios, got ${ratios.length}`);
    }
    ratios.forEach((r, j) => requireRange(`ratio ${j}`, r, RATIO_BITS));
  }
}

/** EquitySides(M) of circuits/lib/margin.circom. */
export function equitySides(
  markets: readonly MarketPosition[],
  snapshot: MarketSnapshot,
  ratios: readonly bigint[] = markets.map(() => 0n),
): EquitySides {
  let assets = snapshot.value;
  let liabilities = 0n;
  let requirement = 0n;
  markets.forEach((m, j) => {
    const notional = m.size * snapshot.prices[j];
    if (m.side === Side.Long) {
      assets += notional;
      liabilities += m.cost;
    } else {
      assets += m.cost;
      liabilities += notional;
    }
    requirement += ratios[j] * notional;
  });
  return { assets, liabilities, requirement };
}

/** Equity = V + unrealised PnL (may be negative). */
export function equity(markets: readonly MarketPosition[], snapshot: MarketSnapshot): bigint {
  const s = equitySides(markets, snapshot);
  return s.assets - s.liabilities;
}

/** MarginCheck(M): BPS * assets >= BPS * liabilities + requirement. */
export function meetsMargin(
  markets: readonly MarketPosition[],
  snapshot: MarketSnapshot,
  ratios: readonly bigint[],
): boolean {
  requireValidState({ salt: 0n, markets });
  requireSnapshot(markets.length, snapshot, ratios);
  const s = equitySides(markets, snapshot, ratios);
  return BPS * s.liabilities + s.requirement <= BPS * s.assets;
}

/** The maintenance (or initial) requirement in value units, rounded up. */
export function marginRequirement(
  markets: readonly MarketPosition[],
  prices: readonly bigint[],
  ratios: readonly bigint[],
): bigint {
  const r = equitySides(markets, { value: 0n, prices }, ratios).requirement;
  return (r + BPS - 1n) / BPS;
}
