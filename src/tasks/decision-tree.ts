/**
 * Decision tree regression (paper.md section 2): one random complete binary tree of depth 4 per
 * prompt, stored as an array of 2^(depth+1) - 1 = 31 nodes (root 0, children of n at 2n+1, 2n+2).
 * Each internal node tests a coordinate drawn uniformly from all d (not only the live ones, as the
 * released code); an input goes to child 2n + 1 + [x_coord > 0], `depth` times, and its label is
 * the value of the leaf it reaches, leaf values N(0, 1). x ~ N(0, I_d) with the coordinates past
 * the curriculum's live dims set to 0 (so a test of a dead coordinate always goes left).
 * Not normalised (normalisation 1): E[y^2] = 1, the zero predictor scores 1.
 *
 * Random draws per prompt, in order: the coordinates of the internal nodes (0 .. 2^depth - 2), the
 * values of the leaves (2^depth - 1 .. 2^(depth+1) - 2), then the N inputs.
 */
import { z } from 'zod';
import type { Rng } from '../random/rng';
import {
  allocateExamples,
  dimensionParam,
  examplesParam,
  interleaveExamples,
  liveDims,
  regressionCurriculum,
  sampleGaussianX,
  scalarHead,
  sketchScatter,
} from './common';
import { regressionDraft, unitAxis } from './probe-draft';
import type { CurriculumState, PromptBatch, TaskDefinition } from './types';

export const decisionTreeParams = z.object({
  d: dimensionParam(20),
  nPoints: examplesParam(101),
  depth: z
    .number()
    .int()
    .min(1)
    .max(8)
    .default(4)
    .describe('depth of the random decision tree')
    .meta({ label: 'Tree depth' }),
});
export type DecisionTreeParams = z.infer<typeof decisionTreeParams>;

export interface DecisionTreeLatents {
  /** nodes per tree: 2^(depth+1) - 1 */
  nodes: number;
  /** [batch, nodes] coordinate tested at each internal node; -1 at the leaves */
  coords: Int32Array;
  /** [batch, nodes] value of each leaf; 0 at the internal nodes */
  values: Float64Array;
}

/** The array index of the leaf that x reaches in the tree at `coords[treeOff ..]`. */
export function treeLeaf(
  coords: Int32Array,
  treeOff: number,
  depth: number,
  x: ArrayLike<number>,
  xOff: number,
): number {
  let node = 0;
  for (let level = 0; level < depth; level++)
    node = 2 * node + 1 + (x[xOff + coords[treeOff + node]] > 0 ? 1 : 0);
  return node;
}

export function sampleDecisionTree(
  rng: Rng,
  p: DecisionTreeParams,
  batchSize: number,
  state: CurriculumState,
): { batch: PromptBatch; latents: DecisionTreeLatents } {
  const { d, depth } = p;
  const n = state.points;
  const live = liveDims(d, state);
  const nodes = 2 ** (depth + 1) - 1;
  const internal = 2 ** depth - 1;
  const coords = new Int32Array(batchSize * nodes).fill(-1);
  const values = new Float64Array(batchSize * nodes);
  const ex = allocateExamples(batchSize, n, d);
  for (let b = 0; b < batchSize; b++) {
    const t = b * nodes;
    for (let node = 0; node < internal; node++) coords[t + node] = rng.int(d);
    for (let node = internal; node < nodes; node++) values[t + node] = rng.normal();
    for (let i = 0; i < n; i++) {
      const off = (b * n + i) * d;
      sampleGaussianX(rng, ex.xs, off, d, live);
      ex.ys[b * n + i] = values[t + treeLeaf(coords, t, depth, ex.xs, off)];
    }
  }
  return {
    batch: interleaveExamples('decision-tree', ex, scalarHead(1)),
    latents: { nodes, coords, values },
  };
}

export const decisionTree: TaskDefinition<DecisionTreeParams, 'decision-tree'> = {
  name: 'decision-tree',
  title: 'Decision tree',
  summary: 'Each prompt hides a random yes/no tree over the input signs; predict the leaf value it gives.',
  paramsSchema: decisionTreeParams,
  defaults: decisionTreeParams.parse({}),
  curriculum: (p) => regressionCurriculum(p.d, p.nPoints, 5, 26, 5),
  readIn: (p) => ({ kind: 'linear', tokenDim: p.d }),
  heads: () => [scalarHead(1)],
  baselines: ['knn', 'tree', 'tree-unlimited', 'boosted-trees', 'least-squares', 'averaging', 'zero'],
  referenceBaseline: 'tree',
  paperTable1: { transformer: 'learns', mamba: 'partial', mambaformer: 'learns' },
  chanceLevel: () => 1,
  sample: (rng, p, batchSize, state) => sampleDecisionTree(rng, p, batchSize, state).batch,
  sketch: (batch, index, p) =>
    sketchScatter(
      batch,
      index,
      `Decision tree of depth ${p.depth}: labels take at most ${2 ** p.depth} values`,
    ),
  paper: { lr: 4e-4, steps: 500_000, clip: 10, dModel: 128, gpt2Layers: 2 },
  classroom: {
    params: { d: 5, nPoints: 21, depth: 3 },
    steps: 5000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'error below the greedy tree and 3-NN; Mamba trails the Transformer',
  },
  probeDraft: (rng, p, state) => {
    const { batch, latents } = sampleDecisionTree(rng, p, 1, state);
    const root = latents.coords[0];
    const fn = { kind: 'tree', coords: latents.coords, values: latents.values, depth: p.depth } as const;
    return regressionDraft(
      batch,
      fn,
      unitAxis(p.d, root),
      `x${root + 1}, the coordinate the root splits on`,
      2,
    );
  },
};
