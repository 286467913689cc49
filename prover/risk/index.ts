/**
 * Predictive risk for a cross-margined portfolio, computed locally by the trader's prover: breach
 * probabilities by Monte Carlo over correlated log-normal prices, distances to liquidation in sigmas, a
 * closed form for one market (the tests' oracle), and the policy that turns probabilities into actions.
 *
 * Pure and synchronous: no chain access, no state files, no import from prover/model (the state format
 * changes; callers map theirs onto `Portfolio`, or onto `ScaledPortfolio` from bigints). Conventions:
 * quote units and float64 (portfolio.ts), seconds for every time, volatilities per year (365 days) or per
 * second, zero-drift martingale prices (montecarlo.ts), xoshiro128** + Box-Muller (prng.ts), Wilson 95 %
 * intervals (stats.ts), delta-approximation distances (distance.ts). docs/risk.md has the whole picture.
 */
export * from "./assess";
export * from "./closedForm";
export * from "./correlation";
export * from "./distance";
export * from "./errors";
export * from "./montecarlo";
export * from "./policy";
export * from "./portfolio";
export * from "./prng";
export * from "./scaled";
export * from "./stats";
