/**
 * Kernels that hand their input on to a second consumer (whose gradient they add in their own
 * backward), on WebGPU against plain ops on cpu, relative error < 1e-4:
 *   - the LayerNorm (IclLayerNormKeep): f = LN(x) + kept^2 (so the kept output's gradient,
 *     2 kept dy, is not dy itself), value and the gradients of x, weight and bias, rows and
 *     channels not multiples of the backward's 64 rows or 16 columns; with a shift (kept = x +
 *     shift, and the shift's gradient); the dispatches (one for the whole backward);
 *   - the causal conv + SiLU (IclCausalConvSilu with keep): f = [conv(x[.., off:off+C]), kept^2],
 *     value and the gradients of x, weight and bias, channel windows at 0 and inside x, L = 1.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causalDepthwiseConv, layerNorm, silu } from '../models/ops';
import { fusedCausalConvSiluKeep } from './conv';
import { fusedLayerNormKeep } from './layer-norm';
import { countDispatches } from './profile';
import { registerAllKernels } from './register';
import { Rng, randn, relErr, valueAndGrads } from './testing/helpers';
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

const plain = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => layerNorm(x, w, b).add(x.mul(x));
const fused = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
  const [y, kept] = fusedLayerNormKeep(x, w, b);
  return y.add(kept.mul(kept));
};

describe('fusedLayerNormKeep', () => {
  for (const shape of [
    [1, 1, 4],
    [2, 5, 7],
    [3, 70, 33],
    [4, 250, 65],
  ]) {
    it(`webgpu == cpu plain ops: [${shape.join(', ')}]`, async (ctx) => {
      if (!gpu) ctx.skip();
      const c = shape[2];
      const rng = new Rng(c);
      const inputs = [randn(rng, shape), randn(rng, [c], 0.5, 1), randn(rng, [c], 0.5)];
      const weights = randn(rng, shape);
      const ref = await valueAndGrads('cpu', inputs, weights, plain);
      const got = await valueAndGrads('webgpu', inputs, weights, fused);
      expectNoGpuErrors();
      expect(relErr(got.value, ref.value), 'value').toBeLessThan(1e-4);
      ['x', 'weight', 'bias'].forEach((name, i) => {
        expect(relErr(got.grads[i], ref.grads[i]), `d${name}`).toBeLessThan(1e-4);
      });
    });
  }

  for (const shape of [
    [1, 1, 4],
    [3, 70, 33],
    [4, 250, 65],
  ]) {
    it(`with a shift (kept = x + shift) webgpu == cpu plain ops: [${shape.join(', ')}]`, async (ctx) => {
      if (!gpu) ctx.skip();
      const c = shape[2];
      const rng = new Rng(c + 1);
      const inputs = [randn(rng, shape), randn(rng, [c], 0.5, 1), randn(rng, [c], 0.5), randn(rng, [c])];
      const weights = randn(rng, shape);
      const plainShift = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, s: tf.Tensor) =>
        layerNorm(x, w, b).add(x.add(s).square());
      const fusedShift = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, s: tf.Tensor) => {
        const [y, kept] = fusedLayerNormKeep(x, w, b, s);
        return y.add(kept.mul(kept));
      };
      const ref = await valueAndGrads('cpu', inputs, weights, plainShift);
      const got = await valueAndGrads('webgpu', inputs, weights, fusedShift);
      expectNoGpuErrors();
      expect(relErr(got.value, ref.value), 'value').toBeLessThan(1e-4);
      ['x', 'weight', 'bias', 'shift'].forEach((name, i) => {
        expect(relErr(got.grads[i], ref.grads[i]), `d${name}`).toBeLessThan(1e-4);
      });
    });
  }

  it('hands on its input without a dispatch and adds its gradient in the backward', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const [x, w, b] = [tf.randomNormal([2, 5, 8]), tf.ones([8]), tf.zeros([8])];
    // the sums' gradients (small tensors) on the CPU as tfjs does by default, so that any
    // BinaryOp counted below would be the kept gradient's addition
    const forward = tf.env().getBool('WEBGPU_CPU_FORWARD');
    tf.env().set('WEBGPU_CPU_FORWARD', true);
    const { result, count } = (() => {
      try {
        return countDispatches(() =>
          tf.grads((v: tf.Tensor) => {
            const [y, kept] = fusedLayerNormKeep(v, w, b);
            return tf.addN([y.sum(), kept.sum()]);
          })([x]),
        );
      } finally {
        tf.env().set('WEBGPU_CPU_FORWARD', forward);
      }
    })();
    expect(count.byProgram.LayerNormForward).toBe(1);
    expect(count.byProgram.LayerNormBackward).toBe(1);
    expect(count.byProgram.BinaryOpProgram ?? 0).toBe(0);
    expect(count.byProgram.LayerNormReduce ?? 0).toBe(0);
    await result[0].data();
    tf.dispose([x, w, b, ...result]);
  });

  it('with a shift: the whole backward (dx, dweight, dbias, dshift) is one dispatch', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const [x, w, b, s] = [tf.randomNormal([2, 5, 8]), tf.ones([8]), tf.zeros([8]), tf.ones([8])];
    const { result, count } = countDispatches(() =>
      tf.grads((v: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, ss: tf.Tensor) => {
        const [y, kept] = fusedLayerNormKeep(v, ww, bb, ss);
        return tf.addN([y.sum(), kept.sum()]);
      })([x, w, b, s]),
    );
    expect(count.byProgram.LayerNormForward).toBe(1);
    expect(count.byProgram.LayerNormBackward).toBe(1);
    expect(count.byProgram.LayerNormReduce ?? 0).toBe(0);
    expect(count.byProgram.ColumnSum ?? 0).toBe(0);
    await Promise.all(result.map((g) => g.data()));
    tf.dispose([x, w, b, s, ...result]);
  });
});

describe('fusedCausalConvSiluKeep', () => {
  for (const { b, l, cx, c, off } of [
    { b: 1, l: 1, cx: 8, c: 4, off: 0 },
    { b: 2, l: 19, cx: 14, c: 7, off: 7 },
    { b: 3, l: 70, cx: 40, c: 20, off: 0 },
  ]) {
    it(`webgpu == cpu plain ops: B ${b}, L ${l}, x channels ${cx}, window [${off}, ${off + c})`, async (ctx) => {
      if (!gpu) ctx.skip();
      const rng = new Rng(l + c);
      const inputs = [randn(rng, [b, l, cx]), randn(rng, [c, 1, 4], 0.5), randn(rng, [c], 0.5)];
      const weights = randn(rng, [b, l, c + cx]);
      const plainConv = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) => {
        const xs = x.slice([0, 0, off], [b, l, c]) as tf.Tensor3D;
        return tf.concat([silu(causalDepthwiseConv(xs, w, bias)), x.mul(x)], 2);
      };
      const fusedConv = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) => {
        const [u, kept] = fusedCausalConvSiluKeep(x as tf.Tensor3D, w, bias, off);
        return tf.concat([u, kept.mul(kept)], 2);
      };
      const ref = await valueAndGrads('cpu', inputs, weights, plainConv);
      const got = await valueAndGrads('webgpu', inputs, weights, fusedConv);
      expectNoGpuErrors();
      expect(relErr(got.value, ref.value), 'value').toBeLessThan(1e-4);
      ['x', 'weight', 'bias'].forEach((name, i) => {
        expect(relErr(got.grads[i], ref.grads[i]), `d${name}`).toBeLessThan(1e-4);
      });
    });
  }
});
