/**
 * Least squares: the minimum-norm least-squares fit w = pinv(X) y on the earlier clean examples,
 * prediction x_i . w (0 with no examples). The reference is the SVD pseudo-inverse (ml-matrix); the
 * per-position refits are made incremental so 1280 prompts x 41 positions (or N = 512) stay cheap:
 *
 *  1. 'span' phase, while the rows are linearly independent (fewer than d of them): the min-norm
 *     solution interpolates and lies in the row space, so a new row x adds one orthonormal
 *     direction q (x minus its projection on the earlier rows, classical Gram-Schmidt applied twice)
 *     and w += (y - x.w) / (x.q) q keeps every earlier equation and satisfies the new one.
 *  2. 'rls' phase, once X has full column rank and is well conditioned: recursive least squares
 *     (Sherman-Morrison rank-1 updates of P = (X^T X)^-1), re-anchored every REFRESH_EVERY rows by
 *     a Cholesky solve of the accumulated normal equations. P starts from that Cholesky solve when
 *     X^T X is well conditioned, else from the SVD of X.
 *  3. 'general' phase, whenever neither holds (a row dependent on the earlier ones before full rank,
 *     e.g. duplicated or truncated inputs, or a badly conditioned X): the SVD pseudo-inverse of all
 *     rows at every prediction, until X becomes full rank and well conditioned.
 */
