/**
 * Mamba's conv + SiLU and x_proj as one program ('IclConvSiluLinear'): on WebGPU against the plain
 * ops on cpu (causal depthwise conv, SiLU, matMul), the value of all three outputs (x_proj(u), u, x
 * handed on) and the gradient of every input through all three, relative error < 1e-4, and x_proj(u)
 * against float64 sums (< 1e-5); on L = 1, M not a multiple of the 64-row tile, C not a multiple of
 * the 16-wide stretch, N over one 64-column tile, the conv reading the first and the second half of
 * x, 2 and 4 taps, every linear backward form. Also the dispatches: one forward program instead of
 * two; the backward is x_proj's and the conv's.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { causalDepthwiseConv, silu } from '../models/ops';
import { fusedCausalConvSiluKeep } from './conv';
import { convSiluLinearTuning, fusedConvSiluLinear } from './conv-silu-linear';
import { fusedLinearKeep, LINEAR_BACKWARDS, type LinearBackward, linearTuning } from './linear';
import { splitRowsTuning } from './linear-grad';
import { flushReductions } from './linear-grad-reduce';
import { countDispatches } from './profile';
import { registerAllKernels } from './register';
import { type HostTensor, Rng, randn, relErr, valueAndGrads } from './testing/helpers';
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

function useBackward(mode: LinearBackward) {
  const before = linearTuning.backward;
  const beforeTuning = { ...splitRowsTuning };
  linearTuning.backward = mode;
  // one 32-row tile a block, so that these small shapes do run the split form
  if (mode === 'split-rows') splitRowsTuning.minBlockRows = 1;
  onTestFinished(() => {
    linearTuning.backward = before;
    Object.assign(splitRowsTuning, beforeTuning);
  });
}

interface Case {
  b: number;
  l: number;
  /** x's channels; the conv reads [offset, offset + c) */
  cx: number;
  c: number;
  offset: number;
  taps: number;
  /** x_proj's outputs */
  n: number;
}

/** x, conv weight, conv bias, x_proj weight -> the three outputs, flattened into one tensor */
function all3(f: (...xs: tf.Tensor[]) => [tf.Tensor, tf.Tensor, tf.Tensor]) {
  return (...xs: tf.Tensor[]) => tf.concat(f(...xs).map((t) => t.reshape([-1])));
}

function plain(c: Case) {
  return all3((x, cw, cb, w) => {
    const xs = x.slice([0, 0, c.offset], [c.b, c.l, c.c]) as tf.Tensor3D;
    const u = silu(causalDepthwiseConv(xs, cw, cb));
    const y = tf.matMul(u.reshape([c.b * c.l, c.c]) as tf.Tensor2D, w as tf.Tensor2D, false, true);
    return [y, u, x.mul(1)];
  });
}

function fused(c: Case) {
  return all3((x, cw, cb, w) => fusedConvSiluLinear(x as tf.Tensor3D, cw, cb, c.offset, w as tf.Tensor2D));
}

function inputsOf(c: Case): HostTensor[] {
  const rng = new Rng(c.b * 131 + c.l * 17 + c.c * 3 + c.n);
  return [
    randn(rng, [c.b, c.l, c.cx]),
    randn(rng, [c.c, 1, c.taps], 0.5),
    randn(rng, [c.c], 0.3),
    randn(rng, [c.n, c.c], 0.3),
  ];
}

/** x_proj(u) in float64 */
function forward64(c: Case, inputs: HostTensor[]): Float64Array {
  const [x, cw, cb, w] = inputs.map((h) => h.values);
  const y = new Float64Array(c.b * c.l * c.n);
  const u = new Float64Array(c.c);
  for (let b = 0; b < c.b; b++) {
    for (let t = 0; t < c.l; t++) {
      for (let ch = 0; ch < c.c; ch++) {
        let p = cb[ch];
        for (let j = 0; j < c.taps; j++) {
          const ts = t - c.taps + 1 + j;
          if (ts >= 0) p += cw[ch * c.taps + j] * x[(b * c.l + ts) * c.cx + c.offset + ch];
        }
        u[ch] = p / (1 + Math.exp(-p));
      }
      for (let o = 0; o < c.n; o++) {
        let acc = 0;
        for (let ch = 0; ch < c.c; ch++) acc += u[ch] * w[o * c.c + ch];
        y[(b * c.l + t) * c.n + o] = acc;
      }
    }
  }
  return y;
}

