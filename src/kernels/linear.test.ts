/**
 * The fused linear (bias and residual added inside the matmul) and the column sum of its bias
 * gradient: on WebGPU against plain ops on cpu (matMul, add), and on cpu against the same plain
 * ops; value and the gradient of every input, relative error < 1e-4 (cpu: < 1e-6), on shapes that
 * are not multiples of the matmul tiles or of the column sum's 8 columns and 128 rows, one row,
 * and both weight layouts (nn.Linear [out, in], GPT-2 Conv1D [in, out]). Also the dispatches:
 * one forward program for a biased or residual linear, one program for its whole backward.
 * Every backward form (linearTuning: matmuls, one-dispatch, split-rows) against plain ops on cpu.
 * 'IclLinearGrad' directly against float64 sums: linear-grad.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { selectPositions } from '../models/ops';
import {
  columnSum,
  fusedLinear,
  fusedLinearKeep,
  fusedLinearRows,
  LINEAR_BACKWARDS,
  type LinearBackward,
  linearTuning,
} from './linear';
import { splitRowsPlan, splitRowsTuning } from './linear-grad';
import { flushReductions } from './linear-grad-reduce';
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

/** the plain-ops linear: matMul, then + bias, then residual + */
function plain(transposeWeight: boolean, bias: boolean, residual: boolean) {
  return (...xs: tf.Tensor[]) => {
    const [x, w] = xs as tf.Tensor2D[];
    let y: tf.Tensor = tf.matMul(x, w, false, transposeWeight);
    if (bias) y = y.add(xs[2]);
    if (residual) y = xs[bias ? 3 : 2].add(y);
    return y;
  };
}

function fused(transposeWeight: boolean, bias: boolean, residual: boolean) {
  return (...xs: tf.Tensor[]) =>
    fusedLinear(
      xs[0] as tf.Tensor2D,
      xs[1] as tf.Tensor2D,
      transposeWeight,
      bias ? xs[2] : undefined,
      residual ? (xs[bias ? 3 : 2] as tf.Tensor2D) : undefined,
    );
}

/** every way a linear's backward runs on WebGPU (linearTuning) */
const BACKWARDS = LINEAR_BACKWARDS;

/**
 * This test's linear backward on WebGPU; the default is put back when it ends. 'split-rows' with
 * blocks of one 32-row tile step wherever a shape has more than 32 rows (the default tuning keeps
 * small shapes in one block, i.e. one dispatch), so these shapes do run the split form.
 */
function useBackward(mode: LinearBackward, tuning: Partial<typeof splitRowsTuning> = { minBlockRows: 1 }) {
  const before = linearTuning.backward;
  const beforeTuning = { ...splitRowsTuning };
  linearTuning.backward = mode;
  if (mode === 'split-rows') Object.assign(splitRowsTuning, tuning);
  onTestFinished(() => {
    linearTuning.backward = before;
    Object.assign(splitRowsTuning, beforeTuning);
  });
}

const SHAPES: Array<[number, number, number]> = [
  [1, 3, 5],
  [37, 20, 13],
  [300, 33, 129],
  [65, 64, 1],
];

