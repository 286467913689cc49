/**
 * Predictive-risk figure: `risk.mc_ms`, the median wall time of one Monte Carlo run of prover/risk
 * (simulateBreach: 10,000 paths, 4 correlated markets against USDC, horizons 1 h and 24 h, at-horizon
 * breach only), after warm-up runs so that the JIT has compiled the inner loop. Each run uses its own seed.
 *
 * Register in bench/run.ts as { name: "risk", run: async () => (await import("./risk-mc")).riskFigures() };
 * standalone: `npx ts-node --transpile-only bench/risk-mc.ts`.
 */
import { DAY, HOUR, type Portfolio, simulateBreach } from "../prover/risk";
import { type Figure, figure, medianMs, progress } from "./lib/figures";

export const MC_PATHS = 10_000;
const RUNS = 11;
const WARMUP = 3;

/** ETH, BTC, SOL long/short and ARB, 0.6 pairwise correlation, 5,000 USDC: about 7x gross. */
export function benchPortfolio(): Portfolio {
  const m = (name: string, side: "long" | "short", size: number, price: number, vol: number) => ({
    name,
    side,
    size,
    costBasis: size * price,
    price,
    maintenanceBps: 50,
    volatility: { annualised: vol },
  });
  const ids = [0, 1, 2, 3];
  return {
    markets: [
      m("ETH", "long", 5, 3000, 0.8),
      m("BTC", "long", 0.2, 60_000, 0.6),
      m("SOL", "short", 100, 150, 1.1),
      m("ARB", "long", 5000, 1, 1.3),
    ],
    collateral: [{ name: "USDC", amount: 5000, price: 1, haircutBps: 0, volatility: { annualised: 0 } }],
    cash: 0,
    correlation: ids.map((i) => ids.map((j) => (i === j ? 1 : 0.6))),
  };
}

/** The median time of one 10,000-path, 4-market, 2-horizon run, in ms. */
export async function riskMcMs(): Promise<number> {
  const p = benchPortfolio();
  let seed = 0;
  return medianMs(
    `risk: ${MC_PATHS} paths x 4 markets x 2 horizons`,
    () => simulateBreach(p, { horizonsSeconds: [HOUR, DAY], paths: MC_PATHS, seed: seed++ }),
    RUNS,
    WARMUP,
  );
}

export async function riskFigures(): Promise<Figure[]> {
  return [figure("risk.mc_ms", await riskMcMs(), "ms")];
}

if (require.main === module) {
  riskFigures()
    .then((fs) => fs.forEach((f) => process.stdout.write(`${f.name}: ${f.value} ${f.unit}\n`)))
    .catch((e: unknown) => {
      progress(`failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    });
}
