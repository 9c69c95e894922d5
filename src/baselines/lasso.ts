/**
 * Lasso without intercept, sklearn's objective (1 / (2n)) ||y - Xw||^2 + alpha ||w||_1 on the n
 * earlier clean examples, solved by cyclic coordinate descent on the Gram matrix (A = X^T X,
 * b = X^T y, accumulated incrementally) with sklearn's stopping rule: after a sweep whose largest
 * coordinate change is below tol * max|w|, stop when the duality gap of
 * 0.5 ||y - Xw||^2 + n alpha ||w||_1 is below tol * ||y||^2 (tol = 1e-4, at most maxIter sweeps).
 * Each position warm-starts from the previous position's solution.
 */
import type { ExampleView } from '../tasks/types';
import { accumulateGram, dot } from './linalg';
import { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';

export interface LassoOptions {
  /** sklearn's tol (default 1e-4) */
  tol?: number;
  /** maximum coordinate-descent sweeps per fit (default 10000) */
  maxIter?: number;
}

/** The problem in Gram form: A = X^T X [d, d], b = X^T y [d], yy = y^T y, n rows. */
export interface GramProblem {
  d: number;
  n: number;
  A: Float64Array;
  b: Float64Array;
  yy: number;
}

/**
 * Duality gap of 0.5 ||y - Xw||^2 + n alpha ||w||_1 (sklearn's rescaled objective) at w, from the
 * Gram form. `Aw` must hold A w.
 */
export function lassoDualityGap(p: GramProblem, alpha: number, w: Float64Array, Aw: Float64Array): number {
  const { d, n, b, yy } = p;
  const l1 = alpha * n;
  const bw = dot(b, w, d);
  const wAw = dot(w, Aw, d);
  const rNorm2 = Math.max(0, yy - 2 * bw + wAw);
  const rY = yy - bw;
  let dualNorm = 0;
  let wL1 = 0;
  for (let j = 0; j < d; j++) {
    dualNorm = Math.max(dualNorm, Math.abs(b[j] - Aw[j]));
    wL1 += Math.abs(w[j]);
  }
  const scale = dualNorm > l1 ? l1 / dualNorm : 1;
  return 0.5 * rNorm2 * (1 + scale * scale) + l1 * wL1 - scale * rY;
}

/**
 * Coordinate descent from the starting point in `w` (updated in place). Returns the number of sweeps.
 * `Aw` is scratch of length d (left holding A w).
 */
export function lassoCoordinateDescent(
  p: GramProblem,
  alpha: number,
  w: Float64Array,
  Aw: Float64Array,
  options: LassoOptions = {},
): number {
  const { d, n, A, b, yy } = p;
  const tol = options.tol ?? 1e-4;
  const maxIter = options.maxIter ?? 10000;
  const l1 = alpha * n;
  for (let j = 0; j < d; j++) Aw[j] = dot(A, w, d, j * d, 0);
  if (n === 0 || yy === 0) {
    w.fill(0);
    Aw.fill(0);
    return 0;
  }
  const gapTol = tol * yy;
  for (let it = 0; it < maxIter; it++) {
    let maxDelta = 0;
    let maxW = 0;
    for (let j = 0; j < d; j++) {
      const ajj = A[j * d + j];
      const old = w[j];
      let next = 0;
      if (ajj > 0) {
        const rho = b[j] - Aw[j] + ajj * old;
        next = rho > l1 ? (rho - l1) / ajj : rho < -l1 ? (rho + l1) / ajj : 0;
      }
      if (next !== old) {
        const delta = next - old;
        for (let k = 0; k < d; k++) Aw[k] += A[k * d + j] * delta;
        w[j] = next;
        maxDelta = Math.max(maxDelta, Math.abs(delta));
      }
      maxW = Math.max(maxW, Math.abs(next));
    }
    if (maxW === 0 || maxDelta / maxW < tol || it === maxIter - 1) {
      // recompute A w exactly before the gap (the running updates drift slowly)
      for (let j = 0; j < d; j++) Aw[j] = dot(A, w, d, j * d, 0);
      if (lassoDualityGap(p, alpha, w, Aw) < gapTol) return it + 1;
    }
  }
  return maxIter;
}

/** Online Lasso: refits (warm-started) at every prediction on the examples added so far. */
export class OnlineLasso implements OnlineEstimator {
  private readonly problem: GramProblem;
  private readonly w: Float64Array;
  private readonly Aw: Float64Array;
  private dirty = false;

  constructor(
    readonly d: number,
    readonly alpha: number,
    private readonly options: LassoOptions = {},
  ) {
    this.problem = { d, n: 0, A: new Float64Array(d * d), b: new Float64Array(d), yy: 0 };
    this.w = new Float64Array(d);
    this.Aw = new Float64Array(d);
  }

  weights(): Float64Array {
    this.fit();
    return this.w.slice();
  }

  private fit(): void {
    if (!this.dirty) return;
    this.dirty = false;
    lassoCoordinateDescent(this.problem, this.alpha, this.w, this.Aw, this.options);
  }

  predict(x: Float64Array): number {
    if (this.problem.n === 0) return 0;
    this.fit();
    return dot(this.w, x, this.d);
  }

  add(x: Float64Array, y: number): void {
    accumulateGram(this.problem.A, this.problem.b, x, y, this.d);
    this.problem.yy += y * y;
    this.problem.n++;
    this.dirty = true;
  }
}

export function lasso(
  ex: ExampleView,
  alpha: number,
  subset?: PredictionSubset,
  options: LassoOptions = {},
): BaselinePredictions {
  return runOnline(ex, subset, () => new OnlineLasso(ex.dim, alpha, options));
}