const CASES: Case[] = [
  { b: 1, l: 1, cx: 8, c: 4, offset: 0, taps: 4, n: 3 },
  { b: 2, l: 7, cx: 20, c: 10, offset: 10, taps: 4, n: 40 },
  { b: 3, l: 50, cx: 33, c: 33, offset: 0, taps: 2, n: 70 },
  { b: 5, l: 30, cx: 64, c: 32, offset: 32, taps: 4, n: 17 },
  { b: 2, l: 82, cx: 512, c: 256, offset: 0, taps: 4, n: 40 },
];

describe('fusedConvSiluLinear', () => {
  for (const c of CASES) {
    const name = `B ${c.b}, L ${c.l}, x ${c.cx} channels, conv [${c.offset}, ${c.offset + c.c}), ${c.taps} taps, N ${c.n}`;
    const inputs = inputsOf(c);
    const weights = randn(new Rng(c.l + c.n), [c.b * c.l * (c.n + c.c + c.cx)]);
    const backwards: readonly LinearBackward[] = c.l > 40 ? LINEAR_BACKWARDS : ['split-rows'];
    for (const backward of backwards)
      it(`webgpu == cpu plain ops (${backward} backward): ${name}`, async (ctx) => {
        if (!gpu) ctx.skip();
        useBackward(backward);
        const ref = await valueAndGrads('cpu', inputs, weights, plain(c));
        const got = await valueAndGrads('webgpu', inputs, weights, fused(c));
        expectNoGpuErrors();
        expect(relErr(got.value, ref.value), 'value').toBeLessThan(1e-4);
        got.grads.forEach((g, i) => {
          expect(relErr(g, ref.grads[i]), `gradient of input ${i}`).toBeLessThan(1e-4);
        });
        const m = c.b * c.l;
        expect(relErr(got.value.subarray(0, m * c.n), forward64(c, inputs))).toBeLessThan(1e-5);
      });
  }

  it('off WebGPU it is the conv and linear kernels (the same numbers as those two)', async () => {
    await tf.setBackend('cpu');
    const c = CASES[1];
    const [x, cw, cb, w] = inputsOf(c).map((h) => tf.tensor(h.values, h.shape));
    const [y, u, kept] = fusedConvSiluLinear(x as tf.Tensor3D, cw, cb, c.offset, w as tf.Tensor2D);
    const [u2, kept2] = fusedCausalConvSiluKeep(x as tf.Tensor3D, cw, cb, c.offset);
    const [y2] = fusedLinearKeep(u2.reshape([c.b * c.l, c.c]), w as tf.Tensor2D, true);
    expect(Array.from(await y.data())).toEqual(Array.from(await y2.data()));
    expect(Array.from(await u.data())).toEqual(Array.from(await u2.data()));
    expect(Array.from(await kept.data())).toEqual(Array.from(await kept2.data()));
    tf.dispose([x, cw, cb, w, y, u, kept, u2, kept2, y2]);
  });

  it('is one forward program where the conv and the matmul were two; the backward is theirs', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    useBackward('split-rows');
    const c = CASES[3];
    const args = inputsOf(c).map((h) => tf.tensor(h.values, h.shape));
    const [x, cw, cb, w] = args;
    const call = (xs: tf.Tensor[]) =>
      fusedConvSiluLinear(xs[0] as tf.Tensor3D, xs[1], xs[2], c.offset, xs[3] as tf.Tensor2D);
    const fwd = countDispatches(() => call(args));
    expect(fwd.count.byProgram).toEqual({ ConvSiluLinear: 1 });
    const before = convSiluLinearTuning.fold;
    convSiluLinearTuning.fold = false;
    const apart = countDispatches(() => call([x, cw, cb, w]));
    convSiluLinearTuning.fold = before;
    expect(apart.count.byProgram.ConvSiluForward).toBe(1);
    expect(apart.count.dispatches).toBe(2);
    const grads = countDispatches(() => {
      const gs = tf.grads((...xs: tf.Tensor[]) => {
        const [y, u, kept] = call(xs);
        return y.sum().add(u.mul(u).sum()).add(kept.mul(kept).sum());
      })(args);
      flushReductions(tf.backend());
      return gs;
    });
    const p = grads.count.byProgram;
    expect(p.ConvSiluLinear).toBe(1);
    expect(p.ConvSiluBackward).toBe(1);
    expect(p.LinearGradPart).toBe(1);
    expect(p.ConvSiluForward ?? 0).toBe(0);
    await Promise.all(grads.result.map((t) => t.data()));
    expectNoGpuErrors();
    tf.dispose([...args, ...fwd.result, ...apart.result, ...grads.result]);
  });
});
