/** Scoring, ICL curves and the baselines' curves (no DOM or Node APIs). */
export {
  BASELINE_LABELS,
  baselineHeadIndex,
  baselineKey,
  baselineLabel,
  DEFAULT_SUBSETS,
  type EvaluateBaselinesOptions,
  evaluateBaselines,
  evenlySpaced,
  expandBaselines,
  type SubsetLimit,
  scoreBaselineOnBatch,
  scoreBaselinePredictions,
} from './baselines';
export {
  CurveAccumulator,
  quantileSorted,
  type ScoreTable,
  type SummaryOptions,
  summariseCurve,
} from './curve';
export { type HeadScores, isAccuracyMetric, metricLabel, type ScoreOptions, scoreHead } from './score';
export type { IclCurve, IclCurveSet, ProgressCallback } from './types';