describe('fusedLinear', () => {
  for (const [m, k, n] of SHAPES) {
    for (const transposeWeight of [true, false]) {
      for (const [bias, residual] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ]) {
        const name = `M ${m}, in ${k}, out ${n}, ${transposeWeight ? '[out, in]' : '[in, out]'}${bias ? ', bias' : ''}${residual ? ', residual' : ''}`;
        const rng = new Rng(m * 7 + n);
        const inputs = [randn(rng, [m, k]), randn(rng, transposeWeight ? [n, k] : [k, n], 0.3)];
        if (bias) inputs.push(randn(rng, [n]));
        if (residual) inputs.push(randn(rng, [m, n]));
        const weights = randn(rng, [m, n]);
        const check = (a: { value: Float32Array; grads: Float32Array[] }, b: typeof a, tol: number) => {
          expect(relErr(a.value, b.value), 'value').toBeLessThan(tol);
          a.grads.forEach((g, i) => {
            expect(relErr(g, b.grads[i]), `gradient of input ${i}`).toBeLessThan(tol);
          });
        };
        for (const backward of BACKWARDS)
          it(`webgpu == cpu plain ops (${backward} backward): ${name}`, async (ctx) => {
            if (!gpu) ctx.skip();
            useBackward(backward);
            const ref = await valueAndGrads('cpu', inputs, weights, plain(transposeWeight, bias, residual));
            const got = await valueAndGrads(
              'webgpu',
              inputs,
              weights,
              fused(transposeWeight, bias, residual),
            );
            expectNoGpuErrors();
            check(got, ref, 1e-4);
          });
        it(`cpu == cpu plain ops: ${name}`, async () => {
          const ref = await valueAndGrads('cpu', inputs, weights, plain(transposeWeight, bias, residual));
          const got = await valueAndGrads('cpu', inputs, weights, fused(transposeWeight, bias, residual));
          check(got, ref, 1e-6);
        });
      }
    }
  }

  it('a biased linear is one forward dispatch; its whole backward (dx, dW, bias) one more', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    useBackward('one-dispatch');
    const rng = new Rng(3);
    const [x, w, b, r] = [
      randn(rng, [37, 20]),
      randn(rng, [13, 20]),
      randn(rng, [13]),
      randn(rng, [37, 13]),
    ].map((h) => tf.tensor(h.values, h.shape));
    const fwd = countDispatches(() => fusedLinear(x as tf.Tensor2D, w as tf.Tensor2D, true, b));
    expect(fwd.count.dispatches).toBe(1);
    const res = countDispatches(() =>
      fusedLinear(x as tf.Tensor2D, w as tf.Tensor2D, true, undefined, r as tf.Tensor2D),
    );
    expect(res.count.dispatches).toBe(1);
    const grads = countDispatches(() =>
      tf.grads((a: tf.Tensor, v: tf.Tensor, c: tf.Tensor) =>
        fusedLinear(a as tf.Tensor2D, v as tf.Tensor2D, true, c).sum(),
      )([x, w, b]),
    );
    const { byProgram } = grads.count;
    expect(byProgram.LinearGrad).toBe(1);
    expect(byProgram.ColumnSum).toBeUndefined();
    // the forward's one matmul program, none in the backward
    const matmuls = Object.entries(byProgram).filter(([name]) => name.startsWith('MatMul'));
    expect(matmuls.reduce((a, [, c]) => a + c, 0)).toBe(1);
    await Promise.all(grads.result.map((g) => g.data()));
    tf.dispose([x, w, b, r, fwd.result, res.result, ...grads.result]);
  });
});

describe('the split-rows linear backward', () => {
  it('is two dispatches (dx + partial dW and db, then their sum over the row blocks), no matmul, no column sum', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    useBackward('split-rows', {});
    // 300 rows at the default tuning: 64-row minimum -> 4 blocks of 96 rows (the last 12)
    expect(splitRowsPlan(300, 13, 20, 13, true).blocks).toBe(4);
    const [x, w, b] = [tf.randomNormal([300, 20]), tf.randomNormal([13, 20]), tf.randomNormal([13])];
    // the reduction is queued until something reads dW or db (linear-grad-reduce.ts): flushed here
    const grads = countDispatches(() => {
      const g = tf.grads((a: tf.Tensor, v: tf.Tensor, c: tf.Tensor) =>
        fusedLinear(a as tf.Tensor2D, v as tf.Tensor2D, true, c).sum(),
      )([x, w, b]);
      flushReductions(tf.backend());
      return g;
    });
    const { byProgram } = grads.count;
    expect(byProgram.LinearGradPart).toBe(1);
    expect(byProgram.LinearGradReduceBatch).toBe(1);
    expect(byProgram.LinearGrad ?? 0).toBe(0);
    expect(byProgram.ColumnSum ?? 0).toBe(0);
    const matmuls = Object.entries(byProgram).filter(([name]) => name.startsWith('MatMul'));
    expect(matmuls.reduce((a, [, c]) => a + c, 0)).toBe(1);
    await Promise.all(grads.result.map((g) => g.data()));
    expectNoGpuErrors();
    tf.dispose([x, w, b, ...grads.result]);
  });

  it('falls back to the one dispatch where one block is all there is (few rows)', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    useBackward('split-rows', {});
    const [x, w] = [tf.randomNormal([100, 20]), tf.randomNormal([20, 13])];
    const grads = countDispatches(() =>
      tf.grads((a: tf.Tensor, v: tf.Tensor) => fusedLinear(a as tf.Tensor2D, v as tf.Tensor2D, false).sum())([
        x,
        w,
      ]),
    );
    expect(grads.count.byProgram.LinearGrad).toBe(1);
    expect(grads.count.byProgram.LinearGradReduce ?? 0).toBe(0);
    await Promise.all(grads.result.map((g) => g.data()));
    tf.dispose([x, w, ...grads.result]);
  });
});

