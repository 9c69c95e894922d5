/**
 * Which trained models survive a change of the experiment (pure; used by the workers and the page).
 * A model keeps its weights when the data stream it trains on (task, parameters, curriculum, seed,
 * batch) and its optimisation (clip, Adam's betas and eps) are unchanged and so is its architecture.
 * The learning rate, the step budget and the evaluation settings change without a restart.
 */
import type { ModelSpec } from '../../schema/architecture';
import type { Experiment } from '../../schema/experiment';

/** The parts of an experiment that decide which batches a model sees and how it is optimised. */
export function streamSignature(e: Experiment): string {
  return stableJson([
    e.task,
    e.curriculum,
    e.seed,
    e.batchSize,
    e.clip ?? null,
    e.optimizer.beta1,
    e.optimizer.beta2,
    e.optimizer.eps,
  ]);
}

/** A model's identity within a stream: its full architecture settings. */
export function modelSignature(spec: ModelSpec): string {
  return stableJson(spec);
}

/** Whether a worker trained on `a`'s model `ia` can keep its model for `b`'s model `ib`. */
export function canKeepModel(a: Experiment, ia: number, b: Experiment, ib: number): boolean {
  const sa = a.models[ia];
  const sb = b.models[ib];
  return (
    !!sa && !!sb && streamSignature(a) === streamSignature(b) && modelSignature(sa) === modelSignature(sb)
  );
}

export interface SlotNow {
  /** stable id of a worker */
  slot: number;
  experiment: Experiment;
  index: number;
}

export interface SlotPlan {
  /** per model of the new experiment: the worker that takes it (null: start a new one) */
  assign: Array<{ index: number; slot: number | null; keep: boolean }>;
  /** workers no model needs any more */
  release: number[];
  /** true when no trained model survives (the stream changed, or every model is new) */
  freshRun: boolean;
}

/**
 * Assign the models of `next` to the running workers: first every model that can keep its
 * weights; then the remaining models reuse the remaining workers (rebuilt, but no new worker to
 * start); the rest start new workers; leftover workers are released.
 */
export function planSlots(current: readonly SlotNow[], next: Experiment): SlotPlan {
  const free = [...current];
  const assign: SlotPlan['assign'] = next.models.map((_, index) => ({ index, slot: null, keep: false }));
  for (const a of assign) {
    const i = free.findIndex((s) => canKeepModel(s.experiment, s.index, next, a.index));
    if (i >= 0) {
      a.slot = free[i].slot;
      a.keep = true;
      free.splice(i, 1);
    }
  }
  for (const a of assign) {
    if (a.slot === null && free.length > 0) a.slot = free.shift()!.slot;
  }
  const sameStream =
    current.length > 0 && current.every((s) => streamSignature(s.experiment) === streamSignature(next));
  return {
    assign,
    release: free.map((s) => s.slot),
    freshRun: !sameStream || !assign.some((a) => a.keep),
  };
}

/** JSON with sorted object keys (equal values give equal text). */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
