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
 * Cost. Both builders start from the samples presorted along every coordinate (Presorted; the
 * baselines maintain it incrementally across positions with SortedExamples):
 *  - growTree (full tree) grows level by level: one pass over every coordinate's sorted order per
 *    level finds the best split of every node of the level at once (XGBoost's exact greedy), O(d n)
 *    per level and nothing copied;
 *  - predictAlongPath (the baseline: one prediction per fit) grows only the query's path, keeping the
 *    node's samples sorted by stable partition, O(d n) in all for a balanced path.
 * Both find the same splits (same scan order, same tie rule), which the tests check.
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

export function copyTree(t: RegressionTree): RegressionTree {
  return {
    nodeCount: t.nodeCount,
    feature: t.feature.slice(),
    threshold: t.threshold.slice(),
    left: t.left.slice(),
    right: t.right.slice(),
    value: t.value.slice(),
    depth: t.depth.slice(),
  };
}

/**
 * Samples 0..n-1 presorted along every coordinate: coordinate f's order is
 * order[f * stride .. f * stride + n) (stable: ties keep sample order), vals holds the matching
 * coordinate values, and xs [n, d] the samples row-major.
 */
export interface Presorted {
  n: number;
  d: number;
  stride: number;
  order: Int32Array;
  vals: Float64Array;
  xs: Float64Array;
}

/** Presort xs [n, d] (row-major). */
export function presort(xs: Float64Array, n: number, d: number): Presorted {
  const order = new Int32Array(d * n);
  const vals = new Float64Array(d * n);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let f = 0; f < d; f++) {
    const sorted = idx.slice().sort((a, b) => xs[a * d + f] - xs[b * d + f] || a - b);
    for (let k = 0; k < n; k++) {
      order[f * n + k] = sorted[k];
      vals[f * n + k] = xs[sorted[k] * d + f];
    }
  }
  return { n, d, stride: n, order, vals, xs };
}

/** Scratch memory of the builders, reused across fits (no allocation once large enough). */
export class TreeWorkspace {
  // path builder: the node's samples per coordinate, [d, n]
  private pOrder = new Int32Array(0);
  private pVals = new Float64Array(0);
  private pTargets = new Float64Array(0);
  private goLeft = new Uint8Array(0);
  // level builder, per sample and per node of a level
  private nodeOf = new Int32Array(0);
  private slotOfSample = new Int32Array(0);
  private slotSum = new Float64Array(0);
  private slotCount = new Int32Array(0);
  private slotSumL = new Float64Array(0);
  private slotCountL = new Int32Array(0);
  private slotLast = new Float64Array(0);
  private slotBestScore = new Float64Array(0);
  private slotBestF = new Int32Array(0);
  private slotBestNL = new Int32Array(0);
  private slotBestThr = new Float64Array(0);
  private slotNode = new Int32Array(0);
  /** inv[c] = 1 / (c + lambda) */
  private inv = new Float64Array(0);
  private invLambda = Number.NaN;
  // nodes
  private nodeCapacity = 0;
  feature = new Int32Array(0);
  threshold = new Float64Array(0);
  left = new Int32Array(0);
  right = new Int32Array(0);
  value = new Float64Array(0);
  depth = new Int32Array(0);
  private nodeSum = new Float64Array(0);
  private nodeCount = new Int32Array(0);
  private nodeSumSq = new Float64Array(0);
  private slotOfNode = new Int32Array(0);

  private ensureSamples(n: number, d: number, lambda: number): void {
    // grow geometrically: the baselines refit with one more example at every position
    if (this.pOrder.length < n * d) {
      const size = Math.max(n * d, 2 * this.pOrder.length);
      this.pOrder = new Int32Array(size);
      this.pVals = new Float64Array(size);
      this.pTargets = new Float64Array(size);
    }
    if (this.goLeft.length < n) {
      const size = Math.max(n, 2 * this.goLeft.length);
      this.goLeft = new Uint8Array(size);
      this.nodeOf = new Int32Array(size);
      this.slotOfSample = new Int32Array(size);
      this.slotSum = new Float64Array(size);
      this.slotCount = new Int32Array(size);
      this.slotSumL = new Float64Array(size);
      this.slotCountL = new Int32Array(size);
      this.slotLast = new Float64Array(size);
      this.slotBestScore = new Float64Array(size);
      this.slotBestF = new Int32Array(size);
      this.slotBestNL = new Int32Array(size);
      this.slotBestThr = new Float64Array(size);
      this.slotNode = new Int32Array(size);
    }
    if (this.inv.length < n + 1 || this.invLambda !== lambda) {
      this.inv = new Float64Array(Math.max(n + 1, 2 * this.inv.length));
      for (let c = 0; c < this.inv.length; c++) this.inv[c] = 1 / (c + lambda);
      this.invLambda = lambda;
    }
    const nodes = Math.max(1, 2 * n - 1);
    if (this.nodeCapacity < nodes) {
      const c = Math.max(nodes, 2 * this.nodeCapacity);
      this.nodeCapacity = c;
      this.feature = new Int32Array(c);
      this.threshold = new Float64Array(c);
      this.left = new Int32Array(c);
      this.right = new Int32Array(c);
      this.value = new Float64Array(c);
      this.depth = new Int32Array(c);
      this.nodeSum = new Float64Array(c);
      this.nodeCount = new Int32Array(c);
      this.nodeSumSq = new Float64Array(c);
      this.slotOfNode = new Int32Array(c);
    }
  }

