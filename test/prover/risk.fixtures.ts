/** Portfolios shared by the risk tests (plain float inputs, quote units). */
import type { CollateralHolding, MarketExposure, Portfolio, Side } from "../../prover/risk";

export const ETH = 3000;
export const USDC: CollateralHolding = {
  name: "USDC",
  amount: 0,
  price: 1,
  haircutBps: 0,
  volatility: { annualised: 0 },
};

export function market(
  name: string,
  side: Side,
  size: number,
  price = ETH,
  extra: Partial<MarketExposure> = {},
): MarketExposure {
  return {
    name,
    side,
    size,
    costBasis: size * price,
    price,
    maintenanceBps: 50,
    volatility: { annualised: 0.8 },
    ...extra,
  };
}

/** One ETH position opened at the current price with `leverage` x the USDC collateral (1,000 USDC). */
export function levered(side: Side, leverage: number, extra: Partial<MarketExposure> = {}): Portfolio {
  const collateral = 1000;
  return {
    markets: [market("ETH", side, (leverage * collateral) / ETH, ETH, extra)],
    collateral: [{ ...USDC, amount: collateral }],
    cash: 0,
  };
}

/** Four correlated markets (0.6 pairwise) against 5,000 USDC. */
export function fourMarkets(): Portfolio {
  const rho = 0.6;
  return {
    markets: [
      market("ETH", "long", 5),
      market("BTC", "long", 0.2, 60_000, { volatility: { annualised: 0.6 } }),
      market("SOL", "short", 100, 150, { volatility: { annualised: 1.1 } }),
      market("ARB", "long", 5000, 1, { volatility: { annualised: 1.3 } }),
    ],
    collateral: [{ ...USDC, amount: 5000 }],
    cash: 0,
    correlation: [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => (i === j ? 1 : rho))),
  };
}
