/**
 * The wasm host kernels (host-kernels.ts) against the plain ops on cpu: attention, LayerNorm (plain
 * and keep, with and without shift), bias + GELU and the causal conv + SiLU (plain and keep, with a
 * channel offset, K > L), forward and every gradient, relative error
 * < 1e-4, on L = 1, odd L and widths, batch 1 and 33, one and several heads; and proof that the fused
 * functions run one kernel each on wasm (not the plain ops) while cpu keeps the plain ops.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTENTION, fusedAttention } from './attention';
import { CONV_SILU, fusedCausalConvSilu, fusedCausalConvSiluKeep } from './conv';
import { BIAS_GELU, fusedBiasGelu } from './gelu';
import { sigmoidHost, tanhClamped } from './host-kernels';
import { runsSimdConv, runsSimdGelu } from './host-simd-kernels';
import { fusedLayerNorm, fusedLayerNormKeep, LAYER_NORM, LAYER_NORM_KEEP } from './layer-norm';
import { COLUMN_SUM, columnSum } from './linear';
import { registerAllKernels } from './register';
import { setHostScanImpl } from './selective-scan/host-simd';
import { type HostTensor, Rng, randn, relErr, valueAndGrads } from './testing/helpers';

beforeAll(async () => {
  registerAllKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const TOL = 1e-4;

/** f on wasm (host kernels) against f on cpu (plain ops): value and the gradient of every input. */
async function compare(
  inputs: HostTensor[],
  outShape: number[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  seed: number,
): Promise<number[]> {
  const weights = randn(new Rng(seed), outShape);
  const got = await valueAndGrads('wasm', inputs, weights, f);
  const want = await valueAndGrads('cpu', inputs, weights, f);
  await tf.setBackend('wasm');
  return [relErr(got.value, want.value), ...got.grads.map((g, i) => relErr(g, want.grads[i]))];
}

/** Names of the kernels f runs on `backend`. */
async function kernelsRun(backend: string, inputs: HostTensor[], f: (...xs: tf.Tensor[]) => tf.Tensor) {
  await tf.setBackend(backend);
  const xs = inputs.map((h) => tf.tensor(h.values, h.shape));
  const info = await tf.profile(() => f(...xs));
  tf.dispose(xs);
  await tf.setBackend('wasm');
  return info.kernelNames;
}

describe('host attention on wasm', () => {
  const cases = [
    { b: 1, l: 1, h: 1, hd: 4 },
    { b: 2, l: 7, h: 3, hd: 5 },
    { b: 33, l: 3, h: 2, hd: 1 },
    { b: 3, l: 22, h: 4, hd: 16 },
    // head dims of 8k take the unrolled loops (host-attention.ts attentionForwardBy8 / BackwardBy8)
    { b: 2, l: 1, h: 2, hd: 8 },
    { b: 5, l: 13, h: 4, hd: 8 },
    { b: 2, l: 9, h: 1, hd: 24 },
  ];
  for (const c of cases) {
    it(`equals the plain ops on cpu (forward, dqkv): B ${c.b}, L ${c.l}, H ${c.h}, head dim ${c.hd}`, async () => {
      const d = c.h * c.hd;
      const qkv = randn(new Rng(c.b * 100 + c.l), [c.b, c.l, 3 * d], 1.5);
      const errs = await compare([qkv], [c.b, c.l, d], (x) => fusedAttention(x as tf.Tensor3D, c.h), 9);
      for (const e of errs) expect(e).toBeLessThan(TOL);
    });
  }
  it('runs as one kernel on wasm, plain ops on cpu', async () => {
    const qkv = randn(new Rng(1), [2, 5, 12]);
    const f = (x: tf.Tensor) => fusedAttention(x as tf.Tensor3D, 2);
    expect(await kernelsRun('wasm', [qkv], f)).toEqual([ATTENTION]);
    expect(await kernelsRun('cpu', [qkv], f)).not.toContain(ATTENTION);
  });
});

describe('host LayerNorm on wasm', () => {
  // widths 5, 33 and 1: the JavaScript loops; 4, 32, 64 and 128: the module's SIMD loops
  const shapes = [
    [1, 1, 5],
    [2, 7, 33],
    [33, 3, 64],
    [13, 1],
    [1, 1, 4],
    [4, 22, 32],
    [64, 8, 128],
  ];
  for (const shape of shapes) {
    const c = shape[shape.length - 1];
    const rng = new Rng(shape.reduce((a, b) => a * b, 1));
    const x = randn(rng, shape, 2, 0.5);
    const w = randn(rng, [c], 0.5, 1);
    const b = randn(rng, [c], 0.3);
    const shift = randn(rng, [c], 0.7);
    it(`LayerNorm equals the plain ops on cpu: [${shape}]`, async () => {
      const errs = await compare([x, w, b], shape, (xx, ww, bb) => fusedLayerNorm(xx, ww, bb), 3);
      for (const e of errs) expect(e).toBeLessThan(TOL);
    });
    it(`LayerNorm keep (both outputs used) equals the plain ops on cpu: [${shape}]`, async () => {
      const w2 = randn(new Rng(5), shape);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
        const [y, kept] = fusedLayerNormKeep(xx, ww, bb);
        return y.add(kept.mul(toT(w2)));
      };
      const errs = await compare([x, w, b], shape, f, 4);
      for (const e of errs) expect(e).toBeLessThan(TOL);
    });
    it(`LayerNorm keep with shift equals the plain ops on cpu: [${shape}]`, async () => {
      const w2 = randn(new Rng(6), shape);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, ss: tf.Tensor) => {
        const [y, kept] = fusedLayerNormKeep(xx, ww, bb, ss);
        return y.mul(toT(w2)).add(kept);
      };
      const errs = await compare([x, w, b, shift], shape, f, 5);
      for (const e of errs) expect(e).toBeLessThan(TOL);
    });
  }
  it('runs as one kernel on wasm, plain ops on cpu', async () => {
    const rng = new Rng(2);
    const ins = [randn(rng, [3, 8]), randn(rng, [8]), randn(rng, [8])];
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => fusedLayerNorm(x, w, b);
    expect(await kernelsRun('wasm', ins, f)).toEqual([LAYER_NORM]);
    expect(await kernelsRun('cpu', ins, f)).not.toContain(LAYER_NORM);
    const keep = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => fusedLayerNormKeep(x, w, b)[0];
    expect(await kernelsRun('wasm', ins, keep)).toEqual([LAYER_NORM_KEEP]);
  });
});

