/**
 * The fused S4D kernel and causal convolution on WebGPU (Dawn + SwiftShader) against the plain-ops
 * path of src/models/s4.ts on the cpu backend (autodiff): the value and every gradient, on shapes with
 * L = 1, one mode, channels and lengths that are not multiples of the workgroup (64), and the paper's
 * S4-Mamba size; plus the dispatches the fused forward and backward take.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causalConvolve, s4dKernelFromParams } from '../models/s4';
import { countDispatches } from './profile';
import { registerAllKernels } from './register';
import { fusedS4dConv, fusedS4dKernel } from './s4d';
import { type HostTensor, Rng, randn, relErr, toTensor, uniform, valueAndGrads } from './testing/helpers';
import { setupWebGpu } from './testing/webgpu';

let gpu = { ok: false, reason: '' };

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = { ok: r.info !== null, reason: r.reason };
  if (!gpu.ok) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Parameters as S4D initialises them (s4dKernelSpecs), perturbed so that no two modes are alike. */
function kernelParams(rng: Rng, h: number, m: number): HostTensor[] {
  const logAre = randn(rng, [h, m], 0.3, Math.log(0.5));
  const aIm = randn(rng, [h, m], 0.2);
  for (let i = 0; i < aIm.values.length; i++) aIm.values[i] += Math.PI * (i % m);
  return [
    randn(rng, [h, m, 2], Math.SQRT1_2),
    uniform(rng, [h], Math.log(1e-3), Math.log(1e-1)),
    logAre,
    aIm,
  ];
}

const TOLERANCE = 2e-4;

/** K [H, L] in float64 (the maths of src/models/s4.ts), parameters as host arrays. */
function kernel64(p: readonly Float64Array[], h: number, m: number, l: number): Float64Array {
  const [c, logDt, logAre, aIm] = p;
  const k = new Float64Array(h * l);
  for (let i = 0; i < h; i++) {
    const dt = Math.exp(logDt[i]);
    for (let j = 0; j < m; j++) {
      const q = i * m + j;
      const ar = -Math.exp(logAre[q]);
      const ai = aIm[q];
      const [zr, zi] = [dt * ar, dt * ai];
      const er = Math.exp(zr) * Math.cos(zi) - 1;
      const ei = Math.exp(zr) * Math.sin(zi);
      const [cr, ci] = [c[2 * q], c[2 * q + 1]];
      const [nr, ni] = [cr * er - ci * ei, cr * ei + ci * er];
      const den = ar * ar + ai * ai;
      const [pr, pi] = [(nr * ar + ni * ai) / den, (ni * ar - nr * ai) / den];
      for (let t = 0; t < l; t++) {
        const mag = Math.exp(zr * t);
        k[i * l + t] += 2 * mag * (pr * Math.cos(zi * t) - pi * Math.sin(zi * t));
      }
    }
  }
  return k;
}

/** sum(w K) and its gradient by central differences, all in float64. */
function lossAndGrads64(inputs: HostTensor[], w: HostTensor, h: number, m: number, l: number) {
  const p = inputs.map((x) => Float64Array.from(x.values));
  const loss = () => kernel64(p, h, m, l).reduce((acc, v, i) => acc + v * w.values[i], 0);
  const grads = p.map((x) =>
    Float64Array.from(x, (_, i) => {
      const keep = x[i];
      const eps = 1e-6 * Math.max(1, Math.abs(keep));
      x[i] = keep + eps;
      const up = loss();
      x[i] = keep - eps;
      const down = loss();
      x[i] = keep;
      return (up - down) / (2 * eps);
    }),
  );
  return { value: kernel64(p, h, m, l), grads };
}

const KERNEL_GRADS = ['dC', 'dlog_dt', 'dlog_A_real', 'dA_imag'];

