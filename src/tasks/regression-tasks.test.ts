import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { decisionTreeParams, sampleDecisionTree } from './decision-tree';
import { linearRegression } from './linear-regression';
import { manyOutlierRegressionParams, sampleManyOutlierRegression } from './many-outlier-regression';
import {
  orthogonalOutlierRegressionParams,
  sampleOrthogonalOutlierRegression,
} from './orthogonal-outlier-regression';
import { reluNnRegressionParams, sampleReluNnRegression } from './relu-nn-regression';
import { sampleSparseLinearRegression, sparseLinearRegressionParams } from './sparse-linear-regression';
import type { ExampleView, PromptBatch } from './types';

const f32 = Math.fround;

function dotF64(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, n: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += a[aOff + j] * b[bOff + j];
  return s;
}

/** Every clean x has zeros at coordinates >= dims. */
function deadCoordinatesAreZero(ex: ExampleView, batchSize: number, dims: number): boolean {
  for (let b = 0; b < batchSize; b++)
    for (let i = 0; i < ex.nPoints; i++) {
      if (!ex.clean[b * ex.nPoints + i]) continue;
      const off = (b * ex.nPoints + i) * ex.dim;
      for (let j = dims; j < ex.dim; j++) if (ex.xs[off + j] !== 0) return false;
      let live = 0;
      for (let j = 0; j < dims; j++) if (ex.xs[off + j] !== 0) live++;
      if (live !== dims) return false;
    }
  return true;
}

/** Tokens follow the common frame: x_i at 2i, y token (y_i, 0, ...) at 2i + 1 for clean examples. */
function framesMatchExamples(batch: PromptBatch): boolean {
  const ex = batch.examples!;
  const { nPoints: n, dim: d } = ex;
  const head = batch.heads[0];
  for (let b = 0; b < batch.batchSize; b++)
    for (let i = 0; i < n; i++) {
      const xTok = (b * batch.seqLen + 2 * i) * d;
      const src = (b * n + i) * d;
      for (let j = 0; j < d; j++) if (batch.tokens[xTok + j] !== ex.xs[src + j]) return false;
      if (head.positions[i] !== 2 * i || head.examplesBefore[i] !== i) return false;
      if (head.mask[b * n + i] !== ex.clean[b * n + i]) return false;
      if (!ex.clean[b * n + i]) continue;
      if (batch.tokens[xTok + d] !== ex.ys[b * n + i]) return false;
      for (let j = 1; j < d; j++) if (batch.tokens[xTok + d + j] !== 0) return false;
      if (head.targets[b * n + i] !== ex.ys[b * n + i]) return false;
    }
  return true;
}

describe('linear regression (exemplar)', () => {
  it('truncation zeroes coordinates >= dims', () => {
    const batch = linearRegression.sample(new Rng(3), linearRegression.defaults, 8, { dims: 7, points: 11 });
    expect(deadCoordinatesAreZero(batch.examples!, 8, 7)).toBe(true);
    expect(framesMatchExamples(batch)).toBe(true);
  });
});

describe('sparse linear regression', () => {
  const p = sparseLinearRegressionParams.parse({});

  it('w has exactly k nonzeros, all among the live coordinates, and y = w . x', () => {
    const dims = 8;
    const { batch, latents } = sampleSparseLinearRegression(new Rng(4), p, 200, { dims, points: 11 });
    const ex = batch.examples!;
    const hits = new Array(p.d).fill(0);
    for (let b = 0; b < 200; b++) {
      const nz: number[] = [];
      for (let j = 0; j < p.d; j++) if (latents.w[b * p.d + j] !== 0) nz.push(j);
      expect(nz.length).toBe(3);
      for (const j of nz) {
        expect(j).toBeLessThan(dims);
        hits[j]++;
      }
      for (let i = 0; i < 11; i++)
        expect(ex.ys[b * 11 + i]).toBe(f32(dotF64(latents.w, b * p.d, ex.xs, (b * 11 + i) * p.d, p.d)));
    }
    // the support is uniform over the live coordinates: every one of them is used
    for (let j = 0; j < dims; j++) expect(hits[j]).toBeGreaterThan(0);
    expect(deadCoordinatesAreZero(ex, 200, dims)).toBe(true);
    expect(framesMatchExamples(batch)).toBe(true);
  });

  it('with fewer live coordinates than k, all live ones are used', () => {
    const { latents } = sampleSparseLinearRegression(new Rng(5), p, 10, { dims: 2, points: 3 });
    for (let b = 0; b < 10; b++) {
      const nz = Array.from(latents.w.subarray(b * p.d, (b + 1) * p.d)).filter((v) => v !== 0).length;
      expect(nz).toBe(2);
    }
  });

  it('normalised error of the zero predictor is about 1 (E[y^2] = k)', () => {
    const { batch } = sampleSparseLinearRegression(new Rng(6), p, 400, { dims: 20, points: 41 });
    const ys = batch.examples!.ys;
    const m = ys.reduce((a, y) => a + y * y, 0) / ys.length / batch.heads[0].spec.normalisation;
    expect(Math.abs(m - 1)).toBeLessThan(0.15);
  });
});