const toT = (h: HostTensor): tf.Tensor => tf.tensor(h.values, h.shape);

describe('host bias + GELU on wasm', () => {
  it('tanhClamped is tanh(clamp(v, -15, 15)) within 1e-14', () => {
    let worst = 0;
    for (let i = -400_000; i <= 400_000; i++) {
      const v = i * 5e-5;
      worst = Math.max(worst, Math.abs(tanhClamped(v) - Math.tanh(Math.max(-15, Math.min(15, v)))));
    }
    for (const v of [1e-300, -1e-12, 14.99, 15, 15.01, -40, 1e6]) {
      worst = Math.max(worst, Math.abs(tanhClamped(v) - Math.tanh(Math.max(-15, Math.min(15, v)))));
    }
    expect(worst).toBeLessThan(1e-14);
    expect(Object.is(tanhClamped(-0), -0) || tanhClamped(-0) === 0).toBe(true);
  });

  it('takes the WebAssembly SIMD loops for widths of 4k here, the JavaScript loops otherwise', () => {
    expect(runsSimdGelu(64)).toBe(true);
    expect(runsSimdGelu(4)).toBe(true);
    expect(runsSimdGelu(33)).toBe(false);
    expect(runsSimdConv({ b: 1, l: 1, cx: 3, c: 3, k: 4, offset: 0 })).toBe(true);
    setHostScanImpl('js');
    expect(runsSimdGelu(64)).toBe(false);
    setHostScanImpl('auto');
  });
  // widths 1 and 33: the JavaScript loops; 4, 64 and 128: the module's SIMD loops
  for (const shape of [
    [1, 1],
    [7, 33],
    [3, 4],
    [2, 5, 64],
    [2, 22, 128],
  ]) {
    it(`equals the plain ops on cpu (forward, dx, dbias), values past the tanh clamp: [${shape}]`, async () => {
      const c = shape[shape.length - 1];
      const rng = new Rng(c);
      const x = randn(rng, shape, 3);
      x.values[0] = 9; // GC (a + 0.044715 a^3) > 15: the clamped branch
      const bias = randn(rng, [c], 0.5);
      const errs = await compare([x, bias], shape, (xx, bb) => fusedBiasGelu(xx, bb), 6);
      for (const e of errs) expect(e).toBeLessThan(TOL);
    });
  }
  it('runs as one kernel on wasm, plain ops on cpu', async () => {
    const rng = new Rng(3);
    const ins = [randn(rng, [4, 6]), randn(rng, [6])];
    const f = (x: tf.Tensor, b: tf.Tensor) => fusedBiasGelu(x, b);
    expect(await kernelsRun('wasm', ins, f)).toEqual([BIAS_GELU]);
    expect(await kernelsRun('cpu', ins, f)).not.toContain(BIAS_GELU);
  });
});

