/** The trivial zero predictor: y_hat = 0 everywhere (normalised error ~1 on the regression tasks). */
import type { ExampleView } from '../tasks/types';
import { allocatePredictions, type BaselinePredictions, type PredictionSubset, resolveSubset } from './types';

export function zeroPredictor(ex: ExampleView, subset?: PredictionSubset): BaselinePredictions {
  return allocatePredictions(ex, resolveSubset(ex, subset));
}