describe('the linear backward on WebGPU by default', () => {
  it('runs as IclLinearGrad split over row blocks (no column sum), as timed fastest on the H200', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    expect(linearTuning.backward).toBe('split-rows');
    const [x, w, b] = [tf.randomNormal([37, 20]), tf.randomNormal([13, 20]), tf.randomNormal([13])];
    const grads = countDispatches(() =>
      tf.grads((a: tf.Tensor, v: tf.Tensor, c: tf.Tensor) =>
        fusedLinear(a as tf.Tensor2D, v as tf.Tensor2D, true, c).sum(),
      )([x, w, b]),
    );
    const p = grads.count.byProgram;
    expect((p.LinearGradPart ?? 0) + (p.LinearGrad ?? 0)).toBe(1);
    expect(p.ColumnSum ?? 0).toBe(0);
    await Promise.all(grads.result.map((g) => g.data()));
    tf.dispose([x, w, b, ...grads.result]);
  });
});

describe('fusedLinearKeep', () => {
  for (const [m, k, n] of SHAPES) {
    for (const transposeWeight of [true, false]) {
      // [x W, x^2]: the kept x's gradient (2 x dy) must be added to dx
      const plainKeep = (x: tf.Tensor, w: tf.Tensor) =>
        tf.concat([tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, transposeWeight), x.mul(x)], 1);
      const fusedKeep = (x: tf.Tensor, w: tf.Tensor) => {
        const [y, kept] = fusedLinearKeep(x as tf.Tensor2D, w as tf.Tensor2D, transposeWeight);
        return tf.concat([y, kept.mul(kept)], 1);
      };
      for (const backward of BACKWARDS)
        it(`webgpu == cpu plain ops (${backward} backward): M ${m}, in ${k}, out ${n}, ${transposeWeight ? '[out, in]' : '[in, out]'}`, async (ctx) => {
          if (!gpu) ctx.skip();
          useBackward(backward);
          const rng = new Rng(m + k + n);
          const inputs = [randn(rng, [m, k]), randn(rng, transposeWeight ? [n, k] : [k, n], 0.3)];
          const weights = randn(rng, [m, n + k]);
          const ref = await valueAndGrads('cpu', inputs, weights, plainKeep);
          const got = await valueAndGrads('webgpu', inputs, weights, fusedKeep);
          expectNoGpuErrors();
          expect(relErr(got.value, ref.value), 'value').toBeLessThan(1e-4);
          expect(relErr(got.grads[0], ref.grads[0]), 'dx').toBeLessThan(1e-4);
          expect(relErr(got.grads[1], ref.grads[1]), 'dW').toBeLessThan(1e-4);
        });
    }
  }
});

