/**
 * FusedAdam (clip + Adam in place over one flat layout, WebGPU) against src/train/adam.ts (plain
 * ops, cpu): parameters and both moments after three steps, with and without clipping, parameter
 * sizes across the workgroup size and the grouping of parameters per dispatch. The checks
 * (testing/checks.ts) also run in headless Chromium in a Web Worker (e2e/kernels.spec.ts). Here
 * also: six steps with the groups and chunks shrunk (a dispatch per parameter, chunks of 256 that
 * cross parameters), the dispatch count, and moments written and read by name (checkpoints).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Adam } from '../train/adam';
import { FusedAdam } from './adam';
import { adamTuning } from './adam-flat';
import { countDispatches } from './profile';
import { registerAllKernels } from './register';
import { ADAM_SHAPES, adamSteps, kernelChecks, runCheck } from './testing/checks';
import { Rng, randn, relErr } from './testing/helpers';
import { setupWebGpu } from './testing/webgpu';

let gpu = false;
const saved = { ...adamTuning };

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = r.info !== null;
  if (!gpu) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterEach(() => {
  Object.assign(adamTuning, saved);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const SETTINGS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

describe('FusedAdam', () => {
  for (const check of kernelChecks('clipAdam')) {
    it(`matches Adam (ops): ${check.case}`, async (ctx) => {
      if (!gpu) ctx.skip();
      const r = await runCheck(check);
      expect(r.gpuErrors, 'uncaptured WebGPU errors').toEqual([]);
      for (const e of r.entries) expect(e.maxRelErr, e.output).toBeLessThan(e.tolerance);
    });
  }

  for (const [maxBuffers, itemsPerThread] of [
    [5, 1],
    [7, 2],
  ]) {
    for (const clip of [0.5, null]) {
      it(`matches Adam (ops) over 6 steps with ${maxBuffers} buffers per program, chunks of ${256 * itemsPerThread}, clip ${clip}`, async (ctx) => {
        if (!gpu) ctx.skip();
        const ref = await adamSteps('cpu', false, clip, 6);
        Object.assign(adamTuning, { maxBuffers, itemsPerThread });
        const got = await adamSteps('webgpu', true, clip, 6);
        got.out.forEach((a, i) => {
          expect(relErr(a, ref.out[i]), `output ${i}`).toBeLessThan(1e-4);
        });
        got.norms.forEach((n, k) => {
          expect(Math.abs(n - ref.norms[k]) / ref.norms[k], `norm ${k}`).toBeLessThan(1e-5);
        });
      });
    }
  }

  it('takes one pack dispatch per (buffers - 1) gradients and one Adam dispatch per (buffers - 2) parameters ((buffers - 3) in the first)', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    Object.assign(adamTuning, { maxBuffers: 8 });
    const rng = new Rng(9);
    const params = new Map(
      ADAM_SHAPES.map((s, i) => [`p${i}`, tf.variable(tf.tensor(randn(rng, s).values, s))]),
    );
    const grads = new Map(ADAM_SHAPES.map((s, i) => [`p${i}`, tf.tensor(randn(rng, s).values, s)]));
    const adam = new FusedAdam(SETTINGS);
    tf.dispose(tf.tidy(() => adam.applyClipped(params, grads, 1)));
    const { result, count } = countDispatches(() => tf.tidy(() => adam.applyClipped(params, grads, 1)));
    await result.data();
    result.dispose();
    const n = ADAM_SHAPES.length;
    expect(n).toBeGreaterThan(7);
    const packs = Math.ceil(n / 7);
    const updates = 1 + Math.ceil((n - 5) / 6);
    expect(count.byProgram).toEqual({ AdamPackGrads: packs, AdamFlat: updates });
    expect(count.dispatches).toBe(packs + updates);
    adam.dispose();
    tf.dispose([...params.values(), ...grads.values()]);
  });

  for (const backend of ['webgpu', 'cpu']) {
    it(`keeps its moments by name through readState / setMoments (${backend})`, async (ctx) => {
      if (backend === 'webgpu' && !gpu) ctx.skip();
      await tf.setBackend(backend);
      const rng = new Rng(11);
      const start = ADAM_SHAPES.map((s) => randn(rng, s).values);
      const steps = Array.from({ length: 4 }, () => ADAM_SHAPES.map((s) => randn(rng, s, 0.5).values));
      const run = async (adam: Adam, params: Map<string, tf.Variable>, from: number, to: number) => {
        for (let k = from; k < to; k++) {
          tf.tidy(() => {
            const grads = new Map(ADAM_SHAPES.map((s, i) => [`p${i}`, tf.tensor(steps[k][i], s)]));
            (adam as FusedAdam).applyClipped(params, grads, 0.5);
          });
        }
      };
      const fresh = () => new Map(ADAM_SHAPES.map((s, i) => [`p${i}`, tf.variable(tf.tensor(start[i], s))]));
      const whole = fresh();
      const a = new FusedAdam(SETTINGS);
      await run(a, whole, 0, 4);
      // two steps, moments saved by name, a new optimiser restored from them, two more steps
      const resumed = fresh();
      const b = new FusedAdam(SETTINGS);
      await run(b, resumed, 0, 2);
      const saved = await b.readState();
      expect([...saved.keys()]).toEqual(ADAM_SHAPES.map((_, i) => `p${i}`));
      const c = new FusedAdam(SETTINGS);
      for (const [name, m] of saved) c.setMoments(name, m.shape, m.expAvg, m.expAvgSq);
      c.stepCount = b.stepCount;
      expect((await c.readState()).get('p3')!.expAvg).toEqual(saved.get('p3')!.expAvg);
      await run(c, resumed, 2, 4);
      const [sa, sc] = [await a.readState(), await c.readState()];
      for (const [name, p] of whole) {
        expect(
          relErr((await resumed.get(name)!.data()) as Float32Array, (await p.data()) as Float32Array),
        ).toBe(0);
        expect(relErr(sc.get(name)!.expAvgSq, sa.get(name)!.expAvgSq)).toBe(0);
      }
      // setMoments after the layout exists replaces that parameter's moments only
      const zeros = new Float32Array(ADAM_SHAPES[2].reduce((x, y) => x * y, 1));
      c.setMoments('p2', ADAM_SHAPES[2], zeros, zeros);
      const after = await c.readState();
      expect(after.get('p2')!.expAvg).toEqual(zeros);
      expect(after.get('p3')!.expAvg).toEqual(sc.get('p3')!.expAvg);
      c.reset();
      expect((await c.readState()).size).toBe(0);
      expect(c.stepCount).toBe(0);
      for (const x of [a, b, c]) x.dispose();
      tf.dispose([...whole.values(), ...resumed.values()]);
    });
  }

  it('runs the plain ops off WebGPU (cpu) with the same results', async () => {
    const ref = await adamSteps('cpu', false, 0.5);
    const got = await adamSteps('cpu', true, 0.5);
    got.out.forEach((a, i) => {
      expect(relErr(a, ref.out[i])).toBeLessThan(1e-6);
    });
  });
});
