/**
 * The classical baselines of the paper's plots, behind one entry point: `runBaseline(spec, examples)`
 * predicts y_i for every prompt and position of a batch from the earlier clean examples.
 * No DOM or Node APIs: callable from the CLI and from a Web Worker.
 */
import type { BaselineName, ExampleView } from '../tasks/types';
import { averaging } from './averaging';
import { type BoostingOptions, boostedTrees } from './boosting';
import { knn } from './knn';
import { lasso } from './lasso';
import { leastSquares } from './least-squares';
import { type NnGdOptions, nnGradientDescent } from './nn-gd';
import { ridge } from './ridge';
import { greedyTree } from './tree';
import type { BaselinePredictions, PredictionSubset } from './types';
import { zeroPredictor } from './zero';

export { averaging, OnlineAveraging } from './averaging';
export {
  type BoostedModel,
  type BoostingOptions,
  boostedTrees,
  DEFAULT_BOOSTING,
  fitBoostedTrees,
  predictBoosted,
} from './boosting';
export { knn, OnlineKnn } from './knn';
export {
  type GramProblem,
  type LassoOptions,
  type LassoSolver,
  lasso,
  lassoCoordinateDescent,
  lassoDualityGap,
  lassoHomotopy,
  OnlineLasso,
  solveLasso,
} from './lasso';
export { leastSquares, minNormLeastSquares, OnlineLeastSquares } from './least-squares';
export {
  DEFAULT_MLP,
  type MlpOptions,
  mlpLossAndGradient,
  type NnGdOptions,
  nnGradientDescent,
  predictMlp,
  trainMlp,
} from './nn-gd';
export { OnlineRidge, ridge } from './ridge';
export {
  copyTree,
  fitTree,
  greedyTree,
  growTree,
  type Presorted,
  predictAlongPath,
  predictTree,
  presort,
  type RegressionTree,
  SortedExamples,
  type TreeOptions,
  TreeWorkspace,
  treeDepth,
} from './tree';
export { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';
export { zeroPredictor } from './zero';

/** The Lasso penalties of the paper (alpha 0.01 is the plotted one). */
export const LASSO_ALPHAS: readonly number[] = [1, 0.1, 0.01, 0.001, 0.0001];
export const DEFAULT_LASSO_ALPHA = 0.01;
/** Ridge is not in the paper's plots; this is the default penalty when it is asked for. */
export const DEFAULT_RIDGE_ALPHA = 0.1;
/** Depth of the "greedy tree" baseline (the task's trees have depth 4). */
export const DEFAULT_TREE_DEPTH = 4;
export const DEFAULT_KNN_K = 3;

/** One baseline with its settings. */
export type BaselineSpec =
  | { name: 'least-squares' }
  | { name: 'ridge'; alpha: number }
  | { name: 'lasso'; alpha: number; tol?: number; maxIter?: number }
  | { name: 'knn'; k?: number }
  | { name: 'averaging' }
  | { name: 'tree'; maxDepth?: number }
  | { name: 'tree-unlimited' }
  | { name: 'boosted-trees'; options?: Partial<BoostingOptions> }
  | { name: 'nn-gd'; options?: NnGdOptions }
  | { name: 'zero' };

/** Legend text of each baseline with its default settings. */
export const BASELINE_LABELS: Readonly<Record<BaselineName, string>> = {
  'least-squares': 'Least squares',
  ridge: `Ridge (α = ${DEFAULT_RIDGE_ALPHA})`,
  lasso: `Lasso (α = ${DEFAULT_LASSO_ALPHA})`,
  knn: '3-NN',
  averaging: 'Averaging',
  tree: 'Greedy tree (depth 4)',
  'tree-unlimited': 'Greedy tree (unlimited depth)',
  'boosted-trees': 'Gradient-boosted trees',
  'nn-gd': '2-layer NN by GD',
  zero: 'Zero predictor',
};

/** The default spec of a baseline name. */
export function defaultSpec(name: BaselineName): BaselineSpec {
  switch (name) {
    case 'ridge':
      return { name, alpha: DEFAULT_RIDGE_ALPHA };
    case 'lasso':
      return { name, alpha: DEFAULT_LASSO_ALPHA };
    default:
      return { name };
  }
}

/** Legend text of a spec, e.g. 'Lasso (α = 0.001)'. */
export function baselineLabel(spec: BaselineSpec): string {
  switch (spec.name) {
    case 'ridge':
      return `Ridge (α = ${spec.alpha})`;
    case 'lasso':
      return `Lasso (α = ${spec.alpha})`;
    case 'knn':
      return `${spec.k ?? DEFAULT_KNN_K}-NN`;
    case 'tree':
      return `Greedy tree (depth ${spec.maxDepth ?? DEFAULT_TREE_DEPTH})`;
    default:
      return BASELINE_LABELS[spec.name];
  }
}

/** Stable id of a spec, e.g. 'lasso:0.01' (used as IclCurve.key). */
export function baselineKey(spec: BaselineSpec): string {
  switch (spec.name) {
    case 'ridge':
    case 'lasso':
      return `${spec.name}:${spec.alpha}`;
    case 'knn':
      return spec.k === undefined || spec.k === DEFAULT_KNN_K ? 'knn' : `knn:${spec.k}`;
    case 'tree':
      return spec.maxDepth === undefined || spec.maxDepth === DEFAULT_TREE_DEPTH
        ? 'tree'
        : `tree:${spec.maxDepth}`;
    default:
      return spec.name;
  }
}

/** Run one baseline on one batch's example view. */
export function runBaseline(
  spec: BaselineSpec,
  examples: ExampleView,
  subset?: PredictionSubset,
): BaselinePredictions {
  switch (spec.name) {
    case 'least-squares':
      return leastSquares(examples, subset);
    case 'ridge':
      return ridge(examples, spec.alpha, subset);
    case 'lasso':
      return lasso(examples, spec.alpha, subset, { tol: spec.tol, maxIter: spec.maxIter });
    case 'knn':
      return knn(examples, spec.k ?? DEFAULT_KNN_K, subset);
    case 'averaging':
      return averaging(examples, subset);
    case 'tree':
      return greedyTree(examples, spec.maxDepth ?? DEFAULT_TREE_DEPTH, subset);
    case 'tree-unlimited':
      return greedyTree(examples, Number.POSITIVE_INFINITY, subset);
    case 'boosted-trees':
      return boostedTrees(examples, spec.options, subset);
    case 'nn-gd':
      return nnGradientDescent(examples, spec.options, subset);
    case 'zero':
      return zeroPredictor(examples, subset);
  }
}
