/**
 * The trader's private view of an account, in human units: state (active, challenged with a countdown,
 * liquidated, claimable, closed), collateral per asset, cash, equity, maintenance and initial
 * requirements, margin usage (maintenance / equity, as exchanges define it: 100% means liquidatable), the
 * largest withdrawal per asset, the certificate's box and its time to staleness, and per market the
 * position, mark, entry, unrealised PnL and the private liquidation price ("none" when no price of that
 * market alone can liquidate it).
 */
import {
  BPS,
  PRICE_DECIMALS,
  SIZE_DECIMALS,
  Side,
  VALUE_DECIMALS,
  type AccountState,
  boxMargin,
  equity,
  liquidationPrice,
  requirement,
} from "../model";
import { type Cert, type PublicState, unpack16, unpackPrices } from "../lib/chain";
import { valueOf } from "../lib/value";
import type { TraderService } from "./trader";

export const MARKET_NAMES = ["ETH", "BTC", "SOL", "ARB"];

export interface MarketView {
  market: string;
  side: "long" | "short";
  size: bigint;
  entryPrice: bigint;
  markPrice: bigint;
  unrealisedPnl: bigint;
  /** undefined: no price of this market alone liquidates the account. */
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
  challengeDeadline?: bigint;
  secondsToDeadline?: bigint;
  certificate?: { provenAt: bigint; boxBps: bigint; secondsToStale: bigint };
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
  claim?: { until: bigint; claimable: bigint };
}

