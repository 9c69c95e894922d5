import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { averaging } from './averaging';
import { runBaseline } from './index';
import { knn, OnlineKnn } from './knn';
import { exampleView, gaussian, singlePrompt, toF32 } from './test-helpers';
import { zeroPredictor } from './zero';

describe('3-NN', () => {
  it('averages the labels of the 3 nearest earlier inputs', () => {
    // 1-D inputs 0, 10, 1, 11, 2, 12, then a query at 1.4: nearest are 1 (0.4), 2 (0.6), 0 (1.4)
    const xs = [0, 10, 1, 11, 2, 12, 1.4].map((v) => [v]);
    const ys = [1, 100, 2, 200, 4, 300, 0];
    const pred = knn(exampleView([xs], [ys])).values;
    expect(pred[6]).toBeCloseTo((1 + 2 + 4) / 3, 12);
    // at i = 3 the earlier points are 0, 10, 1 -> x = 11 takes all three
    expect(pred[3]).toBeCloseTo((1 + 100 + 2) / 3, 12);
  });

  it('uses fewer neighbours when fewer are available, and 0 with none', () => {
    const xs = [
      [0, 0],
      [3, 4],
      [1, 1],
    ];
    const ys = [5, 7, 0];
    const pred = knn(exampleView([xs], [ys])).values;
    expect(pred[0]).toBe(0);
    expect(pred[1]).toBe(5);
    expect(pred[2]).toBe(6);
  });

  it('finds the neighbours by Euclidean distance in d dimensions, ties to the earlier example', () => {
    const est = new OnlineKnn(2, 3);
    const pts = [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
      [0.5, 0.5],
    ];
    for (const [i, p] of pts.entries()) est.add(Float64Array.from(p), i);
    // from the origin: (0.5, 0.5) at 0.707, then the four unit points tie at 1 -> the earliest two
    expect(Array.from(est.neighbours(new Float64Array(2)))).toEqual([4, 0, 1]);
  });

  it('skips outliers', () => {
    const xs = [[0], [0.1], [5], [0.2]];
    const ys = [1, 1000, 2, 0];
    const pred = knn(exampleView([xs], [ys], [[1, 0, 1, 1]])).values;
    expect(pred[3]).toBeCloseTo(1.5, 12);
  });
});

describe('averaging', () => {
  it('predicts x_i . mean_j y_j x_j over the earlier clean examples', () => {
    const rng = new Rng(1);
    const d = 4;
    const n = 9;
    const xs = toF32(gaussian(rng, n, d));
    const ys = toF32(gaussian(rng, n, 1));
    const clean = Uint8Array.from({ length: n }, (_, i) => (i === 2 ? 0 : 1));
    const pred = averaging(singlePrompt(xs, ys, n, d, clean)).values;
    expect(pred[0]).toBe(0);
    for (let i = 1; i < n; i++) {
      const w = new Float64Array(d);
      let count = 0;
      for (let j = 0; j < i; j++) {
        if (!clean[j]) continue;
        count++;
        for (let k = 0; k < d; k++) w[k] += ys[j] * xs[j * d + k];
      }
      let p = 0;
      for (let k = 0; k < d; k++) p += (w[k] / count) * xs[i * d + k];
      expect(pred[i]).toBeCloseTo(p, 10);
    }
  });
});

describe('zero predictor and subsets', () => {
  it('predicts 0 everywhere', () => {
    const view = exampleView([[[1], [2]]], [[3, 4]]);
    expect(Array.from(zeroPredictor(view).values)).toEqual([0, 0]);
  });

  it('marks the predictions it made when run on a subset', () => {
    const rng = new Rng(2);
    const xs = toF32(gaussian(rng, 3 * 5 * 2, 1));
    const view = {
      nPoints: 5,
      dim: 2,
      xs: Float32Array.from(xs),
      ys: new Float32Array(15).fill(1),
      clean: new Uint8Array(15).fill(1),
    };
    const out = runBaseline({ name: 'least-squares' }, view, { prompts: 2, positions: [1, 4] });
    expect(Array.from(out.evaluated!)).toEqual([0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(out.values[2 * 5 + 4]).toBe(0);
    const full = runBaseline({ name: 'least-squares' }, view);
    expect(full.evaluated).toBeUndefined();
    expect(out.values[4]).toBeCloseTo(full.values[4], 12);
  });
});
