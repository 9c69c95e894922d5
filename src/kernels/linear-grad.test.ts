/**
 * 'IclLinearGrad' (src/kernels/linear-grad.ts), the whole backward of a linear layer, directly
 * against float64 sums: dx with the kept gradient, dW in both layouts, the bias; one dispatch and
 * split over row blocks (one row, in 1, out 1, rows and sizes off the tiles and blocks, a last block
 * of one row that carries most of the sum), the split form's dispatches (2: partials, reduction), its
 * bits (the same twice), and the row-block plan at paper and lesson sizes. The fused linear's other
 * tests are in linear.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { LINEAR_GRAD, splitRowsPlan, splitRowsTuning } from './linear-grad';
import { flushReductions, reduceLanes } from './linear-grad-reduce';
import { countDispatches } from './profile';
import { registerAllKernels } from './register';
import { type HostTensor, Rng, randn, relErr } from './testing/helpers';
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
  // the split-rows reduction is queued (linear-grad-reduce.ts): counted with the flush that runs it
  const { result: outs, count } = countDispatches(() => {
    const out = tf.engine().runKernel(LINEAR_GRAD, inputs, {
      transposeWeight: c.transposeWeight,
      bias: c.bias,
      splitRows,
    } as never) as tf.Tensor[];
    flushReductions(tf.backend());
    return out;
  });
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
    expect(count.byProgram).toEqual({ LinearGradPart: 1, LinearGradReduceBatch: 1 });
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
