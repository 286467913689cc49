/**
 * The portfolio the risk module works on, in plain float64 quote units (the caller converts from the
 * chain's integers at the edge: see scaled.ts), and its margin arithmetic.
 *
 *   Equity(P, C) = sum_c amount_c C_c (1 - haircut_c) + cash + sum_long (q_j P_j - K_j) + sum_short (K_j - q_j P_j)
 *   Maintenance(P) = sum_j mm_j q_j P_j          (mm_j = maintenanceBps_j / 10,000)
 *   Slack = Equity - Maintenance; a breach is Slack < 0 (the chain accepts Equity >= Maintenance).
 *
 * Slack is affine in the prices: Slack = constant + sum_j a_j P_j + sum_c b_c C_c with
 * a_j = q_j (1 - mm_j) for a long, a_j = -q_j (1 + mm_j) for a short, b_c = amount_c (1 - haircut_c) and
 * constant = cash - sum_long K_j + sum_short K_j. The simulation and the distances use that form.
 *
 * Risk factors: every market and every collateral asset is a factor with its own price and volatility;
 * the correlation matrix is over the factors in the order markets first, then collateral (WETH collateral
 * is a factor with correlation 1, or nearly, with an ETH market).
 *
 * Float64: amounts, prices and values are doubles. Their relative rounding (2^-53, about 1.1e-16) moves
 * the slack by about 1e-16 of the gross notional, far below anything a probability can resolve.
 */
import { cholesky, requireCorrelation } from "./correlation";
import { RiskError, RiskErrorCode, requireFinite, requireNonNegative, requirePositive } from "./errors";

/** 365 days of 86,400 s: crypto markets trade every day, so a year of returns is a calendar year. */
export const SECONDS_PER_YEAR = 365 * 86_400;
export const BPS = 10_000;

export type Side = "long" | "short";

/**
 * The standard deviation of log-returns: per year (sigma_a, e.g. 0.8 for 80 %), or per second (sigma_s,
 * in 1/sqrt(s)); sigma_s = sigma_a / sqrt(SECONDS_PER_YEAR). 0 for a stable asset.
 */
export type Volatility = { readonly annualised: number } | { readonly perSecond: number };

export interface MarketExposure {
  /** Shown in errors and results ("ETH"); defaults to "market j". */
  readonly name?: string;
  readonly side: Side;
  /** q >= 0, in base units of the asset (1.5 for 1.5 ETH). */
  readonly size: number;
  /** K >= 0, the entry cost basis in quote units (sum of size x entry price). */
  readonly costBasis: number;
  /** Current (mark) price P_j > 0, quote units per base unit. */
  readonly price: number;
  /** Maintenance ratio mm_j in basis points, 0 to 10,000. */
  readonly maintenanceBps: number;
  readonly volatility: Volatility;
}

export interface CollateralHolding {
  /** Shown in errors and results ("WETH"); defaults to "collateral c". */
  readonly name?: string;
  /** Token amount >= 0, in whole tokens. */
  readonly amount: number;
  /** Current price C_c > 0, quote units per token. */
  readonly price: number;
  /** The share of the value not counted, in basis points, 0 to 10,000. */
  readonly haircutBps: number;
  readonly volatility: Volatility;
}

export interface Portfolio {
  readonly markets: readonly MarketExposure[];
  readonly collateral: readonly CollateralHolding[];
  /** Signed cash in quote units (realised PnL, fees; negative when owed). */
  readonly cash: number;
  /**
   * Correlations over the factors, markets first then collateral: (M + C) x (M + C). An M x M matrix
   * (markets only) is accepted when no collateral has a volatility; the matrix may be left out when at
   * most one factor has a volatility.
   */
  readonly correlation?: readonly (readonly number[])[];
}

/** Prices to evaluate at (defaults: the current ones). */
export interface Prices {
  readonly markets: readonly number[];
  readonly collateral: readonly number[];
}

