/**
 * The trader's private view of an account, in human units: state (active, challenged with a countdown,
 * liquidated, claimable, closed), collateral per asset, cash, equity, maintenance and initial
 * requirements, margin usage (maintenance / equity, as exchanges define it: 100% means liquidatable), the
 * largest withdrawal per asset, the certificate's box and its time to staleness, and per market the
 * position, mark, entry, unrealised PnL and the private liquidation price ("none" when no price of that
 * market alone can liquidate it). After a liquidation the positions are shown closed at the liquidation's
 * prices; after a claim, what was claimed, paid and is still owed.
 */
import { InsuranceFund__factory } from "../../core/contracts";
import { BPS, Side, type AccountState, boxMargin, equity, liquidationPrice, requirement } from "../model";
import { type Cert, type PublicState, unpackPrices } from "../lib/chain";
import { valueOf } from "../lib/value";
import type { TraderService } from "./trader";
import {
  MARKET_NAMES,
  amount,
  bpsAmount,
  fmtBps,
  fmtDuration,
  fmtPrice,
  fmtSize,
  fmtTime,
  fmtToken,
  fmtValue,
  moment,
  priceAmount,
  sizeAmount,
  valueAmount,
} from "./units";

export { MARKET_NAMES, fmtBps, fmtPrice, fmtSize, fmtToken, fmtValue } from "./units";

export interface MarketView {
  index: number;
  market: string;
  side: "long" | "short";
  size: bigint;
  entryPrice: bigint;
  markPrice: bigint;
  unrealisedPnl: bigint;
  /** undefined: no price of this market alone liquidates the account (or it was liquidated). */
  liquidationPrice?: bigint;
  /** How far the price may move against the position before liquidation (basis points; < 0: beyond). */
  distanceBps?: bigint;
}

export interface CollateralView {
  symbol: string;
  decimals: number;
  amount: bigint;
  value: bigint;
  /** Largest amount withdrawable now (initial margin after it). */
  maxWithdraw: bigint;
}

export type AccountPhase = "none" | "active" | "challenged" | "liquidated" | "claimable" | "closed";

export interface StatusView {
  account: string;
  phase: AccountPhase;
  nonce: bigint;
  blockTime: bigint;
  challengeDeadline?: bigint;
  secondsToDeadline?: bigint;
  certificate?: {
    provenAt: bigint;
    boxBps: bigint;
    secondsToStale: bigint;
    /** The box: per market with a position, the proven price x (1 -/+ d). */
    box: { index: number; market: string; low: bigint; high: bigint; proven: bigint }[];
  };
  collateral: CollateralView[];
  collateralValue: bigint;
  cash: bigint;
  equity: bigint;
  maintenance: bigint;
  initial: bigint;
  /** maintenance / equity in basis points (undefined without positions; >= 10000: liquidatable). */
  marginUsageBps?: bigint;
  belowMaintenance: boolean;
  markets: MarketView[];
  /** After a liquidation: the record's claim window and the most claimable (value units). */
  claim?: { until: bigint; claimable: bigint; penalty: bigint };
  /** After a claim: what was claimed (value units), in settlement tokens, paid now and still owed. */
  claimed?: { claimed: bigint; tokens: bigint; paid: bigint; owed: bigint };
  /** Settlement tokens the fund owes this address (gains or claims it could not pay in full yet). */
  owedByFund: bigint;
  settlement: { symbol: string; decimals: number };
}

