import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { consistentSubsets } from '../tasks/sparse-parity';
import { tinyExperiment } from './test-experiments';
import { Trainer } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The subsets consistent with every example of each prompt of the trainer's batch at `step`. */
function batchSubsets(trainer: Trainer, step: number, d: number, k: number): string[][] {
  const batch = trainer.batchAt(step);
  const ex = batch.examples!;
  return Array.from({ length: batch.batchSize }, (_, b) =>
    consistentSubsets(ex.xs, ex.ys, b, ex.nPoints, d, k).map((s) => s.join()),
  );
}

describe('sparse parity subset switch in the training stream', () => {
  const params = { d: 8, nPoints: 40, k: 2 };

  it('subsetPerPrompt false: every prompt of a training batch has the same hidden subset', () => {
    const trainer = new Trainer(
      tinyExperiment(['transformer'], { batchSize: 16 }, 'sparse-parity', {
        ...params,
        subsetPerPrompt: false,
      }),
      0,
    );
    try {
      expect((trainer.experiment.task.params as { subsetPerPrompt: boolean }).subsetPerPrompt).toBe(false);
      for (const step of [0, 1, 7]) {
        const subsets = batchSubsets(trainer, step, params.d, params.k);
        // 40 examples pin the subset down; a shared one means one common consistent subset
        const common = subsets[0].filter((s) => subsets.every((list) => list.includes(s)));
        expect(common).toHaveLength(1);
      }
    } finally {
      trainer.dispose();
    }
  });

  it('subsetPerPrompt true (default): prompts of one batch draw different subsets', () => {
    const trainer = new Trainer(
      tinyExperiment(['transformer'], { batchSize: 16 }, 'sparse-parity', params),
      0,
    );
    try {
      const subsets = batchSubsets(trainer, 0, params.d, params.k);
      expect(new Set(subsets.map((s) => s[0])).size).toBeGreaterThan(4);
    } finally {
      trainer.dispose();
    }
  });
});