/** A factor's identity and its share of the slack, as the simulation and the distances use them. */
export interface Factor {
  readonly name: string;
  readonly kind: "market" | "collateral";
  /** Index among the markets or among the collateral. */
  readonly index: number;
  /** d Slack / d price (a_j or b_c). */
  readonly weight: number;
  readonly price: number;
  /** sigma per sqrt(second). */
  readonly sigma: number;
}

/** The slack as constant + sum_f weight_f price_f, and the full correlation matrix over the factors. */
export interface LinearSlack {
  readonly constant: number;
  readonly factors: readonly Factor[];
  readonly correlation: readonly (readonly number[])[];
}

export function marketName(p: Portfolio, j: number): string {
  return p.markets[j].name ?? `market ${j}`;
}

export function collateralName(p: Portfolio, c: number): string {
  return p.collateral[c].name ?? `collateral ${c}`;
}

/** sigma per sqrt(second) of a volatility (validated: finite, >= 0). */
export function perSecondSigma(what: string, v: Volatility): number {
  if (v === null || typeof v !== "object") {
    throw new RiskError(RiskErrorCode.BadValue, `${what}: give the volatility as { annualised } or { perSecond }`);
  }
  if ("annualised" in v && "perSecond" in v) {
    throw new RiskError(RiskErrorCode.BadValue, `${what}: give the volatility per year or per second, not both`);
  }
  if ("annualised" in v) {
    requireNonNegative(`${what}: the annualised volatility`, v.annualised);
    return v.annualised / Math.sqrt(SECONDS_PER_YEAR);
  }
  if ("perSecond" in v) {
    requireNonNegative(`${what}: the per-second volatility`, v.perSecond);
    return v.perSecond;
  }
  throw new RiskError(RiskErrorCode.BadValue, `${what}: give the volatility as { annualised } or { perSecond }`);
}

function requireBps(what: string, v: number): void {
  requireFinite(what, v);
  if (v < 0 || v > BPS) throw new RiskError(RiskErrorCode.BadValue, `${what} must be from 0 to 10,000 bps, got ${v}`);
}

/**
 * Validates every field (and the correlation matrix: shape, range, symmetry, positive semi-definite);
 * returns the affine slack and the full (M + C)-square correlation matrix. */
export function linearSlack(p: Portfolio): LinearSlack {
  if (p === null || typeof p !== "object") throw new RiskError(RiskErrorCode.BadShape, "no portfolio given");
  if (!Array.isArray(p.markets)) throw new RiskError(RiskErrorCode.BadShape, "the portfolio needs a list of markets");
  if (!Array.isArray(p.collateral)) {
    throw new RiskError(RiskErrorCode.BadShape, "the portfolio needs a list of collateral (it may be empty)");
  }
  requireFinite("the cash balance", p.cash);
  const factors: Factor[] = [];
  let constant = p.cash;
  p.markets.forEach((m, j) => {
    const name = marketName(p, j);
    if (m.side !== "long" && m.side !== "short") {
      throw new RiskError(RiskErrorCode.BadValue, `${name}: the side must be "long" or "short", got ${String(m.side)}`);
    }
    requireNonNegative(`${name}: the size (give a short as side "short" and a size >= 0)`, m.size);
    requireNonNegative(`${name}: the cost basis`, m.costBasis);
    requirePositive(`${name}: the price`, m.price);
    requireBps(`${name}: the maintenance ratio`, m.maintenanceBps);
    const mm = m.maintenanceBps / BPS;
    const long = m.side === "long";
    constant += long ? -m.costBasis : m.costBasis;
    const weight = long ? m.size * (1 - mm) : -m.size * (1 + mm);
    factors.push({ name, kind: "market", index: j, weight, price: m.price, sigma: perSecondSigma(name, m.volatility) });
  });
  p.collateral.forEach((c, i) => {
    const name = collateralName(p, i);
    requireNonNegative(`${name}: the amount`, c.amount);
    requirePositive(`${name}: the price`, c.price);
    requireBps(`${name}: the haircut`, c.haircutBps);
    const weight = c.amount * (1 - c.haircutBps / BPS);
    factors.push({
      name,
      kind: "collateral",
      index: i,
      weight,
      price: c.price,
      sigma: perSecondSigma(name, c.volatility),
    });
  });
  const correlation = fullCorrelation(p, factors);
  cholesky(
    correlation,
    factors.map((f) => f.name),
  ); // shape, range, symmetry and positive semi-definiteness, with the factors' names in the errors
  return { constant, factors, correlation };
}

