/** The trader's private view: positions, equity, margin ratio and liquidation price per market. */
import { unpackPrices } from "../../core/encoding";
import {
  BPS,
  PRICE_DECIMALS,
  SIZE_DECIMALS,
  Side,
  VALUE_DECIMALS,
  equity,
  liquidationPrice,
  marginRatioBps,
  marginRequirement,
} from "../model";
import { STATUS, type TraderService } from "./trader";

export const MARKET_NAMES = ["ETH", "BTC", "SOL", "ARB"];

export interface MarketView {
  market: string;
  side: "long" | "short";
  size: bigint;
  entryPrice: bigint;
  markPrice: bigint;
  unrealisedPnl: bigint;
  liquidationPrice?: bigint;
  /** How far the price may move against the position before liquidation, in basis points. */
  distanceBps?: bigint;
}

export interface StatusView {
  account: string;
  status: string;
  nonce: bigint;
  provenAt: bigint;
  challengeDeadline?: bigint;
  collateralValue: bigint;
  equity: bigint;
  maintenance: bigint;
  marginRatioBps?: bigint;
  markets: MarketView[];
}

/** `currentPrices`: oracle prices the caller has just read (the daemon), to avoid reading them twice. */
export async function statusView(t: TraderService, currentPrices?: bigint[]): Promise<StatusView> {
  const acc = await t.registry.accountOf(t.account);
  const ch = await t.registry.challengeOf(t.account);
  const prices =
    acc.status === 1n
      ? (currentPrices ?? (await t.marketPrices()))
      : unpackPrices((await t.registry.liquidationOf(t.account)).marketPrices);
  const value =
    acc.status === 1n ? await t.registry.collateralValue(t.account) : (await t.registry.liquidationOf(t.account)).value;
  const [mm] = await t.registry.ratios();
  const mmRatios = mm.map(BigInt);
  const snap = { value, prices };
  const state = t.state;
  const markets: MarketView[] = [];
  state.markets.forEach((m, j) => {
    if (m.size === 0n) return;
    const notional = m.size * prices[j];
    const lp = liquidationPrice(state.markets, snap, mmRatios, j);
    const distance =
      lp === undefined || lp === 0n
        ? undefined
        : ((m.side === Side.Long ? prices[j] - lp : lp - prices[j]) * BPS) / prices[j];
    markets.push({
      market: MARKET_NAMES[j] ?? `#${j}`,
      side: m.side === Side.Long ? "long" : "short",
      size: m.size,
      entryPrice: m.cost / m.size,
      markPrice: prices[j],
      unrealisedPnl: m.side === Side.Long ? notional - m.cost : m.cost - notional,
      liquidationPrice: lp,
      distanceBps: distance,
    });
  });
  return {
    account: t.account,
    status: STATUS[Number(acc.status)],
    nonce: acc.nonce,
    provenAt: acc.provenAt,
    challengeDeadline: ch.deadline === 0n ? undefined : await t.registry.deadlineOf(t.account),
    collateralValue: value,
    equity: equity(state.markets, snap),
    maintenance: marginRequirement(state.markets, prices, mmRatios),
    marginRatioBps: marginRatioBps(state.markets, snap),
    markets,
  };
}

const dec = (x: bigint, decimals: number, shown = 2) => {
  const neg = x < 0n;
  const a = neg ? -x : x;
  const s = a.toString().padStart(decimals + 1, "0");
  const whole = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals, s.length - decimals + shown);
  return `${neg ? "-" : ""}${whole}${shown ? `.${frac}` : ""}`;
};
export const fmtValue = (v: bigint) => dec(v, VALUE_DECIMALS);
export const fmtPrice = (p: bigint) => dec(p, PRICE_DECIMALS);
export const fmtSize = (q: bigint) => dec(q, SIZE_DECIMALS, 4);

export function renderStatus(v: StatusView): string {
  const lines = [
    `account ${v.account}  status ${v.status}  nonce ${v.nonce}  last proof ${new Date(Number(v.provenAt) * 1000).toISOString()}`,
    v.challengeDeadline
      ? `CHALLENGED: answer before ${new Date(Number(v.challengeDeadline) * 1000).toISOString()}`
      : "no open challenge",
    `collateral value ${fmtValue(v.collateralValue)}  equity ${fmtValue(v.equity)}  maintenance ${fmtValue(v.maintenance)}  margin ratio ${v.marginRatioBps === undefined ? "-" : `${dec(v.marginRatioBps, 2)}%`}`,
  ];
  if (v.markets.length === 0) lines.push("no open positions");
  for (const m of v.markets) {
    lines.push(
      `  ${m.market.padEnd(4)} ${m.side.padEnd(5)} size ${fmtSize(m.size)}  entry ${fmtPrice(m.entryPrice)}  mark ${fmtPrice(m.markPrice)}  pnl ${fmtValue(m.unrealisedPnl)}  liquidation ${m.liquidationPrice === undefined ? "-" : fmtPrice(m.liquidationPrice)}${m.distanceBps === undefined ? "" : ` (${dec(m.distanceBps, 2)}% away)`}`,
    );
  }
  return lines.join("\n");
}
