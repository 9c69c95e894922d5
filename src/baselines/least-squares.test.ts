import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateBaselines } from '../eval/baselines';
import { Rng } from '../random/rng';
import { linearRegression } from '../tasks/linear-regression';
import { leastSquares, OnlineLeastSquares } from './least-squares';
import { gaussian, pinvSolve, singlePrompt, toF32 } from './test-helpers';

/** Predictions x_i . pinv(X_<i) y_<i of one prompt, from ml-matrix directly. */
function referencePredictions(xs: Float64Array, ys: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const w = pinvSolve(xs, ys, i, d);
    let p = 0;
    for (let j = 0; j < d; j++) p += w[j] * xs[i * d + j];
    out[i] = p;
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number): void {
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * (1 + Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol))
      throw new Error(`position ${i}: ${actual[i]} vs pinv ${expected[i]} (tolerance ${tol})`);
  }
}

describe('least squares (min-norm)', () => {
  it('predicts 0 with no earlier example', () => {
    const rng = new Rng(1);
    const xs = gaussian(rng, 5, 3);
    const ys = gaussian(rng, 5, 1);
    expect(leastSquares(singlePrompt(xs, ys, 5, 3)).values[0]).toBe(0);
  });

  it('equals the pseudo-inverse solution at every position (full rank, noisy labels)', () => {
    for (const [d, n, seed] of [
      [5, 30, 1],
      [8, 20, 2],
      [20, 41, 3],
    ]) {
      const rng = new Rng(seed);
      const xs = toF32(gaussian(rng, n, d));
      const ys = toF32(gaussian(rng, n, 1));
      const got = leastSquares(singlePrompt(xs, ys, n, d)).values;
      expectClose(got, referencePredictions(xs, ys, n, d), 1e-7);
    }
  });

  it('equals the pseudo-inverse on random rank-deficient problems', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom('low-rank', 'zero-columns', 'duplicates'),
        (d, rRaw, n, seed, kind) => {
          const r = Math.min(rRaw, d - 1);
          const rng = new Rng(seed);
          let xs: Float64Array;
          if (kind === 'low-rank') {
            // X = A B with A [n, r], B [r, d]: rank r < d
            const A = gaussian(rng, n, r);
            const B = gaussian(rng, r, d);
            xs = new Float64Array(n * d);
            for (let i = 0; i < n; i++)
              for (let j = 0; j < d; j++) {
                let s = 0;
                for (let k = 0; k < r; k++) s += A[i * r + k] * B[k * d + j];
                xs[i * d + j] = s;
              }
          } else if (kind === 'zero-columns') {
            xs = gaussian(rng, n, d);
            for (let i = 0; i < n; i++) for (let j = r; j < d; j++) xs[i * d + j] = 0;
          } else {
            // few distinct rows, repeated
            const rows = gaussian(rng, r, d);
            xs = new Float64Array(n * d);
            for (let i = 0; i < n; i++) xs.set(rows.subarray((i % r) * d, (i % r) * d + d), i * d);
          }
          xs = toF32(xs);
          const ys = toF32(gaussian(rng, n, 1));
          const got = leastSquares(singlePrompt(xs, ys, n, d)).values;
          expectClose(got, referencePredictions(xs, ys, n, d), 1e-6);
        },
      ),
      { numRuns: 60, seed: 20240215 },
    );
  });

  it('equals the pseudo-inverse on ill-conditioned full-rank problems', () => {
    for (const [scale, seed] of [
      [1e-3, 1],
      [1e-5, 2],
      [1e-7, 3],
      [1e-9, 4],
    ]) {
      const d = 6;
      const n = 40;
      const rng = new Rng(seed);
      const xs = gaussian(rng, n, d);
      // two nearly collinear coordinates: cond(X) ~ 1 / scale
      for (let i = 0; i < n; i++) xs[i * d + 1] = xs[i * d] + scale * rng.normal();
      const x32 = toF32(xs);
      const ys = toF32(gaussian(rng, n, 1));
      const got = leastSquares(singlePrompt(x32, ys, n, d)).values;
      expectClose(got, referencePredictions(x32, ys, n, d), 1e-6);
    }
  });

  it('stays on the pseudo-inverse over 512 examples (recursive updates and their re-anchoring)', () => {
    const d = 6;
    const n = 512;
    const rng = new Rng(4);
    const xs = toF32(gaussian(rng, n, d));
    const w = gaussian(rng, d, 1);
    const ys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let y = 0.3 * rng.normal();
      for (let j = 0; j < d; j++) y += w[j] * xs[i * d + j];
      ys[i] = y;
    }
    const y32 = toF32(ys);
    const est = new OnlineLeastSquares(d, n);
    const x = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      if (i % 37 === 0 || i === n - 1) {
        const ref = pinvSolve(xs, y32, i, d);
        const got = est.weights();
        for (let j = 0; j < d; j++)
          expect(Math.abs(got[j] - ref[j])).toBeLessThan(1e-9 * (1 + Math.abs(ref[j])));
      }
      for (let j = 0; j < d; j++) x[j] = xs[i * d + j];
      est.add(x, y32[i]);
    }
    expect(est.currentPhase).toBe('rls');
  });

  it('fits clean examples only', () => {
    const rng = new Rng(5);
    const d = 3;
    const n = 12;
    const xs = toF32(gaussian(rng, n, d));
    const ys = toF32(gaussian(rng, n, 1));
    const clean = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : 1));
    const got = leastSquares(singlePrompt(xs, ys, n, d, clean)).values;
    // reference on the clean rows only
    for (let i = 1; i < n; i++) {
      const keep = [...Array(i).keys()].filter((j) => clean[j]);
      const cx = new Float64Array(keep.length * d);
      const cy = new Float64Array(keep.length);
      keep.forEach((j, k) => {
        cx.set(xs.subarray(j * d, j * d + d), k * d);
        cy[k] = ys[j];
      });
      const w = pinvSolve(cx, cy, keep.length, d);
      let p = 0;
      for (let j = 0; j < d; j++) p += w[j] * xs[i * d + j];
      expect(got[i]).toBeCloseTo(p, 8);
    }
  });

  /** Standard error of the mean normalised error after c examples: z^2 chi2_{d-c} / d per prompt. */
  function standardError(d: number, c: number, prompts: number): number {
    const k = d - c;
    const variance = (3 * k * (k + 2)) / (d * d) - (k * k) / (d * d);
    return Math.sqrt(variance / prompts);
  }

  it('reaches max(d - c, 0) / d on linear regression (d = 10, 1280 prompts)', () => {
    const d = 10;
    const params = { d, nPoints: 16 };
    const set = evaluateBaselines(linearRegression, params, linearRegression.curriculum(params), {
      prompts: 1280,
      seed: 11,
      baselines: ['least-squares'],
      resamples: 200,
    });
    const curve = set.curves[0];
    expect(curve.label).toBe('Least squares');
    for (let k = 0; k < curve.examples.length; k++) {
      const c = curve.examples[k];
      expect(curve.count[k]).toBe(1280);
      if (c < d) {
        const expected = (d - c) / d;
        expect(Math.abs(curve.mean[k] - expected)).toBeLessThan(4 * standardError(d, c, 1280));
      } else expect(curve.mean[k]).toBeLessThan(1e-8);
    }
  });

  it('spot-check d = 20 (256 prompts)', () => {
    const d = 20;
    const params = { d, nPoints: 26 };
    const set = evaluateBaselines(linearRegression, params, linearRegression.curriculum(params), {
      prompts: 256,
      seed: 12,
      baselines: ['least-squares'],
      resamples: 100,
    });
    const curve = set.curves[0];
    for (const c of [0, 5, 10, 15, 19]) {
      const expected = (d - c) / d;
      expect(Math.abs(curve.mean[c] - expected)).toBeLessThan(4 * standardError(d, c, 256));
    }
    for (const c of [20, 22, 25]) expect(curve.mean[c]).toBeLessThan(1e-8);
  });
});
