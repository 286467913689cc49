/**
 * What the dashboard page shows, rebuilt after each daemon tick: the CLI's status (the same view and the
 * same formatting as `zkm status`), a mark-price history per market with the liquidation price and the
 * certificate's box, the countdowns, the breach probabilities of the risk policy (or a local estimate),
 * the daemon's actions and alerts. It stays in the daemon's memory; the page reads it through the
 * token-guarded local server.
 */
import type { PublicState } from "../lib/chain";
import { type AccountRisk, accountRisk, riskJson } from "../service/risk";
import { type StatusView, statusJson, statusView } from "../service/status";
import type { TraderService } from "../service/trader";
import { MARKET_NAMES, fmtBps, fmtDuration, fmtPrice, fmtSize, fmtToken, fmtValue } from "../service/units";
import type { Daemon } from "../daemon/daemon";

const MAX_POINTS = 2_000;

export class DashboardState {
  private readonly series = MARKET_NAMES.map(() => ({ t: [] as number[], mark: [] as number[] }));
  private doc: unknown = { loading: true };
  private risk?: { at: number; r: AccountRisk };

  constructor(
    private readonly t: TraderService,
    private readonly daemon: Daemon,
  ) {}

  get snapshot(): unknown {
    return this.doc;
  }

  async update(view: PublicState): Promise<void> {
    const now = Date.now() / 1000;
    view.marketPrices.forEach((p, j) => {
      const s = this.series[j];
      s.t.push(now);
      s.mark.push(Number(p) / 1e8);
      if (s.t.length > MAX_POINTS) {
        s.t.shift();
        s.mark.shift();
      }
    });
    const v = await statusView(this.t, view);
    const policyRisk = this.daemon.riskRunner?.latest;
    if (!policyRisk && (!this.risk || Date.now() - this.risk.at > 30_000 || this.risk.r === undefined)) {
      try {
        this.risk = { at: Date.now(), r: await accountRisk(this.t, view, { paths: 10_000 }) };
      } catch {
        /* risk is best effort on the page */
      }
    }
    const r = policyRisk ?? this.risk?.r;
    this.doc = build(v, this.series, r, this.daemon);
  }
}

function build(
  v: StatusView,
  series: { t: number[]; mark: number[] }[],
  risk: AccountRisk | undefined,
  daemon: Daemon,
) {
  const boxOf = (j: number) => v.certificate?.box.find((b) => b.index === j);
  return {
    generatedAt: new Date().toISOString(),
    status: statusJson(v),
    text: {
      phase: v.phase,
      banner: v.belowMaintenance
        ? `BELOW MAINTENANCE: equity ${fmtValue(v.equity)} < maintenance ${fmtValue(v.maintenance)}: deposit or reduce now`
        : v.phase === "challenged"
          ? `CHALLENGED: the daemon answers before the deadline`
          : v.phase === "liquidated" || v.phase === "claimable"
            ? "LIQUIDATED: positions were closed at the liquidation's prices; claim the equity with `zkm claim`"
            : "",
      equity: fmtValue(v.equity),
      maintenance: fmtValue(v.maintenance),
      initial: fmtValue(v.initial),
      collateralValue: fmtValue(v.collateralValue),
      cash: fmtValue(v.cash),
      marginUsage:
        v.marginUsageBps === undefined
          ? "none (no positions)"
          : v.marginUsageBps >= 10n ** 8n
            ? "over 100%"
            : fmtBps(v.marginUsageBps),
      collateral: v.collateral.map((c) => ({
        asset: c.symbol,
        amount: fmtToken(c.amount, c.decimals, c.symbol),
        value: fmtValue(c.value),
        maxWithdraw: fmtToken(c.maxWithdraw, c.decimals, c.symbol),
      })),
      positions: v.markets.map((m) => ({
        market: m.market,
        side: m.side,
        size: fmtSize(m.size, m.index),
        entry: fmtPrice(m.entryPrice),
        mark: fmtPrice(m.markPrice),
        pnl: fmtValue(m.unrealisedPnl),
        liquidation: m.liquidationPrice === undefined ? "none" : fmtPrice(m.liquidationPrice),
        distance: m.distanceBps === undefined ? "" : fmtBps(m.distanceBps),
      })),
      certificate: v.certificate
        ? { box: `+/-${fmtBps(v.certificate.boxBps)}`, staleIn: fmtDuration(v.certificate.secondsToStale) }
        : null,
    },
    countdowns: {
      staleInSeconds: v.certificate ? Number(v.certificate.secondsToStale) : null,
      deadlineInSeconds: v.secondsToDeadline === undefined ? null : Number(v.secondsToDeadline),
    },
    charts: v.markets.map((m) => {
      const s = series[m.index];
      const b = boxOf(m.index);
      return {
        market: m.market,
        t: s.t,
        mark: s.mark,
        liquidation: m.liquidationPrice === undefined ? null : Number(m.liquidationPrice) / 1e8,
        boxLow: b ? Number(b.low) / 1e8 : null,
        boxHigh: b ? Number(b.high) / 1e8 : null,
      };
    }),
    risk: risk ? riskJson(risk) : null,
    history: daemon.alerts.history.slice(-50).reverse(),
    alerts: daemon.alerts.sent.slice(-20).reverse(),
  };
}
