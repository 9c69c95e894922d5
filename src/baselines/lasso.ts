/**
 * Lasso without intercept, sklearn's objective (1 / (2n)) ||y - Xw||^2 + alpha ||w||_1 on the n
 * earlier clean examples, solved by cyclic coordinate descent on the Gram matrix (A = X^T X,
 * b = X^T y, accumulated incrementally) with sklearn's stopping rule: after a sweep whose largest
 * coordinate change is below tol * max|w|, stop when the duality gap of
 * 0.5 ||y - Xw||^2 + n alpha ||w||_1 is below tol * ||y||^2 (tol = 1e-4, at most maxIter sweeps).
 * Each position warm-starts from the previous position's solution.
 *
 * Coordinate descent crawls when there are fewer examples than dimensions (it moves weight between
 * nearly collinear coordinates a little per sweep: thousands of sweeps at n = 1..5). There, and
 * whenever a fit has not met the criterion after CD_BUDGET sweeps, the exact solution is computed
 * instead by the homotopy (LARS-Lasso) path from alpha_max down to alpha, checked by the same
 * duality gap; only if that fails does coordinate descent continue to maxIter (see solveLasso).
 */
import type { ExampleView } from '../tasks/types';
import { accumulateGram, dot } from './linalg';
import { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';

export interface LassoOptions {
  /** sklearn's tol (default 1e-4) */
  tol?: number;
  /** maximum coordinate-descent sweeps per fit (default 10000) */
  maxIter?: number;
  /** 'cd' = coordinate descent only (slow below n = d); default: automatic (see solveLasso) */
  solver?: 'cd' | 'auto';
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

/** Sweeps of warm-started coordinate descent before the exact homotopy solver takes over. */
const CD_BUDGET = 30;

/**
 * The exact Lasso solution by the homotopy (LARS-Lasso) path: start at w = 0 with
 * lambda = max_j |b_j|, and follow the piecewise-linear solution path down to lambda = alpha n,
 * adding a coordinate when its correlation |b_j - (Aw)_j| reaches lambda and dropping one when its
 * weight crosses zero. Returns null on numerical trouble (singular active set, too many steps).
 */
export function lassoHomotopy(p: GramProblem, alpha: number): Float64Array | null {
  const { d, n, A, b } = p;
  const w = new Float64Array(d);
  if (n === 0) return w;
  const target = alpha * n;
  const c = b.slice();
  let lambda = 0;
  let first = -1;
  for (let j = 0; j < d; j++)
    if (Math.abs(c[j]) > lambda) {
      lambda = Math.abs(c[j]);
      first = j;
    }
  if (first < 0 || lambda <= target) return w;
  if (!(A[first * d + first] > 0)) return null;
  const eps = 1e-12 * lambda;
  const active: number[] = [first];
  const signs: number[] = [Math.sign(c[first])];
  const inActive = new Uint8Array(d);
  inActive[first] = 1;
  // G = inverse of A restricted to the active set (rows/columns in `active` order, stride d),
  // kept up to date by bordering (join) and Schur-complement (drop) updates, O(k^2) each
  const G = new Float64Array(d * d);
  G[0] = 1 / A[first * d + first];
  const u = new Float64Array(d);
  const a = new Float64Array(d);
  const g = new Float64Array(d);
  for (let step = 0; step < 8 * d + 32; step++) {
    const k = active.length;
    for (let r = 0; r < k; r++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += G[r * d + q] * signs[q];
      u[r] = s;
    }
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let r = 0; r < k; r++) s += A[j * d + active[r]] * u[r];
      a[j] = s;
    }
    let delta = lambda - target;
    let join = -1;
    let drop = -1;
    for (let j = 0; j < d; j++) {
      if (inActive[j]) continue;
      if (a[j] < 1) {
        const t = (lambda - c[j]) / (1 - a[j]);
        if (t > eps && t < delta) {
          delta = t;
          join = j;
          drop = -1;
        }
      }
      if (a[j] > -1) {
        const t = (lambda + c[j]) / (1 + a[j]);
        if (t > eps && t < delta) {
          delta = t;
          join = j;
          drop = -1;
        }
      }
    }
    for (let r = 0; r < k; r++) {
      const j = active[r];
      if (u[r] === 0) continue;
      const t = -w[j] / u[r];
      if (t > eps && t < delta) {
        delta = t;
        drop = r;
        join = -1;
      }
    }
    for (let r = 0; r < k; r++) w[active[r]] += delta * u[r];
    for (let j = 0; j < d; j++) c[j] -= delta * a[j];
    lambda -= delta;
    if (join >= 0) {
      // bordering: the new inverse from G, g = G v (v = A[S, j]) and the Schur complement
      let vg = 0;
      for (let r = 0; r < k; r++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += G[r * d + q] * A[active[q] * d + join];
        g[r] = s;
        vg += A[active[r] * d + join] * s;
      }
      const ajj = A[join * d + join];
      const schur = ajj - vg;
      if (!(schur > 1e-10 * ajj)) return null;
      for (let r = 0; r < k; r++) {
        const gr = g[r] / schur;
        for (let q = 0; q < k; q++) G[r * d + q] += gr * g[q];
        G[r * d + k] = -gr;
        G[k * d + r] = -gr;
      }
      G[k * d + k] = 1 / schur;
      active.push(join);
      signs.push(Math.sign(c[join]) || 1);
      inActive[join] = 1;
    } else if (drop >= 0) {
      const j = active[drop];
      w[j] = 0;
      inActive[j] = 0;
      // inverse of the matrix without row/column `drop`: G' = G_rest - G[rest, drop] G[drop, rest] / G[drop, drop]
      const grr = G[drop * d + drop];
      for (let r = 0; r < k; r++) {
        if (r === drop) continue;
        const f = G[r * d + drop] / grr;
        for (let q = 0; q < k; q++) if (q !== drop) G[r * d + q] -= f * G[drop * d + q];
      }
      for (let r = 0; r < k - 1; r++) {
        const ro = r < drop ? r : r + 1;
        for (let q = 0; q < k - 1; q++) G[r * d + q] = G[ro * d + (q < drop ? q : q + 1)];
      }
      active.splice(drop, 1);
      signs.splice(drop, 1);
      for (let q = 0; q < d; q++) c[q] = b[q] - dot(A, w, d, q * d, 0);
      if (active.length === 0) return null;
    } else return w;
  }
  return null;
}

