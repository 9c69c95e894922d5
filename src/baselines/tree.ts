/**
 * Greedy regression trees (CART, as sklearn's DecisionTreeRegressor with the squared-error
 * criterion): starting from the root, each node takes the split (coordinate, threshold) that most
 * reduces the summed squared error of its two children; thresholds are midpoints between consecutive
 * distinct values, x <= threshold goes left; a node stays a leaf at maxDepth, with fewer than 2
 * samples, when its labels are constant, or when no coordinate separates its samples. Leaves predict
 * the mean label. Ties between equally good splits go to the lowest coordinate, then the lowest
 * threshold (sklearn breaks them by a random feature order).
 *
 * The same builder grows the trees of gradient boosting (boosting.ts) with XGBoost's L2 penalty
 * lambda on leaf values: split score G_L^2/(n_L+lambda) + G_R^2/(n_R+lambda), leaf value G/(n+lambda).
 *
 * Cost: the samples of every node are kept sorted along every coordinate (presorted once, then
 * stably partitioned at each split), so a node costs O(d * size) and a tree O(d * n * depth). For
 * a single prediction only the path of the query is grown (`query`), which is what the baseline does
 * at each position; the per-coordinate orders are maintained incrementally across positions.
 */
import type { ExampleView } from '../tasks/types';
import { type BaselinePredictions, type OnlineEstimator, type PredictionSubset, runOnline } from './types';

export interface TreeOptions {
  /** maximum depth (the root has depth 0); Infinity grows until the leaves are pure */
  maxDepth: number;
  /** L2 penalty on leaf values (XGBoost's lambda); 0 = CART (default) */
  lambda?: number;
  /**
   * A split is made only when its gain (score of the children minus score of the parent) exceeds
   * this. Default -Infinity: CART splits whenever some coordinate separates the node's samples.
   */
  minGain?: number;
}

/** A fitted tree as parallel node arrays; node 0 is the root, feature -1 marks a leaf. */
export interface RegressionTree {
  nodeCount: number;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  depth: Int32Array;
}

/** Prediction of a tree at x (x[offset + j] is coordinate j). */
export function predictTree(tree: RegressionTree, x: ArrayLike<number>, offset = 0): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    node = x[offset + tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  }
  return tree.value[node];
}

/** Depth of the deepest leaf. */
export function treeDepth(tree: RegressionTree): number {
  let max = 0;
  for (let i = 0; i < tree.nodeCount; i++) max = Math.max(max, tree.depth[i]);
  return max;
}

/** [d, n] per coordinate f, the sample indices 0..n-1 sorted by x[., f] (stable). */
export function sortFeatures(xs: Float64Array, n: number, d: number): Int32Array {
  const sorted = new Int32Array(d * n);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let f = 0; f < d; f++) {
    const order = idx.slice().sort((a, b) => xs[a * d + f] - xs[b * d + f] || a - b);
    for (let k = 0; k < n; k++) sorted[f * n + k] = order[k];
  }
  return sorted;
}

/**
 * Grow a tree on samples 0..n-1 (xs [n, d], targets g [n]). `sorted` ([d, n], from sortFeatures or
 * maintained incrementally) is permuted in place. With `query`, only the nodes on the query's path
 * are split (the other children stay leaves): enough to predict at the query, much cheaper.
 * `leafOf` ([n], optional, full growth only) receives the leaf of every sample.
 */
export function growTree(
  xs: Float64Array,
  d: number,
  g: Float64Array,
  n: number,
  sorted: Int32Array,
  options: TreeOptions,
  query?: Float64Array,
  leafOf?: Int32Array,
): RegressionTree {
  const lambda = options.lambda ?? 0;
  const minGain = options.minGain ?? Number.NEGATIVE_INFINITY;
  const maxDepth = options.maxDepth;
  const capacity = Math.max(1, 2 * n - 1);
  const feature = new Int32Array(capacity).fill(-1);
  const threshold = new Float64Array(capacity);
  const left = new Int32Array(capacity).fill(-1);
  const right = new Int32Array(capacity).fill(-1);
  const value = new Float64Array(capacity);
  const depth = new Int32Array(capacity);
  const start = new Int32Array(capacity);
  const end = new Int32Array(capacity);
  const expand = new Uint8Array(capacity);
  const goLeft = new Uint8Array(n);
  const buf = new Int32Array(n);
  let nodeCount = 1;
  start[0] = 0;
  end[0] = n;
  expand[0] = 1;
  // nodes are appended in breadth-first order, so one pass over the node list grows the tree
  for (let node = 0; node < nodeCount; node++) {
    const s0 = start[node];
    const s1 = end[node];
    const cnt = s1 - s0;
    let G = 0;
    for (let k = s0; k < s1; k++) G += g[sorted[k]];
    value[node] = cnt > 0 ? G / (cnt + lambda) : 0;
    const mean = cnt > 0 ? G / cnt : 0;
    let sse = 0;
    for (let k = s0; k < s1; k++) {
      const t = g[sorted[k]] - mean;
      sse += t * t;
    }
    const isLeaf = !expand[node] || depth[node] >= maxDepth || cnt < 2 || sse <= cnt * Number.EPSILON;
    if (!isLeaf) {
      // best split over every coordinate
      let bestScore = Number.NEGATIVE_INFINITY;
      let bestF = -1;
      let bestNL = 0;
      let bestThr = 0;
      for (let f = 0; f < d; f++) {
        const base = f * n;
        let GL = 0;
        for (let k = s0; k < s1 - 1; k++) {
          const s = sorted[base + k];
          GL += g[s];
          const xv = xs[s * d + f];
          const xn = xs[sorted[base + k + 1] * d + f];
          if (!(xn > xv)) continue;
          const nL = k - s0 + 1;
          const GR = G - GL;
          const score = (GL * GL) / (nL + lambda) + (GR * GR) / (cnt - nL + lambda);
          if (score > bestScore) {
            bestScore = score;
            bestF = f;
            bestNL = nL;
            let thr = 0.5 * (xv + xn);
            if (!(thr < xn) || thr < xv) thr = xv;
            bestThr = thr;
          }
        }
      }
      const gain = bestScore - (G * G) / (cnt + lambda);
      if (bestF >= 0 && gain > minGain) {
        // stable partition of every coordinate's order: the first bestNL along bestF go left
        const bBase = bestF * n;
        for (let k = s0; k < s1; k++) goLeft[sorted[bBase + k]] = k - s0 < bestNL ? 1 : 0;
        for (let f = 0; f < d; f++) {
          const base = f * n;
          let li = base + s0;
          let ri = 0;
          for (let k = base + s0; k < base + s1; k++) {
            const s = sorted[k];
            if (goLeft[s]) sorted[li++] = s;
            else buf[ri++] = s;
          }
          for (let r = 0; r < ri; r++) sorted[li + r] = buf[r];
        }
        const l = nodeCount++;
        const r = nodeCount++;
        feature[node] = bestF;
        threshold[node] = bestThr;
        left[node] = l;
        right[node] = r;
        start[l] = s0;
        end[l] = s0 + bestNL;
        start[r] = s0 + bestNL;
        end[r] = s1;
        depth[l] = depth[node] + 1;
        depth[r] = depth[node] + 1;
        if (query) {
          if (query[bestF] <= bestThr) expand[l] = 1;
          else expand[r] = 1;
        } else {
          expand[l] = 1;
          expand[r] = 1;
        }
        continue;
      }
    }
    if (leafOf) for (let k = s0; k < s1; k++) leafOf[sorted[k]] = node;
  }
  return {
    nodeCount,
    feature: feature.subarray(0, nodeCount),
    threshold: threshold.subarray(0, nodeCount),
    left: left.subarray(0, nodeCount),
    right: right.subarray(0, nodeCount),
    value: value.subarray(0, nodeCount),
    depth: depth.subarray(0, nodeCount),
  };
}

