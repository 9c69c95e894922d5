/**
 * The classical baselines' ICL curves on the shared evaluation prompts (src/tasks/stream.ts): the
 * same prompts the models are scored on, scored by the same code (score.ts, curve.ts).
 * No DOM or Node APIs: the CLI and the baselines Web Worker both call this.
 */
import {
  BASELINE_LABELS,
  type BaselinePredictions,
  type BaselineSpec,
  baselineKey,
  baselineLabel,
  DEFAULT_LASSO_ALPHA,
  DEFAULT_RIDGE_ALPHA,
  defaultSpec,
  type PredictionSubset,
  runBaseline,
} from '../baselines';
import { EVAL_CHUNK, evaluationBatches } from '../tasks/stream';
import type { BaselineName, CurriculumSpec, PromptBatch, TaskDefinition } from '../tasks/types';
import { CurveAccumulator } from './curve';
import { type HeadScores, metricLabel, scoreHead } from './score';
import type { IclCurveSet, ProgressCallback } from './types';

export { BASELINE_LABELS, baselineKey, baselineLabel };

/** Run an expensive baseline on the first `prompts` prompts, at `positions` evenly spaced positions. */
export interface SubsetLimit {
  /** how many of the evaluation prompts (the first ones) */
  prompts?: number;
  /** how many positions, evenly spaced from the first to the last example (0 or absent = all) */
  positions?: number;
}

/**
 * Default subsets of the expensive baselines (a fresh fit per prompt and position):
 * NN by GD trains a 100-unit MLP for 100 Adam steps per prediction, boosting fits 50 trees.
 */
export const DEFAULT_SUBSETS: Readonly<Partial<Record<BaselineName, SubsetLimit>>> = {
  'nn-gd': { prompts: 16, positions: 11 },
  'boosted-trees': { prompts: 64, positions: 21 },
};

export interface EvaluateBaselinesOptions {
  /** number of evaluation prompts (the paper: 1280) */
  prompts: number;
  /** seed of the evaluation stream (and of the bootstrap and the NN initialisations) */
  seed: number;
  /** baselines to run (default: the task's own list, task.baselines) */
  baselines?: readonly BaselineName[];
  /** one Lasso curve per penalty (default [0.01], the paper's plotted one) */
  lassoAlphas?: readonly number[];
  /** one ridge curve per penalty (default [0.1]) */
  ridgeAlphas?: readonly number[];
  /** NN by GD: number of prompts (default DEFAULT_SUBSETS['nn-gd'].prompts) */
  nnPrompts?: number;
  /** NN by GD: number of evenly spaced positions (default DEFAULT_SUBSETS['nn-gd'].positions; 0 = all) */
  nnPositions?: number;
  /** subsets per baseline (override DEFAULT_SUBSETS; nnPrompts / nnPositions take precedence) */
  subsets?: Partial<Record<BaselineName, SubsetLimit>>;
  /** bootstrap resamples per curve (default 1000) */
  resamples?: number;
  onProgress?: ProgressCallback;
}

/** Index of the head the baselines predict: the scalar head 'y' (or the first scalar head); -1 if none. */
export function baselineHeadIndex(batch: PromptBatch): number {
  const named = batch.heads.findIndex((h) => h.spec.name === 'y' && h.spec.dim === 1);
  if (named >= 0) return named;
  return batch.heads.findIndex((h) => h.spec.dim === 1 && h.spec.metric === 'squared-error');
}

/** `count` evenly spaced integers from 0 to n - 1 (all of them when count <= 0 or >= n). */
export function evenlySpaced(n: number, count: number | undefined): number[] {
  if (!count || count <= 0 || count >= n) return Array.from({ length: n }, (_, i) => i);
  if (count === 1) return [n - 1];
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(Math.round((k * (n - 1)) / (count - 1)));
  return [...out].sort((a, b) => a - b);
}

/**
 * Score baseline predictions (per example, [batch, nPoints]) on the batch's baseline head: target t
 * is the prediction for example examplesBefore[t].
 */
export function scoreBaselinePredictions(
  batch: PromptBatch,
  predictions: BaselinePredictions,
  headIndex = baselineHeadIndex(batch),
): HeadScores {
  const ex = batch.examples;
  if (!ex) throw new Error(`task ${batch.task} has no example view for the baselines`);
  const head = batch.heads[headIndex];
  if (head?.spec.dim !== 1) throw new Error(`task ${batch.task} has no scalar head for the baselines`);
  const T = head.positions.length;
  const B = batch.batchSize;
  const n = ex.nPoints;
  const preds = new Float64Array(B * T);
  const evaluated = predictions.evaluated ? new Uint8Array(B * T) : undefined;
  for (let t = 0; t < T; t++) {
    const i = head.examplesBefore[t];
    if (i < 0 || i >= n) throw new RangeError(`target ${t} has no example (examplesBefore ${i})`);
    for (let b = 0; b < B; b++) {
      preds[b * T + t] = predictions.values[b * n + i];
      if (evaluated && predictions.evaluated) evaluated[b * T + t] = predictions.evaluated[b * n + i];
    }
  }
  return scoreHead(batch, headIndex, preds, { evaluated });
}

