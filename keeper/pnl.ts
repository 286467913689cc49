/**
 * What the keeper earned and paid on one deployment: bounties, deleverage fee shares, auction profit
 * and redo tips (from events, in the index's ledger), less bonds lost to answered challenges and the gas
 * of our transactions (kept in the checkpoint). Value units (1e-18 quote) unless named wei; settlement
 * amounts are valued at the settlement asset's price, wei at ethPriceInQuote.
 */
import type { Ledger } from "./index/types";
import { type Market, settlementToValue } from "./rule";

export interface Pnl {
  bountyValue: bigint;
  feeShareValue: bigint;
  takeProfitValue: bigint;
  redoTipValue: bigint;
  bondsLostWei: bigint;
  gasWei: bigint;
  /** Everything in value units. */
  netValue: bigint;
}

export function pnlOf(l: Ledger, gasWei: bigint, ethPriceInQuote: bigint, market?: Market): Pnl {
  const settle = (x: bigint) => (market === undefined ? 0n : settlementToValue(x, market));
  const takeProfitValue = settle(l.takeProfit);
  const redoTipValue = settle(l.redoTips);
  return {
    bountyValue: l.bountyValue,
    feeShareValue: l.feeShareValue,
    takeProfitValue,
    redoTipValue,
    bondsLostWei: l.bondsLostWei,
    gasWei,
    netValue:
      l.bountyValue + l.feeShareValue + takeProfitValue + redoTipValue - (l.bondsLostWei + gasWei) * ethPriceInQuote,
  };
}
