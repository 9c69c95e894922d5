/**
 * Batches made ahead (batch-prefetch.ts): what arrives is exactly the stream's batch of that step; a
 * batch not there is made by the trainer, so training is the same with or without the helper,
 * and a helper that fails costs nothing but speed.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TASKS } from '../tasks';
import { trainingBatch } from '../tasks/stream';
import { type BatchReply, type BatchRequest, PrefetchedBatches, serveBatches } from './batch-prefetch';
import { tinyExperiment } from './test-experiments';
import { Trainer } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A helper in this thread, answering on the next macrotask (as a real port would). */
function inProcess(experiment: ReturnType<typeof tinyExperiment>, broken = false) {
  let source: PrefetchedBatches | null = null;
  const serve = serveBatches(experiment, (reply: BatchReply) => {
    setTimeout(() => source?.receive(broken && 'batch' in reply ? { error: 'helper broke' } : reply), 0);
  });
  const requests: BatchRequest[] = [];
  source = new PrefetchedBatches(
    (r) => {
      requests.push(r);
      setTimeout(() => serve(r), 0);
    },
    () => {},
  );
  return { source, requests };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('PrefetchedBatches', () => {
  const experiment = tinyExperiment(['transformer'], { steps: 40 }, 'many-outlier-regression', {
    d: 2,
    nPoints: 5,
  });
  const task = TASKS.find((t) => t.name === experiment.task.name)!;
  const local = (step: number) =>
    trainingBatch(
      task,
      experiment.task.params as never,
      experiment.curriculum,
      experiment.seed,
      step,
      experiment.batchSize,
    );

  it('splits each request among several helpers in contiguous parts that cover it once', () => {
    const asked: BatchRequest[][] = [[], [], []];
    const source = new PrefetchedBatches(
      asked.map((list) => (r: BatchRequest) => void list.push(r)),
      () => {},
    );
    source.ahead(0, 10);
    source.ahead(10, 2);
    expect(asked).toEqual([
      [
        { from: 0, count: 3 },
        { from: 10, count: 1 },
      ],
      [
        { from: 3, count: 3 },
        { from: 11, count: 1 },
      ],
      [{ from: 6, count: 4 }],
    ]);
    expect(() => new PrefetchedBatches([], () => {})).toThrow(/at least one helper/);
  });

  it('hands out the stream batch of each step, once, and asks only for what it has not asked', async () => {
    const { source, requests } = inProcess(experiment);
    expect(source.take(0)).toBeNull();
    source.ahead(0, 6);
    source.ahead(2, 6);
    expect(requests).toEqual([
      { from: 0, count: 6 },
      { from: 6, count: 2 },
    ]);
    await settle();
    for (const step of [3, 5, 7]) expect(source.take(step)).toEqual(local(step));
    // taken and older ones are dropped
    expect(source.take(3)).toBeNull();
    expect(source.has(4)).toBe(false);
    expect(source.stats()).toMatchObject({ hits: 3, error: null });
  });

  it('asks again after a jump back (a checkpoint restored)', async () => {
    const { source, requests } = inProcess(experiment);
    source.ahead(1000, 8);
    source.ahead(10, 4);
    expect(requests.at(-1)).toEqual({ from: 10, count: 4 });
    await settle();
    expect(source.take(12)).toEqual(local(12));
  });

  it('asks ahead from step() itself, so a loop of step() and flush() (the training worker) is helped', async () => {
    const t = new Trainer(experiment, 0, { readEvery: 4, batchSource: (e) => inProcess(e).source });
    try {
      for (let i = 0; i < 40; i++) {
        t.step();
        if (t.stepCount % 4 === 0) await t.flush();
        await new Promise((r) => setTimeout(r, 0));
      }
      expect(t.batchStats()!.hits).toBeGreaterThan(30);
    } finally {
      t.dispose();
    }
  });

  it('a failed helper is reported and the trainer makes every batch: the same training', async () => {
    const plain = new Trainer(experiment, 0, { readEvery: 4 });
    const helped = new Trainer(experiment, 0, { readEvery: 4, batchSource: (e) => inProcess(e).source });
    const broken = new Trainer(experiment, 0, {
      readEvery: 4,
      batchSource: (e) => inProcess(e, true).source,
    });
    try {
      for (const t of [plain, helped, broken]) await t.train(40);
      const losses = (t: Trainer) => t.state().history.map((r) => r.loss);
      expect(losses(helped)).toEqual(losses(plain));
      expect(losses(broken)).toEqual(losses(plain));
      expect(helped.batchStats()!.hits).toBeGreaterThan(20);
      expect(broken.batchStats()!.error).toBe('helper broke');
      expect(broken.batchStats()!.hits).toBe(0);
    } finally {
      for (const t of [plain, helped, broken]) t.dispose();
    }
  });
});
