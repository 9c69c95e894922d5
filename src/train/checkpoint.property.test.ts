/**
 * Property tests of the checkpoint decoder (the share-link and replay ones are in
 * src/formats/decoders.property.test.ts): whatever the bytes, `checkCheckpoint` returns a report
 * (never throws), and a file it passes holds exactly the expected tensors, all finite, with sane
 * counters. Seeded; a failing run's seed and path go to REGRESSIONS and are replayed on every run.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../schema/limits';
import { type CheckpointFiles, saveCheckpoint } from './checkpoint';
import { type CheckpointTarget, checkCheckpoint, clean } from './checkpoint-check';
import { checkpointLayout, planModel } from './model-plan';
import { readSafetensors, writeSafetensors } from './safetensors';
import { tinyExperiment } from './test-experiments';
import { Trainer } from './trainer';

interface Regression {
  seed: number;
  path: string;
  note: string;
}
/** Failing runs found earlier, per property (named by its seed), replayed on every run. */
const REGRESSIONS: Record<number, Regression[]> = {
  1602: [
    {
      seed: 1602,
      path: '88:2:8:12:4:2:11:8:8:9:9:10:9:9:9:9:9:9:9:11:10:9:10:9:1:14:12:15:12',
      note: 'one flipped byte of Adam moments (a NaN) passed before values were checked finite',
    },
  ],
};

function check<T>(property: fc.IProperty<T>, numRuns: number, seed: number) {
  fc.assert(property, { numRuns, seed });
  for (const r of REGRESSIONS[seed] ?? [])
    fc.assert(property, { seed: r.seed, path: r.path, endOnFailure: true });
}

let files: CheckpointFiles;
let target: CheckpointTarget;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const e = tinyExperiment(['mambaformer']);
  const trainer = new Trainer(e, 0);
  await trainer.train(2);
  files = await saveCheckpoint(trainer);
  trainer.dispose();
  target = {
    ...checkpointLayout(planModel(e, 0)),
    arch: 'mambaformer',
    task: e.task.name,
    sameExperiment: () => true,
  };
});

/** What must hold of any file the checker passes. */
function passedIsSound(f: CheckpointFiles): void {
  const { report, weights, moments, adamStep } = checkCheckpoint(f, target);
  if (!clean(report)) return;
  expect([...weights.keys()].sort()).toEqual([...target.shapes.keys()].sort());
  for (const [name, data] of [...weights, ...(moments ?? new Map<string, Float32Array>())]) {
    expect(data.every(Number.isFinite), name).toBe(true);
    if (name.startsWith('exp_avg_sq.'))
      expect(
        data.every((v) => v >= 0),
        name,
      ).toBe(true);
  }
  for (const n of [report.step, adamStep]) {
    if (n !== null) expect(Number.isSafeInteger(n) && n >= 0 && n <= LIMITS.steps.max).toBe(true);
  }
  if (adamStep !== null && report.step !== null) expect(adamStep).toBeLessThanOrEqual(report.step);
}

describe('checkpoint files: checkCheckpoint', () => {
  it('the saved files pass (the properties below start from a passing file)', () => {
    expect(clean(checkCheckpoint(files, target).report)).toBe(true);
  });

  it('arbitrary bytes never throw and never pass', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const { report } = checkCheckpoint({ model: bytes }, target);
        expect(clean(report)).toBe(false);
      }),
      300,
      1601,
    );
  });

  it('flipped bytes anywhere in either file never throw; what passes is sound', () => {
    check(
      fc.property(
        fc.constantFrom<'model' | 'optimizer'>('model', 'optimizer'),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (which, flips, inHeader) => {
          const bytes = files[which]!.slice();
          const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
          for (const [at, x] of flips) bytes[inHeader ? at % headerEnd : at % bytes.length] ^= x;
          passedIsSound({ ...files, [which]: bytes });
        },
      ),
      200,
      1602,
    );
  });

  it('any counter and any values in the tensors: what passes is sound', () => {
    const counter = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer().map(String),
      fc.double().map(String),
      fc.bigInt().map(String),
    );
    check(
      fc.property(
        counter,
        counter,
        fc.array(fc.tuple(fc.nat(), fc.double()), { maxLength: 4 }),
        (step, adamStep, values) => {
          const rewrite = (bytes: Uint8Array, md: Record<string, string>) => {
            const file = readSafetensors(bytes);
            const tensors = [...file.tensors.values()].map((t) => ({ ...t, data: t.data.slice() }));
            for (const [at, v] of values) {
              const t = tensors[at % tensors.length];
              if (t.data.length) t.data[at % t.data.length] = v;
            }
            return writeSafetensors(tensors, { ...file.metadata, ...md });
          };
          passedIsSound({
            model: rewrite(files.model, { step }),
            optimizer: rewrite(files.optimizer!, { adam_step: adamStep, step }),
          });
        },
      ),
      150,
      1603,
    );
  });
});
