/**
 * The computation behind the baselines worker, free of worker plumbing (so it can be unit tested):
 * validate the request, look the task up, evaluate its baselines. Bad input is answered with a
 * readable error, never thrown.
 */

import { evaluateBaselines } from '../../eval';
import type { ProgressCallback } from '../../eval/types';
import { TASKS } from '../../tasks';
import { type BaselinesResult, baselinesRequestSchema, describeError } from './protocol';

/** Progress messages at most this often (ms), plus the final one. */
const PROGRESS_INTERVAL_MS = 100;

function throttled(onProgress: ProgressCallback | undefined): ProgressCallback | undefined {
  if (typeof onProgress !== 'function') return undefined;
  let last = 0;
  return (done, total, label) => {
    const now = performance.now();
    if (done < total && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    // A comlink proxy call returns a promise; a failed progress message must not stop the work.
    Promise.resolve(onProgress(done, total, label)).catch(() => {});
  };
}

export function computeBaselines(request: unknown, onProgress?: ProgressCallback): BaselinesResult {
  const parsed = baselinesRequestSchema.safeParse(request);
  if (!parsed.success) return { ok: false, error: `Bad baselines request: ${describeError(parsed.error)}` };
  const { task: taskName, params: rawParams, prompts, seed, curriculum } = parsed.data;
  const task = TASKS.find((t) => t.name === taskName);
  if (!task) return { ok: false, error: `Unknown task "${taskName}".` };
  const params = task.paramsSchema.safeParse(rawParams);
  if (!params.success) {
    return { ok: false, error: `Bad parameters for ${task.title}: ${describeError(params.error)}` };
  }
  const started = performance.now();
  try {
    const curves = evaluateBaselines(task, params.data, curriculum ?? task.curriculum(params.data), {
      prompts,
      seed,
      onProgress: throttled(onProgress),
    });
    return { ok: true, curves, elapsedMs: performance.now() - started };
  } catch (error) {
    return { ok: false, error: `Computing the baselines of ${task.title} failed: ${describeError(error)}` };
  }
}
