/**
 * Distance to liquidation, in standard deviations of the move over a horizon T.
 *
 * Portfolio (delta approximation): the slack S = Equity - Maintenance now, divided by the standard
 * deviation of the slack's change over T to first order in the prices:
 *   dS ~ sum_f c_f r_f,  c_f = weight_f X_f (the factor's slack at its current price), r_f ~ N(0, sigma_f^2 T)
 *   sd(dS) = sqrt(T) sqrt(v^T R v),  v_f = c_f sigma_f,  R the correlation matrix
 *   portfolioSigmas = S / sd(dS)
 * so 3 reads "a three-sigma move of the whole book over T takes it to maintenance". Collateral that moves
 * counts (WETH collateral with an ETH long adds to the risk); a hedged pair cancels. It is +Infinity when
 * nothing moves and the slack is >= 0 (-Infinity when < 0). The approximation ignores convexity: the
 * Monte Carlo figure is the one to act on.
 *
 * Per market j, everything else fixed: the liquidation price P*_j solves S + a_j (P*_j - P_j) = 0, so
 * P*_j = P_j - S / a_j (exact, since S is affine in P_j), and the log move to it in sigmas is
 *   long:  ln(P_j / P*_j) / (sigma_j sqrt T)     short: ln(P*_j / P_j) / (sigma_j sqrt T)
 * (> 0: safe by that many sigmas; < 0: already past it). A long whose P* would be <= 0 cannot be
 * liquidated by its own price alone: liquidationPrice null and +Infinity sigmas (a short with P* <= 0 is
 * below maintenance at every price: null and -Infinity).
 */
import { requirePositive } from "./errors";
import { type LinearSlack, type Portfolio, currentSlack, linearSlack } from "./portfolio";

export interface MarketDistance {
  readonly name: string;
  readonly side: "long" | "short";
  /** The price at which this market alone takes the portfolio to maintenance; null if none exists. */
  readonly liquidationPrice: number | null;
  /** The log move to the liquidation price in sigma_j sqrt(T); +-Infinity as documented above. */
  readonly sigmas: number;
}

export interface Distance {
  readonly horizonSeconds: number;
  /** Equity - Maintenance at current prices (quote units). */
  readonly slack: number;
  /** sd of the slack's change over the horizon, delta approximation (quote units). */
  readonly slackSd: number;
  readonly portfolioSigmas: number;
  /** One entry per market with a size > 0, in market order. */
  readonly markets: readonly MarketDistance[];
}

function ratio(num: number, den: number): number {
  if (den > 0) return num / den;
  return num >= 0 ? Infinity : -Infinity;
}

/** The slack's standard deviation over T under the delta approximation. */
export function slackSd(s: LinearSlack, horizonSeconds: number): number {
  const v = s.factors.map((f) => f.weight * f.price * f.sigma);
  let variance = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) continue;
    for (let j = 0; j < v.length; j++) variance += v[i] * s.correlation[i][j] * v[j];
  }
  return Math.sqrt(Math.max(0, variance) * horizonSeconds);
}

/** The liquidation price of market j with every other price fixed (null if no positive price reaches it). */
export function liquidationPrice(p: Portfolio, j: number): number | null {
  const s = linearSlack(p);
  return marketLiquidationPrice(s, currentSlack(s), j);
}

function marketLiquidationPrice(s: LinearSlack, slack: number, j: number): number | null {
  const f = s.factors[j];
  if (f.weight === 0) return null;
  const star = f.price - slack / f.weight;
  return star > 0 ? star : null;
}

export function distanceToLiquidation(p: Portfolio, horizonSeconds: number): Distance {
  requirePositive("the horizon (in seconds)", horizonSeconds);
  const s = linearSlack(p);
  const slack = currentSlack(s);
  const sd = slackSd(s, horizonSeconds);
  const markets: MarketDistance[] = [];
  p.markets.forEach((m, j) => {
    if (m.size === 0) return;
    const f = s.factors[j];
    const star = marketLiquidationPrice(s, slack, j);
    const long = m.side === "long";
    let sigmas: number;
    if (star === null) sigmas = long ? Infinity : -Infinity;
    else
      sigmas = ratio(long ? Math.log(f.price / star) : Math.log(star / f.price), f.sigma * Math.sqrt(horizonSeconds));
    markets.push({ name: f.name, side: m.side, liquidationPrice: star, sigmas });
  });
  return { horizonSeconds, slack, slackSd: sd, portfolioSigmas: ratio(slack, sd), markets };
}