describe('2-layer ReLU NN regression', () => {
  const p = reluNnRegressionParams.parse({ d: 8, hidden: 30 });

  it('y = sqrt(2/h) W2^T ReLU(W1^T x) from the drawn weights', () => {
    const { batch, latents } = sampleReluNnRegression(new Rng(7), p, 6, { dims: 5, points: 13 });
    const ex = batch.examples!;
    const { d, hidden: h } = p;
    for (let b = 0; b < 6; b++)
      for (let i = 0; i < 13; i++) {
        let y = 0;
        for (let j = 0; j < h; j++) {
          let a = 0;
          for (let c = 0; c < d; c++) a += latents.w1[b * d * h + c * h + j] * ex.xs[(b * 13 + i) * d + c];
          y += latents.w2[b * h + j] * Math.max(0, a);
        }
        y *= Math.sqrt(2 / h);
        expect(ex.ys[b * 13 + i]).toBeCloseTo(y, 5);
      }
    expect(deadCoordinatesAreZero(ex, 6, 5)).toBe(true);
    expect(framesMatchExamples(batch)).toBe(true);
  });

  it('labels are on the scale of linear regression (E[y^2] / d ~ 1)', () => {
    const q = reluNnRegressionParams.parse({});
    const { batch } = sampleReluNnRegression(new Rng(8), q, 300, { dims: 20, points: 20 });
    const ys = batch.examples!.ys;
    const m = ys.reduce((a, y) => a + y * y, 0) / ys.length / q.d;
    expect(Math.abs(m - 1)).toBeLessThan(0.15);
  });
});

describe('decision tree', () => {
  const p = decisionTreeParams.parse({});

  function walk(
    coords: Int32Array,
    values: Float64Array,
    t: number,
    x: ArrayLike<number>,
    off: number,
  ): number {
    let node = 0;
    while (coords[t + node] >= 0) node = x[off + coords[t + node]] > 0 ? 2 * node + 2 : 2 * node + 1;
    return values[t + node];
  }

  it('has 31 nodes, internal coordinates uniform over all d (even dead ones), leaf values N(0,1)', () => {
    const { latents } = sampleDecisionTree(new Rng(9), p, 400, { dims: 5, points: 1 });
    expect(latents.nodes).toBe(31);
    const counts = new Array(p.d).fill(0);
    let leafSq = 0;
    for (let b = 0; b < 400; b++)
      for (let node = 0; node < 31; node++) {
        const c = latents.coords[b * 31 + node];
        if (node < 15) {
          expect(c >= 0 && c < p.d).toBe(true);
          counts[c]++;
        } else {
          expect(c).toBe(-1);
          leafSq += latents.values[b * 31 + node] ** 2;
        }
      }
    const expected = (400 * 15) / p.d;
    const chi2 = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(50); // 19 degrees of freedom
    expect(Math.abs(leafSq / (400 * 16) - 1)).toBeLessThan(0.1);
  });

  it('labels follow the tree: child 2n+1+[x_coord > 0], four times', () => {
    const { batch, latents } = sampleDecisionTree(new Rng(10), p, 20, { dims: 12, points: 50 });
    const ex = batch.examples!;
    for (let b = 0; b < 20; b++) {
      const seen = new Set<number>();
      for (let i = 0; i < 50; i++) {
        const y = ex.ys[b * 50 + i];
        expect(y).toBe(f32(walk(latents.coords, latents.values, b * 31, ex.xs, (b * 50 + i) * p.d)));
        seen.add(y);
      }
      expect(seen.size).toBeLessThanOrEqual(16);
    }
    expect(deadCoordinatesAreZero(ex, 20, 12)).toBe(true);
    expect(framesMatchExamples(batch)).toBe(true);
    expect(batch.heads[0].spec.normalisation).toBe(1);
  });
});