/** Fit a full tree on xs [n, d], ys [n] (convenience wrapper: presorts, then grows). */
export function fitTree(
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  d: number,
  options: TreeOptions,
): RegressionTree {
  return growTree(xs, d, ys, n, sortFeatures(xs, n, d), options);
}

/**
 * The clean examples of one prompt seen so far, with every coordinate's sorted order maintained by
 * insertion (O(d n) per example), so each position's tree starts from presorted lists.
 */
export class SortedExamples {
  count = 0;
  xs: Float64Array;
  ys: Float64Array;
  /** [d, capacity] coordinate f's order in order[f * capacity .. f * capacity + count) */
  private order: Int32Array;
  private capacity: number;

  constructor(
    readonly d: number,
    capacity = 16,
  ) {
    this.capacity = Math.max(1, capacity);
    this.xs = new Float64Array(this.capacity * d);
    this.ys = new Float64Array(this.capacity);
    this.order = new Int32Array(this.capacity * d);
  }

  add(x: Float64Array, y: number): void {
    const d = this.d;
    if (this.count === this.capacity) this.grow();
    const p = this.count;
    for (let j = 0; j < d; j++) this.xs[p * d + j] = x[j];
    this.ys[p] = y;
    const cap = this.capacity;
    for (let f = 0; f < d; f++) {
      const base = f * cap;
      const v = x[f];
      // upper bound: after equal values, so ties keep insertion order
      let lo = 0;
      let hi = p;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.xs[this.order[base + mid] * d + f] <= v) lo = mid + 1;
        else hi = mid;
      }
      this.order.copyWithin(base + lo + 1, base + lo, base + p);
      this.order[base + lo] = p;
    }
    this.count++;
  }

  /** [d, count] a fresh copy of the per-coordinate orders (growTree permutes it). */
  sortedCopy(): Int32Array {
    const n = this.count;
    const out = new Int32Array(this.d * n);
    for (let f = 0; f < this.d; f++) out.set(this.order.subarray(f * this.capacity, f * this.capacity + n), f * n);
    return out;
  }

  private grow(): void {
    const d = this.d;
    const cap = this.capacity * 2;
    const xs = new Float64Array(cap * d);
    xs.set(this.xs);
    const ys = new Float64Array(cap);
    ys.set(this.ys);
    const order = new Int32Array(cap * d);
    for (let f = 0; f < d; f++)
      order.set(this.order.subarray(f * this.capacity, f * this.capacity + this.count), f * cap);
    this.xs = xs;
    this.ys = ys;
    this.order = order;
    this.capacity = cap;
  }
}

/** Online greedy tree: at each prediction, grows the query's path of a CART tree on the examples so far. */
export class OnlineTree implements OnlineEstimator {
  private readonly data: SortedExamples;

  constructor(
    readonly d: number,
    readonly maxDepth: number,
    capacity = 16,
  ) {
    this.data = new SortedExamples(d, capacity);
  }

  predict(x: Float64Array): number {
    const n = this.data.count;
    if (n === 0) return 0;
    const tree = growTree(this.data.xs, this.d, this.data.ys, n, this.data.sortedCopy(), { maxDepth: this.maxDepth }, x);
    return predictTree(tree, x);
  }

  add(x: Float64Array, y: number): void {
    this.data.add(x, y);
  }
}

/** Greedy tree predictions (depth 4 in the paper's plot; Infinity for unlimited depth). */
export function greedyTree(ex: ExampleView, maxDepth: number, subset?: PredictionSubset): BaselinePredictions {
  return runOnline(ex, subset, () => new OnlineTree(ex.dim, maxDepth, ex.nPoints));
}
