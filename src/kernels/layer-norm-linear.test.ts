/**
 * LayerNorm and the next linear as one program ('IclLayerNormLinear'): on WebGPU against the plain
 * ops on cpu (LayerNorm, matMul, + bias; x + shift), value and the gradient of every input through
 * both outputs (y and the handed-on residual), relative error < 1e-4, and the forward against float64
 * sums (< 1e-5); on shapes that are not multiples of the program's 64 x 64 tiles or of its 16-wide
 * stretch of K, one row, K = 1 (LayerNorm of one feature: beta), both weight layouts, with and without
 * the bias and the shift, and every linear backward form. Also the dispatches: one forward program
 * instead of two; the backward is the linear's and LayerNorm's.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { layerNorm, selectPositions } from '../models/ops';
import { fusedLayerNormKeep } from './layer-norm';
import { fusedLayerNormLinear, fusedLayerNormLinearRows, layerNormLinearTuning } from './layer-norm-linear';
import { fusedLinear, LINEAR_BACKWARDS, type LinearBackward, linearTuning } from './linear';
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
  m: number;
  k: number;
  n: number;
  t: boolean;
  bias: boolean;
  shift: boolean;
}

/** inputs x, gamma, beta, W (, bias) (, shift) -> y and the residual, flattened into one tensor */
function both(f: (...xs: tf.Tensor[]) => [tf.Tensor, tf.Tensor]) {
  return (...xs: tf.Tensor[]) => {
    const [y, kept] = f(...xs);
    return tf.concat([y.reshape([-1]), kept.reshape([-1])]);
  };
}

function plain(c: Case) {
  return both((...xs) => {
    const [x, g, b, w] = xs;
    let i = 4;
    const bias = c.bias ? xs[i++] : undefined;
    const shift = c.shift ? xs[i++] : undefined;
    let y: tf.Tensor = tf.matMul(layerNorm(x, g, b) as tf.Tensor2D, w as tf.Tensor2D, false, c.t);
    if (bias) y = y.add(bias);
    return [y, shift ? x.add(shift) : x.mul(1)];
  });
}

function fused(c: Case) {
  return both((...xs) => {
    const [x, g, b, w] = xs;
    let i = 4;
    const bias = c.bias ? xs[i++] : undefined;
    const shift = c.shift ? xs[i++] : undefined;
    return fusedLayerNormLinear(x as tf.Tensor2D, g, b, w as tf.Tensor2D, c.t, bias, shift);
  });
}

function inputsOf(c: Case): HostTensor[] {
  const rng = new Rng(c.m * 31 + c.k * 7 + c.n);
  // rows with an offset and a scale of their own (LayerNorm's statistics matter)
  const x = randn(rng, [c.m, c.k], 2, 0.5);
  const inputs = [
    x,
    randn(rng, [c.k], 0.5, 1),
    randn(rng, [c.k], 0.3),
    randn(rng, c.t ? [c.n, c.k] : [c.k, c.n], 0.3),
  ];
  if (c.bias) inputs.push(randn(rng, [c.n]));
  if (c.shift) inputs.push(randn(rng, [c.k]));
  return inputs;
}

/** y = LN(x) W (+ bias) in float64 */
function forward64(c: Case, inputs: HostTensor[]): Float64Array {
  const [x, g, b, w] = inputs.map((h) => h.values);
  const bias = c.bias ? inputs[4].values : null;
  const y = new Float64Array(c.m * c.n);
  const normed = new Float64Array(c.k);
  for (let r = 0; r < c.m; r++) {
    let mean = 0;
    for (let j = 0; j < c.k; j++) mean += x[r * c.k + j];
    mean /= c.k;
    let v = 0;
    for (let j = 0; j < c.k; j++) v += (x[r * c.k + j] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / c.k + 1e-5);
    for (let j = 0; j < c.k; j++) normed[j] = (x[r * c.k + j] - mean) * rstd * g[j] + b[j];
    for (let o = 0; o < c.n; o++) {
      let acc = bias ? bias[o] : 0;
      for (let j = 0; j < c.k; j++) acc += normed[j] * (c.t ? w[o * c.k + j] : w[j * c.n + o]);
      y[r * c.n + o] = acc;
    }
  }
  return y;
}

const SHAPES: Array<[number, number, number]> = [
  [1, 5, 3],
  [37, 20, 13],
  [300, 33, 129],
  [65, 128, 512],
  [40, 1, 7],
];

