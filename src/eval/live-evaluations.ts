/**
 * A live run's evaluations as they arrive, one entry per evaluation step, so that the page can give
 * each model's verdict and the step since which it holds (src/eval/caption.ts) from measured data,
 * as the recordings' captions do. Pure.
 */
import type { IclCurveSet } from './types';

/** One evaluation of a model: its step and its curve sets (one per head, heads[0] first). */
export interface LiveEvaluation {
  step: number;
  sets: readonly IclCurveSet[];
}

/** At most this many evaluations are kept per model (the oldest go first): 500 x every 100 steps = 50k steps. */
export const MAX_LIVE_EVALUATIONS = 500;

/**
 * The history with evaluation `e` added. An evaluation at or before the last one's step (a reset,
 * a reload from an older checkpoint, a restart) replaces everything from its step on, so the history
 * always runs forward in steps and never mixes two trainings.
 */
export function addEvaluation(
  history: readonly LiveEvaluation[],
  e: LiveEvaluation,
  max: number = MAX_LIVE_EVALUATIONS,
): LiveEvaluation[] {
  let keep = history.length;
  while (keep > 0 && history[keep - 1].step >= e.step) keep--;
  const next = history.slice(Math.max(0, keep + 1 - max), keep);
  next.push(e);
  return next;
}
