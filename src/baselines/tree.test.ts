import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { gaussian, singlePrompt, toF32 } from './test-helpers';
import {
  fitTree,
  greedyTree,
  growTree,
  predictAlongPath,
  predictTree,
  presort,
  SortedExamples,
  TreeWorkspace,
  treeDepth,
} from './tree';

/** A deliberately naive CART (sort at every node) with the same split rule, as the reference. */
function naivePredict(
  xs: Float64Array,
  d: number,
  g: Float64Array,
  idx: number[],
  depth: number,
  maxDepth: number,
  lambda: number,
  minGain: number,
  query: ArrayLike<number>,
): number {
  const byF0 = idx.slice().sort((a, b) => xs[a * d] - xs[b * d] || a - b);
  const cnt = idx.length;
  let G = 0;
  for (const s of byF0) G += g[s];
  const leaf = cnt > 0 ? G / (cnt + lambda) : 0;
  const mean = G / cnt;
  let sse = 0;
  for (const s of byF0) sse += (g[s] - mean) ** 2;
  if (depth >= maxDepth || cnt < 2 || sse <= cnt * Number.EPSILON) return leaf;
  let best = Number.NEGATIVE_INFINITY;
  let bestF = -1;
  let bestThr = 0;
  for (let f = 0; f < d; f++) {
    const order = idx.slice().sort((a, b) => xs[a * d + f] - xs[b * d + f] || a - b);
    let GL = 0;
    for (let k = 0; k < cnt - 1; k++) {
      GL += g[order[k]];
      const xv = xs[order[k] * d + f];
      const xn = xs[order[k + 1] * d + f];
      if (!(xn > xv)) continue;
      const nL = k + 1;
      // (multiplying by reciprocals, as the builders do, so that exactly tied splits tie here too)
      const score = GL * GL * (1 / (nL + lambda)) + (G - GL) * (G - GL) * (1 / (cnt - nL + lambda));
      if (score > best) {
        best = score;
        bestF = f;
        bestThr = (xv + xn) / 2 < xn ? (xv + xn) / 2 : xv;
      }
    }
  }
  if (bestF < 0 || !(best - G * G * (1 / (cnt + lambda)) > minGain)) return leaf;
  const side = idx.filter((s) => xs[s * d + bestF] <= bestThr === query[bestF] <= bestThr);
  return naivePredict(xs, d, g, side, depth + 1, maxDepth, lambda, minGain, query);
}

