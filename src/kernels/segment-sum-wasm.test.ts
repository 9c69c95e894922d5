/**
 * The wasm UnsortedSegmentSum: the loop against a direct sum, and the gradient of gather on wasm
 * (S4's Toeplitz matrix among its users) against the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAllKernels } from './register';
import { segmentSumInto } from './segment-sum-wasm';

beforeAll(async () => {
  registerAllKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('segmentSumInto', () => {
  it('sums rows into their segments and drops ids out of range', () => {
    const out = new Float32Array(3 * 2);
    segmentSumInto(out, [1, 2, 3, 4, 5, 6, 7, 8], [2, 0, 2, 5], 3);
    expect(Array.from(out)).toEqual([3, 4, 0, 0, 6, 8]);
  });
});

describe('gather gradient on wasm', () => {
  const gradOfGather = (axis: number, indices: number[], shape: number[]) => {
    const x = tf.tensor(
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)),
      shape,
    );
    const idx = tf.tensor1d(indices, 'int32');
    const weights = tf.randomNormal(tf.gather(x, idx, axis).shape, 0, 1, 'float32', 3);
    const g = tf.grad((t: tf.Tensor) => tf.gather(t, idx, axis).mul(weights).sum())(x);
    return { g, weights };
  };

  for (const [name, axis, indices, shape] of [
    ['rows, repeated indices', 0, [3, 1, 1, 0, 3], [4, 5]],
    ['columns of a 3-D tensor', 1, [0, 2, 2], [2, 3, 4]],
    ['a Toeplitz-style gather', 1, [2, 1, 0, 3, 2, 1, 3, 3, 2], [2, 4]],
  ] as Array<[string, number, number[], number[]]>) {
    it(`equals the cpu backend: ${name}`, async () => {
      const onWasm = gradOfGather(axis, indices, shape);
      const got = await onWasm.g.data();
      const weights = await onWasm.weights.data();
      await tf.setBackend('cpu');
      try {
        const x = tf.tensor(
          Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i)),
          shape,
        );
        const idx = tf.tensor1d(indices, 'int32');
        const w = tf.tensor(weights, tf.gather(x, idx, axis).shape);
        const expected = tf
          .grad((t: tf.Tensor) => tf.gather(t, idx, axis).mul(w).sum())(x)
          .dataSync();
        expect(Array.from(got).map((v) => Number(v.toFixed(5)))).toEqual(
          Array.from(expected).map((v) => Number(v.toFixed(5))),
        );
        expect(Array.from(expected).some((v) => v !== 0)).toBe(true);
      } finally {
        await tf.setBackend('wasm');
      }
    });
  }
});
