/**
 * The edge between the chain's integers and the risk module's doubles. Every integer is a fixed-point
 * number with a stated count of decimals; fromScaled(x, d) = x / 10^d, rounded once to the nearest double
 * (correctly rounded, relative error at most 2^-53, for |x| <= 2^53 and up to 22 decimals; otherwise the
 * integer and fractional parts are converted apart, within a few units of 2^-53). Nothing here reads the chain or the state files: the caller
 * (prover CLI, daemon) maps its own state format onto these plain inputs.
 */
import { RiskError, RiskErrorCode, requireInteger } from "./errors";
import type { CollateralHolding, MarketExposure, Portfolio, Side, Volatility } from "./portfolio";

/** Decimals of the scaled inputs. */
export interface Scales {
  /** Position sizes (base units). */
  readonly size: number;
  /** Market and collateral prices. */
  readonly price: number;
  /** Values: cost bases and cash. */
  readonly value: number;
}

/**
 * The encoding the prover uses today (sizes 1e-10, prices 1e-8, values 1e-18 of the quote). Stated here,
 * not imported, so that this module does not depend on the state format; pass other scales when it changes.
 */
export const DEFAULT_SCALES: Scales = { size: 10, price: 8, value: 18 };

/** A volatility as a fixed-point integer, per second (in 1/sqrt(s)) or per year. */
export interface ScaledVolatility {
  readonly scaled: bigint;
  readonly decimals: number;
  readonly per: "second" | "year";
}

export interface ScaledMarket {
  readonly name?: string;
  readonly side: Side;
  readonly size: bigint;
  readonly costBasis: bigint;
  readonly price: bigint;
  readonly maintenanceBps: bigint | number;
  readonly volatility: Volatility | ScaledVolatility;
}

export interface ScaledCollateral {
  readonly name?: string;
  /** Token amount in the token's own base units (6 decimals for USDC, 18 for WETH). */
  readonly amount: bigint;
  readonly decimals: number;
  readonly price: bigint;
  readonly haircutBps: bigint | number;
  readonly volatility: Volatility | ScaledVolatility;
}

export interface ScaledPortfolio {
  readonly markets: readonly ScaledMarket[];
  readonly collateral: readonly ScaledCollateral[];
  /** Signed, in value decimals. */
  readonly cash: bigint;
  readonly correlation?: readonly (readonly number[])[];
}

/** Integers up to 2^53 and powers of ten up to 10^22 are exact doubles. */
const EXACT = 1n << 53n;

/** x / 10^decimals as the nearest double (see the header for the error). */
export function fromScaled(x: bigint, decimals: number, what = "a scaled value"): number {
  if (typeof x !== "bigint") throw new RiskError(RiskErrorCode.BadValue, `${what} must be a bigint, got ${typeof x}`);
  requireInteger(`the decimals of ${what}`, decimals, 0, 77);
  const unit = 10n ** BigInt(decimals);
  const neg = x < 0n;
  const a = neg ? -x : x;
  let v: number;
  if (a <= EXACT && decimals <= 22) {
    v = Number(a) / Number(unit); // both exact: one correctly rounded division
  } else {
    v = Number(a / unit) + Number(a % unit) / Number(unit);
  }
  return neg ? -v : v;
}

function requireBigint(what: string, x: unknown): void {
  if (typeof x !== "bigint") throw new RiskError(RiskErrorCode.BadValue, `${what} must be a bigint, got ${typeof x}`);
}

function bps(x: bigint | number): number {
  return typeof x === "bigint" ? Number(x) : x;
}

function volatility(what: string, v: Volatility | ScaledVolatility): Volatility {
  if (v !== null && typeof v === "object" && "scaled" in v) {
    requireBigint(`${what}: the scaled volatility`, v.scaled);
    const x = fromScaled(v.scaled, v.decimals, `${what}'s volatility`);
    if (v.per === "second") return { perSecond: x };
    if (v.per === "year") return { annualised: x };
    throw new RiskError(RiskErrorCode.BadValue, `${what}: a scaled volatility is per "second" or per "year"`);
  }
  return v;
}

/** The plain portfolio of a scaled one (validation of ranges happens in the risk functions). */
export function portfolioFromScaled(p: ScaledPortfolio, scales: Scales = DEFAULT_SCALES): Portfolio {
  if (p === null || typeof p !== "object" || !Array.isArray(p.markets) || !Array.isArray(p.collateral)) {
    throw new RiskError(RiskErrorCode.BadShape, "the portfolio needs lists of markets and collateral");
  }
  requireBigint("the cash balance", p.cash);
  const markets: MarketExposure[] = p.markets.map((m, j) => {
    const name = m.name ?? `market ${j}`;
    for (const k of ["size", "costBasis", "price"] as const) requireBigint(`${name}: the ${k}`, m[k]);
    return {
      name,
      side: m.side,
      size: fromScaled(m.size, scales.size, `${name}'s size`),
      costBasis: fromScaled(m.costBasis, scales.value, `${name}'s cost basis`),
      price: fromScaled(m.price, scales.price, `${name}'s price`),
      maintenanceBps: bps(m.maintenanceBps),
      volatility: volatility(name, m.volatility),
    };
  });
  const collateral: CollateralHolding[] = p.collateral.map((c, i) => {
    const name = c.name ?? `collateral ${i}`;
    for (const k of ["amount", "price"] as const) requireBigint(`${name}: the ${k}`, c[k]);
    return {
      name,
      amount: fromScaled(c.amount, c.decimals, `${name}'s amount`),
      price: fromScaled(c.price, scales.price, `${name}'s price`),
      haircutBps: bps(c.haircutBps),
      volatility: volatility(name, c.volatility),
    };
  });
  return {
    markets,
    collateral,
    cash: fromScaled(p.cash, scales.value, "the cash balance"),
    ...(p.correlation ? { correlation: p.correlation } : {}),
  };
}
