/**
 * One call for `zkm risk` and the daemon: the margin now, the Monte Carlo breach probabilities per
 * horizon and the distances to liquidation over the same horizons.
 */
import { type Distance, distanceToLiquidation } from "./distance";
import { DEFAULT_HORIZONS, type HorizonBreach, type SimulationOptions, simulateBreach } from "./montecarlo";
import { type Portfolio, currentSlack, linearSlack, maintenance as maintenanceOf } from "./portfolio";

export interface HorizonRisk extends HorizonBreach {
  readonly distance: Distance;
}

export interface RiskReport {
  /** Quote units at current prices. */
  readonly equity: number;
  readonly maintenance: number;
  /** maintenance / equity (Infinity when equity <= 0 and maintenance > 0). */
  readonly marginUsage: number;
  readonly horizons: readonly HorizonRisk[];
  readonly paths: number;
  readonly seed: string;
  readonly generator: string;
  readonly movingFactors: readonly string[];
}

export function assessRisk(portfolio: Portfolio, options: SimulationOptions = {}): RiskReport {
  const sim = simulateBreach(portfolio, options);
  const s = linearSlack(portfolio);
  const slack = currentSlack(s);
  const maintenance = maintenanceOf(portfolio);
  const equity = slack + maintenance;
  const horizons = options.horizonsSeconds ?? DEFAULT_HORIZONS;
  return {
    equity,
    maintenance,
    marginUsage: equity > 0 ? maintenance / equity : maintenance > 0 ? Infinity : 0,
    horizons: sim.horizons.map((h, i) => ({ ...h, distance: distanceToLiquidation(portfolio, horizons[i]) })),
    paths: sim.paths,
    seed: sim.seed,
    generator: sim.generator,
    movingFactors: sim.movingFactors,
  };
}