describe('orthogonal-outlier regression', () => {
  it("own-w: outlier x and y tokens are one z orthogonal to the prompt's w, in the live dims, masked", () => {
    const p = orthogonalOutlierRegressionParams.parse({ d: 10, outlierMode: 'own-w' });
    const dims = 7;
    const n = 40;
    const batchSize = 30;
    const { batch, latents } = sampleOrthogonalOutlierRegression(new Rng(11), p, batchSize, {
      dims,
      points: n,
    });
    const ex = batch.examples!;
    const d = p.d;
    let outliers = 0;
    for (let b = 0; b < batchSize; b++) {
      const w = latents.w.subarray(b * d, (b + 1) * d);
      const u = latents.u.subarray(b * d, (b + 1) * d);
      const v = latents.v.subarray(b * d, (b + 1) * d);
      expect(dotF64(u, 0, u, 0, d)).toBeCloseTo(1, 12);
      expect(dotF64(v, 0, v, 0, d)).toBeCloseTo(1, 12);
      expect(Math.abs(dotF64(u, 0, v, 0, d))).toBeLessThan(1e-12);
      expect(Math.abs(dotF64(u, 0, w, 0, d))).toBeLessThan(1e-12);
      expect(Math.abs(dotF64(v, 0, w, 0, d))).toBeLessThan(1e-12);
      const wNorm = Math.sqrt(dotF64(w, 0, w, 0, d));
      for (let i = 0; i < n; i++) {
        const xTok = (b * batch.seqLen + 2 * i) * d;
        const yTok = xTok + d;
        if (ex.clean[b * n + i]) {
          expect(batch.heads[0].mask[b * n + i]).toBe(1);
          expect(ex.ys[b * n + i]).toBe(f32(dotF64(w, 0, ex.xs, (b * n + i) * d, d)));
          continue;
        }
        outliers++;
        expect(batch.heads[0].mask[b * n + i]).toBe(0);
        const z = batch.tokens.subarray(xTok, xTok + d);
        expect(Array.from(batch.tokens.subarray(yTok, yTok + d))).toEqual(Array.from(z));
        const zNorm = Math.sqrt(dotF64(z, 0, z, 0, d));
        expect(zNorm).toBeGreaterThan(0);
        expect(Math.abs(dotF64(z, 0, w, 0, d))).toBeLessThan(1e-6 * wNorm * zNorm);
        for (let j = dims; j < d; j++) expect(z[j]).toBe(0);
        // z lies in span(u, v)
        const a = dotF64(z, 0, u, 0, d);
        const c = dotF64(z, 0, v, 0, d);
        for (let j = 0; j < d; j++) expect(z[j]).toBeCloseTo(a * u[j] + c * v[j], 5);
      }
    }
    const frac = outliers / (batchSize * n);
    expect(Math.abs(frac - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / (batchSize * n)));
    expect(framesMatchExamples(batch)).toBe(true);
  });

  it("defaults to the released code's construction: one heavy-tailed z shared by a prompt's outliers", () => {
    const p = orthogonalOutlierRegressionParams.parse({});
    expect(p.outlierMode).toBe('released-code');
    const d = p.d;
    const n = 20;
    const B = 200;
    const { batch } = sampleOrthogonalOutlierRegression(new Rng(14), p, B, { dims: d, points: n });
    const norms: number[] = [];
    for (let b = 0; b < B; b++) {
      const zs = new Set<string>();
      for (let i = 0; i < n; i++) {
        if (batch.examples!.clean[b * n + i]) continue;
        const xTok = (b * batch.seqLen + 2 * i) * d;
        const z = batch.tokens.subarray(xTok, xTok + d);
        zs.add(Array.from(z).join());
        if (zs.size === 1 && norms.length === b) norms.push(Math.sqrt(dotF64(z, 0, z, 0, d)));
      }
      expect(zs.size).toBeLessThanOrEqual(1);
    }
    // heavy-tailed: |z| ~ sqrt(d) / r with r^2 = a^2 + b^2 ~ chi^2_2, so several times sqrt(d) for some prompts
    norms.sort((a, b) => a - b);
    expect(norms[norms.length - 1]).toBeGreaterThan(3 * Math.sqrt(d));
  });

  it('released-code mode: one z for outlier x tokens, another for y tokens, not orthogonal to w', () => {
    const p = orthogonalOutlierRegressionParams.parse({ d: 10, outlierMode: 'released-code' });
    const n = 30;
    const { batch, latents } = sampleOrthogonalOutlierRegression(new Rng(12), p, 20, { dims: 10, points: n });
    const d = 10;
    let maxCos = 0;
    for (let b = 0; b < 20; b++) {
      const xZs = new Set<string>();
      const yZs = new Set<string>();
      for (let i = 0; i < n; i++) {
        if (batch.examples!.clean[b * n + i]) continue;
        const xTok = (b * batch.seqLen + 2 * i) * d;
        const zx = batch.tokens.subarray(xTok, xTok + d);
        const zy = batch.tokens.subarray(xTok + d, xTok + 2 * d);
        xZs.add(Array.from(zx).join());
        yZs.add(Array.from(zy).join());
        expect(Array.from(zx)).not.toEqual(Array.from(zy));
        const w = latents.w.subarray(b * d, (b + 1) * d);
        const cos = dotF64(zx, 0, w, 0, d) / Math.sqrt(dotF64(zx, 0, zx, 0, d) * dotF64(w, 0, w, 0, d));
        maxCos = Math.max(maxCos, Math.abs(cos));
      }
      expect(xZs.size).toBeLessThanOrEqual(1);
      expect(yZs.size).toBeLessThanOrEqual(1);
    }
    expect(maxCos).toBeGreaterThan(0.05);
  });
});

