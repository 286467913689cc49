/**
 * Forced sales and the fund, each through the executor (preflight eth_call first, own nonce, fee bumps):
 * - pokes: RiskEngine.pokeAll when its eth_call says a new Chainlink round would move a ratio (a raised
 *   maintenance ratio makes accounts challengeable next round);
 * - redos: an auction past its tail or below its cusp is restarted (the house pays a capped tip);
 * - takes: a flash take through our UniswapV2Taker when router out - owed >= gas cost + minProfit, with a
 *   slice small enough that the swap's price stays within maxSlippageBps of the oracle (the lot, else
 *   halves of it that respect the dust rule); the taker's amountOutMin makes a worse fill revert;
 * - repays: InsuranceFund.repay(n) while owed entries are open and its eth_call repays something.
 */
import type { Logger } from "pino";
import type { AuctionState, ChainReader, Head } from "./chain/reader";
import type { DeploymentConfig } from "./config";
import { messageOf } from "./errors";
import type { Actions, TxResult } from "./executor";
import type { AccountsView } from "./index/types";
import { type Market, settlementToValue } from "./rule";
import type { Fees } from "./tx/fees";

const RAY = 10n ** 27n;
const BPS = 10_000n;
/** Gas of a flash take through the taker into a V2 pool (measured ~260k; rounded up). */
export const TAKE_GAS = 350_000n;
/** At most this many auctions are looked at per round (each is one eth_call, a quote one more). */
const MAX_AUCTIONS_PER_ROUND = 8;

export interface SalesSummary {
  takes: number;
  redos: number;
  repays: number;
  pokes: number;
  openAuctions: number;
}

export interface SalesContext {
  readonly config: DeploymentConfig;
  readonly chain: ChainReader;
  readonly executor: Actions;
  readonly view: AccountsView;
  readonly market: Market;
  readonly head: Head;
  readonly fees: Fees & { expectedGasPrice: bigint };
  readonly round: number;
  readonly log: Logger;
  readonly record: (r: TxResult) => void;
}

/** Value units -> settlement-asset base units at the settlement asset's oracle price (rounded up). */
function valueToSettlement(v: bigint, m: Market): bigint {
  const one = settlementToValue(10n ** BigInt(m.decimals[0] ?? 18), m);
  return one === 0n ? 0n : (v * 10n ** BigInt(m.decimals[0] ?? 18) + one - 1n) / one;
}

export async function runSales(x: SalesContext, paused: boolean): Promise<SalesSummary> {
  const s: SalesSummary = { takes: 0, redos: 0, repays: 0, pokes: 0, openAuctions: x.view.global.auctions.size };
  const c = x.config.sales;
  const ok = (r: TxResult) => {
    x.record(r);
    return r.status === "mined";
  };
  try {
    if (c.poke && x.round % c.pokeEveryRounds === 0 && ok(await x.executor.poke(x.fees))) s.pokes++;
    if (!paused && (c.takes || c.redo)) await auctions(x, s, ok);
    const g = x.view.global;
    if (c.repay && g.owedEntries > g.repaidEntries && ok(await x.executor.repay(BigInt(c.repayEntries), x.fees)))
      s.repays++;
  } catch (e) {
    x.log.warn({ error: messageOf(e) }, "forced sales: retried next round");
  }
  return s;
}

async function auctions(x: SalesContext, s: SalesSummary, ok: (r: TxResult) => boolean): Promise<void> {
  const c = x.config.sales;
  const ids = [...x.view.global.auctions.keys()].slice(0, MAX_AUCTIONS_PER_ROUND);
  for (const key of ids) {
    const a = await x.chain.auction(BigInt(key));
    if (a === undefined) continue;
    if (a.needsRedo) {
      if (c.redo && ok(await x.executor.redo(a.id, x.fees))) s.redos++;
      continue;
    }
    if (!c.takes || x.config.sales.router === undefined || !x.executor.canTake) continue;
    const plan = await planTake(x, a);
    if (plan === undefined) continue;
    const r = await x.executor.take(
      a.id,
      plan.slice,
      a.price,
      plan.minProfit,
      plan.path,
      x.head.timestamp + 600n,
      x.fees,
    );
    if (ok(r)) s.takes++;
  }
}

/** The slice to take (the lot, else halves within the slippage limit and the dust rule) and its floor. */
async function planTake(
  x: SalesContext,
  a: AuctionState,
): Promise<{ slice: bigint; minProfit: bigint; path: string[] } | undefined> {
  const c = x.config.sales;
  const path = c.paths[a.asset.toString()] ?? [await x.chain.token(a.asset), await x.chain.token(0n)];
  const { chost } = await x.chain.auctionParams();
  const gasValue = TAKE_GAS * x.fees.expectedGasPrice * x.config.profit.ethPriceInQuote;
  const minProfit = valueToSettlement(gasValue + c.minProfitWei * x.config.profit.ethPriceInQuote, x.market);
  // slippage: the slice's swap price against the pool's marginal price (a quote of 1/1000 of it)
  let slice = a.lot;
  for (let tries = 0; tries < 4 && slice > 0n; tries++) {
    const rest = a.lot - slice;
    if (rest > 0n && (rest * a.price) / RAY < chost) break; // the dust rule would refuse it
    const out = await x.chain.quote(c.router!, slice, path);
    const probe = slice / 1000n > 0n ? slice / 1000n : 1n;
    const spot = ((await x.chain.quote(c.router!, probe, path)) * slice) / probe;
    if (out * BPS < spot * (BPS - BigInt(c.maxSlippageBps))) {
      slice /= 2n;
      continue;
    }
    const owe = (slice * a.price + RAY - 1n) / RAY;
    return out >= owe + minProfit ? { slice, minProfit, path } : undefined; // else: the price is still falling
  }
  return undefined;
}
