import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../train/checkpoint';
import { tinyExperiment } from '../../train/test-experiments';
import { Trainer } from '../../train/trainer';
import type { BackendReport } from '../backend-types';
import { TrainingSession } from '../training/session';
import { CheckpointProbeSession } from './session';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CPU: BackendReport = {
  name: 'cpu',
  attempts: [{ name: 'cpu', ok: true }],
  fallback: false,
  detail: '',
  summary: 'cpu',
};

const session = () => new CheckpointProbeSession({ pickBackend: async () => CPU, transfer: (v) => v });

async function trainedCheckpoint(e: ReturnType<typeof tinyExperiment>, index: number, steps: number) {
  const t = new Trainer(e, index, { readEvery: 1 });
  for (let i = 0; i < steps; i++) t.step();
  await t.flush();
  const files = await saveCheckpoint(t);
  return { trainer: t, files };
}

describe('CheckpointProbeSession', () => {
  it('probes a saved checkpoint exactly as the trainer that saved it, without its optimiser', async () => {
    const e = tinyExperiment(['transformer', 'mamba']);
    const s = session();
    expect((await s.configure(e)).ok).toBe(true);
    for (const index of [0, 1]) {
      const { trainer, files } = await trainedCheckpoint(e, index, 3);
      const expected = await trainer.probe();
      const r = await s.probe({ modelIndex: index, key: `m${index}@3`, model: files.model });
      if (!r.ok) throw new Error(r.error);
      expect(r.step).toBe(3);
      expect(Array.from(r.result.outputs[0])).toEqual(Array.from(expected.outputs[0]));
      expect(r.result.layers.map((l) => l.kind)).toEqual(expected.layers.map((l) => l.kind));
      trainer.dispose();
    }
    expect(s.modelCount).toBe(2);
    await s.dispose();
  });

  it('an earlier checkpoint gives other outputs; an edited prompt is probed; tensors do not leak', async () => {
    const e = tinyExperiment(['transformer']);
    const s = session();
    await s.configure(e);
    const early = await trainedCheckpoint(e, 0, 1);
    const late = await trainedCheckpoint(e, 0, 6);
    const a = await s.probe({ modelIndex: 0, key: 'early', model: early.files.model });
    const b = await s.probe({ modelIndex: 0, key: 'late', model: late.files.model });
    if (!a.ok || !b.ok) throw new Error('probe failed');
    expect(a.step).toBe(1);
    expect(b.step).toBe(6);
    expect(Array.from(a.result.outputs[0])).not.toEqual(Array.from(b.result.outputs[0]));
    const batch = late.trainer.batchAt(0);
    const seqLen = batch.seqLen;
    const tokens = batch.tokens.slice(0, seqLen * batch.tokenDim);
    tokens[0] += 1;
    const before = tf.memory().numTensors;
    const c = await s.probe({
      modelIndex: 0,
      key: 'late',
      model: late.files.model,
      prompt: { tokens, seqLen, tokenDim: batch.tokenDim },
    });
    if (!c.ok) throw new Error(c.error);
    const expected = await late.trainer.probe({ ...batch, batchSize: 1, tokens, heads: [] });
    expect(Array.from(c.result.outputs[0])).toEqual(Array.from(expected.outputs[0]));
    expect(tf.memory().numTensors).toBe(before);
    early.trainer.dispose();
    late.trainer.dispose();
    await s.dispose();
  });

  it('answers bad input with errors, never throws; it never touches a training session', async () => {
    const e = tinyExperiment(['transformer']);
    const s = session();
    expect(await s.probe({ modelIndex: 0, key: 'k', model: new Uint8Array(4) })).toMatchObject({
      ok: false,
      error: 'not configured',
    });
    expect((await s.configure({ version: 1, task: 'nope' })).ok).toBe(false);
    await s.configure(e);
    const r = await s.probe({ modelIndex: 0, key: 'k', model: new Uint8Array(8) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('Checkpoint not loaded');
    expect((await s.probe({ modelIndex: 5, key: 'k', model: new Uint8Array(8) })).ok).toBe(false);
    const other = tinyExperiment(['mamba']);
    const { trainer, files } = await trainedCheckpoint(other, 0, 1);
    const wrong = await s.probe({ modelIndex: 0, key: 'mamba', model: files.model });
    expect(wrong.ok).toBe(false);
    const { files: good } = await trainedCheckpoint(e, 0, 1);
    const bad = await s.probe({
      modelIndex: 0,
      key: 'good',
      model: good.model,
      prompt: { tokens: new Float32Array(3), seqLen: 1, tokenDim: 3 },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toContain('Bad probe prompt');
    trainer.dispose();
    // a training session alongside keeps its own model and step
    const training = new TrainingSession({
      pickBackend: async () => CPU,
      transfer: (v) => v,
      now: () => performance.now(),
      yieldToEvents: () => new Promise((r) => setTimeout(r, 0)),
    });
    await training.configure(e, 0, { probeIntervalMs: 0 });
    await training.step(2);
    await s.probe({ modelIndex: 0, key: 'good', model: good.model });
    expect((await training.stats()).step).toBe(2);
    await training.dispose();
    await s.dispose();
  });
});
