/**
 * Human units for every message, log line, webhook and `--json` output of the trader's tools.
 * Text: grouped digits and the unit ("4,900.00 USD", "2.0000 ETH", "1,000.00 USDC", "5.00%").
 * JSON: an exact decimal string with its unit, beside the raw integer as a string, so that nothing
 * precise is lost and nothing needs the reader to know the scale:
 *   { "value": "4900", "unit": "USD", "raw": "4900000000000000000000", "decimals": 18 }
 */
import { PRICE_DECIMALS, SIZE_DECIMALS, VALUE_DECIMALS } from "../model";

/** The quote currency of every value and market price. */
export const QUOTE = "USD";
export const MARKET_NAMES = ["ETH", "BTC", "SOL", "ARB"];

export const marketName = (j: number): string => MARKET_NAMES[j] ?? `market ${j}`;

export interface Amount {
  /** Exact decimal, no grouping, no trailing zeros ("4900", "-14.5"). */
  readonly value: string;
  readonly unit: string;
  /** The integer on chain or in the proof. */
  readonly raw: string;
  readonly decimals: number;
}

/** x / 10^decimals exactly, without trailing zeros. */
export function exact(x: bigint, decimals: number): string {
  const neg = x < 0n;
  const a = neg ? -x : x;
  const s = a.toString().padStart(decimals + 1, "0");
  const whole = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals).replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

export function amount(raw: bigint, decimals: number, unit: string): Amount {
  return { value: exact(raw, decimals), unit, raw: raw.toString(), decimals };
}

/** Grouped, truncated (never rounded up) to `shown` decimals. */
export function grouped(x: bigint, decimals: number, shown = 2): string {
  const neg = x < 0n;
  const a = neg ? -x : x;
  const s = a.toString().padStart(decimals + 1, "0");
  const whole = s.slice(0, s.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = s.slice(s.length - decimals, s.length - decimals + shown).padEnd(shown, "0");
  return `${neg ? "-" : ""}${whole}${shown ? `.${frac}` : ""}`;
}

export const fmtValue = (v: bigint): string => `${grouped(v, VALUE_DECIMALS)} ${QUOTE}`;
export const fmtPrice = (p: bigint): string => `${grouped(p, PRICE_DECIMALS)} ${QUOTE}`;
export const fmtSize = (q: bigint, j?: number): string =>
  `${grouped(q, SIZE_DECIMALS, 4)}${j === undefined ? "" : ` ${marketName(j)}`}`;
export const fmtToken = (raw: bigint, decimals: number, symbol: string): string =>
  `${grouped(raw, decimals, Math.min(decimals, decimals >= 8 ? 6 : 2))} ${symbol}`;
export const fmtBps = (b: bigint): string => `${grouped(b, 2)}%`;
export const fmtEth = (wei: bigint): string => `${grouped(wei, 18, 6)} ETH`;

export const valueAmount = (v: bigint): Amount => amount(v, VALUE_DECIMALS, QUOTE);
export const priceAmount = (p: bigint): Amount => amount(p, PRICE_DECIMALS, QUOTE);
export const sizeAmount = (q: bigint, j: number): Amount => amount(q, SIZE_DECIMALS, marketName(j));
export const bpsAmount = (b: bigint): Amount => amount(b, 2, "%");

/** "2 h 5 min", "4 min 10 s", "now". */
export function fmtDuration(seconds: bigint | number): string {
  const n = Math.floor(Number(seconds));
  if (n <= 0) return "now";
  const d = Math.floor(n / 86_400);
  const h = Math.floor((n % 86_400) / 3600);
  const m = Math.floor((n % 3600) / 60);
  const sec = n % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return m > 0 ? (sec > 0 ? `${m} min ${sec} s` : `${m} min`) : `${sec} s`;
}

/** A chain timestamp as ISO 8601 (UTC). */
export const fmtTime = (epochSeconds: bigint | number): string =>
  new Date(Number(epochSeconds) * 1000).toISOString().replace(".000Z", "Z");

/** A moment for JSON: when, and how long from `now` (negative: past). */
export function moment(epochSeconds: bigint, now: bigint): { at: string; inSeconds: number; in: string } {
  const d = Number(epochSeconds - now);
  return { at: fmtTime(epochSeconds), inSeconds: d, in: d > 0 ? fmtDuration(d) : "passed" };
}

/** JSON.stringify with bigints as strings. */
export function toJson(x: unknown, indent?: number): string {
  return JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v), indent);
}