  /**
   * Full tree, level by level. Returns a tree viewing this workspace's node arrays.
   */
  grow(pre: Presorted, g: Float64Array, options: TreeOptions, leafOf?: Int32Array): RegressionTree {
    const { n, d, stride, order, vals, xs } = pre;
    const lambda = options.lambda ?? 0;
    const minGain = options.minGain ?? Number.NEGATIVE_INFINITY;
    this.ensureSamples(n, d, lambda);
    const { nodeOf, slotOfSample, inv, feature, threshold, left, right, value, depth } = this;
    const { nodeSum, nodeCount, nodeSumSq, slotOfNode } = this;
    const {
      slotSum,
      slotCount,
      slotSumL,
      slotCountL,
      slotLast,
      slotBestScore,
      slotBestF,
      slotBestNL,
      slotBestThr,
      slotNode,
    } = this;
    nodeOf.fill(0, 0, n);
    let nodes = 1;
    depth[0] = 0;
    let levelStart = 0;
    while (levelStart < nodes) {
      const levelEnd = nodes;
      // node statistics in coordinate 0's order (the order the path builder sums in)
      for (let node = levelStart; node < levelEnd; node++) {
        nodeSum[node] = 0;
        nodeCount[node] = 0;
        nodeSumSq[node] = 0;
      }
      for (let k = 0; k < n; k++) {
        const s = order[k];
        const node = nodeOf[s];
        if (node < levelStart) continue;
        nodeSum[node] += g[s];
        nodeCount[node]++;
      }
      for (let k = 0; k < n; k++) {
        const s = order[k];
        const node = nodeOf[s];
        if (node < levelStart) continue;
        const t = g[s] - nodeSum[node] / nodeCount[node];
        nodeSumSq[node] += t * t;
      }
      // which nodes of the level may split: give them slots
      let slots = 0;
      for (let node = levelStart; node < levelEnd; node++) {
        const cnt = nodeCount[node];
        value[node] = cnt > 0 ? nodeSum[node] / (cnt + lambda) : 0;
        feature[node] = -1;
        left[node] = -1;
        right[node] = -1;
        slotOfNode[node] = -1;
        if (depth[node] < options.maxDepth && cnt >= 2 && !isPure(nodeSumSq[node], cnt)) {
          slotOfNode[node] = slots;
          slotNode[slots] = node;
          slotSum[slots] = nodeSum[node];
          slotCount[slots] = cnt;
          slotBestScore[slots] = Number.NEGATIVE_INFINITY;
          slotBestF[slots] = -1;
          slots++;
        }
      }
      if (slots > 0) {
        for (let s = 0; s < n; s++) {
          const node = nodeOf[s];
          slotOfSample[s] = node >= levelStart ? slotOfNode[node] : -1;
        }
        // every coordinate: scan its order once, scoring every slot's candidate splits
        for (let f = 0; f < d; f++) {
          for (let j = 0; j < slots; j++) {
            slotSumL[j] = 0;
            slotCountL[j] = 0;
          }
          const base = f * stride;
          for (let k = 0; k < n; k++) {
            const s = order[base + k];
            const j = slotOfSample[s];
            if (j < 0) continue;
            const v = vals[base + k];
            const c = slotCountL[j];
            if (c > 0 && v > slotLast[j]) {
              const GL = slotSumL[j];
              const GR = slotSum[j] - GL;
              const score = GL * GL * inv[c] + GR * GR * inv[slotCount[j] - c];
              if (score > slotBestScore[j]) {
                slotBestScore[j] = score;
                slotBestF[j] = f;
                slotBestNL[j] = c;
                const xv = slotLast[j];
                let thr = 0.5 * (xv + v);
                if (!(thr < v) || thr < xv) thr = xv;
                slotBestThr[j] = thr;
              }
            }
            slotSumL[j] += g[s];
            slotCountL[j] = c + 1;
            slotLast[j] = v;
          }
        }
        // make the splits
        for (let j = 0; j < slots; j++) {
          const node = slotNode[j];
          const G = slotSum[j];
          const cnt = nodeCount[node];
          if (slotBestF[j] < 0 || !(slotBestScore[j] - G * G * inv[cnt] > minGain)) continue;
          feature[node] = slotBestF[j];
          threshold[node] = slotBestThr[j];
          left[node] = nodes;
          right[node] = nodes + 1;
          depth[nodes] = depth[node] + 1;
          depth[nodes + 1] = depth[node] + 1;
          nodes += 2;
        }
        for (let s = 0; s < n; s++) {
          const node = nodeOf[s];
          if (node < levelStart || feature[node] < 0) continue;
          nodeOf[s] = xs[s * d + feature[node]] <= threshold[node] ? left[node] : right[node];
        }
      }
      levelStart = levelEnd;
    }
    if (leafOf) for (let s = 0; s < n; s++) leafOf[s] = nodeOf[s];
    return {
      nodeCount: nodes,
      feature: feature.subarray(0, nodes),
      threshold: threshold.subarray(0, nodes),
      left: left.subarray(0, nodes),
      right: right.subarray(0, nodes),
      value: value.subarray(0, nodes),
      depth: depth.subarray(0, nodes),
    };
  }