describe('host causal conv + SiLU on wasm', () => {
  const cases = [
    { b: 1, l: 1, c: 3, k: 4, cx: 6, offset: 3 },
    { b: 2, l: 7, c: 5, k: 4, cx: 10, offset: 0 },
    { b: 33, l: 3, c: 2, k: 4, cx: 2, offset: 0 },
    { b: 3, l: 22, c: 9, k: 2, cx: 18, offset: 9 },
    { b: 2, l: 5, c: 4, k: 1, cx: 12, offset: 4 },
    // the presets' shape: x is the in-projection [x | z], the conv reads its first half
    { b: 4, l: 22, c: 64, k: 4, cx: 128, offset: 0 },
  ];
  // 'auto': the module's SIMD loops (any C, padded to 4 lanes); 'js': the JavaScript loops
  for (const cs of cases.flatMap((c) => (['auto', 'js'] as const).map((impl) => ({ ...c, impl })))) {
    const rng = new Rng(cs.b * 31 + cs.l);
    const x = randn(rng, [cs.b, cs.l, cs.cx], 1.5);
    const w = randn(rng, [cs.c, 1, cs.k], 0.6);
    const bias = randn(rng, [cs.c], 0.4);
    const tag = `B ${cs.b}, L ${cs.l}, C ${cs.c} of ${cs.cx} from ${cs.offset}, K ${cs.k} (${cs.impl})`;
    it(`equals the plain ops on cpu (forward, dx, dw, dbias): ${tag}`, async () => {
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        fusedCausalConvSilu(xx as tf.Tensor3D, ww, bb, cs.offset);
      setHostScanImpl(cs.impl);
      try {
        const errs = await compare([x, w, bias], [cs.b, cs.l, cs.c], f, 8);
        for (const e of errs) expect(e).toBeLessThan(TOL);
      } finally {
        setHostScanImpl('auto');
      }
    });
    it(`keep (x used again) equals the plain ops on cpu: ${tag}`, async () => {
      const w2 = randn(new Rng(12), [cs.b, cs.l, cs.cx]);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
        const [u, kept] = fusedCausalConvSiluKeep(xx as tf.Tensor3D, ww, bb, cs.offset);
        return kept.mul(toT(w2)).sum(-1).expandDims(-1).add(u);
      };
      setHostScanImpl(cs.impl);
      try {
        const errs = await compare([x, w, bias], [cs.b, cs.l, cs.c], f, 10);
        for (const e of errs) expect(e).toBeLessThan(TOL);
      } finally {
        setHostScanImpl('auto');
      }
    });
  }
  it('sigmoidHost is 1 / (1 + exp(-p)) within 1e-15', () => {
    let worst = 0;
    for (let i = -200_000; i <= 200_000; i++) {
      const p = i * 4e-4;
      worst = Math.max(worst, Math.abs(sigmoidHost(p) - 1 / (1 + Math.exp(-p))));
    }
    expect(worst).toBeLessThan(1e-15);
  });
  it('runs as one kernel on wasm, plain ops on cpu', async () => {
    const rng = new Rng(4);
    const ins = [randn(rng, [2, 5, 8]), randn(rng, [4, 1, 3]), randn(rng, [4])];
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => fusedCausalConvSilu(x as tf.Tensor3D, w, b, 4);
    expect(await kernelsRun('wasm', ins, f)).toEqual([CONV_SILU]);
    expect(await kernelsRun('cpu', ins, f)).not.toContain(CONV_SILU);
  });
});

describe('host column sum on wasm', () => {
  const shapes: Array<[number, number]> = [
    [1, 1],
    [1, 7],
    [33, 1],
    [1408, 257],
  ];
  for (const shape of shapes) {
    it(`equals tf.sum(x, 0) on cpu: [${shape}]`, async () => {
      const x = randn(new Rng(shape[0] + shape[1]), shape, 2, 0.3);
      await tf.setBackend('wasm');
      const xw = tf.tensor2d(x.values, shape);
      const sum = columnSum(xw);
      const got = (await sum.data()) as Float32Array;
      sum.dispose();
      expect(await kernelsRun('wasm', [x], (t) => columnSum(t as tf.Tensor2D))).toEqual([COLUMN_SUM]);
      xw.dispose();
      await tf.setBackend('cpu');
      const plain = tf.tidy(() => tf.sum(tf.tensor2d(x.values, shape), 0));
      const want = (await plain.data()) as Float32Array;
      plain.dispose();
      await tf.setBackend('wasm');
      expect(relErr(got, want)).toBeLessThan(1e-6);
    });
  }
});
