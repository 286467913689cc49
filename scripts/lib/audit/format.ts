/** Printing the audit's quantities: value units (1e-18 quote), sizes (10 decimals), prices (8), bps. */
import { fmtQuote } from "../../../prover/lib/actions";

function fixed(x: bigint, decimals: number): string {
  const neg = x < 0n;
  const a = neg ? -x : x;
  const unit = 10n ** BigInt(decimals);
  const frac = (a % unit).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${a / unit}${frac ? `.${frac}` : ""}`;
}

/** Value units as quote units with 2 decimals. */
export function fmtValue(v: bigint): string {
  return fmtQuote(v);
}

/** A size in base units (10 decimals), every digit shown. */
export function fmtSize(q: bigint): string {
  return fixed(q, 10);
}

/** An oracle price (8 decimals), every digit shown. */
export function fmtPrice(p: bigint): string {
  return fixed(p, 8);
}

/** Basis points as a percentage. */
export function fmtBps(b: bigint): string {
  return `${fixed(b, 2)}%`;
}

/** Token base units with the token's decimals. */
export function fmtTokens(amount: bigint, decimals: number): string {
  return fixed(amount, decimals);
}
