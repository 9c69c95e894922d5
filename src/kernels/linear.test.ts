/**
 * The fused linear (bias and residual added inside the matmul) and the column sum of its bias
 * gradient: on WebGPU against plain ops on cpu (matMul, add), and on cpu against the same plain
 * ops; value and the gradient of every input, relative error < 1e-4 (cpu: < 1e-6), on shapes that
 * are not multiples of the matmul tiles or of the column sum's 8 columns and 128 rows, one row,
 * and both weight layouts (nn.Linear [out, in], GPT-2 Conv1D [in, out]). Also the dispatches:
 * one forward program for a biased or residual linear, one program for its whole backward.
 * Every backward form (linearTuning: matmuls, one-dispatch, split-rows) against plain ops on cpu.
 * 'IclLinearGrad' also directly against float64 sums (dx with the kept gradient, dW in both
 * layouts, the bias), one dispatch and split over row blocks (one row, in 1, out 1, rows and sizes
 * off the tiles and blocks, a last block of one row that carries most of the sum), its split form's
 * dispatches (2: partials, reduction), its bits (the same twice), and the row-block plan at paper
 * and lesson sizes.
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
import { LINEAR_GRAD, reduceLanes, splitRowsPlan, splitRowsTuning } from './linear-grad';
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
    const grads = countDispatches(() =>
      tf.grads((a: tf.Tensor, v: tf.Tensor, c: tf.Tensor) =>
        fusedLinear(a as tf.Tensor2D, v as tf.Tensor2D, true, c).sum(),
      )([x, w, b]),
    );
    const { byProgram } = grads.count;
    expect(byProgram.LinearGradPart).toBe(1);
    expect(byProgram.LinearGradReduce).toBe(1);
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
  it('runs as matmul programs and a column sum (no IclLinearGrad), as timed fastest on the H200', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    expect(linearTuning.backward).toBe('matmuls');
    const [x, w, b] = [tf.randomNormal([37, 20]), tf.randomNormal([13, 20]), tf.randomNormal([13])];
    const grads = countDispatches(() =>
      tf.grads((a: tf.Tensor, v: tf.Tensor, c: tf.Tensor) =>
        fusedLinear(a as tf.Tensor2D, v as tf.Tensor2D, true, c).sum(),
      )([x, w, b]),
    );
    expect(grads.count.byProgram.LinearGrad ?? 0).toBe(0);
    expect(grads.count.byProgram.ColumnSum).toBe(1);
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

interface GradCase {
  m: number;
  k: number;
  n: number;
  transposeWeight: boolean;
  bias: boolean;
  kept: boolean;
}

interface GradInputs {
  x: HostTensor;
  w: HostTensor;
  dy: HostTensor;
  kept: HostTensor;
}

function gradInputs(c: GradCase, seed: number): GradInputs {
  const rng = new Rng(seed);
  return {
    x: randn(rng, [c.m, c.k]),
    w: randn(rng, c.transposeWeight ? [c.n, c.k] : [c.k, c.n]),
    dy: randn(rng, [c.m, c.n]),
    kept: randn(rng, [c.m, c.k]),
  };
}

/** dx (+ kept), dW in W's layout, db: float64 sums */
function float64Grads(c: GradCase, h: GradInputs) {
  const { m, k, n, transposeWeight: t } = c;
  const W = (o: number, i: number) => h.w.values[t ? o * k + i : i * n + o];
  const dx = new Float64Array(m * k);
  const dw = new Float64Array(n * k);
  const db = new Float64Array(n);
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < k; i++) {
      let acc = c.kept ? h.kept.values[r * k + i] : 0;
      for (let o = 0; o < n; o++) acc += h.dy.values[r * n + o] * W(o, i);
      dx[r * k + i] = acc;
    }
    for (let o = 0; o < n; o++) {
      const g = h.dy.values[r * n + o];
      db[o] += g;
      for (let i = 0; i < k; i++) dw[t ? o * k + i : i * n + o] += g * h.x.values[r * k + i];
    }
  }
  return { dx, dw, db };
}

