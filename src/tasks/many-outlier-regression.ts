/**
 * Many-outlier regression (paper.md section 2): linear regression (w ~ N(0, I_d) per prompt,
 * x ~ N(0, I_d) with the coordinates past the live dims set to 0, y = w . x) where each example is
 * an outlier with probability p = 0.9: its x token is the all-ones vector (all d coordinates, live
 * or not, as the released code) and its label is 1 (y token (1, 0, ..., 0)). Outliers are masked
 * out of loss and metric and marked `clean = 0` in the example view. With N = 512 examples
 * (1024 tokens) about 51 are clean. The error is normalised by d.
 *
 * Curriculum (released config): dims 4 -> 20 (+1 every 2000 steps), points 12 -> 512 (+2 every
 * 200 steps). Random draws per prompt: w (d), then per example a uniform (outlier?) and, for a
 * clean example, its x.
 */
import { z } from 'zod';
import type { Rng } from '../random/rng';
import {
  allocateExamples,
  dimensionParam,
  dot,
  interleaveExamples,
  liveDims,
  sampleGaussianX,
  scalarHead,
  sketchScatter,
} from './common';
import { regressionDraft, unitDirection, W_AXIS } from './probe-draft';
import type { CurriculumSpec, CurriculumState, PromptBatch, TaskDefinition } from './types';

export const manyOutlierRegressionParams = z.object({
  d: dimensionParam(20),
  nPoints: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(512)
    .describe('in-context examples per prompt (N)')
    .meta({ label: 'Examples N' }),
  p: z
    .number()
    .min(0)
    .max(1)
    .default(0.9)
    .describe('probability that an example is an outlier (x = all ones, y = 1)')
    .meta({ label: 'Outlier probability' }),
});
export type ManyOutlierRegressionParams = z.infer<typeof manyOutlierRegressionParams>;

export interface ManyOutlierLatents {
  /** [batch, d] each prompt's weight vector */
  w: Float64Array;
}

export function sampleManyOutlierRegression(
  rng: Rng,
  p: ManyOutlierRegressionParams,
  batchSize: number,
  state: CurriculumState,
): { batch: PromptBatch; latents: ManyOutlierLatents } {
  const { d } = p;
  const n = state.points;
  const live = liveDims(d, state);
  const ex = allocateExamples(batchSize, n, d);
  const w = new Float64Array(batchSize * d);
  for (let b = 0; b < batchSize; b++) {
    for (let j = 0; j < d; j++) w[b * d + j] = rng.normal();
    for (let i = 0; i < n; i++) {
      const off = (b * n + i) * d;
      if (rng.uniform() < p.p) {
        ex.clean[b * n + i] = 0;
        ex.xs.fill(1, off, off + d);
        ex.ys[b * n + i] = 1;
      } else {
        sampleGaussianX(rng, ex.xs, off, d, live);
        ex.ys[b * n + i] = dot(w, b * d, ex.xs, off, d);
      }
    }
  }
  return { batch: interleaveExamples('many-outlier-regression', ex, scalarHead(d)), latents: { w } };
}

function manyOutlierCurriculum(p: ManyOutlierRegressionParams): CurriculumSpec {
  return {
    dims: { start: Math.min(4, p.d), end: p.d, inc: 1, interval: 2000 },
    points: { start: Math.min(12, p.nPoints), end: p.nPoints, inc: 2, interval: 200 },
  };
}

export const manyOutlierRegression: TaskDefinition<ManyOutlierRegressionParams, 'many-outlier-regression'> = {
  name: 'many-outlier-regression',
  title: 'Many-outlier regression',
  summary: 'Linear regression where 90% of the examples are the same dummy point; find the few real ones.',
  paramsSchema: manyOutlierRegressionParams,
  defaults: manyOutlierRegressionParams.parse({}),
  curriculum: manyOutlierCurriculum,
  readIn: (p) => ({ kind: 'linear', tokenDim: p.d }),
  heads: (p) => [scalarHead(p.d)],
  baselines: ['least-squares', 'zero'],
  referenceBaseline: 'least-squares',
  paperTable1: { transformer: 'partial', mamba: 'learns', mambaformer: 'learns' },
  chanceLevel: () => 1,
  sample: (rng, p, batchSize, state) => sampleManyOutlierRegression(rng, p, batchSize, state).batch,
  sketch: (batch, index, p) =>
    sketchScatter(
      batch,
      index,
      `Linear regression, ${Math.round(p.p * 100)}% outliers (x = all ones, y = 1)`,
    ),
  paper: { lr: 1e-4, steps: 1_000_000, clip: 10, dModel: 128, gpt2Layers: 2 },
  classroom: {
    params: { d: 4, nPoints: 80, p: 0.9 },
    steps: 5000,
    lr: 1e-3,
    // linear regression's setting (D 64, 3 GPT-2 layers = 6 Mamba blocks, batch 256; runs 7b, 10a,
    // 10c, docs/TABLE1.md): MambaFormer reaches least squares with seeds 0-2 by step 2250-2500, Mamba by
    // step 3500-4750 (so 5000 steps show Mamba's verdict with every seed), the Transformer stays at the
    // zero predictor with seeds 0 and 2 for 4000 steps (0.62 of the gap with seed 1 by step 3000)
    batchSize: 256,
    interval: 50,
    dModel: 64,
    gpt2Layers: 3,
    phenomenon: 'error on clean points falls as clean examples accumulate among the dummies',
  },
  probeDraft: (rng, p, state) => {
    const { batch, latents } = sampleManyOutlierRegression(rng, p, 1, state);
    return regressionDraft(batch, { kind: 'linear', w: latents.w }, unitDirection(latents.w), W_AXIS, 2);
  },
};
