/**
 * The split-rows backwards' reductions queued and run together (src/kernels/linear-grad-reduce.ts)
 * on WebGPU: many layers' reductions (with and without bias, 4 and 16 lanes, more slots than one
 * program can bind) give the bits of each layer's own reduction program, in fewer dispatches; and
 * every way of touching a queued gradient (a read-back, a tfjs op, a fused kernel, its disposal)
 * runs the queue first, so nothing ever sees an unwritten buffer. FusedAdam takes the queued
 * reductions of its gradients and sums them straight into its flat gradient row: the same update
 * (bit for bit without clipping), fewer programs, and a claimed gradient read afterwards throws.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FusedAdam } from './adam';
import { adamTuning } from './adam-flat';
import { LINEAR_GRAD, splitRowsTuning } from './linear-grad';
import { flushReductions, reductionTuning } from './linear-grad-reduce';
import { countDispatches } from './profile';
import { registerAllKernels } from './register';
import { maxStorageBuffers } from './runner';
import { Rng, randn } from './testing/helpers';
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

afterEach(() => {
  reductionTuning.defer = true;
});

/** [m rows, in, out, bias]: bias and not, small weights cut into many blocks (16 lanes) and large */
const LAYERS: Array<[number, number, number, boolean]> = [
  [777, 64, 64, true],
  [300, 20, 13, false],
  [1000, 70, 45, true],
  [530, 9, 130, true],
  [640, 33, 1, false],
  [96, 128, 40, true],
  [450, 5, 7, true],
];

function layerInputs(seed: number) {
  const rng = new Rng(seed);
  return LAYERS.map(([m, k, n, bias]) => ({
    x: tf.tensor2d(randn(rng, [m, k]).values, [m, k]),
    w: tf.tensor2d(randn(rng, [n, k]).values, [n, k]),
    dy: tf.tensor2d(randn(rng, [m, n]).values, [m, n]),
    bias,
  }));
}

type Layer = ReturnType<typeof layerInputs>[number];

const backward = (l: Layer) =>
  tf.engine().runKernel(LINEAR_GRAD, { x: l.x, weight: l.w, dy: l.dy }, {
    transposeWeight: true,
    bias: l.bias,
    splitRows: true,
  } as never) as tf.Tensor[];

/** every layer's backward, then a read of every output; with the dispatches of both */
async function allBackwards(defer: boolean, layers: Layer[]) {
  reductionTuning.defer = defer;
  const { result: outs, count } = countDispatches(() => {
    const out = layers.map(backward);
    flushReductions(tf.backend());
    return out;
  });
  const data = await Promise.all(
    outs.map((o) => Promise.all(o.map((t) => t.data() as Promise<Float32Array>))),
  );
  tf.dispose(outs.flat());
  return { data, count };
}

describe('queued split-rows reductions', () => {
  it("give every layer's own reduction's bits, in fewer dispatches", async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const saved = { ...splitRowsTuning };
    splitRowsTuning.minBlockRows = 1;
    try {
      const layers = layerInputs(1);
      const alone = await allBackwards(false, layers);
      const queued = await allBackwards(true, layers);
      expect(alone.count.byProgram.LinearGradReduce).toBe(LAYERS.length);
      // each slot binds part, dW and db: as many slots a program as the device's buffers allow
      const programs = queued.count.byProgram.LinearGradReduceBatch;
      expect(programs).toBeGreaterThanOrEqual(
        Math.ceil((LAYERS.length * 3) / maxStorageBuffers(tf.backend())),
      );
      expect(programs).toBeLessThan(LAYERS.length);
      expect(queued.count.byProgram.LinearGradReduce ?? 0).toBe(0);
      for (let i = 0; i < LAYERS.length; i++) {
        for (let j = 0; j < alone.data[i].length; j++) {
          expect(Array.from(queued.data[i][j]), `layer ${i} output ${j}`).toEqual(
            Array.from(alone.data[i][j]),
          );
        }
      }
      tf.dispose(layers.flatMap((l) => [l.x, l.w, l.dy]));
      expectNoGpuErrors();
    } finally {
      Object.assign(splitRowsTuning, saved);
    }
  });

  it('hold at most maxQueuedBytes of partial sums: a layer past it runs the queue first', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const saved = { ...splitRowsTuning, max: reductionTuning.maxQueuedBytes };
    splitRowsTuning.minBlockRows = 1;
    try {
      const layers = layerInputs(3);
      const alone = await allBackwards(false, layers);
      // room for one layer's partials at a time: every layer runs the one queued before it
      reductionTuning.maxQueuedBytes = 1;
      const one = await allBackwards(true, layers);
      expect(one.count.byProgram.LinearGradReduceBatch).toBe(LAYERS.length);
      expect(one.data).toEqual(alone.data);
      tf.dispose(layers.flatMap((l) => [l.x, l.w, l.dy]));
    } finally {
      splitRowsTuning.minBlockRows = saved.minBlockRows;
      reductionTuning.maxQueuedBytes = saved.max;
    }
  });

  it('run before anything touches a queued gradient: a read, a tfjs op, its disposal', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const saved = { ...splitRowsTuning };
    splitRowsTuning.minBlockRows = 1;
    try {
      const [layer] = layerInputs(2);
      reductionTuning.defer = false;
      const want = await Promise.all(backward(layer).map((t) => t.data() as Promise<Float32Array>));
      reductionTuning.defer = true;
      // a read-back
      const [, dw1, db1] = backward(layer);
      expect(Array.from((await dw1.data()) as Float32Array)).toEqual(Array.from(want[1]));
      expect(Array.from((await db1.data()) as Float32Array)).toEqual(Array.from(want[2]));
      // a tfjs op binding it (an add on the GPU), read through the op's output
      const [, dw2] = backward(layer);
      const doubled = tf.add(dw2, dw2);
      expect(Array.from((await doubled.data()) as Float32Array)).toEqual(Array.from(want[1], (v) => v + v));
      // disposed unread: the queue runs (into live buffers), and a later gradient is still right
      const first = backward(layer);
      tf.dispose(first[1]);
      const [, dw3] = backward(layer);
      expect(Array.from((await dw3.data()) as Float32Array)).toEqual(Array.from(want[1]));
      tf.dispose([dw1, db1, dw2, doubled, ...first, dw3, layer.x, layer.w, layer.dy]);
      expectNoGpuErrors();
    } finally {
      Object.assign(splitRowsTuning, saved);
    }
  });
});

