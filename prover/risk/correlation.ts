/**
 * Correlation matrices: validation in human terms and the Cholesky factor the simulation draws with.
 *
 * The factorisation accepts positive semi-definite matrices (correlation 1 between two factors, as WETH
 * collateral with an ETH market): a pivot within PIVOT_TOLERANCE of zero makes its column zero, which is
 * exact for a PSD matrix (a zero pivot forces a zero column in the Schur complement). A pivot below
 * -PIVOT_TOLERANCE, or a zero pivot with a column entry above COLUMN_TOLERANCE, means a negative
 * eigenvalue: the correlations cannot hold together and the error names the factors involved.
 */
import { RiskError, RiskErrorCode } from "./errors";

export const PIVOT_TOLERANCE = 1e-10;
export const COLUMN_TOLERANCE = 1e-7;
const SYMMETRY_TOLERANCE = 1e-12;

/** A lower-triangular factor L with L L^T = the matrix, row-major in a flat n x n array. */
export interface Cholesky {
  readonly n: number;
  readonly lower: Float64Array;
}

/** Checks shape, symmetry, unit diagonal and range; `names` (one per factor) appear in the errors. */
export function requireCorrelation(matrix: readonly (readonly number[])[], names: readonly string[]): void {
  const n = names.length;
  if (!Array.isArray(matrix) || matrix.length !== n) {
    throw new RiskError(
      RiskErrorCode.BadShape,
      `the correlation matrix needs ${n} rows (${listNames(names)}), got ${Array.isArray(matrix) ? matrix.length : "none"}`,
    );
  }
  matrix.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) {
      throw new RiskError(
        RiskErrorCode.BadShape,
        `row ${i} (${names[i]}) of the correlation matrix needs ${n} entries, got ${Array.isArray(row) ? row.length : "none"}`,
      );
    }
  });
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = matrix[i][j];
      const pair = `${names[i]} and ${names[j]}`;
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new RiskError(RiskErrorCode.BadCorrelation, `the correlation of ${pair} is not a number: ${String(v)}`);
      }
      if (i === j && Math.abs(v - 1) > SYMMETRY_TOLERANCE) {
        throw new RiskError(
          RiskErrorCode.BadCorrelation,
          `the correlation of ${names[i]} with itself must be 1, got ${v}`,
        );
      }
      if (Math.abs(v) > 1) {
        throw new RiskError(
          RiskErrorCode.BadCorrelation,
          `the correlation of ${pair} is ${v}: it must be between -1 and 1`,
        );
      }
      if (j > i && Math.abs(v - matrix[j][i]) > SYMMETRY_TOLERANCE) {
        throw new RiskError(
          RiskErrorCode.BadCorrelation,
          `the correlation matrix is not symmetric: ${pair} is ${v} one way and ${matrix[j][i]} the other`,
        );
      }
    }
  }
}

/**
 * The Cholesky factor of a validated correlation matrix (positive semi-definite allowed). Throws
 * NotPositiveSemiDefinite, naming the factors whose correlations are inconsistent.
 */
export function cholesky(matrix: readonly (readonly number[])[], names: readonly string[]): Cholesky {
  requireCorrelation(matrix, names);
  const n = names.length;
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = matrix[j][j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
    if (d < -PIVOT_TOLERANCE) throw notPsd(matrix, names, j);
    const pivot = d > PIVOT_TOLERANCE ? Math.sqrt(d) : 0;
    L[j * n + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      let s = matrix[i][j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (pivot === 0) {
        if (Math.abs(s) > COLUMN_TOLERANCE) throw notPsd(matrix, names, i);
        L[i * n + j] = 0;
      } else {
        L[i * n + j] = s / pivot;
      }
    }
  }
  return { n, lower: L };
}

/** The factor for the principal sub-matrix of the factors `keep` (indices into the full matrix). */
export function choleskyOf(
  matrix: readonly (readonly number[])[],
  names: readonly string[],
  keep: readonly number[],
): Cholesky {
  return cholesky(
    keep.map((i) => keep.map((j) => matrix[i][j])),
    keep.map((i) => names[i]),
  );
}

function notPsd(matrix: readonly (readonly number[])[], names: readonly string[], upTo: number): RiskError {
  const pairs: string[] = [];
  for (let i = 0; i <= upTo && pairs.length < 10; i++) {
    for (let j = i + 1; j <= upTo && pairs.length < 10; j++) pairs.push(`${names[i]}-${names[j]} ${matrix[i][j]}`);
  }
  return new RiskError(
    RiskErrorCode.NotPositiveSemiDefinite,
    `the correlations among ${listNames(names.slice(0, upTo + 1))} cannot all hold at once ` +
      `(the matrix is not positive semi-definite: it implies a negative variance); pairs: ${pairs.join(", ")}`,
  );
}

function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
