/**
 * FusedAdam (clip + Adam in place, WebGPU) against src/train/adam.ts (plain ops, cpu): parameters
 * and both moments after three steps, with and without clipping, parameter sizes across the
 * workgroup size and the grouping of parameters per dispatch.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, clipByGlobalNorm } from '../train/adam';
import { FusedAdam } from './adam';
import { registerAllKernels } from './register';
import { Rng, randn, relErr } from './testing/helpers';
import { expectNoGpuErrors, setupWebGpu } from './testing/webgpu';

let gpu = false;

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = r.info !== null;
  if (!gpu) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const SHAPES: number[][] = [
  [1],
  [3, 5],
  [257],
  [64, 33],
  [7],
  [2, 2, 2],
  [600],
  [5, 1],
  [4],
  [9, 9],
  [13],
  [1, 300],
];
const SETTINGS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

async function run(backend: string, fused: boolean, clip: number | null) {
  await tf.setBackend(backend);
  const rng = new Rng(4);
  const params = new Map<string, tf.Variable>();
  SHAPES.forEach((s, i) => {
    params.set(`p${i}`, tf.variable(tf.tensor(randn(rng, s).values, s)));
  });
  const gradSteps = [0, 1, 2].map(() => SHAPES.map((s) => randn(rng, s, 0.5)));
  const fusedAdam = new FusedAdam(SETTINGS);
  const adam = new Adam(SETTINGS);
  const norms: number[] = [];
  for (const step of gradSteps) {
    const norm = tf.tidy(() => {
      const grads = new Map<string, tf.Tensor>();
      step.forEach((g, i) => {
        grads.set(`p${i}`, tf.tensor(g.values, g.shape));
      });
      if (fused) return fusedAdam.applyClipped(params, grads, clip);
      const names = [...grads.keys()];
      const c = clipByGlobalNorm(
        names.map((n) => grads.get(n)!),
        clip,
      );
      adam.apply(params, new Map(names.map((n, i) => [n, c.grads[i]])));
      return c.norm;
    });
    norms.push(((await norm.data()) as Float32Array)[0]);
    norm.dispose();
  }
  const state = fused ? fusedAdam.state : adam.state;
  const out: Float32Array[] = [];
  for (const [name, p] of params) {
    out.push((await p.data()) as Float32Array);
    const m = state.get(name)!;
    out.push((await m.expAvg.data()) as Float32Array, (await m.expAvgSq.data()) as Float32Array);
  }
  for (const p of params.values()) p.dispose();
  fusedAdam.dispose();
  adam.dispose();
  return { out, norms };
}

describe('FusedAdam', () => {
  for (const clip of [null, 1.0]) {
    it(`matches Adam (ops) after 3 steps, clip ${clip}`, async (ctx) => {
      if (!gpu) ctx.skip();
      const ref = await run('cpu', false, clip);
      const got = await run('webgpu', true, clip);
      expectNoGpuErrors();
      got.norms.forEach((n, i) => {
        expect(Math.abs(n - ref.norms[i]) / ref.norms[i]).toBeLessThan(1e-5);
      });
      got.out.forEach((a, i) => {
        expect(relErr(a, ref.out[i]), `tensor ${i}`).toBeLessThan(1e-4);
      });
    });
  }

  it('runs the plain ops off WebGPU (cpu) with the same results', async () => {
    const ref = await run('cpu', false, 0.5);
    const got = await run('cpu', true, 0.5);
    got.out.forEach((a, i) => {
      expect(relErr(a, ref.out[i])).toBeLessThan(1e-6);
    });
  });
});
