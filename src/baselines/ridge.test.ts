import { Matrix, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { leastSquares } from './least-squares';
import { ridge } from './ridge';
import { gaussian, singlePrompt, toF32 } from './test-helpers';

/** (X^T X + alpha I)^-1 X^T y by ml-matrix. */
function ridgeReference(
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  d: number,
  alpha: number,
): Float64Array {
  const X = new Matrix(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X.set(i, j, xs[i * d + j]);
  const A = X.transpose().mmul(X).add(Matrix.eye(d).mul(alpha));
  const b = X.transpose().mmul(Matrix.columnVector(Array.from(ys.subarray(0, n))));
  return Float64Array.from(solve(A, b).getColumn(0));
}

describe('ridge', () => {
  it('equals the closed form at every position, past the re-anchoring points', () => {
    const d = 4;
    const n = 150;
    const rng = new Rng(1);
    const xs = toF32(gaussian(rng, n, d));
    const ys = toF32(gaussian(rng, n, 1));
    const got = ridge(singlePrompt(xs, ys, n, d), 0.5).values;
    for (let i = 1; i < n; i += 7) {
      const w = ridgeReference(xs, ys, i, d, 0.5);
      let p = 0;
      for (let j = 0; j < d; j++) p += w[j] * xs[i * d + j];
      expect(got[i]).toBeCloseTo(p, 9);
    }
  });

  it('tends to min-norm least squares as alpha -> 0', () => {
    const d = 8;
    const n = 20;
    const rng = new Rng(2);
    const xs = toF32(gaussian(rng, n, d));
    const ys = toF32(gaussian(rng, n, 1));
    const view = singlePrompt(xs, ys, n, d);
    const ls = leastSquares(view).values;
    let previous = Number.POSITIVE_INFINITY;
    for (const alpha of [1, 1e-2, 1e-4, 1e-6, 1e-8]) {
      const r = ridge(view, alpha).values;
      let gap = 0;
      for (let i = 0; i < n; i++) gap = Math.max(gap, Math.abs(r[i] - ls[i]) / (1 + Math.abs(ls[i])));
      expect(gap).toBeLessThan(previous);
      previous = gap;
    }
    expect(previous).toBeLessThan(1e-3);
  });

  it('rejects alpha <= 0', () => {
    const view = singlePrompt(new Float64Array(4), new Float64Array(2), 2, 2);
    expect(() => ridge(view, 0)).toThrow();
  });
});
