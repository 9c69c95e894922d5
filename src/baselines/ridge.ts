/**
 * Ridge regression without intercept: w = argmin ||y - Xw||^2 + alpha ||w||^2 (sklearn's Ridge
 * objective, no 1/n) on the earlier clean examples, i.e. w = (X^T X + alpha I)^-1 X^T y.
 * Incremental: recursive least squares from P = I / alpha, re-anchored every REFRESH_EVERY rows by
 * a Cholesky solve (ml-matrix) of the accumulated normal equations. As alpha -> 0 it tends to the
 * minimum-norm least-squares solution.
 */
import type { ExampleView } from '../tasks/types';
import { accumulateGram, choleskySolveInverse, dot, rlsUpdate } from './linalg';
import { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';

const REFRESH_EVERY = 64;

export class OnlineRidge implements OnlineEstimator {
  private readonly P: Float64Array;
  private readonly w: Float64Array;
  private readonly A: Float64Array;
  private readonly b: Float64Array;
  private readonly scratch: Float64Array;
  private sinceRefresh = 0;
  private count = 0;

  constructor(
    readonly d: number,
    readonly alpha: number,
  ) {
    if (!(alpha > 0)) throw new RangeError(`ridge needs alpha > 0, got ${alpha}`);
    this.P = new Float64Array(d * d);
    for (let j = 0; j < d; j++) this.P[j * d + j] = 1 / alpha;
    this.w = new Float64Array(d);
    this.A = new Float64Array(d * d);
    this.b = new Float64Array(d);
    this.scratch = new Float64Array(d);
  }

  weights(): Float64Array {
    return this.w.slice();
  }

  predict(x: Float64Array): number {
    return this.count === 0 ? 0 : dot(this.w, x, this.d);
  }

  add(x: Float64Array, y: number): void {
    this.count++;
    accumulateGram(this.A, this.b, x, y, this.d);
    rlsUpdate(this.P, this.w, x, y, this.d, this.scratch);
    if (++this.sinceRefresh >= REFRESH_EVERY) {
      this.sinceRefresh = 0;
      const sol = choleskySolveInverse(this.A, this.b, this.d, this.alpha);
      if (sol) {
        this.w.set(sol.w);
        this.P.set(sol.inverse);
      }
    }
  }
}

export function ridge(ex: ExampleView, alpha: number, subset?: PredictionSubset): BaselinePredictions {
  return runOnline(ex, subset, () => new OnlineRidge(ex.dim, alpha));
}