/** IclLinearGrad on WebGPU (the one-dispatch or the split-rows form) -> [dx, dW, db?], with dispatches */
async function runLinearGrad(c: GradCase, h: GradInputs, splitRows: boolean) {
  await tf.setBackend('webgpu');
  const inputs: tf.NamedTensorMap = {
    x: tf.tensor(h.x.values, h.x.shape),
    weight: tf.tensor(h.w.values, h.w.shape),
    dy: tf.tensor(h.dy.values, h.dy.shape),
  };
  if (c.kept) inputs.dkept = tf.tensor(h.kept.values, h.kept.shape);
  const { result: outs, count } = countDispatches(
    () =>
      tf.engine().runKernel(LINEAR_GRAD, inputs, {
        transposeWeight: c.transposeWeight,
        bias: c.bias,
        splitRows,
      } as never) as tf.Tensor[],
  );
  expect(outs.length).toBe(c.bias ? 3 : 2);
  expect(outs[0].shape).toEqual([c.m, c.k]);
  expect(outs[1].shape).toEqual(h.w.shape);
  if (c.bias) expect(outs[2].shape).toEqual([c.n]);
  const data = (await Promise.all(outs.map((t) => t.data()))) as Float32Array[];
  expectNoGpuErrors();
  tf.dispose([...Object.values(inputs), ...outs]);
  return { data, count };
}

function caseName(c: GradCase) {
  return `M ${c.m}, in ${c.k}, out ${c.n}, ${c.transposeWeight ? '[out, in]' : '[in, out]'}${c.bias ? ', bias' : ''}${c.kept ? ', kept' : ''}`;
}

/** the split-rows tuning for this test (put back when it ends) */
function useSplitTuning(tuning: Partial<typeof splitRowsTuning>) {
  const before = { ...splitRowsTuning };
  Object.assign(splitRowsTuning, tuning);
  onTestFinished(() => {
    Object.assign(splitRowsTuning, before);
  });
}

const FLOAT64_CASES: GradCase[] = [];
for (const [m, k, n] of [
  [1, 1, 1],
  [1, 5, 7],
  [1000, 70, 45],
  [33, 31, 97],
  [65, 1, 40],
  [130, 33, 1],
]) {
  for (const transposeWeight of [true, false]) {
    for (const [bias, kept] of [
      [true, true],
      [false, false],
      [true, false],
    ])
      FLOAT64_CASES.push({ m, k, n, transposeWeight, bias, kept });
  }
}

