/**
 * Closed forms for one market against stable collateral (the Monte Carlo's test oracle).
 *
 * With zero drift in the price (d ln P = -sigma^2/2 dt + sigma dW) and liquidation price P*:
 *   long:  P(P_T < P*) = Phi((ln(P* / P0) + sigma^2 T / 2) / (sigma sqrt T))
 *   short: P(P_T > P*) = Phi(-(ln(P* / P0) + sigma^2 T / 2) / (sigma sqrt T))
 * and, monitored continuously (reflection principle for a Brownian motion with drift mu = -sigma^2/2,
 * barrier b = ln(P* / P0)):
 *   long (b < 0):  P(min_t P_t <= P*) = Phi((b + sigma^2 T/2) / (sigma sqrt T)) + (P0 / P*) Phi((b - sigma^2 T/2) / (sigma sqrt T))
 *   short (b > 0): P(max_t P_t >= P*) = Phi((-b - sigma^2 T/2) / (sigma sqrt T)) + (P0 / P*) Phi((-b + sigma^2 T/2) / (sigma sqrt T))
 * For n discrete checks, Broadie, Glasserman and Kou (1997) move the barrier away by exp(beta sigma sqrt(T/n)),
 * beta = -zeta(1/2) / sqrt(2 pi) = 0.5826: `discreteTouch` applies that correction.
 */
import { RiskError, RiskErrorCode, requireNonNegative, requirePositive } from "./errors";
import { type Portfolio, type Side, currentSlack, linearSlack } from "./portfolio";
import { normalCdf } from "./stats";

/** -zeta(1/2) / sqrt(2 pi). */
export const BGK_BETA = 0.5825971579390107;

export interface OneMarket {
  readonly side: Side;
  readonly price: number;
  /** null: no positive price breaches a long (probability 0), or every price breaches a short (1). */
  readonly liquidationPrice: number | null;
  /** sigma per sqrt(second). */
  readonly sigma: number;
}

/** P(breach at T) for one log-normal price with the liquidation price given. */
export function logNormalBreach(m: OneMarket, horizonSeconds: number): number {
  requirePositive("the horizon (in seconds)", horizonSeconds);
  requireNonNegative("the volatility", m.sigma);
  if (m.liquidationPrice === null) return m.side === "long" ? 0 : 1;
  const b = Math.log(m.liquidationPrice / m.price);
  const s = m.sigma * Math.sqrt(horizonSeconds);
  if (s === 0) return m.side === "long" ? (b > 0 ? 1 : 0) : b < 0 ? 1 : 0;
  const d = (b + (s * s) / 2) / s;
  return m.side === "long" ? normalCdf(d) : normalCdf(-d);
}

/** P(the price crosses P* at some time in [0, T]), continuous monitoring. */
export function logNormalTouch(m: OneMarket, horizonSeconds: number): number {
  requirePositive("the horizon (in seconds)", horizonSeconds);
  requireNonNegative("the volatility", m.sigma);
  if (m.liquidationPrice === null) return m.side === "long" ? 0 : 1;
  const b = Math.log(m.liquidationPrice / m.price);
  if (m.side === "long" ? b >= 0 : b <= 0) return 1; // already past it
  const s = m.sigma * Math.sqrt(horizonSeconds);
  if (s === 0) return 0;
  const half = (s * s) / 2;
  const k = m.price / m.liquidationPrice;
  return m.side === "long"
    ? normalCdf((b + half) / s) + k * normalCdf((b - half) / s)
    : normalCdf((-b - half) / s) + k * normalCdf((-b + half) / s);
}

/** The continuous-touch probability with the barrier shifted for n discrete checks (BGK 1997). */
export function discreteTouch(m: OneMarket, horizonSeconds: number, checks: number): number {
  if (m.liquidationPrice === null) return logNormalTouch(m, horizonSeconds);
  const shift = Math.exp(BGK_BETA * m.sigma * Math.sqrt(horizonSeconds / checks));
  const star = m.side === "long" ? m.liquidationPrice / shift : m.liquidationPrice * shift;
  return logNormalTouch({ ...m, liquidationPrice: star }, horizonSeconds);
}

/** The one moving market of `p` (all collateral stable, at most one market with a size). */
export function oneMarket(p: Portfolio): OneMarket {
  const s = linearSlack(p);
  const held = p.markets.map((m, j) => ({ m, j })).filter(({ m }) => m.size > 0);
  const moving = s.factors.filter((f) => f.kind === "collateral" && f.sigma > 0 && f.weight !== 0);
  if (held.length !== 1 || moving.length > 0) {
    throw new RiskError(
      RiskErrorCode.BadShape,
      "the closed form is for one market with a position and collateral that does not move",
    );
  }
  const { m, j } = held[0];
  const f = s.factors[j];
  const star = f.price - currentSlack(s) / f.weight;
  return { side: m.side, price: f.price, liquidationPrice: star > 0 ? star : null, sigma: f.sigma };
}

/** The closed-form P(breach at T) of a one-market portfolio. */
export function closedFormBreach(p: Portfolio, horizonSeconds: number): number {
  return logNormalBreach(oneMarket(p), horizonSeconds);
}