function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

function fullCorrelation(p: Portfolio, factors: readonly Factor[]): readonly (readonly number[])[] {
  const n = factors.length;
  const M = p.markets.length;
  const risky = factors.filter((f) => f.sigma > 0);
  if (p.correlation === undefined) {
    if (risky.length > 1) {
      throw new RiskError(
        RiskErrorCode.BadShape,
        `a correlation matrix is needed: ${risky.map((f) => f.name).join(", ")} all have a volatility`,
      );
    }
    return identity(n);
  }
  if (!Array.isArray(p.correlation)) throw new RiskError(RiskErrorCode.BadShape, "the correlation must be a matrix");
  if (p.correlation.length !== n && p.correlation.length !== M) {
    const names = factors.map((f) => f.name).join(", ");
    const marketsOnly = n > M ? `, or ${M} (the markets only) when no collateral has a volatility` : "";
    throw new RiskError(
      RiskErrorCode.BadShape,
      `the correlation matrix needs ${n} rows (${names})${marketsOnly}; got ${p.correlation.length}`,
    );
  }
  if (p.correlation.length === M && n > M) {
    const riskyCollateral = factors.slice(M).filter((f) => f.sigma > 0);
    if (riskyCollateral.length > 0) {
      throw new RiskError(
        RiskErrorCode.BadShape,
        `the correlation matrix covers the ${M} markets only, but collateral ${riskyCollateral.map((f) => f.name).join(", ")} ` +
          `has a volatility: give ${n} rows (markets, then collateral)`,
      );
    }
    requireCorrelation(
      p.correlation,
      factors.slice(0, M).map((f) => f.name),
    );
    const full = identity(n);
    for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) full[i][j] = p.correlation[i][j];
    return full;
  }
  return p.correlation;
}

/** Equity at `prices` (default: current prices), in quote units. */
export function equity(p: Portfolio, prices?: Prices): number {
  linearSlack(p);
  const P = pricesOf(p, prices);
  let e = p.cash;
  p.markets.forEach((m, j) => {
    e += m.side === "long" ? m.size * P.markets[j] - m.costBasis : m.costBasis - m.size * P.markets[j];
  });
  p.collateral.forEach((c, i) => {
    e += c.amount * P.collateral[i] * (1 - c.haircutBps / BPS);
  });
  return e;
}

/** The maintenance requirement sum_j mm_j q_j P_j at `prices` (default: current prices). */
export function maintenance(p: Portfolio, prices?: Prices): number {
  linearSlack(p);
  const P = pricesOf(p, prices);
  return p.markets.reduce((acc, m, j) => acc + (m.maintenanceBps / BPS) * m.size * P.markets[j], 0);
}

function pricesOf(p: Portfolio, prices?: Prices): Prices {
  if (prices === undefined)
    return { markets: p.markets.map((m) => m.price), collateral: p.collateral.map((c) => c.price) };
  if (prices.markets.length !== p.markets.length || prices.collateral.length !== p.collateral.length) {
    throw new RiskError(
      RiskErrorCode.BadShape,
      `expected ${p.markets.length} market and ${p.collateral.length} collateral prices, ` +
        `got ${prices.markets.length} and ${prices.collateral.length}`,
    );
  }
  prices.markets.forEach((x, j) => requirePositive(`the price of ${marketName(p, j)}`, x));
  prices.collateral.forEach((x, c) => requirePositive(`the price of ${collateralName(p, c)}`, x));
  return prices;
}

/** The slack constant + sum_f weight_f price_f at the current prices. */
export function currentSlack(s: LinearSlack): number {
  return s.factors.reduce((acc, f) => acc + f.weight * f.price, s.constant);
}