export type LassoSolver = 'cd' | 'homotopy';

/**
 * Solve the Lasso to sklearn's criterion from the warm start in `w` (updated in place). With at
 * least as many examples as dimensions: coordinate descent for CD_BUDGET sweeps, then, if it has not
 * converged, the exact homotopy solution; with fewer examples (where coordinate descent needs
 * thousands of sweeps) the homotopy first. Whatever fails its duality-gap check falls back to
 * coordinate descent up to maxIter. `options.solver = 'cd'` forces plain coordinate descent.
 * `Aw` is scratch (left holding A w). Returns the solver that produced the answer.
 */
export function solveLasso(
  p: GramProblem,
  alpha: number,
  w: Float64Array,
  Aw: Float64Array,
  options: LassoOptions = {},
): LassoSolver {
  const maxIter = options.maxIter ?? 10000;
  const gapTol = (options.tol ?? 1e-4) * p.yy;
  let budget = 0;
  if (p.n >= p.d || options.solver === 'cd') {
    budget = options.solver === 'cd' ? maxIter : Math.min(CD_BUDGET, maxIter);
    if (lassoCoordinateDescent(p, alpha, w, Aw, { ...options, maxIter: budget }) < budget) return 'cd';
    if (lassoDualityGap(p, alpha, w, Aw) < gapTol || budget >= maxIter) return 'cd';
  }
  const exact = lassoHomotopy(p, alpha);
  if (exact) {
    const Ae = new Float64Array(p.d);
    for (let j = 0; j < p.d; j++) Ae[j] = dot(p.A, exact, p.d, j * p.d, 0);
    if (lassoDualityGap(p, alpha, exact, Ae) < gapTol) {
      w.set(exact);
      Aw.set(Ae);
      return 'homotopy';
    }
  }
  lassoCoordinateDescent(p, alpha, w, Aw, { ...options, maxIter: maxIter - budget });
  return 'cd';
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
    solveLasso(this.problem, this.alpha, this.w, this.Aw, this.options);
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
