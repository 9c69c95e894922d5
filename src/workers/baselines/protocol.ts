/**
 * The typed protocol between the page and the baselines worker (src/workers/baselines/baselines.worker.ts).
 *
 * The page asks for the classical baseline curves of one task on `prompts` evaluation prompts of the
 * shared seeded stream (src/tasks/stream.ts); the worker answers with the IclCurveSet, its typed
 * arrays transferred, or with a readable error. Everything that crosses the boundary is validated
 * on the worker side: a bad request is answered, never thrown.
 */
import { z } from 'zod';
import type { IclCurveSet, ProgressCallback } from '../../eval/types';
import { LIMITS } from '../../schema/limits';

/** The experiment's own limit (src/schema/limits.ts): whatever an experiment asks for is computed. */
export const MAX_BASELINE_PROMPTS = LIMITS.evaluation.prompts.max;

const S = LIMITS.schedule;

const scheduleSchema = z
  .object({
    start: z.number().int().min(S.value.min).max(S.value.max),
    end: z.number().int().min(S.value.min).max(S.value.max),
    inc: z.number().int().min(S.inc.min).max(S.inc.max),
    interval: z.number().int().min(S.interval.min).max(S.interval.max),
  })
  .strict();

export const baselinesRequestSchema = z.object({
  /** a TaskName, checked against the task registry by the worker */
  task: z.string().min(1).max(64),
  /** the task's parameters; missing fields take the task's defaults (its paramsSchema decides) */
  params: z.record(z.string(), z.unknown()).default({}),
  prompts: z.number().int().min(1).max(MAX_BASELINE_PROMPTS),
  seed: z.number().int().min(LIMITS.seed.min).max(LIMITS.seed.max),
  /**
   * the experiment's curriculum (default: the task's own for these parameters); the evaluation
   * prompts are drawn at its end, as the models' are (src/tasks/stream.ts)
   */
  curriculum: z.object({ dims: scheduleSchema, points: scheduleSchema }).strict().optional(),
});

export type BaselinesRequest = z.input<typeof baselinesRequestSchema>;

export type BaselinesResult =
  | { ok: true; curves: IclCurveSet; elapsedMs: number }
  | { ok: false; error: string; cancelled?: boolean };

/** What the worker exposes through comlink. */
export interface BaselinesWorkerApi {
  /**
   * Compute the baseline curves. `onProgress` is a comlink proxy of a main-thread callback; it is
   * called a few times per second at most. Never rejects on bad input: answers `{ ok: false }`.
   */
  compute(request: unknown, onProgress?: ProgressCallback): Promise<BaselinesResult>;
}

/** The distinct ArrayBuffers behind a curve set's typed arrays (a buffer may appear only once). */
export function curveSetTransferables(set: IclCurveSet): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const curve of set.curves) {
    for (const array of [curve.examples, curve.mean, curve.lo, curve.hi, curve.count]) {
      if (array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
    }
  }
  return [...buffers];
}

/** A stable cache key for a request (same key => same curves, the computation is seeded). */
export function baselinesRequestKey(request: BaselinesRequest): string {
  const params = request.params ?? {};
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${JSON.stringify(params[k])}`)
    .join('&');
  const c = request.curriculum;
  const end = c ? `~${c.dims.end}x${c.points.end}` : '';
  return `${request.task}?${query}#${request.prompts}@${request.seed}${end}`;
}

/** Turn anything thrown into one readable line. */
export function describeError(error: unknown): string {
  if (error instanceof z.ZodError) {
    return error.issues
      .map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
      .join('; ');
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