/** Run one baseline on one batch and score it on the batch's baseline head. */
export function scoreBaselineOnBatch(
  spec: BaselineSpec,
  batch: PromptBatch,
  subset?: PredictionSubset,
): HeadScores {
  const ex = batch.examples;
  if (!ex) throw new Error(`task ${batch.task} has no example view for the baselines`);
  return scoreBaselinePredictions(batch, runBaseline(spec, ex, subset));
}

/** The baseline specs a run evaluates: each name with its settings, Lasso and ridge once per penalty. */
export function expandBaselines(
  names: readonly BaselineName[],
  options: { lassoAlphas?: readonly number[]; ridgeAlphas?: readonly number[]; seed?: number } = {},
): BaselineSpec[] {
  const specs: BaselineSpec[] = [];
  for (const name of names) {
    if (name === 'lasso')
      for (const alpha of options.lassoAlphas ?? [DEFAULT_LASSO_ALPHA]) specs.push({ name, alpha });
    else if (name === 'ridge')
      for (const alpha of options.ridgeAlphas ?? [DEFAULT_RIDGE_ALPHA]) specs.push({ name, alpha });
    else if (name === 'nn-gd') specs.push({ name, options: { seed: options.seed ?? 0 } });
    else specs.push(defaultSpec(name));
  }
  return specs;
}

/**
 * ICL curves of the task's baselines on the shared evaluation prompts (evaluationBatches with the
 * given seed), scored like the models on the task's scalar head. Expensive baselines run on a
 * subset (options.subsets / nnPrompts / nnPositions, DEFAULT_SUBSETS): their curve's `count` says
 * how many prompts each point averages, their label says how many prompts when it is fewer than all.
 */
export function evaluateBaselines<P>(
  task: TaskDefinition<P>,
  params: P,
  curriculum: CurriculumSpec,
  options: EvaluateBaselinesOptions,
): IclCurveSet {
  const heads = task.heads(params);
  const names = options.baselines ?? task.baselines;
  const specs = expandBaselines(names, { ...options });
  const prompts = Math.max(0, Math.floor(options.prompts));
  const chunks = Math.ceil(prompts / EVAL_CHUNK);
  const total = chunks * specs.length;
  const limits = specs.map((spec): SubsetLimit => {
    const base = { ...DEFAULT_SUBSETS[spec.name], ...options.subsets?.[spec.name] };
    if (spec.name === 'nn-gd') {
      if (options.nnPrompts !== undefined) base.prompts = options.nnPrompts;
      if (options.nnPositions !== undefined) base.positions = options.nnPositions;
    }
    return base;
  });
  const accumulators = specs.map(() => new CurveAccumulator());
  let headName = heads.find((h) => h.name === 'y' && h.dim === 1)?.name ?? heads[0]?.name ?? 'y';
  let metric = heads.find((h) => h.name === headName)?.metric ?? 'squared-error';
  let normalisation = heads.find((h) => h.name === headName)?.normalisation ?? 1;
  let done = 0;
  let chunk = 0;
  if (specs.length > 0) {
    for (const batch of evaluationBatches(task, params, curriculum, options.seed, prompts)) {
      const ex = batch.examples;
      const headIndex = baselineHeadIndex(batch);
      if (!ex || headIndex < 0)
        throw new Error(`task ${task.name} has no example view / scalar head for baselines`);
      const head = batch.heads[headIndex];
      headName = head.spec.name;
      metric = head.spec.metric;
      normalisation = head.spec.normalisation;
      const offset = chunk * EVAL_CHUNK;
      specs.forEach((spec, s) => {
        const limit = limits[s];
        const maxPrompts = limit.prompts ?? prompts;
        const local = Math.min(batch.batchSize, maxPrompts - offset);
        if (local > 0) {
          const subset: PredictionSubset = {
            prompts: local,
            positions: limit.positions ? evenlySpaced(ex.nPoints, limit.positions) : undefined,
            promptOffset: offset,
          };
          const scores = scoreBaselinePredictions(batch, runBaseline(spec, ex, subset), headIndex);
          if (local < batch.batchSize) accumulators[s].add(truncateScores(scores, local));
          else accumulators[s].add(scores);
        }
        done++;
        options.onProgress?.(done, total, baselineLabel(spec));
      });
      chunk++;
    }
  }
  const curves = specs.map((spec, s) => {
    const acc = accumulators[s];
    const used = acc.prompts;
    const label = used < prompts ? `${baselineLabel(spec)} (${used} prompts)` : baselineLabel(spec);
    return acc.summarise({ key: baselineKey(spec), label, seed: options.seed, resamples: options.resamples });
  });
  return {
    task: task.name,
    head: headName,
    metric,
    yLabel: metricLabel(metric, normalisation),
    chance: task.chanceLevel(params),
    prompts,
    seed: options.seed,
    curves,
  };
}

/** The scores of the first `prompts` prompts only. */
function truncateScores(s: HeadScores, prompts: number): HeadScores {
  return {
    ...s,
    batchSize: prompts,
    values: s.values.slice(0, prompts * s.nTargets),
    scored: s.scored.slice(0, prompts * s.nTargets),
  };
}