describe('fusedLayerNormLinear', () => {
  for (const [m, k, n] of SHAPES) {
    for (const t of [true, false]) {
      for (const [bias, shift] of [
        [false, false],
        [true, true],
        [true, false],
        [false, true],
      ]) {
        const c: Case = { m, k, n, t, bias, shift };
        const name = `M ${m}, K ${k}, N ${n}, ${t ? '[out, in]' : '[in, out]'}${bias ? ', bias' : ''}${shift ? ', shift' : ''}`;
        const inputs = inputsOf(c);
        const weights = randn(new Rng(m + n), [m * n + m * k]);
        const backwards: readonly LinearBackward[] = bias === shift ? LINEAR_BACKWARDS : ['split-rows'];
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
            // y against float64 sums
            expect(relErr(got.value.subarray(0, m * n), forward64(c, inputs))).toBeLessThan(1e-5);
          });
      }
    }
  }

  it('off WebGPU it is the LayerNorm and linear kernels (the same numbers as those two)', async () => {
    await tf.setBackend('cpu');
    const c: Case = { m: 9, k: 6, n: 5, t: true, bias: true, shift: true };
    const [x, g, b, w, bias, shift] = inputsOf(c).map((h) => tf.tensor(h.values, h.shape));
    const [y, kept] = fusedLayerNormLinear(x as tf.Tensor2D, g, b, w as tf.Tensor2D, true, bias, shift);
    const [normed, kept2] = fusedLayerNormKeep(x, g, b, shift);
    const y2 = fusedLinear(normed as tf.Tensor2D, w as tf.Tensor2D, true, bias);
    expect(Array.from(await y.data())).toEqual(Array.from(await y2.data()));
    expect(Array.from(await kept.data())).toEqual(Array.from(await kept2.data()));
    tf.dispose([x, g, b, w, bias, shift, y, kept, normed, kept2, y2]);
  });

  it('is one forward program where LayerNorm and the matmul were two; the backward is theirs', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    useBackward('split-rows');
    const c: Case = { m: 300, k: 33, n: 129, t: true, bias: true, shift: true };
    const [x, g, b, w, bias, shift] = inputsOf(c).map((h) => tf.tensor(h.values, h.shape));
    const args = [x, g, b, w, bias, shift];
    const run = (...xs: tf.Tensor[]) => {
      const [y, kept] = fusedLayerNormLinear(
        xs[0] as tf.Tensor2D,
        xs[1],
        xs[2],
        xs[3] as tf.Tensor2D,
        true,
        xs[4],
        xs[5],
      );
      return y.sum().add(kept.mul(kept).sum());
    };
    const fwd = countDispatches(() => {
      const [y, kept] = fusedLayerNormLinear(x as tf.Tensor2D, g, b, w as tf.Tensor2D, true, bias, shift);
      return [y, kept];
    });
    expect(fwd.count.byProgram).toEqual({ LayerNormLinear: 1 });
    const before = layerNormLinearTuning.fold;
    layerNormLinearTuning.fold = false;
    const apart = countDispatches(() =>
      fusedLayerNormLinear(x as tf.Tensor2D, g, b, w as tf.Tensor2D, true, bias, shift),
    );
    layerNormLinearTuning.fold = before;
    expect(apart.count.dispatches).toBe(2);
    const grads = countDispatches(() => {
      const gs = tf.grads(run)(args);
      flushReductions(tf.backend());
      return gs;
    });
    const p = grads.count.byProgram;
    expect(p.LayerNormLinear).toBe(1);
    expect(p.LayerNormBackward).toBe(1);
    expect(p.LinearGradPart).toBe(1);
    expect(p.LayerNormForward ?? 0).toBe(0);
    await Promise.all(grads.result.map((t) => t.data()));
    expectNoGpuErrors();
    tf.dispose([...args, ...fwd.result, ...apart.result, ...grads.result]);
  });
});