/** The largest amount of asset i withdrawable keeping initial margin (binary search on the model). */
export function maxWithdraw(state: AccountState, view: PublicState, i: number): bigint {
  const held = view.collateral[i];
  const hasPositions = state.markets.some((m) => m.size > 0n);
  const ok = (amt: bigint) => {
    const bal = [...view.collateral];
    bal[i] -= amt;
    const v = valueOf(bal, view.assetPrices, view.haircuts, view.decimals);
    if (hasPositions && v < view.minValue * 10n ** 12n) return false;
    return boxMargin(state, v, view.marketPrices, 0n, view.im);
  };
  if (ok(held)) return held;
  if (!ok(0n)) return 0n;
  let lo = 0n;
  let hi = held;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

async function lastClaim(t: TraderService): Promise<StatusView["claimed"]> {
  const logs = await t.registry.queryFilter(t.registry.filters.Claimed(t.account), t.chain.fromBlock);
  const ev = logs[logs.length - 1];
  if (!ev || !("args" in ev)) return undefined;
  const tokens = BigInt(ev.args.tokens);
  const paid = BigInt(ev.args.paid);
  return { claimed: BigInt(ev.args.claimed), tokens, paid, owed: tokens - paid };
}

async function owedByFund(t: TraderService): Promise<bigint> {
  try {
    const fund = InsuranceFund__factory.connect(await t.registry.fund(), t.chain.provider);
    return await fund.owedOf(t.account);
  } catch {
    return 0n;
  }
}

export async function statusView(t: TraderService, given?: PublicState): Promise<StatusView> {
  const view = given ?? (await t.read());
  const state = t.state;
  let prices = view.marketPrices;
  let value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
  let phase: AccountPhase = view.status;
  let claim: StatusView["claim"];
  let claimed: StatusView["claimed"];
  let deadline: bigint | undefined;
  let cert: Cert | undefined;
  const liquidated = view.status === "liquidated";
  if (liquidated) {
    const rec = await t.liquidation(view);
    if (rec) {
      prices = unpackPrices(rec.marketPrices);
      value = rec.value;
      const most = equity(state, rec.value, prices) - rec.penalty;
      claim = { until: rec.claimUntil, claimable: most > 0n ? most : 0n, penalty: rec.penalty };
      phase = view.blockTime <= rec.claimUntil && most > 0n ? "claimable" : "liquidated";
    }
  } else if (view.status === "active") {
    if (!/^0x0+$/.test(view.recordHash)) {
      const rec = await t.openChallenge(view);
      phase = "challenged";
      deadline = rec?.deadline;
    }
    cert = await t.chain.latestCert(view.certHash);
  } else if (view.status === "closed") {
    claimed = await lastClaim(t);
  }
  const [owed] = await Promise.all([owedByFund(t)]);
  const flat = view.status === "closed";
  const markets: MarketView[] = [];
  if (!flat) {
    state.markets.forEach((m, j) => {
      if (m.size === 0n) return;
      const notional = m.size * prices[j];
      const lp = liquidated ? undefined : liquidationPrice(state, value, prices, view.mm, j);
      const liq = lp === undefined || lp === 0n ? undefined : lp;
      const distance =
        liq === undefined ? undefined : ((m.side === Side.Long ? prices[j] - liq : liq - prices[j]) * BPS) / prices[j];
      markets.push({
        index: j,
        market: MARKET_NAMES[j] ?? `#${j}`,
        side: m.side === Side.Long ? "long" : "short",
        size: m.size,
        entryPrice: m.cost / m.size,
        markPrice: prices[j],
        unrealisedPnl: m.side === Side.Long ? notional - m.cost : m.cost - notional,
        liquidationPrice: liq,
        distanceBps: distance,
      });
    });
  }
  const eq = flat ? 0n : equity(state, value, prices);
  const maintenance = flat || liquidated ? 0n : requirement(state, prices, view.mm);
  const initial = flat || liquidated ? 0n : requirement(state, prices, view.im);
  const collateral = view.decimals.map((decimals, i) => ({
    symbol: view.symbols[i],
    decimals,
    amount: view.collateral[i],
    value: valueOf(
      view.collateral.map((b, k) => (k === i ? b : 0n)),
      view.assetPrices,
      view.haircuts,
      view.decimals,
    ),
    maxWithdraw: view.status === "active" && phase !== "challenged" ? maxWithdraw(state, view, i) : 0n,
  }));
  const proven = cert ? unpackPrices(cert.marketPrices) : [];
  return {
    account: t.account,
    phase,
    nonce: view.nonce,
    blockTime: view.blockTime,
    challengeDeadline: deadline,
    secondsToDeadline: deadline === undefined ? undefined : deadline - view.blockTime,
    certificate: cert && {
      provenAt: cert.provenAt,
      boxBps: cert.d,
      secondsToStale: cert.provenAt + view.timing.freshness - view.blockTime,
      box: markets.map((m) => ({
        index: m.index,
        market: m.market,
        proven: proven[m.index],
        low: (proven[m.index] * (BPS - cert!.d)) / BPS,
        high: (proven[m.index] * (BPS + cert!.d)) / BPS,
      })),
    },
    collateral,
    collateralValue: value,
    cash: flat ? 0n : state.cash,
    equity: eq,
    maintenance,
    initial,
    marginUsageBps:
      markets.length === 0 || liquidated ? undefined : eq <= 0n ? 10n ** 9n : (maintenance * BPS + eq - 1n) / eq,
    belowMaintenance: !liquidated && markets.length > 0 && eq < maintenance,
    markets,
    claim,
    claimed,
    owedByFund: owed,
    settlement: { symbol: view.symbols[0], decimals: view.decimals[0] },
  };
}

const PHASE_TEXT: Record<AccountPhase, string> = {
  none: "not opened",
  active: "active",
  challenged: "CHALLENGED",
  liquidated: "LIQUIDATED",
  claimable: "LIQUIDATED (claimable)",
  closed: "closed",
};

/** The status as a JSON document in human units (raw integers beside them as strings). */
export function statusJson(v: StatusView) {
  const s = v.settlement;
  return {
    account: v.account,
    phase: v.phase,
    nonce: v.nonce.toString(),
    chainTime: fmtTime(v.blockTime),
    challenge: v.challengeDeadline === undefined ? null : { deadline: moment(v.challengeDeadline, v.blockTime) },
    certificate: v.certificate
      ? {
          provenAt: fmtTime(v.certificate.provenAt),
          box: bpsAmount(v.certificate.boxBps),
          stale: moment(v.certificate.provenAt + v.certificate.secondsToStale, v.blockTime),
          prices: v.certificate.box.map((b) => ({
            market: b.market,
            proven: priceAmount(b.proven),
            low: priceAmount(b.low),
            high: priceAmount(b.high),
          })),
        }
      : null,
    collateral: v.collateral.map((c) => ({
      asset: c.symbol,
      amount: amount(c.amount, c.decimals, c.symbol),
      value: valueAmount(c.value),
      maxWithdraw: amount(c.maxWithdraw, c.decimals, c.symbol),
    })),
    collateralValue: valueAmount(v.collateralValue),
    cash: valueAmount(v.cash),
    equity: valueAmount(v.equity),
    maintenance: valueAmount(v.maintenance),
    initial: valueAmount(v.initial),
    marginUsage: v.marginUsageBps === undefined ? null : bpsAmount(v.marginUsageBps),
    marginUsageDefinition: "maintenance / equity (100% = liquidatable)",
    belowMaintenance: v.belowMaintenance,
    positions: v.markets.map((m) => ({
      market: m.market,
      side: m.side,
      size: sizeAmount(m.size, m.index),
      entryPrice: priceAmount(m.entryPrice),
      markPrice: priceAmount(m.markPrice),
      unrealisedPnl: valueAmount(m.unrealisedPnl),
      liquidationPrice: m.liquidationPrice === undefined ? null : priceAmount(m.liquidationPrice),
      distance: m.distanceBps === undefined ? null : bpsAmount(m.distanceBps),
    })),
    claim: v.claim
      ? {
          claimable: valueAmount(v.claim.claimable),
          penalty: valueAmount(v.claim.penalty),
          until: moment(v.claim.until, v.blockTime),
        }
      : null,
    claimed: v.claimed
      ? {
          claimed: valueAmount(v.claimed.claimed),
          paid: amount(v.claimed.paid, s.decimals, s.symbol),
          owed: amount(v.claimed.owed, s.decimals, s.symbol),
        }
      : null,
    owedByFund: amount(v.owedByFund, s.decimals, s.symbol),
  };
}

export function renderStatus(v: StatusView): string {
  const lines: string[] = [];
  const s = v.settlement;
  if (v.belowMaintenance) {
    lines.push(
      `!! BELOW MAINTENANCE: equity ${fmtValue(v.equity)} < maintenance ${fmtValue(v.maintenance)}: deposit or reduce now, a keeper can challenge and liquidate this account`,
    );
  }
  const phase =
    v.phase === "challenged"
      ? `CHALLENGED: answer within ${fmtDuration(v.secondsToDeadline ?? 0n)}${v.challengeDeadline ? ` (before ${fmtTime(v.challengeDeadline)})` : ""}; the daemon or \`zkm respond\` answers`
      : PHASE_TEXT[v.phase];
  lines.push(`account ${v.account}  ${phase}`);
  if (v.claim) {
    lines.push(
      `positions were closed at the liquidation's prices; claimable ${fmtValue(v.claim.claimable)} (equity there minus the ${fmtValue(v.claim.penalty)} penalty) until ${fmtTime(v.claim.until)}: \`zkm claim\``,
    );
  }
  if (v.claimed) {
    lines.push(
      `claimed ${fmtValue(v.claimed.claimed)}: ${fmtToken(v.claimed.paid, s.decimals, s.symbol)} paid${v.claimed.owed > 0n ? `, ${fmtToken(v.claimed.owed, s.decimals, s.symbol)} owed by the fund (paid to this address from its later inflows)` : ""}`,
    );
  }
  if (v.owedByFund > 0n) {
    lines.push(
      `the insurance fund owes this address ${fmtToken(v.owedByFund, s.decimals, s.symbol)} (paid from its later inflows)`,
    );
  }
  if (v.certificate) {
    const box = v.certificate.box.map((b) => `${b.market} ${fmtPrice(b.low)} .. ${fmtPrice(b.high)}`).join(", ");
    lines.push(
      `certificate: +/-${fmtBps(v.certificate.boxBps)} box${box ? ` (${box})` : ""}, stale ${v.certificate.secondsToStale > 0n ? `in ${fmtDuration(v.certificate.secondsToStale)}` : "NOW (challengeable)"}`,
    );
  }
  for (const c of v.collateral) {
    lines.push(
      `  ${c.symbol.padEnd(5)} ${fmtToken(c.amount, c.decimals, c.symbol)}  value ${fmtValue(c.value)}  max withdraw ${fmtToken(c.maxWithdraw, c.decimals, c.symbol)}`,
    );
  }
  lines.push(`collateral value ${fmtValue(v.collateralValue)}  cash ${fmtValue(v.cash)}  equity ${fmtValue(v.equity)}`);
  if (v.phase !== "liquidated" && v.phase !== "claimable" && v.phase !== "closed") {
    lines.push(
      `maintenance ${fmtValue(v.maintenance)}  initial ${fmtValue(v.initial)}  margin usage ${v.marginUsageBps === undefined ? "none (no positions)" : v.marginUsageBps >= 10n ** 8n ? "over 100% (equity <= 0)" : fmtBps(v.marginUsageBps)} (maintenance / equity; 100% = liquidatable)`,
    );
  }
  if (v.markets.length === 0) lines.push("no open positions");
  for (const m of v.markets) {
    const liq =
      m.liquidationPrice === undefined
        ? v.claim
          ? "closed at the liquidation"
          : "none"
        : `${fmtPrice(m.liquidationPrice)} (${m.distanceBps !== undefined && m.distanceBps < 0n ? `BEYOND IT by ${fmtBps(-m.distanceBps)}` : `${fmtBps(m.distanceBps ?? 0n)} away`})`;
    lines.push(
      `  ${m.market.padEnd(4)} ${m.side.padEnd(5)} size ${fmtSize(m.size, m.index)}  entry ${fmtPrice(m.entryPrice)}  mark ${fmtPrice(m.markPrice)}  pnl ${fmtValue(m.unrealisedPnl)}  liquidation ${liq}`,
    );
  }
  return lines.join("\n");
}
