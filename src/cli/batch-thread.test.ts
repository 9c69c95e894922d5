/**
 * The CLI's batch thread (batch-thread.ts): a real worker thread running this module (through tsx's
 * loader here) makes the stream's batches, byte for byte those of this thread.
 */
import { describe, expect, it } from 'vitest';
import { TASKS } from '../tasks';
import { trainingBatch } from '../tasks/stream';
import type { PrefetchedBatches } from '../train/batch-prefetch';
import { tinyExperiment } from '../train/test-experiments';
import { startBatchThread } from './batch-thread';

describe('startBatchThread', () => {
  it('makes the batches of the asked steps in two other threads, equal to the stream', async () => {
    const experiment = tinyExperiment(['mamba'], { steps: 100 }, 'sparse-parity', { d: 6, k: 2, nPoints: 6 });
    const source = startBatchThread(experiment, { threads: 2 }) as PrefetchedBatches;
    expect(source).not.toBeNull();
    try {
      source.ahead(30, 5);
      const deadline = Date.now() + 60_000;
      const all = () => [30, 31, 32, 33, 34].every((s) => source.has(s));
      while (!all() && Date.now() < deadline && source.stats().error === null)
        await new Promise((r) => setTimeout(r, 50));
      expect(source.stats().error).toBeNull();
      const task = TASKS.find((t) => t.name === experiment.task.name)!;
      for (let step = 30; step < 35; step++) {
        const expected = trainingBatch(
          task,
          experiment.task.params as never,
          experiment.curriculum,
          experiment.seed,
          step,
          experiment.batchSize,
        );
        expect(source.take(step)).toEqual(expected);
      }
    } finally {
      source.dispose();
    }
  }, 90_000);
});