describe('fusedLayerNormLinearRows (the final LayerNorm and the read-out)', () => {
  /**
   * [B, L, K], rows, out, weight layout ([out, K] unless `kn`), bias: awkward sizes, one row read,
   * every row read, a stride of 2
   */
  const CASES: Array<{
    b: number;
    l: number;
    k: number;
    n: number;
    rows: { start: number; stride: number; count: number };
    kn?: boolean;
    noBias?: boolean;
  }> = [
    { b: 3, l: 22, k: 20, n: 1, rows: { start: 0, stride: 2, count: 11 } },
    { b: 1, l: 5, k: 33, n: 3, rows: { start: 4, stride: 1, count: 1 } },
    { b: 70, l: 9, k: 128, n: 5, rows: { start: 0, stride: 1, count: 9 } },
    { b: 4, l: 41, k: 16, n: 67, rows: { start: 1, stride: 2, count: 20 } },
    { b: 5, l: 13, k: 24, n: 3, rows: { start: 2, stride: 3, count: 4 }, kn: true },
    { b: 2, l: 30, k: 40, n: 2, rows: { start: 0, stride: 2, count: 15 }, noBias: true },
  ];
  for (const c of CASES) {
    for (const foldRowsBackward of [true, false]) {
      const name = `B ${c.b}, L ${c.l}, K ${c.k}, out ${c.n}${c.kn ? ' [in, out]' : ''}${c.noBias ? ', no bias' : ''}, rows ${c.rows.start} + ${c.rows.stride} i < ${c.rows.count}, ${foldRowsBackward ? 'one-program' : 'two-program'} backward`;
      const rng = new Rng(c.b * 100 + c.l);
      const inputs = [
        randn(rng, [c.b, c.l, c.k], 2, 0.5),
        randn(rng, [c.k], 0.5, 1),
        randn(rng, [c.k], 0.3),
        randn(rng, c.kn ? [c.k, c.n] : [c.n, c.k], 0.3),
      ];
      if (!c.noBias) inputs.push(randn(rng, [c.n]));
      const weights = randn(new Rng(7), [c.b * c.rows.count * c.n]);
      const positions = Int32Array.from({ length: c.rows.count }, (_, i) => c.rows.start + i * c.rows.stride);
      const plainRows = (...xs: tf.Tensor[]) => {
        const [x, g, b, w, bias] = xs;
        const picked = selectPositions(layerNorm(x, g, b) as tf.Tensor3D, positions);
        const y = tf.matMul(picked.reshape([-1, c.k]), w as tf.Tensor2D, false, !c.kn);
        return (bias ? y.add(bias) : y).reshape([-1]);
      };
      const fusedRows = (...xs: tf.Tensor[]) => {
        const [x, g, b, w, bias] = xs;
        return fusedLayerNormLinearRows(
          x as tf.Tensor3D,
          c.rows,
          g,
          b,
          w as tf.Tensor2D,
          !c.kn,
          bias,
        ).reshape([-1]);
      };
      it(`webgpu == cpu plain ops: ${name}`, async (ctx) => {
        if (!gpu) ctx.skip();
        useBackward('split-rows');
        const before = layerNormLinearTuning.foldRowsBackward;
        layerNormLinearTuning.foldRowsBackward = foldRowsBackward;
        onTestFinished(() => {
          layerNormLinearTuning.foldRowsBackward = before;
        });
        const ref = await valueAndGrads('cpu', inputs, weights, plainRows);
        const got = await valueAndGrads('webgpu', inputs, weights, fusedRows);
        expectNoGpuErrors();
        expect(relErr(got.value, ref.value), 'value').toBeLessThan(1e-4);
        got.grads.forEach((g, i) => {
          expect(relErr(g, ref.grads[i]), `gradient of input ${i}`).toBeLessThan(1e-4);
        });
        // the rows not read get no gradient
        const dx = got.grads[0];
        for (let bi = 0; bi < c.b; bi++)
          for (let t = 0; t < c.l; t++)
            if (!positions.includes(t))
              for (let j = 0; j < c.k; j++) expect(dx[(bi * c.l + t) * c.k + j]).toBe(0);
      });
    }
  }

  it("has a one-program backward: LayerNorm's with the read-out's folded in", async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    useBackward('split-rows');
    const x = tf.randomNormal([3, 22, 20]) as tf.Tensor3D;
    const [g, b, w, bias] = [tf.ones([20]), tf.zeros([20]), tf.randomNormal([1, 20]), tf.zeros([1])];
    const rows = { start: 0, stride: 2, count: 11 };
    const args = [x, g, b, w, bias];
    const run = (...xs: tf.Tensor[]) =>
      fusedLayerNormLinearRows(xs[0] as tf.Tensor3D, rows, xs[1], xs[2], xs[3] as tf.Tensor2D, true, xs[4])
        .square()
        .sum();
    const grads = countDispatches(() => {
      const gs = tf.grads(run)(args);
      flushReductions(tf.backend());
      return gs;
    });
    expect(grads.count.byProgram.LayerNormBackward).toBe(1);
    expect(grads.count.byProgram.LinearGradPart ?? 0).toBe(0);
    await Promise.all(grads.result.map((t) => t.data()));
    expectNoGpuErrors();
    tf.dispose([...args, ...grads.result]);
  });

  it('is one forward program where the final LayerNorm and the read-out were two', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const x = tf.randomNormal([3, 22, 20]) as tf.Tensor3D;
    const [g, b, w, bias] = [tf.ones([20]), tf.zeros([20]), tf.randomNormal([1, 20]), tf.zeros([1])];
    const rows = { start: 0, stride: 2, count: 11 };
    const one = countDispatches(() => fusedLayerNormLinearRows(x, rows, g, b, w as tf.Tensor2D, true, bias));
    expect(one.count.byProgram).toEqual({ LayerNormLinear: 1 });
    const before = layerNormLinearTuning.fold;
    layerNormLinearTuning.fold = false;
    const two = countDispatches(() => fusedLayerNormLinearRows(x, rows, g, b, w as tf.Tensor2D, true, bias));
    layerNormLinearTuning.fold = before;
    expect(two.count.dispatches).toBe(2);
    // the same numbers as the two programs (another summation order: not the same bits)
    const [a, c] = await Promise.all([one.result.data(), two.result.data()]);
    expect(relErr(a as Float32Array, c as Float32Array)).toBeLessThan(1e-5);
    tf.dispose([x, g, b, w, bias, one.result, two.result]);
  });
});
