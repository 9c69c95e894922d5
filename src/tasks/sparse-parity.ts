/**
 * Sparse parity (paper.md section 2): x ~ Uniform{-1, +1}^d (d = 10), y = the product of x_j over a
 * hidden subset S of k = 2 coordinates (45 possible subsets), N = 140 examples, no curriculum.
 * Tokens as the common frame (x token, then y token (y, 0, ..., 0)); the head reads at every x
 * token; targets are +-1; loss BCE(sigmoid(y_hat), (y + 1) / 2), metric accuracy of sign(y_hat),
 * chance 0.5. Coordinates past `state.dims` would be 0 (the curriculum is fixed at d).
 *
 * `subsetPerPrompt` (the paper.md decision): true (default) draws S per prompt; false draws one S
 * per batch shared by all its prompts, as the released code (one S per training step).
 * Random draws: [shared S], then per prompt: [its S], then the N x d signs.
 */
import { z } from 'zod';
import type { Rng } from '../random/rng';
import { allocateExamples, examplesParam, fixedCurriculum, interleaveExamples, liveDims } from './common';
import { parityDraft } from './probe-draft';
import type { CurriculumState, HeadSpec, PromptBatch, PromptSketch, TaskDefinition } from './types';

export const sparseParityParams = z
  .object({
    d: z
      .number()
      .int()
      .min(1)
      .max(32)
      .default(10)
      .describe('number of input bits')
      .meta({ label: 'Dimension d' }),
    nPoints: examplesParam(140),
    k: z
      .number()
      .int()
      .min(1)
      .max(32)
      .default(2)
      .describe('size of the hidden subset S')
      .meta({ label: 'Sparsity k' }),
    subsetPerPrompt: z
      .boolean()
      .default(true)
      .describe('true: a new hidden subset per prompt (paper); false: one subset per batch (released code)')
      .meta({ label: 'New subset S per prompt' }),
  })
  .refine((p) => p.k <= p.d, { message: 'k must be at most d', path: ['k'] });
export type SparseParityParams = z.infer<typeof sparseParityParams>;

export interface SparseParityLatents {
  /** [batch, k] each prompt's hidden subset, increasing */
  subsets: Int32Array;
}

export const parityHead: HeadSpec = {
  name: 'y',
  dim: 1,
  loss: 'bce',
  metric: 'sign-accuracy',
  normalisation: 1,
};

export function sampleSparseParity(
  rng: Rng,
  p: SparseParityParams,
  batchSize: number,
  state: CurriculumState,
): { batch: PromptBatch; latents: SparseParityLatents } {
  const { d, k } = p;
  const n = state.points;
  const live = liveDims(d, state);
  const ex = allocateExamples(batchSize, n, d);
  const subsets = new Int32Array(batchSize * k);
  const shared = p.subsetPerPrompt ? null : rng.subset(d, k);
  for (let b = 0; b < batchSize; b++) {
    const s = shared ?? rng.subset(d, k);
    subsets.set(s, b * k);
    for (let i = 0; i < n; i++) {
      const off = (b * n + i) * d;
      for (let j = 0; j < d; j++) ex.xs[off + j] = j < live ? rng.sign() : 0;
      let y = 1;
      for (const j of s) y *= ex.xs[off + j];
      ex.ys[b * n + i] = y;
    }
  }
  return { batch: interleaveExamples('sparse-parity', ex, parityHead), latents: { subsets } };
}

/** The k-subsets of 0..d-1 (in lexicographic order) whose parity explains every example of a prompt. */
export function consistentSubsets(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  index: number,
  n: number,
  d: number,
  k: number,
  limit = 20000,
): number[][] {
  const found: number[][] = [];
  const subset = Array.from({ length: k }, (_, i) => i);
  for (let visited = 0; visited < limit; visited++) {
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const off = (index * n + i) * d;
      let y = 1;
      for (const j of subset) y *= xs[off + j];
      ok = y === ys[index * n + i];
    }
    if (ok) found.push([...subset]);
    // next k-subset in lexicographic order
    let pos = k - 1;
    while (pos >= 0 && subset[pos] === d - k + pos) pos--;
    if (pos < 0) break;
    subset[pos]++;
    for (let q = pos + 1; q < k; q++) subset[q] = subset[q - 1] + 1;
  }
  return found;
}

function sketchParity(batch: PromptBatch, index: number, p: SparseParityParams): PromptSketch {
  const ex = batch.examples;
  if (!ex) throw new Error('sparse parity batch without examples');
  const { nPoints: n, dim: d } = ex;
  const rows: Array<{ bits: number[]; label: number }> = [];
  for (let i = 0; i < n; i++) {
    const off = (index * n + i) * d;
    rows.push({ bits: Array.from(ex.xs.subarray(off, off + d)), label: ex.ys[index * n + i] });
  }
  const candidates = consistentSubsets(ex.xs, ex.ys, index, n, d, p.k);
  const highlight = candidates.length > 0 ? candidates[0] : [];
  const named = highlight.map((j) => `x${j + 1}`).join(' · ');
  const caption =
    candidates.length === 1
      ? `Hidden subset: y = ${named}`
      : `${candidates.length} subsets of ${p.k} bits explain these ${n} examples${named ? `, e.g. y = ${named}` : ''}`;
  return { kind: 'bits', rows, highlight, caption };
}

export const sparseParity: TaskDefinition<SparseParityParams, 'sparse-parity'> = {
  name: 'sparse-parity',
  title: 'Sparse parity',
  summary: 'The label is the product of 2 hidden bits out of 10; find which two from the examples.',
  paramsSchema: sparseParityParams,
  defaults: sparseParityParams.parse({}),
  curriculum: (p) => fixedCurriculum(p.d, p.nPoints),
  readIn: (p) => ({ kind: 'linear', tokenDim: p.d }),
  heads: () => [parityHead],
  baselines: [],
  referenceBaseline: null,
  paperTable1: { transformer: 'fails', mamba: 'learns', mambaformer: 'learns', hybrid: 'fails' },
  chanceLevel: () => 0.5,
  sample: (rng, p, batchSize, state) => sampleSparseParity(rng, p, batchSize, state).batch,
  sketch: sketchParity,
  paper: {
    lr: 4e-4,
    steps: 500_000,
    clip: 10,
    // the authors' conf/parity.yaml: GPT-2 of width 256 and 12 layers (the Mamba family 24 blocks)
    dModel: 256,
    gpt2Layers: 12,
  },
  classroom: {
    params: { d: 6, nPoints: 40, k: 2 },
    steps: 6000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'Mamba / MambaFormer accuracy rises toward 1 late in the prompt; Transformer stays near 0.5',
  },
  probeDraft: (rng, p, state) => {
    const { batch, latents } = sampleSparseParity(rng, p, 1, state);
    return parityDraft(batch, latents.subsets.subarray(0, p.k));
  },
};
