import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES } from '../schema/architecture';
import { tinyExperiment } from './test-experiments';
import { Trainer, warmupFactor } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function losses(trainer: Trainer, steps: number): Promise<number[]> {
  await trainer.train(steps, { readEvery: 7 });
  return trainer.state().history.map((r) => r.loss);
}

describe('Trainer', () => {
  it('is deterministic: same seed, same loss sequence (cpu)', async () => {
    const e = tinyExperiment(['mamba'], { curriculum: undefined });
    const a = new Trainer(e, 0);
    const b = new Trainer(e, 0);
    const la = await losses(a, 15);
    const lb = await losses(b, 15);
    expect(la).toHaveLength(15);
    expect(lb).toEqual(la);
    a.dispose();
    b.dispose();
    const c = new Trainer(tinyExperiment(['mamba'], { seed: 4 }), 0);
    expect(await losses(c, 15)).not.toEqual(la);
    c.dispose();
  });

  it('trains every model of an experiment on the same data stream', () => {
    const e = tinyExperiment(['transformer', 'mamba']);
    const a = new Trainer(e, 0);
    const b = new Trainer(e, 1);
    expect(b.modelSpec.arch).toBe('mamba');
    expect([...b.batchAt(5).tokens]).toEqual([...a.batchAt(5).tokens]);
    expect([...a.batchAt(5).tokens]).not.toEqual([...a.batchAt(6).tokens]);
    expect(() => new Trainer(e, 2)).toThrow(/no model 2/);
    a.dispose();
    b.dispose();
  });

  it('reduces the loss on a tiny problem, follows the curriculum and changes the learning rate', async () => {
    const e = tinyExperiment(['transformer'], {
      optimizer: { lr: 1e-2 },
      batchSize: 16,
      curriculum: {
        dims: { start: 1, end: 2, inc: 1, interval: 20 },
        points: { start: 2, end: 4, inc: 1, interval: 10 },
      },
    });
    const t = new Trainer(e, 0);
    expect(t.state().curriculum).toEqual({ dims: 1, points: 2 });
    expect(t.batchAt(0).seqLen).toBe(4);
    expect(t.batchAt(25).seqLen).toBe(8);
    await t.train(40, { readEvery: 10 });
    expect(t.state().curriculum).toEqual({ dims: 2, points: 4 });
    const h = t.state().history;
    expect(h.map((r) => r.step)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(h.every((r) => Number.isFinite(r.loss) && r.gradNorm > 0)).toBe(true);
    t.setLearningRate(5e-3);
    expect(t.state().lr).toBe(5e-3);
    expect(t.optimizer.stepCount).toBe(40);
    t.dispose();
  });

  it('warms the learning rate up linearly, then holds it (also after a change of rate)', () => {
    expect([0, 1, 3, 4, 9].map((s) => warmupFactor(s, 4))).toEqual([0.25, 0.5, 1, 1, 1]);
    expect(warmupFactor(0, 0)).toBe(1);
    const t = new Trainer(
      tinyExperiment(['transformer'], { optimizer: { lr: 0.01, warmupSteps: 4 }, curriculum: undefined }),
      0,
    );
    const rates: number[] = [];
    for (let i = 0; i < 5; i++) {
      t.step();
      rates.push(t.optimizer.learningRate);
    }
    expect(rates.map((r) => Number(r.toPrecision(6)))).toEqual([0.0025, 0.005, 0.0075, 0.01, 0.01]);
    expect(t.learningRate).toBe(0.01);
    t.setLearningRate(0.02);
    t.step();
    expect(t.optimizer.learningRate).toBe(0.02);
    t.dispose();
  });

  it('stops on a non-finite loss and says why', async () => {
    const t = new Trainer(tinyExperiment(), 0);
    const w = await t.model.getWeights();
    const name = '_read_out.bias';
    t.model.setWeights(new Map([[name, new Float32Array(w.get(name)!.length).fill(Number.NaN)]]));
    const result = await t.train(30, { readEvery: 5 });
    expect(result.reason).toBe('diverged');
    expect(result.steps).toBe(5);
    expect(t.diverged?.message).toMatch(/diverged.*lower learning rate/);
    t.dispose();
  });

  it('evaluates on the shared prompts (one curve set per head) and probes', async () => {
    const t = new Trainer(tinyExperiment(['mambaformer']), 0);
    const sets = await t.evaluate();
    expect(sets).toHaveLength(1);
    expect(sets[0].head).toBe('y');
    expect(sets[0].prompts).toBe(16);
    expect(sets[0].curves[0].key).toBe('model:0:mambaformer');
    expect([...sets[0].curves[0].examples]).toEqual([0, 1, 2, 3]);
    expect(sets[0].curves[0].mean.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    const probe = await t.probe();
    expect(probe.layers.map((l) => l.kind)).toEqual(['mamba', 'attention']); // nLayer 1: [Mamba, Attn]
    t.dispose();
    // chain-of-thought: two heads, y first
    const cot = new Trainer(tinyExperiment(['transformer'], {}, 'chain-of-thought', { d: 2, nPoints: 3 }), 0);
    const cotSets = await cot.evaluate({ prompts: 16 });
    expect(cotSets.map((s) => s.head)).toEqual(['y', 's']);
    await cot.train(3);
    cot.dispose();
  });

  it('trains the classification heads (parity: BCE, token MQAR: cross-entropy)', async () => {
    const parity = new Trainer(tinyExperiment(['mamba'], {}, 'sparse-parity', { d: 4, nPoints: 4, k: 2 }), 0);
    await parity.train(3);
    expect(parity.state().history.every((r) => Number.isFinite(r.loss))).toBe(true);
    expect((await parity.evaluate())[0].metric).toBe('sign-accuracy');
    parity.dispose();
    const mqar = new Trainer(
      tinyExperiment(['transformer'], {}, 'token-mqar', { vocab: 16, pairs: 3, queries: 2 }),
      0,
    );
    await mqar.train(3);
    expect(mqar.state().history[0].loss).toBeGreaterThan(1); // ~ln(16) at the start
    mqar.dispose();
  });
});

describe('no tensor leaks', () => {
  it('keeps tf.memory().numTensors constant over a few hundred steps', async () => {
    const before = tf.memory().numTensors;
    const t = new Trainer(tinyExperiment(['mambaformer'], { steps: 400 }), 0);
    await t.train(10, { readEvery: 10 }); // warm-up: the optimiser moments now exist
    const warm = tf.memory().numTensors;
    const counts: number[] = [];
    for (let k = 0; k < 29; k++) {
      await t.train(10, { readEvery: 5 });
      counts.push(tf.memory().numTensors);
    }
    expect(t.stepCount).toBe(300);
    expect(new Set(counts)).toEqual(new Set([warm]));
    await t.evaluate();
    await t.probe();
    expect(tf.memory().numTensors).toBe(warm);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(ARCHITECTURES)('%s: constant tensor count after warm-up', async (arch) => {
    const before = tf.memory().numTensors;
    const t = new Trainer(tinyExperiment([arch]), 0);
    await t.train(5);
    const warm = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      await t.train(5, { readEvery: 2 });
      expect(tf.memory().numTensors).toBe(warm);
    }
    await t.evaluate();
    await t.probe();
    expect(tf.memory().numTensors).toBe(warm);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
