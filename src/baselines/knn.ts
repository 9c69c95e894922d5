/**
 * k-nearest neighbours (k = 3 in the paper): the mean label of the k earlier clean examples whose
 * x is nearest to x_i in Euclidean distance (all of them when fewer than k; 0 when none). Ties in
 * distance go to the earlier example.
 */
import type { ExampleView } from '../tasks/types';
import { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';

export class OnlineKnn implements OnlineEstimator {
  private xs: Float64Array;
  private ys: Float64Array;
  private count = 0;
  private readonly bestDist: Float64Array;
  private readonly bestIdx: Int32Array;

  constructor(
    readonly d: number,
    readonly k = 3,
    capacity = 16,
  ) {
    if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k-NN needs an integer k >= 1, got ${k}`);
    this.xs = new Float64Array(Math.max(1, capacity) * d);
    this.ys = new Float64Array(Math.max(1, capacity));
    this.bestDist = new Float64Array(k);
    this.bestIdx = new Int32Array(k);
  }

  /** Indices (in insertion order of add) of the neighbours of x, nearest first. */
  neighbours(x: Float64Array): Int32Array {
    const { d, k } = this;
    let found = 0;
    for (let p = 0; p < this.count; p++) {
      let dist = 0;
      const off = p * d;
      for (let j = 0; j < d; j++) {
        const t = this.xs[off + j] - x[j];
        dist += t * t;
      }
      if (found === k && !(dist < this.bestDist[k - 1])) continue;
      // insertion into the sorted top-k (strict < keeps the earlier example first on ties)
      let pos = found < k ? found : k - 1;
      while (pos > 0 && dist < this.bestDist[pos - 1]) {
        this.bestDist[pos] = this.bestDist[pos - 1];
        this.bestIdx[pos] = this.bestIdx[pos - 1];
        pos--;
      }
      this.bestDist[pos] = dist;
      this.bestIdx[pos] = p;
      if (found < k) found++;
    }
    return this.bestIdx.slice(0, found);
  }

  predict(x: Float64Array): number {
    if (this.count === 0) return 0;
    const nb = this.neighbours(x);
    let s = 0;
    for (let m = 0; m < nb.length; m++) s += this.ys[nb[m]];
    return s / nb.length;
  }

  add(x: Float64Array, y: number): void {
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
}

export function knn(ex: ExampleView, k = 3, subset?: PredictionSubset): BaselinePredictions {
  return runOnline(ex, subset, () => new OnlineKnn(ex.dim, k, ex.nPoints));
}
