/**
 * What an operator watches: Prometheus metrics (prom-client, one registry per process, a `deployment`
 * label on everything) served with a health check on a local port:
 *   GET /metrics  Prometheus text format
 *   GET /healthz  200 {"ok":true,...} while every deployment finished a round recently, else 503
 * Counters and gauges: rounds, round failures, candidates, challenges, liquidations, auction takes,
 * redos, repays, pokes, bonds won and lost, bounties, gas spent, ETH balance, RPC calls and errors,
 * lag behind the head.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Registry } from "prom-client";
import type { Ledger } from "./index/types";

const E18 = 1e18;

export class Metrics {
  readonly registry = new Registry();
  readonly rounds = this.counter("zkm_keeper_rounds_total", "Rounds completed");
  readonly roundFailures = this.counter("zkm_keeper_round_failures_total", "Rounds that failed (retried later)");
  readonly candidates = new Gauge({
    name: "zkm_keeper_candidates",
    help: "Candidates of the last round by kind (challenge, liquidate, unprofitable)",
    labelNames: ["deployment", "kind"],
    registers: [this.registry],
  });
  readonly challenges = this.counter("zkm_keeper_challenges_total", "Accounts we challenged");
  readonly liquidations = this.counter("zkm_keeper_liquidations_total", "Accounts we liquidated");
  readonly auctionTakes = this.counter("zkm_keeper_auction_takes_total", "Auction takes we made");
  readonly redos = this.counter("zkm_keeper_auction_redos_total", "Auction redos we made");
  readonly repays = this.counter("zkm_keeper_fund_repays_total", "Fund repay calls we made");
  readonly pokes = this.counter("zkm_keeper_risk_pokes_total", "Risk engine pokes we made");
  readonly txs = new Counter({
    name: "zkm_keeper_transactions_total",
    help: "Transactions by action and outcome",
    labelNames: ["deployment", "action", "status"],
    registers: [this.registry],
  });
  readonly bondsWon = this.gauge("zkm_keeper_bonds_won", "Our challenges that ended in a liquidation (bond back)");
  readonly bondsLost = this.gauge("zkm_keeper_bonds_lost", "Our challenges answered by the owner (bond lost)");
  readonly bondsLostEth = this.gauge("zkm_keeper_bonds_lost_eth", "Bonds lost to answered challenges (ETH)");
  readonly bounties = this.gauge("zkm_keeper_bounties_quote", "Bounties earned (quote currency)");
  readonly takeProfit = this.gauge("zkm_keeper_auction_profit_settlement", "Auction profit (settlement base units)");
  readonly gasSpentEth = this.gauge("zkm_keeper_gas_spent_eth", "Gas paid by our transactions (ETH)");
  readonly pnlQuote = this.gauge("zkm_keeper_pnl_quote", "Profit and loss (quote currency)");
  readonly balanceEth = this.gauge("zkm_keeper_balance_eth", "The keeper's ETH balance");
  readonly lowBalance = this.gauge("zkm_keeper_low_balance", "1 while the ETH balance is below lowBalanceWei");
  readonly rpcCalls = this.gauge("zkm_keeper_rpc_calls", "JSON-RPC requests made (retries included)");
  readonly rpcErrors = this.gauge("zkm_keeper_rpc_errors", "Transient JSON-RPC failures (each retried)");
  readonly lag = this.gauge("zkm_keeper_lag_blocks", "Blocks between the head and the finalised index");
  readonly head = this.gauge("zkm_keeper_head_block", "Head block of the last round");
  readonly lastRound = this.gauge("zkm_keeper_last_round_timestamp_seconds", "When the last round finished");
  readonly openAuctions = this.gauge("zkm_keeper_open_auctions", "Running auctions");

  private counter(name: string, help: string): Counter<"deployment"> {
    return new Counter({ name, help, labelNames: ["deployment"], registers: [this.registry] });
  }

  private gauge(name: string, help: string): Gauge<"deployment"> {
    return new Gauge({ name, help, labelNames: ["deployment"], registers: [this.registry] });
  }
}

export const eth = (wei: bigint): number => Number(wei) / E18;

/** What one round of one deployment tells the metrics (the ledger's totals are gauges). */
export function observeRound(
  m: Metrics,
  deployment: string,
  s: {
    block: number;
    finalizedBlock: number;
    candidates: { challenge: number; liquidate: number };
    counts: { unprofitable: number };
    sales: { takes: number; redos: number; repays: number; pokes: number; openAuctions: number };
  },
  l: Ledger,
  pnl: { netValue: bigint },
  rpc: { calls: number; errors: number },
): void {
  const dep = { deployment };
  m.rounds.inc(dep);
  m.candidates.set({ ...dep, kind: "challenge" }, s.candidates.challenge);
  m.candidates.set({ ...dep, kind: "liquidate" }, s.candidates.liquidate);
  m.candidates.set({ ...dep, kind: "unprofitable" }, s.counts.unprofitable);
  m.bondsWon.set(dep, Number(l.bondsWon));
  m.bondsLost.set(dep, Number(l.bondsLost));
  m.bondsLostEth.set(dep, eth(l.bondsLostWei));
  m.bounties.set(dep, quote(l.bountyValue));
  m.takeProfit.set(dep, Number(l.takeProfit));
  m.pnlQuote.set(dep, quote(pnl.netValue));
  m.rpcCalls.set(dep, rpc.calls);
  m.rpcErrors.set(dep, rpc.errors);
  m.lag.set(dep, s.block - s.finalizedBlock);
  m.head.set(dep, s.block);
  m.openAuctions.set(dep, s.sales.openAuctions);
  m.lastRound.set(dep, Date.now() / 1000);
  if (s.sales.takes) m.auctionTakes.inc(dep, s.sales.takes);
  if (s.sales.redos) m.redos.inc(dep, s.sales.redos);
  if (s.sales.repays) m.repays.inc(dep, s.sales.repays);
  if (s.sales.pokes) m.pokes.inc(dep, s.sales.pokes);
}
export const quote = (valueUnits: bigint): number => Number(valueUnits) / E18;

export interface Health {
  readonly ok: boolean;
  readonly deployments: Record<string, { ok: boolean; lastRoundAgoMs: number | null; failures: number }>;
}

/** Serves /metrics and /healthz; `health` says whether the keeper is well. */
export async function serveMetrics(
  metrics: Metrics,
  health: () => Health,
  port: number,
  host = "127.0.0.1",
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    if (req.method !== "GET") {
      res.writeHead(405).end();
    } else if (url === "/metrics") {
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text))
        .catch((e: Error) => res.writeHead(500).end(e.message));
    } else if (url === "/healthz") {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