describe('fusedLinearRows (a read-out at evenly spaced rows)', () => {
  for (const { b, l, k, n, start, stride, count, t } of [
    { b: 2, l: 1, k: 3, n: 1, start: 0, stride: 1, count: 1, t: true },
    { b: 3, l: 7, k: 33, n: 5, start: 1, stride: 2, count: 3, t: true },
    { b: 4, l: 83, k: 40, n: 1, start: 0, stride: 2, count: 42, t: true },
    { b: 5, l: 20, k: 65, n: 3, start: 2, stride: 3, count: 6, t: false },
  ]) {
    const name = `B ${b}, L ${l}, in ${k}, out ${n}, rows ${start} + ${stride} i, i < ${count}${t ? '' : ', [in, out]'}`;
    const rng = new Rng(b * l + k);
    const inputs = [randn(rng, [b, l, k]), randn(rng, t ? [n, k] : [k, n], 0.3), randn(rng, [n])];
    const weights = randn(rng, [b, count, n]);
    const positions = Int32Array.from({ length: count }, (_, i) => start + i * stride);
    const plainRows = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
      tf
        .matMul(
          selectPositions(x as tf.Tensor3D, positions).reshape([b * count, k]),
          w as tf.Tensor2D,
          false,
          t,
        )
        .add(bias)
        .reshape([b, count, n]);
    const fusedRows = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
      fusedLinearRows(x as tf.Tensor3D, { start, stride, count }, w as tf.Tensor2D, t, bias);
    for (const backward of BACKWARDS)
      it(`webgpu == cpu plain ops (${backward} backward): ${name}`, async (ctx) => {
        if (!gpu) ctx.skip();
        useBackward(backward);
        const ref = await valueAndGrads('cpu', inputs, weights, plainRows);
        const got = await valueAndGrads('webgpu', inputs, weights, fusedRows);
        expectNoGpuErrors();
        expect(relErr(got.value, ref.value), 'value').toBeLessThan(1e-4);
        ['x', 'weight', 'bias'].forEach((g, i) => {
          expect(relErr(got.grads[i], ref.grads[i]), `d${g}`).toBeLessThan(1e-4);
        });
      });
    it(`cpu == cpu plain ops: ${name}`, async () => {
      const ref = await valueAndGrads('cpu', inputs, weights, plainRows);
      const got = await valueAndGrads('cpu', inputs, weights, fusedRows);
      expect(relErr(got.value, ref.value)).toBeLessThan(1e-6);
    });
  }

  it('is one dispatch forward and one backward (no slice, no pad)', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const [x, w, bias] = [tf.randomNormal([2, 9, 8]), tf.randomNormal([1, 8]), tf.zeros([1])];
    const { result, count } = countDispatches(() =>
      tf.grads((v: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        fusedLinearRows(
          v as tf.Tensor3D,
          { start: 0, stride: 2, count: 5 },
          ww as tf.Tensor2D,
          true,
          bb,
        ).sum(),
      )([x, w, bias]),
    );
    expect(count.byProgram.LinearRows).toBe(1);
    expect(count.byProgram.LinearGrad).toBe(1);
    expect(count.byProgram.SliceProgram ?? 0).toBe(0);
    expect(count.byProgram.PadProgram ?? 0).toBe(0);
    await Promise.all(result.map((g) => g.data()));
    tf.dispose([x, w, bias, ...result]);
  });
});

describe('columnSum', () => {
  for (const [m, n] of [
    [1, 1],
    [1, 9],
    [129, 7],
    [5248, 128],
    [1000, 385],
  ]) {
    it(`webgpu == float64 sums over rows: [${m}, ${n}]`, async (ctx) => {
      if (!gpu) ctx.skip();
      await tf.setBackend('webgpu');
      const h = randn(new Rng(m + n), [m, n], 1, 0.5);
      const x = tf.tensor2d(h.values, [m, n]);
      const y = columnSum(x);
      const got = (await y.data()) as Float32Array;
      const want = new Float64Array(n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) want[j] += h.values[i * n + j];
      expectNoGpuErrors();
      expect(y.shape).toEqual([n]);
      expect(relErr(got, want)).toBeLessThan(1e-5);
      tf.dispose([x, y]);
    });
  }
});