  /** The prediction at `query` of the tree `grow` would build, growing only the query's path. */
  predictAlongPath(pre: Presorted, g: Float64Array, options: TreeOptions, query: ArrayLike<number>): number {
    const { n, d } = pre;
    const lambda = options.lambda ?? 0;
    const minGain = options.minGain ?? Number.NEGATIVE_INFINITY;
    this.ensureSamples(n, d, lambda);
    const { pOrder, pVals, pTargets, goLeft, inv } = this;
    // the root reads the presorted arrays (and gathers the targets); deeper nodes read the
    // workspace's copies, which each level filters in place to the query's side
    let sOrder = pre.order;
    let sVals = pre.vals;
    let sStride = pre.stride;
    let root = true;
    let cnt = n;
    for (let level = 0; ; level++) {
      let G = 0;
      if (root) for (let k = 0; k < cnt; k++) G += g[sOrder[k]];
      else for (let k = 0; k < cnt; k++) G += pTargets[k];
      const leafValue = cnt > 0 ? G / (cnt + lambda) : 0;
      if (level >= options.maxDepth || cnt < 2) return leafValue;
      const mean = G / cnt;
      let sse = 0;
      for (let k = 0; k < cnt; k++) {
        const t = (root ? g[sOrder[k]] : pTargets[k]) - mean;
        sse += t * t;
      }
      if (isPure(sse, cnt)) return leafValue;
      // best split of this node
      let bestScore = Number.NEGATIVE_INFINITY;
      let bestF = -1;
      let bestNL = 0;
      let bestThr = 0;
      for (let f = 0; f < d; f++) {
        const base = f * sStride;
        let GL = 0;
        let xv = sVals[base];
        for (let k = 0; k < cnt - 1; k++) {
          GL += root ? g[sOrder[base + k]] : pTargets[base + k];
          const xn = sVals[base + k + 1];
          if (xn > xv) {
            const nL = k + 1;
            const GR = G - GL;
            const score = GL * GL * inv[nL] + GR * GR * inv[cnt - nL];
            if (score > bestScore) {
              bestScore = score;
              bestF = f;
              bestNL = nL;
              let thr = 0.5 * (xv + xn);
              if (!(thr < xn) || thr < xv) thr = xv;
              bestThr = thr;
            }
          }
          xv = xn;
        }
      }
      if (bestF < 0 || !(bestScore - G * G * inv[cnt] > minGain)) return leafValue;
      // keep the query's side, in order, in every coordinate
      const side = query[bestF] <= bestThr ? 1 : 0;
      const bBase = bestF * sStride;
      for (let k = 0; k < cnt; k++) goLeft[sOrder[bBase + k]] = k < bestNL ? 1 : 0;
      let kept = 0;
      for (let f = 0; f < d; f++) {
        const src = f * sStride;
        const dst = f * n;
        let w = dst;
        for (let k = src; k < src + cnt; k++) {
          const s = sOrder[k];
          if (goLeft[s] !== side) continue;
          pOrder[w] = s;
          pVals[w] = sVals[k];
          pTargets[w] = root ? g[s] : pTargets[k];
          w++;
        }
        kept = w - dst;
      }
      cnt = kept;
      sOrder = pOrder;
      sVals = pVals;
      sStride = n;
      root = false;
    }
  }
}

