import { CodedError } from "../../core/errors";

/** What callers of the risk module (`zkm risk`, the daemon's policies, tests) must tell apart. */
export enum RiskErrorCode {
  /** Lists of different lengths, a matrix that is not square, too many horizons. */
  BadShape = "RISK_BAD_SHAPE",
  /** A number out of its range: a negative volatility, a price of zero, a haircut above 100 %. */
  BadValue = "RISK_BAD_VALUE",
  /** The correlation matrix is not symmetric, has a diagonal other than 1 or entries outside [-1, 1]. */
  BadCorrelation = "RISK_BAD_CORRELATION",
  /** The correlations cannot hold together (the matrix has a negative eigenvalue). */
  NotPositiveSemiDefinite = "RISK_NOT_PSD",
  /** Policy thresholds not ordered 0 < warn < top-up < reduce <= 1, or a target outside (0, 1). */
  BadPolicy = "RISK_BAD_POLICY",
}

export class RiskError extends CodedError<RiskErrorCode> {}

/** Throws a BadValue error unless `value` is a finite number. */
export function requireFinite(what: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new RiskError(RiskErrorCode.BadValue, `${what} must be a finite number, got ${String(value)}`);
  }
}

/** Throws a BadValue error unless `value` is a finite number >= 0. */
export function requireNonNegative(what: string, value: number): void {
  requireFinite(what, value);
  if (value < 0) throw new RiskError(RiskErrorCode.BadValue, `${what} cannot be negative, got ${value}`);
}

/** Throws a BadValue error unless `value` is a finite number > 0. */
export function requirePositive(what: string, value: number): void {
  requireFinite(what, value);
  if (value <= 0) throw new RiskError(RiskErrorCode.BadValue, `${what} must be above zero, got ${value}`);
}

/** Throws a BadValue error unless `value` is an integer in [min, max]. */
export function requireInteger(what: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw new RiskError(RiskErrorCode.BadValue, `${what} must be a whole number ${range}, got ${String(value)}`);
  }
}