describe('many-outlier regression', () => {
  const p = manyOutlierRegressionParams.parse({});

  it('outliers (x = all ones, y = 1) occur with p = 0.9 and are masked; clean y = w . x', () => {
    const batchSize = 64;
    const state = { dims: 20, points: 512 };
    const { batch, latents } = sampleManyOutlierRegression(new Rng(13), p, batchSize, state);
    const ex = batch.examples!;
    const d = p.d;
    let outliers = 0;
    let ok = true;
    for (let b = 0; b < batchSize; b++)
      for (let i = 0; i < 512; i++) {
        const k = b * 512 + i;
        const xTok = (b * batch.seqLen + 2 * i) * d;
        if (ex.clean[k]) {
          ok &&= ex.ys[k] === f32(dotF64(latents.w, b * d, ex.xs, k * d, d));
          ok &&= batch.heads[0].mask[k] === 1;
          continue;
        }
        outliers++;
        ok &&= batch.heads[0].mask[k] === 0 && ex.ys[k] === 1 && batch.tokens[xTok + d] === 1;
        for (let j = 0; j < d; j++) ok &&= batch.tokens[xTok + j] === 1 && ex.xs[k * d + j] === 1;
        for (let j = 1; j < d; j++) ok &&= batch.tokens[xTok + d + j] === 0;
      }
    expect(ok).toBe(true);
    const total = batchSize * 512;
    expect(Math.abs(outliers / total - 0.9)).toBeLessThan(4 * Math.sqrt(0.09 / total));
    expect(batch.seqLen).toBe(1024);
    expect(framesMatchExamples(batch)).toBe(true);
  });

  it('truncation zeroes the dead coordinates of clean examples; outliers stay all ones (released code)', () => {
    const { batch } = sampleManyOutlierRegression(new Rng(14), p, 8, { dims: 4, points: 12 });
    const ex = batch.examples!;
    expect(deadCoordinatesAreZero(ex, 8, 4)).toBe(true);
    let outliers = 0;
    for (let k = 0; k < 8 * 12; k++) {
      if (ex.clean[k]) continue;
      outliers++;
      expect(Array.from(ex.xs.subarray(k * p.d, (k + 1) * p.d))).toEqual(new Array(p.d).fill(1));
    }
    expect(outliers).toBeGreaterThan(0);
  });
});
