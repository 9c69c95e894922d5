import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateBaselines } from '../eval/baselines';
import { Rng } from '../random/rng';
import { sparseLinearRegression } from '../tasks/sparse-linear-regression';
import {
  type GramProblem,
  lasso,
  lassoCoordinateDescent,
  lassoDualityGap,
  lassoHomotopy,
  OnlineLasso,
  solveLasso,
} from './lasso';
import { accumulateGram } from './linalg';
import { gaussian, singlePrompt, toF32 } from './test-helpers';

function problem(xs: Float64Array, ys: Float64Array, n: number, d: number): GramProblem {
  const p: GramProblem = { d, n, A: new Float64Array(d * d), b: new Float64Array(d), yy: 0 };
  for (let i = 0; i < n; i++) {
    accumulateGram(p.A, p.b, xs.subarray(i * d, i * d + d), ys[i], d);
    p.yy += ys[i] * ys[i];
  }
  return p;
}

/**
 * KKT conditions of (1/(2n)) ||y - Xw||^2 + alpha ||w||_1, from the data itself: with
 * g = X^T (y - Xw) / n, g_j = alpha sign(w_j) where w_j != 0 and |g_j| <= alpha where w_j = 0.
 * Returns the largest violation.
 */
function kktViolation(
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  d: number,
  alpha: number,
  w: Float64Array,
): number {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let p = 0;
    for (let j = 0; j < d; j++) p += xs[i * d + j] * w[j];
    r[i] = ys[i] - p;
  }
  let worst = 0;
  for (let j = 0; j < d; j++) {
    let g = 0;
    for (let i = 0; i < n; i++) g += xs[i * d + j] * r[i];
    g /= n;
    const v = w[j] !== 0 ? Math.abs(g - alpha * Math.sign(w[j])) : Math.max(0, Math.abs(g) - alpha);
    worst = Math.max(worst, v);
  }
  return worst;
}

describe('lasso', () => {
  it('satisfies the KKT conditions (coordinate descent and homotopy, n below and above d)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(1, 0.1, 0.01, 0.001),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (d, n, alpha, seed) => {
          const rng = new Rng(seed);
          const xs = gaussian(rng, n, d);
          const ys = gaussian(rng, n, 1);
          const p = problem(xs, ys, n, d);
          const scale =
            Math.sqrt(p.yy / n) *
            Math.sqrt(p.A.reduce((m, v, i) => (i % (d + 1) === 0 ? Math.max(m, v) : m), 0) / n);
          // coordinate descent to a tight tolerance
          const w = new Float64Array(d);
          const Aw = new Float64Array(d);
          lassoCoordinateDescent(p, alpha, w, Aw, { tol: 1e-12, maxIter: 200000 });
          expect(kktViolation(xs, ys, n, d, alpha, w)).toBeLessThan(1e-5 * (1 + scale));
          // the homotopy is exact when it succeeds
          const h = lassoHomotopy(p, alpha);
          if (h) {
            expect(kktViolation(xs, ys, n, d, alpha, h)).toBeLessThan(1e-8 * (1 + scale));
            const objective = (v: Float64Array): number => {
              let s = 0;
              for (let i = 0; i < n; i++) {
                let q = ys[i];
                for (let j = 0; j < d; j++) q -= xs[i * d + j] * v[j];
                s += q * q;
              }
              return s / (2 * n) + alpha * v.reduce((a, x) => a + Math.abs(x), 0);
            };
            expect(Math.abs(objective(h) - objective(w))).toBeLessThan(1e-7 * (1 + objective(w)));
          }
        },
      ),
      { numRuns: 80, seed: 20240215 },
    );
  });

  it("solveLasso meets sklearn's duality-gap criterion, whichever solver it uses", () => {
    const rng = new Rng(3);
    const d = 20;
    const seen = new Set<string>();
    for (const n of [1, 3, 10, 19, 20, 25, 40]) {
      const xs = gaussian(rng, n, d);
      const ys = gaussian(rng, n, 1);
      const p = problem(xs, ys, n, d);
      const w = new Float64Array(d);
      const Aw = new Float64Array(d);
      seen.add(solveLasso(p, 0.01, w, Aw));
      expect(lassoDualityGap(p, 0.01, w, Aw)).toBeLessThan(1e-4 * p.yy);
      expect(kktViolation(xs, ys, n, d, 0.01, w)).toBeLessThan(0.05);
    }
    expect(seen.has('homotopy')).toBe(true);
  });

  it('gives w = 0 once alpha >= max |X^T y| / n', () => {
    const rng = new Rng(4);
    const d = 5;
    const n = 8;
    const xs = gaussian(rng, n, d);
    const ys = gaussian(rng, n, 1);
    const p = problem(xs, ys, n, d);
    const alphaMax = Math.max(...Array.from(p.b, (v) => Math.abs(v))) / n;
    const est = new OnlineLasso(d, alphaMax * 1.0001);
    for (let i = 0; i < n; i++) est.add(xs.subarray(i * d, i * d + d), ys[i]);
    expect(Array.from(est.weights())).toEqual(new Array(d).fill(0));
  });

  it('recovers a sparse w from fewer examples than dimensions', () => {
    const rng = new Rng(5);
    const d = 20;
    const n = 12;
    const xs = toF32(gaussian(rng, n + 1, d));
    const ys = new Float64Array(n + 1);
    for (let i = 0; i <= n; i++) ys[i] = 2 * xs[i * d + 3] - 1.5 * xs[i * d + 11] + xs[i * d + 17];
    const pred = lasso(singlePrompt(xs, toF32(ys), n + 1, d), 0.001).values;
    expect(Math.abs(pred[n] - ys[n])).toBeLessThan(0.05 * (1 + Math.abs(ys[n])));
  });

  it('beats least squares on sparse regression below c = d', () => {
    const params = sparseLinearRegression.paramsSchema.parse({ d: 20, nPoints: 21 });
    const set = evaluateBaselines(sparseLinearRegression, params, sparseLinearRegression.curriculum(params), {
      prompts: 192,
      seed: 7,
      baselines: ['least-squares', 'lasso'],
      lassoAlphas: [0.01],
      resamples: 100,
    });
    const [ls, la] = set.curves;
    expect(la.label).toBe('Lasso (α = 0.01)');
    expect(la.key).toBe('lasso:0.01');
    for (const c of [8, 10, 12, 15, 18]) {
      expect(la.mean[c]).toBeLessThan(0.6 * ls.mean[c]);
      expect(la.hi[c]).toBeLessThan(ls.lo[c]);
    }
  });
});
