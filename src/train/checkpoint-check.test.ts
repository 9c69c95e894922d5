import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES } from '../schema/architecture';
import { parseExperiment } from '../schema/experiment';
import { type CheckpointFiles, loadCheckpoint, saveCheckpoint, trainerFromCheckpoint } from './checkpoint';
import { MAX_CHECKPOINT_HEADER_BYTES, parseCounter } from './checkpoint-check';
import { checkpointLayout, planModel } from './model-plan';
import { readSafetensors, writeSafetensors } from './safetensors';
import { tinyExperiment } from './test-experiments';
import { Trainer } from './trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Rewrite a safetensors file: change its tensors' values and / or its metadata. */
function rewrite(
  bytes: Uint8Array,
  edit: {
    tensor?: (name: string, data: Float32Array) => void;
    metadata?: Record<string, string | undefined>;
  },
): Uint8Array {
  const file = readSafetensors(bytes);
  const tensors = [...file.tensors.values()].map((t) => {
    const data = t.data.slice();
    edit.tensor?.(t.name, data);
    return { ...t, data };
  });
  const metadata: Record<string, string> = { ...file.metadata };
  for (const [k, v] of Object.entries(edit.metadata ?? {})) {
    if (v === undefined) delete metadata[k];
    else metadata[k] = v;
  }
  return writeSafetensors(tensors, metadata);
}

/** An edit that sets the first value of the tensors whose names start with `prefix`. */
function setFirst(prefix: string, value: number): (name: string, data: Float32Array) => void {
  return (name, data) => {
    if (name.startsWith(prefix)) data[0] = value;
  };
}

async function trained(): Promise<{ trainer: Trainer; files: CheckpointFiles }> {
  const trainer = new Trainer(tinyExperiment(['mamba']), 0);
  await trainer.train(3);
  return { trainer, files: await saveCheckpoint(trainer) };
}

describe('the checkpoint layout from the plan (no tfjs variables)', () => {
  it('names and shapes equal the built model’s variables, for every architecture', () => {
    const e = tinyExperiment([...ARCHITECTURES]);
    e.models.forEach((_, i) => {
      const before = tf.memory().numTensors;
      const layout = checkpointLayout(planModel(e, i));
      expect(tf.memory().numTensors).toBe(before);
      const t = new Trainer(e, i);
      const built = new Map([...t.model.variables].map(([name, v]) => [name, v.shape]));
      expect(new Map(layout.shapes)).toEqual(built);
      t.dispose();
    });
  });
});

