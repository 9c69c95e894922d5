/**
 * Small dense linear algebra for the baselines. Decompositions come from ml-matrix (SVD, Cholesky);
 * what is written here are the O(d^2) updates that make the per-position refits affordable
 * (recursive least squares) and a few vector helpers. Matrices are row-major Float64Array.
 */
import { CholeskyDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';

export function dot(a: Float64Array, b: Float64Array, n: number, offA = 0, offB = 0): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += a[offA + j] * b[offB + j];
  return s;
}

/** Row-major [rows, cols] Float64Array -> ml-matrix Matrix. */
export function toMatrix(data: Float64Array, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m.set(r, c, data[r * cols + c]);
  return m;
}

/** The minimum-norm least-squares solution through ml-matrix's SVD, with its rank and condition. */
export interface SvdSolution {
  /** [d] pinv(X) y */
  w: Float64Array;
  /** numerical rank (singular values above the pseudo-inverse cutoff) */
  rank: number;
  /** largest / smallest singular value over min(n, d) values (Infinity when rank deficient) */
  condition: number;
  /** [d, d] (X^T X)^-1 = V S^-2 V^T when rank == d, else null */
  inverseGram: Float64Array | null;
}

/**
 * w = pinv(X) y for X [n, d] (row-major), with ml-matrix's pseudo-inverse rule: singular values
 * <= EPSILON * max(n, d) * s_max count as zero. n = 0 gives w = 0.
 */
export function svdMinNorm(xs: Float64Array, ys: Float64Array, n: number, d: number): SvdSolution {
  const w = new Float64Array(d);
  if (n === 0) return { w, rank: 0, condition: Number.POSITIVE_INFINITY, inverseGram: null };
  const svd = new SingularValueDecomposition(toMatrix(xs, n, d), { autoTranspose: true });
  const U = svd.leftSingularVectors; // [n, k]
  const V = svd.rightSingularVectors; // [d, k]
  const s = svd.diagonal;
  const k = Math.min(n, d, s.length, U.columns, V.columns);
  const cutoff = Number.EPSILON * Math.max(n, d) * s[0];
  let rank = 0;
  let sMin = Number.POSITIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    if (Math.abs(s[c]) <= cutoff) continue;
    rank++;
    sMin = Math.min(sMin, Math.abs(s[c]));
    let uy = 0;
    for (let r = 0; r < n; r++) uy += U.get(r, c) * ys[r];
    const coef = uy / s[c];
    for (let j = 0; j < d; j++) w[j] += V.get(j, c) * coef;
  }
  const condition = rank === Math.min(n, d) && rank > 0 ? Math.abs(s[0]) / sMin : Number.POSITIVE_INFINITY;
  let inverseGram: Float64Array | null = null;
  if (rank === d && n >= d) {
    inverseGram = new Float64Array(d * d);
    for (let c = 0; c < d; c++) {
      const inv = 1 / (s[c] * s[c]);
      for (let a = 0; a < d; a++) {
        const va = V.get(a, c) * inv;
        for (let b = 0; b < d; b++) inverseGram[a * d + b] += va * V.get(b, c);
      }
    }
    symmetrise(inverseGram, d);
  }
  return { w, rank, condition, inverseGram };
}

/** Make a square matrix exactly symmetric by averaging it with its transpose. */
export function symmetrise(m: Float64Array, d: number): void {
  for (let a = 0; a < d; a++)
    for (let b = a + 1; b < d; b++) {
      const v = 0.5 * (m[a * d + b] + m[b * d + a]);
      m[a * d + b] = v;
      m[b * d + a] = v;
    }
}

/**
 * Solve (A + ridge I) w = b and invert it with ml-matrix's Cholesky decomposition.
 * Returns null when the matrix is not (numerically) positive definite. `condition` is
 * ||M||_F ||M^-1||_F, an upper bound of the 2-norm condition number of M = A + ridge I (at most
 * d times too large).
 */
export function choleskySolveInverse(
  A: Float64Array,
  b: Float64Array,
  d: number,
  ridge = 0,
): { w: Float64Array; inverse: Float64Array; condition: number } | null {
  const m = toMatrix(A, d, d);
  if (ridge !== 0) for (let j = 0; j < d; j++) m.set(j, j, m.get(j, j) + ridge);
  const chol = new CholeskyDecomposition(m);
  if (!chol.isPositiveDefinite()) return null;
  const rhs = new Matrix(d, d + 1);
  for (let j = 0; j < d; j++) {
    rhs.set(j, j, 1);
    rhs.set(j, d, b[j]);
  }
  const sol = chol.solve(rhs);
  const inverse = new Float64Array(d * d);
  const w = new Float64Array(d);
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) inverse[r * d + c] = sol.get(r, c);
    w[r] = sol.get(r, d);
  }
  for (let j = 0; j < d; j++) if (!Number.isFinite(w[j])) return null;
  symmetrise(inverse, d);
  let normM = 0;
  let normInv = 0;
  for (let r = 0; r < d; r++)
    for (let c = 0; c < d; c++) {
      normM += m.get(r, c) ** 2;
      normInv += inverse[r * d + c] ** 2;
    }
  return { w, inverse, condition: Math.sqrt(normM * normInv) };
}

/**
 * One step of recursive least squares: with P = (X^T X + ridge I)^-1 and w the (ridge) solution
 * on the rows so far, fold in the row (x, y) by the Sherman-Morrison rank-1 update. O(d^2).
 * `scratch` has length >= d.
 */
export function rlsUpdate(
  P: Float64Array,
  w: Float64Array,
  x: Float64Array,
  y: number,
  d: number,
  scratch: Float64Array,
): void {
  const Px = scratch;
  let xPx = 0;
  let xw = 0;
  for (let a = 0; a < d; a++) {
    let s = 0;
    for (let b = 0; b < d; b++) s += P[a * d + b] * x[b];
    Px[a] = s;
    xPx += x[a] * s;
    xw += x[a] * w[a];
  }
  const denom = 1 + xPx;
  const gain = (y - xw) / denom;
  for (let a = 0; a < d; a++) w[a] += Px[a] * gain;
  for (let a = 0; a < d; a++) {
    const pa = Px[a] / denom;
    for (let b = a; b < d; b++) {
      const v = P[a * d + b] - pa * Px[b];
      P[a * d + b] = v;
      P[b * d + a] = v;
    }
  }
}

/** A += x x^T, b += y x. */
export function accumulateGram(
  A: Float64Array,
  b: Float64Array,
  x: Float64Array,
  y: number,
  d: number,
): void {
  for (let a = 0; a < d; a++) {
    const xa = x[a];
    if (xa === 0) continue;
    b[a] += y * xa;
    for (let c = 0; c < d; c++) A[a * d + c] += xa * x[c];
  }
}