/** The largest amount of asset i withdrawable keeping initial margin (binary search on the model). */
export function maxWithdraw(state: AccountState, view: PublicState, i: number): bigint {
  const held = view.collateral[i];
  const ok = (amount: bigint) => {
    const bal = [...view.collateral];
    bal[i] -= amount;
    const v = valueOf(bal, view.assetPrices, view.haircuts, view.decimals);
    const hasPositions = state.markets.some((m) => m.size > 0n);
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

export async function statusView(t: TraderService, given?: PublicState): Promise<StatusView> {
  const view = given ?? (await t.read());
  const state = t.state;
  let prices = view.marketPrices;
  let value = valueOf(view.collateral, view.assetPrices, view.haircuts, view.decimals);
  let phase: AccountPhase = view.status;
  let claim: StatusView["claim"];
  let deadline: bigint | undefined;
  let cert: Cert | undefined;
  if (view.status === "liquidated") {
    const rec = await t.liquidation(view);
    if (rec) {
      prices = unpackPrices(rec.marketPrices);
      value = rec.value;
      const most = equity(state, rec.value, prices) - rec.penalty;
      claim = { until: rec.claimUntil, claimable: most > 0n ? most : 0n };
      phase = view.blockTime <= rec.claimUntil && most > 0n ? "claimable" : "liquidated";
    }
  } else if (view.status === "active") {
    if (!/^0x0+$/.test(view.recordHash)) {
      const rec = await t.openChallenge(view);
      phase = "challenged";
      deadline = rec?.deadline;
    }
    cert = await t.chain.latestCert(view.certHash);
  }
  const flat = view.status === "closed";
  const markets: MarketView[] = [];
  if (!flat) {
    state.markets.forEach((m, j) => {
      if (m.size === 0n) return;
      const notional = m.size * prices[j];
      const lp = liquidationPrice(state, value, prices, view.mm, j);
      const liq = lp === undefined || lp === 0n ? undefined : lp;
      const distance =
        liq === undefined ? undefined : ((m.side === Side.Long ? prices[j] - liq : liq - prices[j]) * BPS) / prices[j];
      markets.push({
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
  const maintenance = flat ? 0n : requirement(state, prices, view.mm);
  const initial = flat ? 0n : requirement(state, prices, view.im);
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
  return {
    account: t.account,
    phase,
    nonce: view.nonce,
    challengeDeadline: deadline,
    secondsToDeadline: deadline === undefined ? undefined : deadline - view.blockTime,
    certificate: cert && {
      provenAt: cert.provenAt,
      boxBps: cert.d,
      secondsToStale: cert.provenAt + view.timing.freshness - view.blockTime,
    },
    collateral,
    collateralValue: value,
    cash: state.cash,
    equity: eq,
    maintenance,
    initial,
    marginUsageBps: markets.length === 0 ? undefined : eq <= 0n ? 10n ** 9n : (maintenance * BPS) / eq,
    belowMaintenance: markets.length > 0 && eq < maintenance,
    markets,
    claim,
  };
}

const dec = (x: bigint, decimals: number, shown = 2) => {
  const neg = x < 0n;
  const a = neg ? -x : x;
  const s = a.toString().padStart(decimals + 1, "0");
  const whole = s.slice(0, s.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = s.slice(s.length - decimals, s.length - decimals + shown);
  return `${neg ? "-" : ""}${whole}${shown ? `.${frac}` : ""}`;
};
export const fmtValue = (v: bigint) => `${dec(v, VALUE_DECIMALS)} USD`;
export const fmtPrice = (p: bigint) => dec(p, PRICE_DECIMALS);
export const fmtSize = (q: bigint) => dec(q, SIZE_DECIMALS, 4);
export const fmtToken = (amount: bigint, decimals: number, symbol: string) =>
  `${dec(amount, decimals, Math.min(decimals, 6))} ${symbol}`;
export const fmtBps = (b: bigint) => `${dec(b, 2)}%`;

function duration(s: bigint): string {
  const n = Number(s);
  if (n <= 0) return "now";
  const h = Math.floor(n / 3600);
  const m = Math.floor((n % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min ${n % 60} s`;
}

export function renderStatus(v: StatusView): string {
  const lines: string[] = [];
  if (v.belowMaintenance) {
    lines.push(
      `!! BELOW MAINTENANCE: equity ${fmtValue(v.equity)} < maintenance ${fmtValue(v.maintenance)}: deposit or reduce now`,
    );
  }
  const phase =
    v.phase === "challenged"
      ? `CHALLENGED: answer within ${duration(v.secondsToDeadline ?? 0n)}${v.challengeDeadline ? ` (before ${new Date(Number(v.challengeDeadline) * 1000).toISOString()})` : ""}`
      : v.phase;
  lines.push(`account ${v.account}  ${phase}`);
  if (v.claim) {
    lines.push(
      `claimable ${fmtValue(v.claim.claimable)} until ${new Date(Number(v.claim.until) * 1000).toISOString()} (equity at the liquidation's prices minus the penalty)`,
    );
  }
  if (v.certificate) {
    lines.push(
      `certificate: +/-${fmtBps(v.certificate.boxBps)} box, stale in ${duration(v.certificate.secondsToStale)}`,
    );
  }
  for (const c of v.collateral) {
    lines.push(
      `  ${c.symbol.padEnd(5)} ${fmtToken(c.amount, c.decimals, c.symbol)}  value ${fmtValue(c.value)}  max withdraw ${fmtToken(c.maxWithdraw, c.decimals, c.symbol)}`,
    );
  }
  lines.push(
    `collateral value ${fmtValue(v.collateralValue)}  cash ${fmtValue(v.cash)}  equity ${fmtValue(v.equity)}`,
    `maintenance ${fmtValue(v.maintenance)}  initial ${fmtValue(v.initial)}  margin usage ${v.marginUsageBps === undefined ? "none (no positions)" : fmtBps(v.marginUsageBps)} (maintenance / equity; 100% = liquidatable)`,
  );
  if (v.markets.length === 0) lines.push("no open positions");
  for (const m of v.markets) {
    const liq =
      m.liquidationPrice === undefined
        ? "none"
        : `${fmtPrice(m.liquidationPrice)} (${m.distanceBps !== undefined && m.distanceBps < 0n ? "BEYOND: " : ""}${fmtBps(m.distanceBps ?? 0n)} away)`;
    lines.push(
      `  ${m.market.padEnd(4)} ${m.side.padEnd(5)} size ${fmtSize(m.size)}  entry ${fmtPrice(m.entryPrice)}  mark ${fmtPrice(m.markPrice)}  pnl ${fmtValue(m.unrealisedPnl)}  liquidation ${liq}`,
    );
  }
  return lines.join("\n");
}