function isPure(sse: number, cnt: number): boolean {
  return sse <= cnt * Number.EPSILON;
}

/**
 * Grow a full tree on the presorted samples with targets g [n]. `leafOf` ([n], optional) receives
 * every sample's leaf. Pass a workspace to reuse memory: the returned tree then views the
 * workspace's node arrays and is overwritten by its next fit; without one the tree is its own.
 */
export function growTree(
  pre: Presorted,
  g: Float64Array,
  options: TreeOptions,
  leafOf?: Int32Array,
  workspace?: TreeWorkspace,
): RegressionTree {
  const tree = (workspace ?? new TreeWorkspace()).grow(pre, g, options, leafOf);
  return workspace ? tree : copyTree(tree);
}

/** The prediction at `query` of growTree's tree, growing only the query's path (much cheaper). */
export function predictAlongPath(
  pre: Presorted,
  g: Float64Array,
  options: TreeOptions,
  query: ArrayLike<number>,
  workspace?: TreeWorkspace,
): number {
  return (workspace ?? new TreeWorkspace()).predictAlongPath(pre, g, options, query);
}

/** Fit a full tree on xs [n, d], ys [n] (convenience wrapper: presorts, then grows). */
export function fitTree(
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  d: number,
  options: TreeOptions,
): RegressionTree {
  return growTree(presort(xs, n, d), ys, options);
}

/**
 * The clean examples of one prompt seen so far, kept presorted along every coordinate by insertion
 * (O(d n) per example), so each position's fit starts from presorted samples.
 */
export class SortedExamples {
  count = 0;
  xs: Float64Array;
  ys: Float64Array;
  private order: Int32Array;
  private vals: Float64Array;
  private capacity: number;

  constructor(
    readonly d: number,
    capacity = 16,
  ) {
    this.capacity = Math.max(1, capacity);
    this.xs = new Float64Array(this.capacity * d);
    this.ys = new Float64Array(this.capacity);
    this.order = new Int32Array(this.capacity * d);
    this.vals = new Float64Array(this.capacity * d);
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
        if (this.vals[base + mid] <= v) lo = mid + 1;
        else hi = mid;
      }
      this.order.copyWithin(base + lo + 1, base + lo, base + p);
      this.vals.copyWithin(base + lo + 1, base + lo, base + p);
      this.order[base + lo] = p;
      this.vals[base + lo] = v;
    }
    this.count++;
  }

  /** A presorted view of the examples so far (valid until the next add). */
  presorted(): Presorted {
    return {
      n: this.count,
      d: this.d,
      stride: this.capacity,
      order: this.order,
      vals: this.vals,
      xs: this.xs,
    };
  }

  private grow(): void {
    const d = this.d;
    const cap = this.capacity * 2;
    const xs = new Float64Array(cap * d);
    xs.set(this.xs);
    const ys = new Float64Array(cap);
    ys.set(this.ys);
    const order = new Int32Array(cap * d);
    const vals = new Float64Array(cap * d);
    for (let f = 0; f < d; f++) {
      order.set(this.order.subarray(f * this.capacity, f * this.capacity + this.count), f * cap);
      vals.set(this.vals.subarray(f * this.capacity, f * this.capacity + this.count), f * cap);
    }
    this.xs = xs;
    this.ys = ys;
    this.order = order;
    this.vals = vals;
    this.capacity = cap;
  }
}

/** Online greedy tree: at each prediction, grows the query's path of a CART tree on the examples so far. */
export class OnlineTree implements OnlineEstimator {
  private readonly data: SortedExamples;
  private readonly workspace = new TreeWorkspace();

  constructor(
    readonly d: number,
    readonly maxDepth: number,
    capacity = 16,
  ) {
    this.data = new SortedExamples(d, capacity);
  }

  predict(x: Float64Array): number {
    if (this.data.count === 0) return 0;
    return this.workspace.predictAlongPath(
      this.data.presorted(),
      this.data.ys,
      { maxDepth: this.maxDepth },
      x,
    );
  }

  add(x: Float64Array, y: number): void {
    this.data.add(x, y);
  }
}

/** Greedy tree predictions (depth 4 in the paper's plot; Infinity for unlimited depth). */
export function greedyTree(
  ex: ExampleView,
  maxDepth: number,
  subset?: PredictionSubset,
): BaselinePredictions {
  return runOnline(ex, subset, () => new OnlineTree(ex.dim, maxDepth, ex.nPoints));
}