describe('greedy regression tree', () => {
  it('fits a step function exactly with one split', () => {
    const n = 40;
    const xs = Float64Array.from({ length: n }, (_, i) => i / (n - 1));
    const ys = Float64Array.from(xs, (x) => (x > 0.3 ? 2 : -1));
    const tree = fitTree(xs, ys, n, 1, { maxDepth: 4 });
    expect(tree.nodeCount).toBe(3);
    expect(tree.feature[0]).toBe(0);
    // the threshold lies midway between the last point below 0.3 and the first above
    const below = Math.max(...Array.from(xs).filter((x) => x <= 0.3));
    const above = Math.min(...Array.from(xs).filter((x) => x > 0.3));
    expect(tree.threshold[0]).toBeCloseTo((below + above) / 2, 14);
    for (let i = 0; i < n; i++) expect(predictTree(tree, xs, i)).toBe(ys[i]);
    expect(predictTree(tree, [0.25])).toBe(-1);
    expect(predictTree(tree, [0.9])).toBe(2);
  });

  it('finds the relevant coordinate of a step in d dimensions', () => {
    const rng = new Rng(1);
    const n = 60;
    const d = 6;
    const xs = gaussian(rng, n, d);
    const ys = Float64Array.from({ length: n }, (_, i) => (xs[i * d + 4] > 0.2 ? 1.5 : -0.5));
    const tree = fitTree(xs, ys, n, d, { maxDepth: Number.POSITIVE_INFINITY });
    expect(tree.feature[0]).toBe(4);
    expect(tree.nodeCount).toBe(3);
    for (let i = 0; i < n; i++) expect(predictTree(tree, xs, i * d)).toBe(ys[i]);
  });

  it('unlimited depth interpolates distinct inputs; the depth limit holds', () => {
    const rng = new Rng(2);
    const n = 50;
    const d = 3;
    const xs = gaussian(rng, n, d);
    const ys = gaussian(rng, n, 1);
    const full = fitTree(xs, ys, n, d, { maxDepth: Number.POSITIVE_INFINITY });
    for (let i = 0; i < n; i++) expect(predictTree(full, xs, i * d)).toBeCloseTo(ys[i], 12);
    const shallow = fitTree(xs, ys, n, d, { maxDepth: 4 });
    expect(treeDepth(shallow)).toBe(4);
    expect(shallow.nodeCount).toBeLessThanOrEqual(31);
  });

  it('level-wise growth, path-only growth and a naive CART agree', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(1, 2, 4, Number.POSITIVE_INFINITY),
        fc.constantFrom(0, 1),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (n, d, maxDepth, lambda, discrete, seed) => {
          const rng = new Rng(seed);
          const xs = gaussian(rng, n, d);
          // discrete inputs make ties in x (and in split scores)
          if (discrete) for (let i = 0; i < xs.length; i++) xs[i] = Math.round(xs[i]);
          const g = gaussian(rng, n, 1);
          const options = { maxDepth, lambda, minGain: lambda > 0 ? 2e-6 : undefined };
          const pre = presort(xs, n, d);
          const ws = new TreeWorkspace();
          const tree = growTree(pre, g, options);
          const leafOf = new Int32Array(n);
          growTree(pre, g, options, leafOf, ws);
          const idx = Array.from({ length: n }, (_, i) => i);
          for (let q = 0; q < 4; q++) {
            const query = q < 2 && n > 0 ? xs.slice(q * d, q * d + d) : gaussian(rng, 1, d);
            const naive = naivePredict(
              xs,
              d,
              g,
              idx,
              0,
              maxDepth,
              lambda,
              options.minGain ?? -Infinity,
              query,
            );
            expect(predictTree(tree, query)).toBeCloseTo(naive, 12);
            expect(predictAlongPath(pre, g, options, query, ws)).toBeCloseTo(naive, 12);
          }
          // every sample's leaf is the leaf predictTree reaches
          for (let s = 0; s < n; s++) {
            let node = 0;
            while (tree.feature[node] >= 0)
              node =
                xs[s * d + tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
            expect(leafOf[s]).toBe(node);
          }
        },
      ),
      { numRuns: 150, seed: 20240215 },
    );
  });

  it('SortedExamples keeps every coordinate sorted (ties in insertion order)', () => {
    const rng = new Rng(3);
    const d = 3;
    const data = new SortedExamples(d, 2);
    const xs = gaussian(rng, 30, d).map((v) => Math.round(v * 2) / 2);
    for (let i = 0; i < 30; i++) data.add(xs.subarray(i * d, i * d + d), i);
    const pre = data.presorted();
    const ref = presort(xs, 30, d);
    for (let f = 0; f < d; f++)
      for (let k = 0; k < 30; k++) {
        expect(pre.order[f * pre.stride + k]).toBe(ref.order[f * 30 + k]);
        expect(pre.vals[f * pre.stride + k]).toBe(ref.vals[f * 30 + k]);
      }
  });

  it('the baseline predicts each position with a tree fitted on the earlier clean examples', () => {
    const rng = new Rng(4);
    const d = 4;
    const n = 30;
    const xs = toF32(gaussian(rng, n, d));
    const ys = toF32(gaussian(rng, n, 1));
    const clean = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 3 ? 0 : 1));
    const pred = greedyTree(singlePrompt(xs, ys, n, d, clean), 4).values;
    expect(pred[0]).toBe(0);
    for (let i = 1; i < n; i++) {
      const keep = [...Array(i).keys()].filter((j) => clean[j]);
      const cx = new Float64Array(keep.length * d);
      const cy = new Float64Array(keep.length);
      keep.forEach((j, k) => {
        cx.set(xs.subarray(j * d, j * d + d), k * d);
        cy[k] = ys[j];
      });
      const tree = fitTree(cx, cy, keep.length, d, { maxDepth: 4 });
      expect(pred[i]).toBeCloseTo(predictTree(tree, xs, i * d), 12);
    }
  });
});
