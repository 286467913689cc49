/**
 * Predictive risk of the trader's account (docs/risk.md), computed locally: the private state and the
 * public state become a prover/risk Portfolio, with volatilities from the chain's risk engine
 * (RiskEngine.sigmaAnnual, the EWMA the maintenance ratios come from) or, where it reads 0, from the
 * oracle's round history; correlations are not on chain: a documented default (0.7 between markets,
 * 1 between a wrapped collateral and its market, e.g. WETH and ETH) that the daemon's config overrides.
 *
 * Output per horizon: the Monte Carlo probability of being below maintenance at the horizon (10,000
 * seeded paths by default, with its standard error and Wilson 95% interval), and the distance to
 * liquidation in sigmas (whole portfolio, and per market).
 */
import type { Provider } from "ethers";
import { AggregatorV3Interface__factory, OracleAdapter__factory, RiskEngine__factory } from "../../core/contracts";
import { BPS, type AccountState, Side } from "../model";
import type { PublicState } from "../lib/chain";
import {
  DAY,
  DEFAULT_PATHS,
  HOUR,
  type Portfolio,
  type RiskReport,
  SECONDS_PER_YEAR,
  type ScaledPortfolio,
  assessRisk,
  portfolioFromScaled,
} from "../risk";
import type { TraderService } from "./trader";
import { MARKET_NAMES, fmtDuration } from "./units";

export const DEFAULT_CORRELATION = 0.7;
export const RISK_HORIZONS = [HOUR, DAY] as const;

export interface Volatilities {
  /** Annualised sigma per market (0.8 = 80%). */
  readonly annualised: readonly number[];
  /** Where each came from: "risk engine", "oracle history (n rounds)" or "assumed". */
  readonly source: readonly string[];
}

/** When neither the risk engine nor the oracle history gives a figure: a deliberately high 100%. */
export const ASSUMED_VOLATILITY = 1.0;

/** sigma from a feed's last rounds: sqrt(sum r^2 / sum dt) per second, annualised. */
async function historyVolatility(
  feed: string,
  provider: Provider,
  rounds = 48,
): Promise<{ sigma: number; n: number } | undefined> {
  const agg = AggregatorV3Interface__factory.connect(feed, provider);
  const latest = await agg.latestRoundData();
  const ids: bigint[] = [];
  for (let k = 0n; k < BigInt(rounds) && latest.roundId - k > 0n; k++) ids.push(latest.roundId - k);
  const data = await Promise.all(ids.map((id) => agg.getRoundData(id).catch(() => undefined)));
  const pts = data
    .filter((r): r is NonNullable<typeof r> => r !== undefined && r.answer > 0n && r.updatedAt > 0n)
    .map((r) => ({ p: Number(r.answer), t: Number(r.updatedAt) }))
    .sort((a, b) => a.t - b.t);
  let sq = 0;
  let dt = 0;
  for (let i = 1; i < pts.length; i++) {
    const d = pts[i].t - pts[i - 1].t;
    if (d <= 0) continue;
    const r = Math.log(pts[i].p / pts[i - 1].p);
    sq += r * r;
    dt += d;
  }
  if (dt <= 0 || pts.length < 3) return undefined;
  return { sigma: Math.sqrt((sq / dt) * SECONDS_PER_YEAR), n: pts.length };
}

/** Volatilities of the four markets, as the chain estimates them. */
export async function marketVolatilities(t: TraderService): Promise<Volatilities> {
  const provider = t.chain.provider;
  const risk = RiskEngine__factory.connect(await t.registry.risk(), provider);
  const oracle = OracleAdapter__factory.connect(await t.registry.oracle(), provider);
  const annualised: number[] = [];
  const source: string[] = [];
  for (let j = 0; j < MARKET_NAMES.length; j++) {
    const wad = await risk.sigmaAnnual(j).catch(() => 0n);
    if (wad > 0n) {
      annualised.push(Number(wad) / 1e18);
      source.push("risk engine");
      continue;
    }
    const feed = (await oracle.marketFeed(j).catch(() => undefined))?.[0];
    const h = feed ? await historyVolatility(feed, provider).catch(() => undefined) : undefined;
    annualised.push(h?.sigma ?? ASSUMED_VOLATILITY);
    source.push(h ? `oracle history (${h.n} rounds)` : "assumed");
  }
  return { annualised, source };
}

/** The market a collateral asset moves with ("WETH" -> ETH), if any. */
export function collateralMarket(symbol: string): number {
  const s = symbol.toUpperCase();
  return MARKET_NAMES.findIndex((m) => s === m || s === `W${m}`);
}

/**
 * The account as a risk Portfolio: positions at current prices and maintenance ratios, collateral with
 * the chain's haircuts (prover/risk counts the share *not* counted), cash; the settlement asset and
 * other unmatched stable assets do not move.
 */
