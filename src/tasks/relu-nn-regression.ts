/**
 * 2-layer ReLU network regression (paper.md section 2): per prompt W1 (d x hidden) and W2
 * (hidden x 1) with N(0, 1) entries; y = sqrt(2 / hidden) W2^T ReLU(W1^T x), x ~ N(0, I_d) with the
 * coordinates past the curriculum's live dims set to 0. The sqrt(2 / hidden) factor puts y on the
 * scale of linear regression (E[y^2] = d), so the error is normalised by d and the zero predictor
 * scores about 1.
 *
 * Random draws per prompt, in order: W1 (row-major, d x hidden), W2, then the N inputs.
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
import { regressionDraft, unitAxis, X1_AXIS } from './probe-draft';
import type { CurriculumState, PromptBatch, TaskDefinition } from './types';

export const reluNnRegressionParams = z.object({
  d: dimensionParam(20),
  nPoints: examplesParam(101),
  hidden: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(100)
    .describe('hidden width of the random ReLU network')
    .meta({ label: 'Hidden width' }),
});
export type ReluNnRegressionParams = z.infer<typeof reluNnRegressionParams>;

export interface ReluNnRegressionLatents {
  /** [batch, d, hidden] first-layer weights */
  w1: Float64Array;
  /** [batch, hidden] second-layer weights */
  w2: Float64Array;
}

/** y = sqrt(2 / h) sum_j w2[j] relu(sum_i w1[i, j] x[i]) for one input. */
export function reluNetwork(
  w1: Float64Array,
  w1Off: number,
  w2: Float64Array,
  w2Off: number,
  x: ArrayLike<number>,
  xOff: number,
  d: number,
  h: number,
  scratch: Float64Array,
): number {
  scratch.fill(0, 0, h);
  for (let i = 0; i < d; i++) {
    const xi = x[xOff + i];
    if (xi === 0) continue;
    const row = w1Off + i * h;
    for (let j = 0; j < h; j++) scratch[j] += xi * w1[row + j];
  }
  let y = 0;
  for (let j = 0; j < h; j++) if (scratch[j] > 0) y += w2[w2Off + j] * scratch[j];
  return Math.sqrt(2 / h) * y;
}

export function sampleReluNnRegression(
  rng: Rng,
  p: ReluNnRegressionParams,
  batchSize: number,
  state: CurriculumState,
): { batch: PromptBatch; latents: ReluNnRegressionLatents } {
  const { d, hidden: h } = p;
  const n = state.points;
  const live = liveDims(d, state);
  const ex = allocateExamples(batchSize, n, d);
  const w1 = new Float64Array(batchSize * d * h);
  const w2 = new Float64Array(batchSize * h);
  const scratch = new Float64Array(h);
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < d * h; i++) w1[b * d * h + i] = rng.normal();
    for (let j = 0; j < h; j++) w2[b * h + j] = rng.normal();
    for (let i = 0; i < n; i++) {
      const off = (b * n + i) * d;
      sampleGaussianX(rng, ex.xs, off, d, live);
      ex.ys[b * n + i] = reluNetwork(w1, b * d * h, w2, b * h, ex.xs, off, d, h, scratch);
    }
  }
  return { batch: interleaveExamples('relu-nn-regression', ex, scalarHead(d)), latents: { w1, w2 } };
}

export const reluNnRegression: TaskDefinition<ReluNnRegressionParams, 'relu-nn-regression'> = {
  name: 'relu-nn-regression',
  title: '2-layer ReLU NN regression',
  summary: 'Each prompt hides a small random neural network; predict its output for a new input.',
  paramsSchema: reluNnRegressionParams,
  defaults: reluNnRegressionParams.parse({}),
  curriculum: (p) => regressionCurriculum(p.d, p.nPoints, 5, 26, 5),
  readIn: (p) => ({ kind: 'linear', tokenDim: p.d }),
  heads: (p) => [scalarHead(p.d)],
  baselines: ['least-squares', 'knn', 'averaging', 'nn-gd', 'zero'],
  referenceBaseline: 'least-squares',
  paperTable1: { transformer: 'learns', mamba: 'learns', mambaformer: 'learns' },
  chanceLevel: () => 1,
  sample: (rng, p, batchSize, state) => sampleReluNnRegression(rng, p, batchSize, state).batch,
  sketch: (batch, index, p) =>
    sketchScatter(
      batch,
      index,
      `2-layer ReLU network, ${p.hidden} hidden units: the spread is the nonlinearity`,
    ),
  paper: { lr: 1e-4, steps: 500_000, clip: 10, dModel: 128, gpt2Layers: 2 },
  classroom: {
    params: { d: 5, nPoints: 21, hidden: 100 },
    steps: 4000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'error below least squares and 3-NN after ~2d examples',
  },
  probeDraft: (rng, p, state) => {
    const { batch, latents } = sampleReluNnRegression(rng, p, 1, state);
    const fn = { kind: 'relu', w1: latents.w1, w2: latents.w2, hidden: p.hidden } as const;
    return regressionDraft(batch, fn, unitAxis(p.d, 0), X1_AXIS, 2);
  },
};
