/**
 * Shared shapes of the classical baselines (paper.md section 2).
 *
 * Every baseline is a pure function of an ExampleView: for every prompt b and every example i it
 * predicts y_i from the earlier CLEAN examples (x_j, y_j), j < i, of the same prompt (prediction 0
 * when there are none). Computation is in Float64 throughout.
 */
import type { ExampleView } from '../tasks/types';

/** Predictions of one baseline on one batch. */
export interface BaselinePredictions {
  /** [batch, nPoints] the prediction of y_i (0 where not evaluated) */
  values: Float64Array;
  /**
   * [batch, nPoints] 1 where a prediction was made. Absent = everywhere. Expensive baselines
   * (NN by GD, boosting) may be run on a subset of prompts and positions only.
   */
  evaluated?: Uint8Array;
}

/** Which predictions to make (everything by default). */
export interface PredictionSubset {
  /** predict for prompts 0 .. prompts-1 of the batch only */
  prompts?: number;
  /** predict at these example indices only (0-based; i = number of examples before) */
  positions?: readonly number[];
  /**
   * Global index of prompt 0 of this batch in the evaluation set. Randomised baselines (NN by GD)
   * derive their per-prompt seeds from the global index, so the result does not depend on chunking.
   */
  promptOffset?: number;
}

/** The resolved subset: how many prompts, which positions, whether only a subset is predicted. */
export interface ResolvedSubset {
  prompts: number;
  /** [nPoints] 1 where a prediction is wanted */
  wanted: Uint8Array;
  /** true when some (prompt, position) is left out */
  partial: boolean;
  promptOffset: number;
}

export function resolveSubset(ex: ExampleView, subset: PredictionSubset | undefined): ResolvedSubset {
  const batch = ex.ys.length / ex.nPoints;
  const prompts = Math.max(0, Math.min(batch, subset?.prompts ?? batch));
  const wanted = new Uint8Array(ex.nPoints);
  if (subset?.positions) {
    for (const p of subset.positions) if (p >= 0 && p < ex.nPoints) wanted[p] = 1;
  } else wanted.fill(1);
  let partial = prompts < batch;
  for (let i = 0; i < ex.nPoints && !partial; i++) if (!wanted[i]) partial = true;
  return { prompts, wanted, partial, promptOffset: subset?.promptOffset ?? 0 };
}

/** Allocate the output of a baseline for a batch, with the evaluated mask when only a subset is predicted. */
export function allocatePredictions(ex: ExampleView, subset: ResolvedSubset): BaselinePredictions {
  const values = new Float64Array(ex.ys.length);
  if (!subset.partial) return { values };
  const evaluated = new Uint8Array(ex.ys.length);
  for (let b = 0; b < subset.prompts; b++)
    for (let i = 0; i < ex.nPoints; i++) evaluated[b * ex.nPoints + i] = subset.wanted[i];
  return { values, evaluated };
}

/** Number of prompts in an example view. */
export function batchSizeOf(ex: ExampleView): number {
  return ex.ys.length / ex.nPoints;
}

/**
 * The clean examples of one prompt, copied to Float64, in prompt order. `index[k]` is the example
 * index of clean example k, so the clean examples before example i are those with index[k] < i.
 */
export interface CleanExamples {
  count: number;
  dim: number;
  /** [count, dim] */
  xs: Float64Array;
  /** [count] */
  ys: Float64Array;
  /** [count] example index of each clean example */
  index: Int32Array;
}

export function cleanExamples(ex: ExampleView, prompt: number): CleanExamples {
  const { nPoints: n, dim: d } = ex;
  let count = 0;
  for (let i = 0; i < n; i++) if (ex.clean[prompt * n + i]) count++;
  const xs = new Float64Array(count * d);
  const ys = new Float64Array(count);
  const index = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!ex.clean[prompt * n + i]) continue;
    const src = (prompt * n + i) * d;
    for (let j = 0; j < d; j++) xs[k * d + j] = ex.xs[src + j];
    ys[k] = ex.ys[prompt * n + i];
    index[k] = i;
    k++;
  }
  return { count, dim: d, xs, ys, index };
}

/** x_i of prompt b as Float64 (into `out`). */
export function queryPoint(ex: ExampleView, prompt: number, i: number, out: Float64Array): Float64Array {
  const off = (prompt * ex.nPoints + i) * ex.dim;
  for (let j = 0; j < ex.dim; j++) out[j] = ex.xs[off + j];
  return out;
}

/**
 * A baseline that sees the examples of one prompt one at a time. `predict` is called at example i
 * before example i is added, so it sees exactly the clean examples j < i.
 */
export interface OnlineEstimator {
  /** the prediction at x from the clean examples added so far (0 when none) */
  predict(x: Float64Array): number;
  /** add a clean example (x is only borrowed: copy it if it must be kept) */
  add(x: Float64Array, y: number): void;
}

/**
 * Run an online estimator over every prompt of a batch: a fresh estimator per prompt (created with
 * the prompt's global index), predictions at the wanted positions, clean examples added in order.
 */
export function runOnline(
  ex: ExampleView,
  subsetIn: PredictionSubset | undefined,
  create: (globalPrompt: number) => OnlineEstimator,
): BaselinePredictions {
  const subset = resolveSubset(ex, subsetIn);
  const out = allocatePredictions(ex, subset);
  const { nPoints: n, dim: d } = ex;
  let lastWanted = -1;
  for (let i = 0; i < n; i++) if (subset.wanted[i]) lastWanted = i;
  const x = new Float64Array(d);
  for (let b = 0; b < subset.prompts; b++) {
    const est = create(subset.promptOffset + b);
    for (let i = 0; i <= lastWanted; i++) {
      queryPoint(ex, b, i, x);
      if (subset.wanted[i]) out.values[b * n + i] = est.predict(x);
      if (ex.clean[b * n + i] && i < lastWanted) est.add(x, ex.ys[b * n + i]);
    }
  }
  return out;
}