describe('IclLinearGrad (one dispatch, and split over row blocks) == float64', () => {
  for (const c of FLOAT64_CASES) {
    it(`one dispatch: ${caseName(c)}`, async (ctx) => {
      if (!gpu) ctx.skip();
      const h = gradInputs(c, c.m * 3 + c.k + c.n);
      const want = float64Grads(c, h);
      const { data, count } = await runLinearGrad(c, h, false);
      expect(count.dispatches).toBe(1);
      expect(relErr(data[0], want.dx), 'dx').toBeLessThan(1e-5);
      expect(relErr(data[1], want.dw), 'dW').toBeLessThan(1e-5);
      if (c.bias) expect(relErr(data[2], want.db), 'db').toBeLessThan(1e-5);
    });
    // blocks of one tile step (32 rows): every shape over 32 rows is split, the last block partial
    it(`split rows, 32-row blocks: ${caseName(c)}`, async (ctx) => {
      if (!gpu) ctx.skip();
      useSplitTuning({ minBlockRows: 1 });
      const plan = splitRowsPlan(c.m, c.n, c.k, c.n, c.bias);
      expect(plan.blocks).toBe(Math.ceil(c.m / 32));
      const h = gradInputs(c, c.m * 3 + c.k + c.n);
      const want = float64Grads(c, h);
      const { data, count } = await runLinearGrad(c, h, true);
      expect(count.dispatches).toBe(plan.blocks > 1 ? 2 : 1);
      expect(relErr(data[0], want.dx), 'dx').toBeLessThan(1e-5);
      expect(relErr(data[1], want.dw), 'dW').toBeLessThan(1e-5);
      if (c.bias) expect(relErr(data[2], want.db), 'db').toBeLessThan(1e-5);
    });
  }

  it('split rows at the default tuning: M 1000 in 11 blocks of 96 rows (the last 40), == float64', async (ctx) => {
    if (!gpu) ctx.skip();
    const c: GradCase = { m: 1000, k: 70, n: 45, transposeWeight: true, bias: true, kept: true };
    // 6 tiles want 88 blocks; 1000 / 64 rows allow 15, of 67 -> 96 rows: 11 blocks
    expect(splitRowsPlan(c.m, c.n, c.k, c.n, true)).toMatchObject({ blocks: 11, blockRows: 96, tiles: 6 });
    expect(reduceLanes(c.n * c.k + c.n, 11), 'the reduction with 4 lanes of blocks').toBe(4);
    const h = gradInputs(c, 7);
    const want = float64Grads(c, h);
    const { data, count } = await runLinearGrad(c, h, true);
    expect(count.byProgram).toEqual({ LinearGradPart: 1, LinearGradReduce: 1 });
    expect(relErr(data[0], want.dx), 'dx').toBeLessThan(1e-5);
    expect(relErr(data[1], want.dw), 'dW').toBeLessThan(1e-5);
    expect(relErr(data[2], want.db), 'db').toBeLessThan(1e-5);
  });

  it("split rows: the last block's single row counts (it carries most of dW and db)", async (ctx) => {
    if (!gpu) ctx.skip();
    useSplitTuning({ minBlockRows: 1 });
    // 65 rows: blocks of 32, 32 and 1; the last row's x and dy are 30x the others, so a dropped
    // (or twice counted) last block moves dW and db by about their whole size
    const c: GradCase = { m: 65, k: 33, n: 40, transposeWeight: false, bias: true, kept: false };
    expect(splitRowsPlan(c.m, c.k, c.n, c.n, true)).toMatchObject({ blocks: 3, blockRows: 32 });
    const h = gradInputs(c, 11);
    for (const [t, cols] of [
      [h.x, c.k],
      [h.dy, c.n],
    ] as const)
      for (let j = 0; j < cols; j++) t.values[(c.m - 1) * cols + j] *= 30;
    const want = float64Grads(c, h);
    const { data } = await runLinearGrad(c, h, true);
    expect(relErr(data[1], want.dw), 'dW').toBeLessThan(1e-5);
    expect(relErr(data[2], want.db), 'db').toBeLessThan(1e-5);
    // the test can fail: without the last row dW is far off; the first 64 rows' share is over the tolerance
    const head = float64Grads(
      { ...c, m: c.m - 1 },
      {
        ...h,
        x: { shape: [c.m - 1, c.k], values: h.x.values.slice(0, (c.m - 1) * c.k) },
        dy: { shape: [c.m - 1, c.n], values: h.dy.values.slice(0, (c.m - 1) * c.n) },
      },
    );
    expect(relErr(head.dw, want.dw)).toBeGreaterThan(0.5);
    expect(
      relErr(
        want.dw.map((v, i) => v - head.dw[i]),
        want.dw,
      ),
    ).toBeGreaterThan(1e-3);
  });

  it('split rows: the same inputs give the same bits (fixed summation order)', async (ctx) => {
    if (!gpu) ctx.skip();
    useSplitTuning({ minBlockRows: 1 });
    const c: GradCase = { m: 777, k: 64, n: 64, transposeWeight: true, bias: true, kept: false };
    expect(splitRowsPlan(c.m, c.n, c.k, c.n, true).blocks).toBe(25);
    expect(reduceLanes(c.n * c.k + c.n, 25), 'the reduction with 16 lanes of blocks').toBe(16);
    const h = gradInputs(c, 5);
    const a = await runLinearGrad(c, h, true);
    const b = await runLinearGrad(c, h, true);
    expect(a.count.dispatches).toBe(2);
    for (let i = 0; i < 3; i++) expect(Array.from(b.data[i])).toEqual(Array.from(a.data[i]));
  });
});

describe('splitRowsPlan at the default tuning', () => {
  it('fills a 132-SM GPU at paper and lesson sizes, blocks cover the rows exactly once', () => {
    // paper: rows 5248 (batch 64 x L 82), D 128; lesson: rows 256 x 63..160, D 64
    for (const m of [5248, 256 * 63, 256 * 160]) {
      for (const [wp, wq] of [
        [128, 128],
        [128, 384],
        [512, 128],
        [40, 256],
        [64, 64],
        [36, 128],
        [1, 128],
      ]) {
        const p = splitRowsPlan(m, wp, wq, wp, true);
        const label = `rows ${m}, weight ${wp} x ${wq}: ${JSON.stringify(p)}`;
        expect(p.blockRows % 32, label).toBe(0);
        expect(p.blockRows, label).toBeGreaterThanOrEqual(64);
        expect((p.blocks - 1) * p.blockRows, label).toBeLessThan(m);
        expect(p.blocks * p.blockRows, label).toBeGreaterThanOrEqual(m);
        // >= ~3 workgroups per SM, unless 64-row blocks (2 per 128 rows after rounding) run out
        expect(p.tiles * p.blocks, label).toBeGreaterThanOrEqual(
          Math.min(400, p.tiles * Math.floor(m / 128)),
        );
        expect(4 * p.scratch, label).toBeLessThanOrEqual(splitRowsTuning.maxScratchBytes);
      }
    }
  });

  it('keeps a short reduction in one block (one dispatch), and a large weight too', () => {
    expect(splitRowsPlan(100, 128, 128, 128, true).blocks).toBe(1);
    expect(splitRowsPlan(5248, 1024, 1024, 1024, false).blocks).toBe(1);
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