describe('checkpoint validation', () => {
  it('counters: whole numbers within the limit only', () => {
    expect(parseCounter('0', 10)).toBe(0);
    expect(parseCounter('10', 10)).toBe(10);
    for (const bad of [
      '11',
      '-5',
      '-1',
      '1e23',
      '100000000000000000000000',
      '2.5',
      ' 3',
      '',
      'NaN',
      '0x10',
    ]) {
      expect(parseCounter(bad, 10), bad).toBeNull();
    }
    expect(parseCounter(undefined, 10)).toBeNull();
  });

  it('refuses non-finite weights and moments and bad counters, leaving the trainer untouched', async () => {
    const { trainer, files } = await trained();
    const first = [...trainer.model.variables.keys()][0];
    const cases: Array<[string, CheckpointFiles, RegExp]> = [
      [
        'NaN weight',
        { ...files, model: rewrite(files.model, { tensor: setFirst(first, Number.NaN) }) },
        /model file: .*NaN or infinite/,
      ],
      [
        'Inf weight',
        {
          ...files,
          model: rewrite(files.model, { tensor: (_n, d) => (d[d.length - 1] = Number.POSITIVE_INFINITY) }),
        },
        /NaN or infinite/,
      ],
      [
        'NaN Adam mean',
        {
          ...files,
          optimizer: rewrite(files.optimizer!, {
            tensor: setFirst('exp_avg.', Number.NaN),
          }),
        },
        /optimiser file: exp_avg\..*NaN or infinite/,
      ],
      [
        'negative Adam square',
        {
          ...files,
          optimizer: rewrite(files.optimizer!, {
            tensor: setFirst('exp_avg_sq.', -1),
          }),
        },
        /negative/,
      ],
      ['step -5', { ...files, model: rewrite(files.model, { metadata: { step: '-5' } }) }, /bad step "-5"/],
      [
        'step 1e23',
        { ...files, model: rewrite(files.model, { metadata: { step: '100000000000000000000000' } }) },
        /bad step/,
      ],
      [
        'adam_step -1',
        { ...files, optimizer: rewrite(files.optimizer!, { metadata: { adam_step: '-1' } }) },
        /bad adam_step "-1"/,
      ],
      [
        'adam_step past the step',
        { ...files, optimizer: rewrite(files.optimizer!, { metadata: { adam_step: '9999' } }) },
        /Adam made 9999 steps, more than the model's 3/,
      ],
      [
        'no adam_step',
        { ...files, optimizer: rewrite(files.optimizer!, { metadata: { adam_step: undefined } }) },
        /no adam_step/,
      ],
    ];
    const fresh = new Trainer(trainer.experiment, 0);
    const before = await fresh.model.getWeights();
    for (const [what, bad, why] of cases) {
      const report = await loadCheckpoint(fresh, bad);
      expect(report.ok, what).toBe(false);
      expect(report.errors.join('\n'), what).toMatch(why);
      expect(fresh.stepCount, what).toBe(0);
      const after = await fresh.model.getWeights();
      for (const [name, w] of before) expect(after.get(name), `${what}: ${name}`).toEqual(w);
    }
    // the untouched files still load (the cases above fail for their edit, not for the setup)
    expect((await loadCheckpoint(fresh, files)).ok).toBe(true);
    expect(fresh.stepCount).toBe(3);
    fresh.dispose();
    trainer.dispose();
  });

  it('trainerFromCheckpoint refuses a small file naming a big model before building it', async () => {
    const big = parseExperiment({
      version: 1,
      task: { name: 'linear-regression' },
      models: [{ arch: 'transformer', dModel: 1024, nLayer: 24, nHead: 32 }],
    });
    if (!big.ok) throw new Error(big.errors.join('; '));
    const model = writeSafetensors(
      [{ name: '_read_in.weight', dtype: 'F32', shape: [2], data: new Float32Array(2) }],
      {
        icl_lab: 'model',
        experiment: JSON.stringify(big.experiment),
        model_index: '0',
        step: '10',
      },
    );
    expect(model.length).toBeLessThan(4096);
    const tensors = tf.memory().numTensors;
    const t0 = performance.now();
    const { trainer, report } = await trainerFromCheckpoint({ model });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(trainer).toBeNull();
    expect(report.missing.length).toBeGreaterThan(100);
    expect(report.shapeMismatches.map((m) => m.name)).toEqual(['_read_in.weight']);
  });

  it('trainerFromCheckpoint refuses NaN weights and bad metadata without building, and loads a good file', async () => {
    const { trainer, files } = await trained();
    const nan = rewrite(files.model, { tensor: (_n, d) => (d[0] = Number.NaN) });
    const tensors = tf.memory().numTensors;
    for (const model of [
      nan,
      rewrite(files.model, { metadata: { position_rows: '100000000' } }),
      rewrite(files.model, { metadata: { model_index: '7' } }),
      rewrite(files.model, { metadata: { model_index: '-1', model: '{"arch":"mamba","dModel":1e9}' } }),
    ]) {
      const r = await trainerFromCheckpoint({ ...files, model });
      expect(r.trainer).toBeNull();
      expect(r.report.errors.length).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(tensors);
    }
    const good = await trainerFromCheckpoint(files);
    expect(good.report.ok).toBe(true);
    expect(good.trainer?.stepCount).toBe(3);
    good.trainer?.dispose();
    trainer.dispose();
  });

  it(`refuses headers over ${MAX_CHECKPOINT_HEADER_BYTES} bytes`, async () => {
    const { trainer, files } = await trained();
    const padded = rewrite(files.model, { metadata: { note: 'x'.repeat(MAX_CHECKPOINT_HEADER_BYTES) } });
    const r = await loadCheckpoint(trainer, { model: padded });
    expect(r.ok).toBe(false);
    expect(r.errors.join()).toMatch(/header length/);
    const fits = rewrite(files.model, { metadata: { note: 'x'.repeat(MAX_CHECKPOINT_HEADER_BYTES / 2) } });
    expect((await loadCheckpoint(trainer, { model: fits })).ok).toBe(true);
    trainer.dispose();
  });
});
