/**
 * Averaging: w_hat = (1/n) sum_j y_j x_j over the n earlier clean examples, prediction x_i . w_hat
 * (0 with no examples). For x ~ N(0, I) this is an unbiased estimate of w.
 */
import type { ExampleView } from '../tasks/types';
import { dot } from './linalg';
import { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';

export class OnlineAveraging implements OnlineEstimator {
  private readonly sum: Float64Array;
  private count = 0;

  constructor(readonly d: number) {
    this.sum = new Float64Array(d);
  }

  predict(x: Float64Array): number {
    return this.count === 0 ? 0 : dot(this.sum, x, this.d) / this.count;
  }

  add(x: Float64Array, y: number): void {
    for (let j = 0; j < this.d; j++) this.sum[j] += y * x[j];
    this.count++;
  }
}

export function averaging(ex: ExampleView, subset?: PredictionSubset): BaselinePredictions {
  return runOnline(ex, subset, () => new OnlineAveraging(ex.dim));
}
