/**
 * The seeded data streams every consumer shares, so runs can be raced and shared:
 *  - training batch of step s: Rng.derive(seed, 'train', s), curriculum state at s;
 *  - evaluation prompts: fixed chunks of EVAL_CHUNK prompts, chunk c from Rng.derive(seed, 'eval', c),
 *    at the end of the curriculum. Models and baselines are scored on exactly these prompts.
 */
import { Rng } from '../random/rng';
import { curriculumAt, curriculumEnd } from './common';
import type { CurriculumSpec, PromptBatch, TaskDefinition } from './types';

export const EVAL_CHUNK = 64;

export function trainingBatch<P>(
  task: TaskDefinition<P>,
  params: P,
  curriculum: CurriculumSpec,
  seed: number,
  step: number,
  batchSize: number,
): PromptBatch {
  return task.sample(Rng.derive(seed, 'train', step), params, batchSize, curriculumAt(curriculum, step));
}

/** Evaluation prompts in chunks of EVAL_CHUNK (the last chunk may be smaller). */
export function* evaluationBatches<P>(
  task: TaskDefinition<P>,
  params: P,
  curriculum: CurriculumSpec,
  seed: number,
  prompts: number,
): Generator<PromptBatch> {
  const state = curriculumEnd(curriculum);
  for (let c = 0; c * EVAL_CHUNK < prompts; c++) {
    const size = Math.min(EVAL_CHUNK, prompts - c * EVAL_CHUNK);
    yield task.sample(Rng.derive(seed, 'eval', c), params, size, state);
  }
}

/** The probe prompt shown in the visualisations: prompt 0 of Rng.derive(seed, 'probe'). */
export function probeBatch<P>(
  task: TaskDefinition<P>,
  params: P,
  curriculum: CurriculumSpec,
  seed: number,
): PromptBatch {
  return task.sample(Rng.derive(seed, 'probe'), params, 1, curriculumEnd(curriculum));
}
