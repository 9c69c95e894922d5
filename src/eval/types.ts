/**
 * In-context-learning curves: the metric of one predictor (a model or a baseline) against the number
 * of in-context examples, on the shared evaluation prompts (src/tasks/stream.ts).
 */
import type { MetricKind, TaskName } from '../tasks/types';

export interface IclCurve {
  /** stable id, e.g. 'least-squares', 'lasso:0.01', 'model:transformer' */
  key: string;
  /** legend text, e.g. 'Least squares', 'Lasso (α = 0.01)' */
  label: string;
  /** [nPoints] number of in-context examples before each scored prediction (the x axis) */
  examples: Int32Array;
  /** [nPoints] mean of the normalised metric over prompts (error, or accuracy for accuracy metrics) */
  mean: Float64Array;
  /** [nPoints] 5 % bootstrap quantile of the mean */
  lo: Float64Array;
  /** [nPoints] 95 % bootstrap quantile of the mean */
  hi: Float64Array;
  /** [nPoints] number of prompts that had a scored (unmasked) target at this point */
  count: Int32Array;
}

export interface IclCurveSet {
  task: TaskName;
  /** which prediction head is scored (e.g. 'y', 'value') */
  head: string;
  metric: MetricKind;
  /** axis label, e.g. 'squared error / d' or 'accuracy' */
  yLabel: string;
  /** the trivial predictor's level (the zero/chance line) */
  chance: number;
  prompts: number;
  seed: number;
  curves: IclCurve[];
}

/** Progress of a long evaluation: done out of total units of work. */
export type ProgressCallback = (done: number, total: number, label: string) => void;