export function portfolioOf(
  state: AccountState,
  view: PublicState,
  vols: Volatilities,
  correlation = DEFAULT_CORRELATION,
): Portfolio {
  const held = state.markets.map((m, j) => ({ m, j })).filter(({ m }) => m.size > 0n);
  const collateral = view.collateral
    .map((amount, i) => ({ amount, i, market: i === 0 ? -1 : collateralMarket(view.symbols[i]) }))
    .filter((c) => c.amount > 0n);
  const scaled: ScaledPortfolio = {
    markets: held.map(({ m, j }) => ({
      name: MARKET_NAMES[j] ?? `market ${j}`,
      side: m.side === Side.Long ? "long" : "short",
      size: m.size,
      costBasis: m.cost,
      price: view.marketPrices[j],
      maintenanceBps: view.mm[j],
      volatility: { annualised: vols.annualised[j] },
    })),
    collateral: collateral.map((c) => ({
      name: view.symbols[c.i],
      amount: c.amount,
      decimals: view.decimals[c.i],
      price: view.assetPrices[c.i],
      haircutBps: BPS - view.haircuts[c.i],
      volatility: { annualised: c.market >= 0 ? vols.annualised[c.market] : 0 },
    })),
    cash: state.cash,
  };
  // factors: the held markets, then the collateral; a wrapped asset moves with its market
  const factorMarket = [...held.map((h) => h.j), ...collateral.map((c) => c.market)];
  const moving = factorMarket.map((j) => j >= 0);
  const n = factorMarket.length;
  const matrix = Array.from({ length: n }, (_, a) =>
    Array.from({ length: n }, (_, b) => {
      if (a === b) return 1;
      if (!moving[a] || !moving[b]) return 0;
      return factorMarket[a] === factorMarket[b] ? 1 : correlation;
    }),
  );
  const anyCollateralMoves = collateral.some((c) => c.market >= 0);
  return portfolioFromScaled({
    ...scaled,
    ...(n > 1
      ? { correlation: anyCollateralMoves ? matrix : matrix.slice(0, held.length).map((r) => r.slice(0, held.length)) }
      : {}),
  });
}

export interface RiskOptions {
  readonly paths?: number;
  readonly seed?: bigint | number;
  readonly horizonsSeconds?: readonly number[];
  readonly correlation?: number;
}

export interface AccountRisk {
  readonly report: RiskReport;
  readonly volatilities: Volatilities;
  readonly correlation: number;
}

/** The account's risk now (no positions: probability 0 everywhere). */
export async function accountRisk(
  t: TraderService,
  view: PublicState,
  o: RiskOptions = {},
  vols?: Volatilities,
): Promise<AccountRisk> {
  const volatilities = vols ?? (await marketVolatilities(t));
  const correlation = o.correlation ?? DEFAULT_CORRELATION;
  const p = portfolioOf(t.state, view, volatilities, correlation);
  const report = assessRisk(p, {
    horizonsSeconds: o.horizonsSeconds ?? [...RISK_HORIZONS],
    paths: o.paths ?? DEFAULT_PATHS,
    seed: o.seed ?? 1n,
  });
  return { report, volatilities, correlation };
}

const pct = (p: number) => (p >= 0.1 ? `${(p * 100).toFixed(1)}%` : `${(p * 100).toFixed(2)}%`);
const sig = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : x > 0 ? "inf" : "-inf");

export function renderRisk(r: AccountRisk): string {
  const rep = r.report;
  const lines = [
    `equity ${rep.equity.toFixed(2)} USD  maintenance ${rep.maintenance.toFixed(2)} USD  margin usage ${Number.isFinite(rep.marginUsage) ? pct(rep.marginUsage) : "over 100%"}`,
  ];
  if (rep.movingFactors.length === 0) {
    lines.push("nothing moves the account (no positions and no volatile collateral): no breach is possible");
  }
  for (const h of rep.horizons) {
    const e = h.atHorizon;
    lines.push(
      `within ${fmtDuration(h.horizonSeconds)}: P(below maintenance) = ${pct(e.probability)} (95% interval ${pct(e.interval95[0])} .. ${pct(e.interval95[1])}, ${e.paths} paths); distance ${sig(h.distance.portfolioSigmas)} sigma`,
    );
    for (const m of h.distance.markets) {
      lines.push(`    ${m.name.padEnd(4)} ${sig(m.sigmas)} sigma to its liquidation price`);
    }
  }
  lines.push(
    `model: correlated log-normal prices (zero drift), ${rep.generator}, seed ${rep.seed}; volatilities ${r.volatilities.annualised
      .map((v, j) => `${MARKET_NAMES[j]} ${(v * 100).toFixed(0)}% (${r.volatilities.source[j]})`)
      .join(", ")}; correlation ${r.correlation} between markets (docs/risk.md)`,
  );
  return lines.join("\n");
}

/** JSON form (probabilities as numbers in [0, 1]; sigmas as numbers or "inf"). */
export function riskJson(r: AccountRisk) {
  const rep = r.report;
  const num = (x: number) => (Number.isFinite(x) ? x : x > 0 ? "inf" : "-inf");
  return {
    equity: { value: rep.equity.toFixed(2), unit: "USD" },
    maintenance: { value: rep.maintenance.toFixed(2), unit: "USD" },
    marginUsage: num(rep.marginUsage),
    horizons: rep.horizons.map((h) => ({
      horizon: fmtDuration(h.horizonSeconds),
      horizonSeconds: h.horizonSeconds,
      probability: h.atHorizon.probability,
      standardError: h.atHorizon.standardError,
      interval95: h.atHorizon.interval95,
      paths: h.atHorizon.paths,
      portfolioSigmas: num(h.distance.portfolioSigmas),
      markets: h.distance.markets.map((m) => ({ market: m.name, sigmas: num(m.sigmas) })),
    })),
    seed: rep.seed,
    generator: rep.generator,
    volatilities: r.volatilities.annualised.map((v, j) => ({
      market: MARKET_NAMES[j],
      annualised: v,
      source: r.volatilities.source[j],
    })),
    correlation: r.correlation,
  };
}