import type { ExampleView } from '../tasks/types';
import { accumulateGram, choleskySolveInverse, dot, rlsUpdate, svdMinNorm } from './linalg';
import { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';

/** A new row counts as independent when its part orthogonal to the earlier rows is this large, relatively. */
const SPAN_TOLERANCE = 1e-6;
/**
 * Recursive least squares starts from an SVD only when cond(X) is at most this: its rank-1 updates
 * lose about cond(X)^2 * epsilon, so worse-conditioned problems stay on the SVD until rows help.
 */
const MAX_CONDITION = 1e4;
/**
 * ... or from a Cholesky factorisation of X^T X (cheaper) when cond(X^T X) is surely at most this
 * (the inverse is then accurate to about this times machine epsilon).
 */
const MAX_GRAM_CONDITION_START = 1e8;
/** A periodic re-solve of the normal equations is kept only when cond(X^T X) is surely at most this. */
const MAX_GRAM_CONDITION_REFRESH = 1e9;
/** Rows between two exact re-solves of the normal equations in the RLS phase. */
const REFRESH_EVERY = 64;

type Phase = 'span' | 'rls' | 'general';

/** Online minimum-norm least squares over the examples added so far. */
export class OnlineLeastSquares implements OnlineEstimator {
  readonly d: number;
  private phase: Phase = 'span';
  private count = 0;
  private xs: Float64Array;
  private ys: Float64Array;
  private readonly w: Float64Array;
  /** orthonormal basis of the row space, [rank, d] (span phase) */
  private readonly q: Float64Array;
  private rank = 0;
  private P: Float64Array | null = null;
  private readonly A: Float64Array;
  private readonly b: Float64Array;
  private sinceRefresh = 0;
  /** general phase: w must be recomputed before the next prediction */
  private dirty = false;
  private readonly scratch: Float64Array;

  constructor(d: number, capacity = 16) {
    this.d = d;
    this.xs = new Float64Array(Math.max(1, capacity) * d);
    this.ys = new Float64Array(Math.max(1, capacity));
    this.w = new Float64Array(d);
    this.q = new Float64Array(d * d);
    this.A = new Float64Array(d * d);
    this.b = new Float64Array(d);
    this.scratch = new Float64Array(d);
  }

  /** The current solution (a copy). */
  weights(): Float64Array {
    this.settle();
    return this.w.slice();
  }

  /** Which update the estimator is in (for tests and diagnostics). */
  get currentPhase(): Phase {
    return this.phase;
  }

  predict(x: Float64Array): number {
    if (this.count === 0) return 0;
    this.settle();
    return dot(this.w, x, this.d);
  }

  add(x: Float64Array, y: number): void {
    const d = this.d;
    this.store(x, y);
    accumulateGram(this.A, this.b, x, y, d);
    if (this.phase === 'span') this.addSpan(x, y);
    else if (this.phase === 'rls') {
      rlsUpdate(this.P!, this.w, x, y, d, this.scratch);
      if (++this.sinceRefresh >= REFRESH_EVERY) this.refresh();
    } else this.dirty = true;
  }

  private store(x: Float64Array, y: number): void {
    const d = this.d;
    if (this.count === this.ys.length) {
      const xs = new Float64Array(this.xs.length * 2);
      xs.set(this.xs);
      this.xs = xs;
      const ys = new Float64Array(this.ys.length * 2);
      ys.set(this.ys);
      this.ys = ys;
    }
    for (let j = 0; j < d; j++) this.xs[this.count * d + j] = x[j];
    this.ys[this.count] = y;
    this.count++;
  }

  private addSpan(x: Float64Array, y: number): void {
    const d = this.d;
    const r = this.scratch;
    for (let j = 0; j < d; j++) r[j] = x[j];
    // classical Gram-Schmidt, twice ("twice is enough")
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < this.rank; k++) {
        const c = dot(this.q, r, d, k * d, 0);
        for (let j = 0; j < d; j++) r[j] -= c * this.q[k * d + j];
      }
    }
    const xNorm = Math.sqrt(dot(x, x, d));
    const rNorm = Math.sqrt(dot(r, r, d));
    if (!(xNorm > 0) || !(rNorm > SPAN_TOLERANCE * xNorm)) {
      this.phase = 'general';
      this.dirty = true;
      return;
    }
    const base = this.rank * d;
    for (let j = 0; j < d; j++) this.q[base + j] = r[j] / rNorm;
    this.rank++;
    // x . q = rNorm (q is x's component orthogonal to the earlier rows, normalised)
    const step = (y - dot(x, this.w, d)) / rNorm;
    for (let j = 0; j < d; j++) this.w[j] += step * this.q[base + j];
    if (this.rank === d) {
      // full rank: switch to RLS from the normal equations when they are well conditioned,
      // else let the SVD decide (it switches to RLS once X is well enough conditioned)
      const sol = choleskySolveInverse(this.A, this.b, d);
      if (sol && sol.condition <= MAX_GRAM_CONDITION_START) {
        this.P = sol.inverse;
        this.phase = 'rls';
        this.sinceRefresh = 0;
      } else {
        this.phase = 'general';
        this.dirty = true;
      }
    }
  }

  /** General phase: recompute w by SVD and move to RLS when X is full rank and well conditioned. */
  private settle(): void {
    if (this.phase !== 'general' || !this.dirty) return;
    const d = this.d;
    const sol = svdMinNorm(this.xs, this.ys, this.count, d);
    this.w.set(sol.w);
    this.dirty = false;
    if (sol.inverseGram && sol.condition <= MAX_CONDITION) {
      this.P = sol.inverseGram;
      this.phase = 'rls';
      this.sinceRefresh = 0;
    }
  }

  private refresh(): void {
    this.sinceRefresh = 0;
    const sol = choleskySolveInverse(this.A, this.b, this.d);
    if (!sol || sol.condition > MAX_GRAM_CONDITION_REFRESH) return;
    this.w.set(sol.w);
    this.P = sol.inverse;
  }
}

/** Least-squares predictions for every prompt and position of a batch. */
export function leastSquares(ex: ExampleView, subset?: PredictionSubset): BaselinePredictions {
  return runOnline(ex, subset, () => new OnlineLeastSquares(ex.dim, ex.nPoints));
}

/** Reference: pinv(X) y of X [n, d] by ml-matrix's SVD (what the online estimator must reproduce). */
export function minNormLeastSquares(xs: Float64Array, ys: Float64Array, n: number, d: number): Float64Array {
  return svdMinNorm(xs, ys, n, d).w;
}
