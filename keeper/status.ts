/**
 * `status`: one read-only round per deployment and what an operator asks: accounts, candidates and
 * their expected profit, our open challenges and the bonds at risk, open auctions (lot, price, redo due),
 * what we bought, the fund's deficit ledger, the ETH balance, and the profit and loss.
 */
import type { App } from "./app";
import type { Pnl, RoundSummary } from "./keeper";

export interface StatusReport {
  deployment: string;
  chainId: bigint;
  registry: string;
  keeper: string | null;
  head: number;
  finalizedBlock: number;
  accounts: RoundSummary["counts"];
  ourOpenChallenges: number;
  bondsAtRiskWei: bigint;
  candidates: RoundSummary["candidates"];
  expectedProfitValue: bigint;
  paused: boolean;
  oracleError?: string;
  auctions: { id: string; asset: bigint; lot: bigint; price: bigint; needsRedo: boolean }[];
  bought: readonly bigint[];
  auctionTakes: bigint;
  fund: { owedEntries: bigint; repaidEntries: bigint; owedTotal: bigint };
  balanceWei: bigint | null;
  pnl: Pnl;
}

export async function statusOf(app: App): Promise<StatusReport> {
  const s = await app.keeper.round();
  const view = app.keeper.view;
  const g = view.global;
  const auctions: StatusReport["auctions"] = [];
  for (const id of [...g.auctions.keys()].slice(0, 50)) {
    const a = await app.reader.auction(BigInt(id));
    if (a !== undefined) auctions.push({ id, asset: a.asset, lot: a.lot, price: a.price, needsRedo: a.needsRedo });
  }
  let market;
  try {
    market = await app.reader.market();
  } catch {
    market = undefined;
  }
  return {
    deployment: app.name,
    chainId: app.chainId,
    registry: app.reader.addresses.registry,
    keeper: app.me ?? null,
    head: s.block,
    finalizedBlock: s.finalizedBlock,
    accounts: s.counts,
    ourOpenChallenges: s.ourOpenChallenges,
    bondsAtRiskWei: BigInt(s.ourOpenChallenges) * (g.incentives?.bond ?? 0n),
    candidates: s.candidates,
    expectedProfitValue: s.expectedProfit,
    paused: s.paused,
    ...(s.oracleError ? { oracleError: s.oracleError } : {}),
    auctions,
    bought: g.ledger.bought,
    auctionTakes: g.ledger.auctionTakes,
    fund: { owedEntries: g.owedEntries, repaidEntries: g.repaidEntries, owedTotal: g.owedTotal },
    balanceWei: app.me === undefined ? null : await app.reader.balance(app.me),
    pnl: app.keeper.pnl(market),
  };
}
