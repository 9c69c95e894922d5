/**
 * Gradient-boosted regression trees with squared loss, in the manner of XGBoost's exact greedy
 * algorithm (Garg et al. used XGBRegressor with default settings for the decision-tree task):
 * start from the mean label, then each round fits a tree to the residuals y - F with XGBoost's
 * split gain G_L^2/(n_L+lambda) + G_R^2/(n_R+lambda) - G^2/(n+lambda) and leaf values
 * G/(n+lambda) (the Newton step of squared loss, hessian 1 per sample), and adds
 * learningRate * tree to F.
 *
 * Settings (DEFAULT_BOOSTING): learning rate 0.3, lambda 1, min child weight 1 (one sample), gamma 0
 * are XGBoost's defaults; to stay affordable when refitting at every position of every prompt we use
 * 50 rounds (XGBoost: 100) of depth-4 trees (XGBoost: 6, the task's own trees have depth 4).
 * The intercept is the mean label (XGBoost >= 2 estimates it; older versions used 0.5).
 */
import type { ExampleView } from '../tasks/types';
import {
  copyTree,
  type Presorted,
  predictTree,
  type RegressionTree,
  SortedExamples,
  TreeWorkspace,
} from './tree';
import { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';

export interface BoostingOptions {
  rounds: number;
  learningRate: number;
  maxDepth: number;
  lambda: number;
  /** minimum split gain (in the units above, i.e. twice XGBoost's loss change; XGBoost skips < 1e-6) */
  minGain: number;
}

export const DEFAULT_BOOSTING: BoostingOptions = {
  rounds: 50,
  learningRate: 0.3,
  maxDepth: 4,
  lambda: 1,
  minGain: 2e-6,
};

export interface BoostedModel {
  base: number;
  learningRate: number;
  trees: RegressionTree[];
  /** [rounds + 1] mean squared training error after 0, 1, ... rounds */
  trainingLoss: Float64Array;
  /** the prediction at the query given to fitBoostedTrees (base when none) */
  queryPrediction: number;
}

/**
 * Fit boosted trees on the presorted samples (presort(xs, n, d) or SortedExamples.presorted()) with
 * labels ys [n]. With `query`, the model's prediction there is returned in `queryPrediction` and
 * the trees are not kept (cheaper).
 */
export function fitBoostedTrees(
  pre: Presorted,
  ys: Float64Array,
  options: Partial<BoostingOptions> = {},
  query?: ArrayLike<number>,
  workspace?: TreeWorkspace,
): BoostedModel {
  const o = { ...DEFAULT_BOOSTING, ...options };
  const n = pre.n;
  let base = 0;
  for (let s = 0; s < n; s++) base += ys[s];
  base = n > 0 ? base / n : 0;
  const F = new Float64Array(n).fill(base);
  const g = new Float64Array(n);
  const leafOf = new Int32Array(n);
  const ws = workspace ?? new TreeWorkspace();
  const trees: RegressionTree[] = [];
  let queryPrediction = base;
  const trainingLoss = new Float64Array(o.rounds + 1);
  const loss = (): number => {
    let sse = 0;
    for (let s = 0; s < n; s++) sse += (ys[s] - F[s]) ** 2;
    return n > 0 ? sse / n : 0;
  };
  trainingLoss[0] = loss();
  for (let m = 0; m < o.rounds; m++) {
    for (let s = 0; s < n; s++) g[s] = ys[s] - F[s];
    const tree = ws.grow(pre, g, { maxDepth: o.maxDepth, lambda: o.lambda, minGain: o.minGain }, leafOf);
    if (query) queryPrediction += o.learningRate * predictTree(tree, query);
    else trees.push(copyTree(tree));
    for (let s = 0; s < n; s++) F[s] += o.learningRate * tree.value[leafOf[s]];
    trainingLoss[m + 1] = loss();
    if (tree.nodeCount === 1 && Math.abs(tree.value[0]) < 1e-15) {
      // nothing left to fit: the remaining rounds would add zero trees
      trainingLoss.fill(trainingLoss[m + 1], m + 2);
      break;
    }
  }
  return { base, learningRate: o.learningRate, trees, trainingLoss, queryPrediction };
}

export function predictBoosted(model: BoostedModel, x: ArrayLike<number>, offset = 0): number {
  let y = model.base;
  for (const tree of model.trees) y += model.learningRate * predictTree(tree, x, offset);
  return y;
}

export class OnlineBoostedTrees implements OnlineEstimator {
  private readonly data: SortedExamples;
  private readonly workspace = new TreeWorkspace();

  constructor(
    readonly d: number,
    readonly options: Partial<BoostingOptions> = {},
    capacity = 16,
  ) {
    this.data = new SortedExamples(d, capacity);
  }

  predict(x: Float64Array): number {
    const n = this.data.count;
    if (n === 0) return 0;
    return fitBoostedTrees(this.data.presorted(), this.data.ys, this.options, x, this.workspace)
      .queryPrediction;
  }

  add(x: Float64Array, y: number): void {
    this.data.add(x, y);
  }
}

export function boostedTrees(
  ex: ExampleView,
  options: Partial<BoostingOptions> = {},
  subset?: PredictionSubset,
): BaselinePredictions {
  return runOnline(ex, subset, () => new OnlineBoostedTrees(ex.dim, options, ex.nPoints));
}
