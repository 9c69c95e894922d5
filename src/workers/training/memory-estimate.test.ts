/**
 * The page's memory estimate (src/train/memory-estimate.ts) against real numbers: the parameter
 * count of the built model, and `tf.profile`'s peak bytes of a training step on the cpu backend with
 * the workers' kernels and fused Adam (as the training worker builds its trainer). Lives here, not
 * beside the estimate, because it needs the kernels (a layer above train/).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FusedAdam, modelKernels } from '../../kernels';
import type { Architecture } from '../../schema/architecture';
import { parseExperiment } from '../../schema/experiment';
import { estimateExperimentMemory } from '../../train/memory-estimate';
import { tinyExperiment } from '../../train/test-experiments';
import { Trainer } from '../../train/trainer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SIZES: Array<{ arch: Architecture; D: number; L: number; B: number; n: number }> = [
  { arch: 'transformer', D: 64, L: 2, B: 16, n: 8 },
  { arch: 'transformer', D: 32, L: 3, B: 4, n: 48 },
  { arch: 'mamba', D: 64, L: 2, B: 8, n: 32 },
  { arch: 'mambaformer', D: 48, L: 2, B: 8, n: 24 },
  { arch: 'hybrid', D: 64, L: 2, B: 4, n: 64 },
  { arch: 's4', D: 96, L: 2, B: 8, n: 16 },
  { arch: 's4-mamba', D: 64, L: 2, B: 12, n: 16 },
];

describe('memory estimate against tf.memory on cpu', () => {
  for (const { arch, D, L, B, n } of SIZES) {
    it(`${arch} D ${D} x ${L}, batch ${B}, ${n} points`, async () => {
      const e = tinyExperiment(
        [arch],
        { batchSize: B, models: [{ arch, dModel: D, nLayer: L, nHead: 4, dState: 8, dConv: 4 }] },
        'linear-regression',
        { d: 4, nPoints: n },
      );
      const estimate = estimateExperimentMemory(e).models[0];
      const before = tf.memory().numBytes;
      const t = new Trainer(e, 0, { kernels: modelKernels(), optimizer: (s) => new FusedAdam(s) });
      const first = t.step();
      first.loss.dispose();
      first.gradNorm.dispose();
      // parameters + Adam's two moments are resident between steps
      const resident = tf.memory().numBytes - before;
      const base = tf.memory().numBytes;
      const profile = await tf.profile(() => {
        const s = t.step();
        s.loss.dispose();
        s.gradNorm.dispose();
      });
      const peak = profile.peakBytes - base;
      const parameters = resident / 12;
      t.dispose();
      expect(Math.abs(estimate.parameters - parameters) / parameters).toBeLessThan(0.1);
      // the state: parameters, Adam's moments (measured) and the gradients (inside the step)
      expect(estimate.stateBytes).toBeGreaterThanOrEqual(resident);
      // the step's peak: not below (a 25 % margin for the fitted shape), never far above
      expect(estimate.stepBytes).toBeGreaterThan(0.75 * peak);
      expect(estimate.stepBytes).toBeLessThan(6 * peak);
    });
  }
});

describe('memory estimate of the largest settings', () => {
  it('the schema maxima (D 1024 x 24, batch 1024, 512 points) need far more than any browser has', () => {
    const e = parseExperiment({
      version: 1,
      task: { name: 'linear-regression', params: { nPoints: 512 } },
      models: [{ arch: 'transformer', dModel: 1024, nLayer: 24, nHead: 16 }],
      batchSize: 1024,
    });
    if (!e.ok) throw new Error(e.errors.join('; '));
    const m = estimateExperimentMemory(e.experiment);
    expect(m.seqLen).toBe(1024);
    expect(m.models[0].parameters).toBeGreaterThan(300e6);
    expect(m.totalBytes).toBeGreaterThan(1e12);
    // the attention scores alone: 1024 x 16 x 1024 x 1024 floats
    expect(m.largestBufferBytes).toBe(4 * 1024 * 16 * 1024 * 1024);
  });
});