describe('fused S4D kernel', () => {
  const fused = (l: number) => (c: tf.Tensor, dt: tf.Tensor, ar: tf.Tensor, ai: tf.Tensor) =>
    fusedS4dKernel(c, dt, ar, ai, l);
  // small: against float64 (value and central differences), within 5e-4 or about as close to it as
  // the plain ops on the same WebGPU device are (float32 throughout: sums of modes that partly cancel
  // cost digits, and the GPU's exp / sin / cos are less exact than the cpu backend's)
  for (const [h, m, l] of [
    [3, 1, 1],
    [5, 4, 7],
    [9, 3, 40],
  ] as const) {
    it(`matches float64: H ${h}, M ${m}, L ${l} (value and the four gradients)`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      const rng = new Rng(100 + h + l);
      const inputs = kernelParams(rng, h, m);
      const weights = randn(rng, [h, l]);
      const ref = lossAndGrads64(inputs, weights, h, m, l);
      // the plain ops on the same device: the GPU's transcendentals, unfused
      const plain = await valueAndGrads('webgpu', inputs, weights, (c, dt, ar, ai) =>
        s4dKernelFromParams(c, dt, ar, ai, l),
      );
      const got = await valueAndGrads('webgpu', inputs, weights, fused(l));
      const bound = (plainErr: number) => Math.max(5e-4, 1.5 * plainErr);
      expect(relErr(got.value, ref.value), 'K').toBeLessThan(bound(relErr(plain.value, ref.value)));
      ref.grads.forEach((g, i) => {
        const err = relErr(got.grads[i], g);
        expect(err, KERNEL_GRADS[i]).toBeLessThan(bound(relErr(plain.grads[i], g)));
      });
    });
  }
  // the S4-Mamba sizes and L over two workgroups: against the plain ops (float32 autodiff on cpu,
  // whose exp(dt A) - 1 loses digits: hence the looser bound)
  for (const [h, m, l] of [
    [70, 8, 129],
    [64, 8, 82],
  ] as const) {
    it(`matches the plain ops: H ${h}, M ${m}, L ${l} (value and the four gradients)`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      const rng = new Rng(100 + h + l);
      const inputs = kernelParams(rng, h, m);
      const weights = randn(rng, [h, l]);
      const ref = await valueAndGrads('cpu', inputs, weights, (c, dt, ar, ai) =>
        s4dKernelFromParams(c, dt, ar, ai, l),
      );
      const got = await valueAndGrads('webgpu', inputs, weights, fused(l));
      expect(relErr(got.value, ref.value), 'K').toBeLessThan(2e-3);
      ref.grads.forEach((g, i) => {
        expect(relErr(got.grads[i], g), KERNEL_GRADS[i]).toBeLessThan(2e-3);
      });
    });
  }
});

describe('fused S4D causal convolution', () => {
  const cases: Array<[number, number, number]> = [
    [1, 1, 3],
    [2, 7, 5],
    [3, 41, 70],
  ];
  for (const [b, l, h] of cases) {
    it(`matches the plain ops: B ${b}, L ${l}, H ${h} (value, du, dK, dD)`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      const rng = new Rng(7 * b + l + h);
      const inputs = [randn(rng, [b, l, h]), randn(rng, [h, l], 0.5), randn(rng, [h])];
      const weights = randn(rng, [b, l, h]);
      const ref = await valueAndGrads('cpu', inputs, weights, (u, k, d) =>
        causalConvolve(u as tf.Tensor3D, k as tf.Tensor2D).add(u.mul(d)),
      );
      const got = await valueAndGrads('webgpu', inputs, weights, (u, k, d) =>
        fusedS4dConv(u as tf.Tensor3D, k as tf.Tensor2D, d as tf.Tensor1D),
      );
      expect(relErr(got.value, ref.value), 'y').toBeLessThan(TOLERANCE);
      const names = ['du', 'dK', 'dD'];
      ref.grads.forEach((g, i) => {
        expect(relErr(got.grads[i], g), names[i]).toBeLessThan(TOLERANCE);
      });
    });
  }

  it('kernel and convolution take 2 dispatches forward and 4 backward', async (ctx) => {
    if (!gpu.ok) ctx.skip();
    await tf.setBackend('webgpu');
    const rng = new Rng(3);
    const [c, dt, ar, ai] = kernelParams(rng, 6, 2).map(toTensor);
    const u = toTensor(randn(rng, [2, 9, 6])) as tf.Tensor3D;
    const d = toTensor(randn(rng, [6])) as tf.Tensor1D;
    const loss = (cc: tf.Tensor) => fusedS4dConv(u, fusedS4dKernel(cc, dt, ar, ai, 9), d).sum();
    const forward = countDispatches(() => loss(c));
    const grads = countDispatches(() => tf.grad(loss)(c));
    await grads.result.data();
    const fused = (byProgram: Record<string, number>) =>
      Object.entries(byProgram)
        .filter(([name]) => name.startsWith('S4d'))
        .reduce((n, [, k]) => n + k, 0);
    expect(fused(forward.count.byProgram)).toBe(2);
    // the gradient pass runs the forward again (2) and the backward programs (4)
    expect(fused(grads.count.byProgram)).toBe(6);
    tf.dispose([c, dt, ar, ai, u, d, forward.result, grads.result]);
  });
});
