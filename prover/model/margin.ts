import { BPS, CASH_OFFSET, PRICE_BITS, RATIO_BITS, VALUE_BITS } from "./constants";
import { ModelError, ModelErrorCode, requireRange } from "./errors";
import { type AccountState, Side, requireValidState } from "./state";

export function requirePrices(markets: number, prices: readonly bigint[]): void {
  if (prices.length !== markets) {
    throw new ModelError(ModelErrorCode.BadShape, `expected ${markets} prices, got ${prices.length}`);
  }
  prices.forEach((p, j) => requireRange(`price ${j}`, p, PRICE_BITS));
}

export function requireRatios(markets: number, ratios: readonly bigint[], what = "ratio"): void {
  if (ratios.length !== markets) {
    throw new ModelError(ModelErrorCode.BadShape, `expected ${markets} ${what}s, got ${ratios.length}`);
  }
  ratios.forEach((r, j) => requireRange(`${what} ${j}`, r, RATIO_BITS));
}

export function requireBox(d: bigint): void {
  if (d < 0n || d > BPS)
    throw new ModelError(ModelErrorCode.OutOfRange, `box half-width d = ${d} is outside [0, ${BPS}]`);
}

/** E = V + c + sum_long (q P - K) + sum_short (K - q P), in value units (may be negative). */
export function equity(state: AccountState, value: bigint, prices: readonly bigint[]): bigint {
  return state.markets.reduce((e, m, j) => {
    const pnl = m.size * prices[j] - m.cost;
    return e + (m.side === Side.Long ? pnl : -pnl);
  }, value + state.cash);
}

/** Both sides of BoxMargin(d, r), scaled by BPS^2 (docs/protocol-v2.md section 3, BoxMargin in margin.circom). */
export interface BoxSides {
  readonly lhs: bigint;
  readonly rhs: bigint;
}

/**
 * BPS (V (BPS - d) + BPS (c + 2^127) + sum_long N_j + sum_short BPS K_j) against
 * BPS (BPS 2^127 + sum_long BPS K_j + sum_short N_j) + sum_j r_j N_j, N_j = q_j P_j (BPS -/+ d).
 */
export function boxSides(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  d: bigint,
  ratios: readonly bigint[],
): BoxSides {
  let longCorners = 0n;
  let shortCorners = 0n;
  let longCosts = 0n;
  let shortCosts = 0n;
  let requirement = 0n;
  state.markets.forEach((m, j) => {
    const corner = m.size * prices[j] * (m.side === Side.Long ? BPS - d : BPS + d);
    if (m.side === Side.Long) {
      longCorners += corner;
      longCosts += m.cost;
    } else {
      shortCorners += corner;
      shortCosts += m.cost;
    }
    requirement += ratios[j] * corner;
  });
  const lhs = BPS * (value * (BPS - d) + BPS * (state.cash + CASH_OFFSET) + longCorners + BPS * shortCosts);
  const rhs = BPS * (BPS * CASH_OFFSET + BPS * longCosts + shortCorners) + requirement;
  return { lhs, rhs };
}

function requireBoxArgs(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  d: bigint,
  ratios: readonly bigint[],
) {
  requireValidState(state);
  requireRange("collateral value", value, VALUE_BITS);
  requirePrices(state.markets.length, prices);
  requireRatios(state.markets.length, ratios);
  requireBox(d);
}

/** BPS^2 x (equity - requirement) at the worst corner of the box: >= 0 exactly when BoxMargin(d, r) holds. */
export function boxSlack(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  d: bigint,
  ratios: readonly bigint[],
): bigint {
  requireBoxArgs(state, value, prices, d, ratios);
  const s = boxSides(state, value, prices, d, ratios);
  return s.lhs - s.rhs;
}

/**
 * BoxMargin(d, r): equity >= requirement at every corner of [P_j (1 - d), P_j (1 + d)] with the collateral
 * at V (1 - d). d = 0 is the plain margin check at the centre prices.
 */
export function boxMargin(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  d: bigint,
  ratios: readonly bigint[],
): boolean {
  return boxSlack(state, value, prices, d, ratios) >= 0n;
}

/**
 * The smallest collateral value added to `value` that makes BoxMargin(d, r) hold (0 when it holds);
 * undefined for d = BPS with a shortfall (the collateral counts for nothing there).
 */
export function boxShortfall(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  d: bigint,
  ratios: readonly bigint[],
): bigint | undefined {
  const slack = boxSlack(state, value, prices, d, ratios);
  if (slack >= 0n) return 0n;
  const perUnit = BPS * (BPS - d);
  if (perUnit === 0n) return undefined;
  return (-slack + perUnit - 1n) / perUnit;
}

/**
 * The largest d in [0, BPS] for which BoxMargin(d, pm) still holds, or undefined when it fails at d = 0.
 * The slack is linear in d: S(d) = S(0) - d (BPS V + sum_long (BPS - r) q P + sum_short (BPS + r) q P).
 */
export function maxBoxBps(
  state: AccountState,
  value: bigint,
  prices: readonly bigint[],
  pm: readonly bigint[],
): bigint | undefined {
  const s0 = boxSlack(state, value, prices, 0n, pm);
  if (s0 < 0n) return undefined;
  const slope = state.markets.reduce(
    (acc, m, j) => acc + (m.side === Side.Long ? BPS - pm[j] : BPS + pm[j]) * m.size * prices[j],
    BPS * value,
  );
  if (slope <= 0n) return BPS;
  const d = s0 / slope;
  return d > BPS ? BPS : d;
}

/** sum_j r_j q_j P_j / BPS at the centre, rounded up (value units). */
export function requirement(state: AccountState, prices: readonly bigint[], ratios: readonly bigint[]): bigint {
  const r = state.markets.reduce((acc, m, j) => acc + ratios[j] * m.size * prices[j], 0n);
  return (r + BPS - 1n) / BPS;
}
