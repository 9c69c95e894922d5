/**
 * The fused LayerNorm, attention, causal conv + SiLU and bias + GELU kernels on WebGPU (Dawn +
 * SwiftShader) against the unfused plain-ops path on the cpu backend (the same wrapper functions
 * run the ops off WebGPU): forward and every gradient, relative error < 1e-4, on shapes with a
 * single row / L = 1, sizes not multiples of the workgroups, batch 1 and a large batch.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedAttention } from './attention';
import { fusedCausalConvSilu } from './conv';
import { fusedBiasGelu } from './gelu';
import { fusedLayerNorm } from './layer-norm';
import { registerAllKernels } from './register';
import { type HostTensor, Rng, randn, relErr, uniform, valueAndGrads } from './testing/helpers';
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

/** The fused op on webgpu vs the same function on cpu (plain ops), value and gradients. */
async function compare(
  inputs: HostTensor[],
  outShape: number[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  names: string[],
  tol = 1e-4,
): Promise<void> {
  const weights = randn(new Rng(99), outShape);
  const ref = await valueAndGrads('cpu', inputs, weights, f);
  const got = await valueAndGrads('webgpu', inputs, weights, f);
  expectNoGpuErrors();
  expect(relErr(got.value, ref.value), 'forward').toBeLessThan(tol);
  got.grads.forEach((g, i) => {
    expect(relErr(g, ref.grads[i]), `d${names[i]}`).toBeLessThan(tol);
  });
}

describe('fused LayerNorm', () => {
  const shapes = [
    [1, 1, 4],
    [2, 5, 7],
    [70, 33],
    [3, 37, 128],
  ];
  for (const shape of shapes) {
    it(`matches the reference on ${shape.join(' x ')}`, async (ctx) => {
      if (!gpu) ctx.skip();
      const rng = new Rng(shape.length * 100 + shape[0]);
      const c = shape[shape.length - 1];
      const inputs = [randn(rng, shape, 2, 0.5), randn(rng, [c], 0.5, 1), randn(rng, [c], 0.5)];
      await compare(inputs, shape, (x, w, b) => fusedLayerNorm(x, w, b), ['x', 'weight', 'bias']);
    });
  }
});

describe('fused causal attention', () => {
  const cases = [
    { b: 1, l: 1, d: 8, h: 2 },
    { b: 2, l: 19, d: 32, h: 4 },
    { b: 64, l: 3, d: 16, h: 4 },
    { b: 3, l: 70, d: 128, h: 8 },
  ];
  for (const c of cases) {
    it(`matches the reference: B ${c.b}, L ${c.l}, D ${c.d}, ${c.h} heads`, async (ctx) => {
      if (!gpu) ctx.skip();
      const inputs = [randn(new Rng(c.l + c.d), [c.b, c.l, 3 * c.d])];
      await compare(inputs, [c.b, c.l, c.d], (qkv) => fusedAttention(qkv as tf.Tensor3D, c.h), ['qkv']);
    });
  }
});

describe('fused causal conv + SiLU', () => {
  const cases = [
    { b: 1, l: 1, c: 4, wide: false, k: 4 },
    { b: 2, l: 19, c: 70, wide: true, k: 4 },
    { b: 3, l: 70, c: 8, wide: false, k: 3 },
    { b: 64, l: 5, c: 6, wide: true, k: 4 },
  ];
  for (const c of cases) {
    it(`matches the reference: B ${c.b}, L ${c.l}, C ${c.c}, K ${c.k}${c.wide ? ', window of [B, L, 2C]' : ''}`, async (ctx) => {
      if (!gpu) ctx.skip();
      const rng = new Rng(c.l * 7 + c.c);
      const cx = c.wide ? 2 * c.c : c.c;
      const inputs = [
        randn(rng, [c.b, c.l, cx]),
        uniform(rng, [c.c, 1, c.k], -0.5, 0.5),
        randn(rng, [c.c], 0.3),
      ];
      await compare(
        inputs,
        [c.b, c.l, c.c],
        (x, w, b) => fusedCausalConvSilu(x as tf.Tensor3D, w, b, c.wide ? c.c : 0),
        ['x', 'weight', 'bias'],
      );
    });
  }
});

describe('fused bias + GELU', () => {
  for (const shape of [
    [1, 1, 3],
    [5, 7, 12],
    [2, 70, 130],
  ]) {
    it(`matches the reference on ${shape.join(' x ')} (incl. the tanh clamp)`, async (ctx) => {
      if (!gpu) ctx.skip();
      const rng = new Rng(shape[2]);
      const c = shape[shape.length - 1];
      const inputs = [randn(rng, shape, 3), randn(rng, [c], 0.5)];
      await compare(inputs, shape, (x, b) => fusedBiasGelu(x, b), ['x', 'bias']);
    });
  }
});