describe('queued reductions claimed by FusedAdam', () => {
  /** one Adam step on every layer's weight (and bias) plus two parameters without a queued gradient */
  async function adamStep(defer: boolean, clip: number | null) {
    reductionTuning.defer = defer;
    const rng = new Rng(5);
    const layers = layerInputs(4);
    const params = new Map<string, tf.Variable>();
    const grads = new Map<string, tf.Tensor>();
    const extra = (name: string, n: number) => {
      params.set(name, tf.variable(tf.tensor1d(randn(rng, [n]).values), true, `p_${name}_${defer}`));
      grads.set(name, tf.tensor1d(randn(rng, [n]).values));
    };
    extra('first', 300);
    const { count, result } = countDispatches(() => {
      layers.forEach((l, i) => {
        const [dx, dw, db] = backward(l);
        dx.dispose();
        params.set(`w${i}`, tf.variable(tf.onesLike(l.w), true, `p_w${i}_${defer}`));
        grads.set(`w${i}`, dw);
        if (l.bias) {
          params.set(`b${i}`, tf.variable(tf.zerosLike(db), true, `p_b${i}_${defer}`));
          grads.set(`b${i}`, db);
        } else db?.dispose();
        if (i === 2) extra('middle', 5);
      });
      const adam = new FusedAdam({ lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
      const norm = adam.applyClipped(params, grads, clip);
      return { adam, norm };
    });
    const values = await Promise.all([...params.values()].map((p) => p.data() as Promise<Float32Array>));
    result.norm.dispose();
    result.adam.reset();
    return { values, count, grads, params, layers };
  }

  for (const clip of [null, 0.5]) {
    it(`the same step in fewer programs (${clip === null ? 'no clipping: bit for bit' : 'clipped'})`, async (ctx) => {
      if (!gpu) ctx.skip();
      await tf.setBackend('webgpu');
      const saved = { ...splitRowsTuning, buffers: adamTuning.maxBuffers };
      splitRowsTuning.minBlockRows = 1;
      // a small binding budget: several pack groups, so that fewer bindings show as fewer groups
      adamTuning.maxBuffers = 6;
      try {
        const apart = await adamStep(false, clip);
        const claimed = await adamStep(true, clip);
        expect(claimed.count.byProgram.LinearGradReduceInto).toBeGreaterThan(0);
        expect(claimed.count.byProgram.LinearGradReduceBatch ?? 0).toBe(0);
        expect(apart.count.byProgram.LinearGradReduce).toBe(LAYERS.length);
        expect(claimed.count.byProgram.AdamPackGrads).toBeLessThan(apart.count.byProgram.AdamPackGrads);
        expect(claimed.count.dispatches).toBeLessThan(apart.count.dispatches);
        claimed.values.forEach((v, i) => {
          if (clip === null) expect(Array.from(v), `parameter ${i}`).toEqual(Array.from(apart.values[i]));
          else
            v.forEach((x, j) => {
              expect(Math.abs(x - apart.values[i][j]), `parameter ${i}[${j}]`).toBeLessThan(1e-6);
            });
        });
        // a claimed gradient was never written: reading it says so; disposing it is fine
        const claimedGrad = claimed.grads.get('w0')!;
        await expect(claimedGrad.data()).rejects.toThrow(/read gradients before the optimiser step/);
        for (const run of [apart, claimed]) {
          tf.dispose([...run.grads.values(), ...run.params.values()]);
          tf.dispose(run.layers.flatMap((l) => [l.x, l.w, l.dy]));
        }
        expectNoGpuErrors();
      } finally {
        splitRowsTuning.minBlockRows = saved.minBlockRows;
        adamTuning.maxBuffers = saved.buffers;
      }
    });
  }
});
