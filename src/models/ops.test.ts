import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalDepthwiseConv, geluErf, geluTanh, layerNorm, selectPositions, softplus } from './ops';
import { erf64, geluErf64, geluTanh64, softplus64 } from './reference64/math';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const grid = Float32Array.from({ length: 241 }, (_, i) => Math.fround(-30 + i * 0.25));

describe('activations', () => {
  it('softplus is accurate everywhere (incl. tiny outputs) and its gradient is sigmoid', () => {
    const x = tf.tensor1d(grid);
    const y = softplus(x).dataSync();
    const g = tf
      .grad((t: tf.Tensor) => softplus(t).sum())(x)
      .dataSync();
    grid.forEach((v, i) => {
      const ref = softplus64(v);
      expect(Math.abs(y[i] - ref) / ref).toBeLessThan(3e-6);
      expect(g[i]).toBeCloseTo(1 / (1 + Math.exp(-v)), 6);
    });
    expect(softplus(tf.tensor1d([1e4])).dataSync()[0]).toBe(1e4);
  });

  it('GELU (tanh and erf) match float64', () => {
    const x = tf.tensor1d(grid);
    const a = geluTanh(x).dataSync();
    const b = geluErf(x).dataSync();
    grid.forEach((v, i) => {
      expect(a[i]).toBeCloseTo(geluTanh64(v), 5);
      expect(b[i]).toBeCloseTo(geluErf64(v), 5);
    });
    expect(erf64(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf64(-2)).toBeCloseTo(-0.9953222650189527, 14);
  });
});

describe('layer norm and causal conv', () => {
  it('LayerNorm uses eps 1e-5 and the biased variance', () => {
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    const y = layerNorm(x, tf.ones([4]), tf.zeros([4])).dataSync();
    const v = 1.25;
    expect(y[0]).toBeCloseTo(-1.5 / Math.sqrt(v + 1e-5), 6);
  });

  it('causal depthwise conv: zero left padding, taps aligned to the right', () => {
    // one channel, K = 3, weights (w0, w1, w2): y_t = b + w0 x_{t-2} + w1 x_{t-1} + w2 x_t
    const x = tf.tensor3d([1, 10, 100, 1000], [1, 4, 1]);
    const y = causalDepthwiseConv(x, tf.tensor3d([0.5, 2, 3], [1, 1, 3]), tf.tensor1d([7])).dataSync();
    expect(Array.from(y)).toEqual([7 + 3, 7 + 2 + 30, 7 + 0.5 + 20 + 300, 7 + 5 + 200 + 3000]);
  });
});

describe('selectPositions', () => {
  const cases: Array<[string, number, number[]]> = [
    ['x-tokens of an even sequence', 8, [0, 2, 4, 6]],
    ['x-tokens of an odd sequence', 7, [0, 2, 4, 6]],
    ['y-tokens (start 1)', 8, [1, 3, 5, 7]],
    ['every third token, L not a multiple of 3', 8, [1, 4, 7]],
    ['the last token only', 5, [4]],
    ['every token', 4, [0, 1, 2, 3]],
    ['irregular (gather fallback)', 6, [0, 1, 4]],
    ['start past the stride (gather fallback)', 9, [3, 5, 7]],
  ];
  for (const [name, l, positions] of cases) {
    it(`equals gather, forward and gradient: ${name}`, () => {
      const x = tf.randomNormal([3, l, 5], 0, 1, 'float32', 7) as tf.Tensor3D;
      const pos = Int32Array.from(positions);
      const weights = tf.randomNormal([3, positions.length, 5], 0, 1, 'float32', 8);
      const viaGather = (t: tf.Tensor) => tf.gather(t, tf.tensor1d(pos, 'int32'), 1).mul(weights).sum();
      const viaSelect = (t: tf.Tensor) =>
        selectPositions(t as tf.Tensor3D, pos)
          .mul(weights)
          .sum();
      const expected = tf.gather(x, tf.tensor1d(pos, 'int32'), 1);
      const got = selectPositions(x, pos);
      expect(got.shape).toEqual([3, positions.length, 5]);
      expect(Array.from(got.dataSync())).toEqual(Array.from(expected.dataSync()));
      const gGather = tf.grad(viaGather)(x).dataSync();
      const gSelect = tf.grad(viaSelect)(x).dataSync();
      expect(Array.from(gSelect)).toEqual(Array.from(gGather));
    });
  }
});
