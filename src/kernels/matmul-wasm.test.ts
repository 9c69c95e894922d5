/**
 * The wasm matmul wrappers (matmul-wasm.ts): every transpose combination, plain and fused (bias,
 * activation, prelu), single and batched, and a matmul's gradient, on wasm against the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWasmMatMulWrapped, registerWasmMatMul } from './matmul-wasm';

beforeAll(async () => {
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
  registerWasmMatMul();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * 1.91) + 0.1 * Math.cos(i * seed));
const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Run `f` on wasm and on cpu with the same inputs; the largest difference over the largest value. */
async function compare(shapes: number[][], f: (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<number> {
  const inputs = shapes.map((sh, i) => values(sizeOf(sh), i + 1));
  const run = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]));
    const out = f(xs);
    const list = Array.isArray(out) ? out : [out];
    const data = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose([...xs, ...list]);
    return data;
  };
  const wasm = await run('wasm');
  const cpu = await run('cpu');
  await tf.setBackend('wasm');
  let worst = 0;
  for (const [i, a] of wasm.entries()) {
    const b = cpu[i];
    expect(a.length).toBe(b.length);
    let scale = 1e-6;
    for (const v of b) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]) / scale);
  }
  return worst;
}

describe('wasm matmul wrappers', () => {
  it('are installed on wasm', () => {
    expect(isWasmMatMulWrapped()).toBe(true);
    registerWasmMatMul(); // twice: still one wrapper
    expect(isWasmMatMulWrapped()).toBe(true);
  });

  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`matMul transposeA ${ta} transposeB ${tb} equals cpu (odd sizes, one row, rank 3 batch 1)`, async () => {
      for (const [m, k, n] of [
        [37, 13, 29],
        [1, 5, 3],
        [64, 1, 7],
      ]) {
        const a = ta ? [k, m] : [m, k];
        const b = tb ? [n, k] : [k, n];
        expect(await compare([a, b], ([x, y]) => tf.matMul(x, y, ta, tb))).toBeLessThan(1e-5);
        expect(
          await compare(
            [
              [1, ...a],
              [1, ...b],
            ],
            ([x, y]) => tf.matMul(x, y, ta, tb),
          ),
        ).toBeLessThan(1e-5);
      }
    });
    it(`batched matMul transposeA ${ta} transposeB ${tb} (not rewritten) equals cpu`, async () => {
      const a = ta ? [3, 6, 5] : [3, 5, 6];
      const b = tb ? [3, 4, 6] : [3, 6, 4];
      expect(await compare([a, b], ([x, y]) => tf.matMul(x, y, ta, tb))).toBeLessThan(1e-5);
    });
    it(`fused matMul transposeA ${ta} transposeB ${tb} with bias and relu equals cpu`, async () => {
      const [m, k, n] = [23, 11, 17];
      const a = ta ? [k, m] : [m, k];
      const b = tb ? [n, k] : [k, n];
      expect(
        await compare([a, b, [n]], ([x, y, bias]) =>
          tf.fused.matMul({ a: x, b: y, transposeA: ta, transposeB: tb, bias, activation: 'relu' }),
        ),
      ).toBeLessThan(1e-5);
    });
  }

  it("a matmul's gradients (transposed matmuls) equal cpu's", async () => {
    expect(
      await compare(
        [
          [41, 19],
          [19, 33],
          [41, 33],
        ],
        ([x, w, dy]) => {
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b).mul(dy).sum());
          return g([x, w]);
        },
      ),
    ).toBeLessThan(1e-5);
  });

  it('leaves no tensor data behind', async () => {
    const x = tf.tensor(values(12, 1), [3, 4]);
    const before = tf.memory().numBytes;
    const y = tf.matMul(x, x, true, false);
    await y.data();
    y.dispose();
    expect(tf.memory().numBytes).toBe(before);
    const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
    const ids = backend.dataIdMap.numDataIds();
    const z = tf.matMul(x, x, false, true);
    await z.data();
    z.dispose();
    expect(backend.dataIdMap.numDataIds()).toBe(ids);
    x.dispose();
  });
});
