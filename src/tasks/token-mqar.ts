/**
 * Token multi-query associative recall, after Zoology's `multiquery_ar` (Arora et al. 2023); not in
 * the paper's table. A vocabulary of V token ids: 0 is never used (Zoology's blank), keys come from
 * [1, V/2), values from [V/2, V) (V/2 rounded down).
 *
 * One prompt, with P pairs and Q queries (seqLen = 2P + 2Q):
 *
 *     k_1 v_1 k_2 v_2 ... k_P v_P   q_1 a_1 q_2 a_2 ... q_Q a_Q
 *
 * - the P keys are distinct, uniformly drawn from [1, V/2), in random order;
 * - the P values are distinct, uniformly drawn from [V/2, V), in random order; v_j belongs to k_j;
 * - the queries q_1..q_Q are Q distinct keys of the prompt in random order (Q = P asks every key
 *   once, as Zoology); a_j is the value paired with q_j, so the query region reads like the
 *   key-value region and the whole prompt is a valid next-token-prediction sequence.
 * Target: at each query token q_j (position 2P + 2j) the model predicts the next token a_j, read
 * out through the tied embedding ('token' head, V logits, cross-entropy, accuracy of the argmax).
 * A causal model cannot see a_j when predicting it, and no key is queried twice, so nothing in the
 * query region gives the answer away. examplesBefore[j] = P + j: the key-value associations shown
 * before target j (the P pairs and the j answered queries). `HeadBatch.recall.queriedPair[b, j]`
 * is the pair index (0 = first) that query j asks for: accuracy vs recency of the queried pair.
 *
 * Unlike Zoology, queries follow each other directly (no power-law gaps filled with random tokens).
 * The number of pairs is the curriculum's `points` (fixed at `pairs`); Q = min(queries, P).
 * Random draws per prompt: a permutation of the key range, one of the value range, one of the P
 * pairs (the first Q are queried).
 */
import { z } from 'zod';
import type { Rng } from '../random/rng';
import { fixedCurriculum } from './common';
import { tokenRecallDraft } from './probe-draft';
import type {
  CurriculumState,
  HeadBatch,
  HeadSpec,
  PromptBatch,
  PromptSketch,
  TaskDefinition,
} from './types';

export const tokenMqarParams = z
  .object({
    vocab: z
      .number()
      .int()
      .min(4)
      .max(8192)
      .default(64)
      .describe('vocabulary size V (keys below V/2, values above)')
      .meta({ label: 'Vocabulary' }),
    pairs: z
      .number()
      .int()
      .min(1)
      .max(512)
      .default(8)
      .describe('key-value pairs per prompt (P)')
      .meta({ label: 'Key-value pairs' }),
    queries: z
      .number()
      .int()
      .min(1)
      .max(512)
      .default(8)
      .describe('queries after the key-value block (at most P)')
      .meta({ label: 'Queries' }),
  })
  .refine((p) => p.pairs <= Math.floor(p.vocab / 2) - 1, {
    message: 'pairs must be below vocab / 2 (keys are distinct ids in [1, vocab/2))',
    path: ['pairs'],
  })
  .refine((p) => p.queries <= p.pairs, { message: 'queries must be at most pairs', path: ['queries'] });
export type TokenMqarParams = z.infer<typeof tokenMqarParams>;

export const tokenMqarHead = (p: TokenMqarParams): HeadSpec => ({
  name: 'token',
  dim: p.vocab,
  loss: 'cross-entropy',
  metric: 'token-accuracy',
  normalisation: 1,
});

/** Key ids are [1, keyEnd), value ids [keyEnd, vocab). */
export const tokenMqarKeyEnd = (vocab: number): number => Math.floor(vocab / 2);

export function sampleTokenMqar(
  rng: Rng,
  p: TokenMqarParams,
  batchSize: number,
  state: CurriculumState,
): PromptBatch {
  const keyEnd = tokenMqarKeyEnd(p.vocab);
  const nKeys = keyEnd - 1;
  const nValues = p.vocab - keyEnd;
  const nPairs = Math.max(1, Math.min(Math.floor(state.points), nKeys, nValues));
  const nQueries = Math.min(p.queries, nPairs);
  const seqLen = 2 * nPairs + 2 * nQueries;
  const tokens = new Float32Array(batchSize * seqLen);
  const targets = new Float32Array(batchSize * nQueries);
  const queriedPair = new Int32Array(batchSize * nQueries);
  for (let b = 0; b < batchSize; b++) {
    const keys = rng.permutation(nKeys);
    const values = rng.permutation(nValues);
    const order = rng.permutation(nPairs);
    const base = b * seqLen;
    for (let j = 0; j < nPairs; j++) {
      tokens[base + 2 * j] = 1 + keys[j];
      tokens[base + 2 * j + 1] = keyEnd + values[j];
    }
    for (let q = 0; q < nQueries; q++) {
      const pair = order[q];
      const t = base + 2 * nPairs + 2 * q;
      tokens[t] = tokens[base + 2 * pair];
      tokens[t + 1] = tokens[base + 2 * pair + 1];
      targets[b * nQueries + q] = tokens[base + 2 * pair + 1];
      queriedPair[b * nQueries + q] = pair;
    }
  }
  const positions = new Int32Array(nQueries);
  const examplesBefore = new Int32Array(nQueries);
  for (let q = 0; q < nQueries; q++) {
    positions[q] = 2 * nPairs + 2 * q;
    examplesBefore[q] = nPairs + q;
  }
  const keyPositions = new Int32Array(nPairs);
  const valuePositions = new Int32Array(nPairs);
  for (let j = 0; j < nPairs; j++) {
    keyPositions[j] = 2 * j;
    valuePositions[j] = 2 * j + 1;
  }
  const head: HeadBatch = {
    spec: tokenMqarHead(p),
    positions,
    targets,
    targetDim: 1,
    mask: new Float32Array(batchSize * nQueries).fill(1),
    examplesBefore,
    recall: { nPairs, keyPositions, valuePositions, queriedPair },
  };
  return {
    task: 'token-mqar',
    batchSize,
    seqLen,
    tokenDim: 1,
    tokens,
    tokenKinds: new Uint8Array(seqLen),
    heads: [head],
  };
}

function sketchTokenMqar(batch: PromptBatch, index: number): PromptSketch {
  const head = batch.heads[0];
  const recall = head.recall;
  if (!recall) throw new Error('token MQAR batch without recall info');
  const base = index * batch.seqLen;
  const id = (t: number): number => batch.tokens[base + t];
  const pairs = Array.from({ length: recall.nPairs }, (_, j) => ({
    key: [id(recall.keyPositions[j])],
    value: [id(recall.valuePositions[j])],
  }));
  const nQueries = head.positions.length;
  const answerIndex = recall.queriedPair[index * nQueries];
  const query = id(head.positions[0]);
  return {
    kind: 'pairs',
    pairs,
    query: [query],
    answerIndex,
    caption: `${recall.nPairs} key→value token pairs, then ${nQueries} queries; the first asks for key ${query} → ${pairs[answerIndex].value[0]}`,
  };
}

export const tokenMqar: TaskDefinition<TokenMqarParams, 'token-mqar'> = {
  name: 'token-mqar',
  title: 'Token MQAR',
  summary: 'Words come in key→value pairs; when a key is asked again, answer with the word that followed it.',
  paramsSchema: tokenMqarParams,
  defaults: tokenMqarParams.parse({}),
  curriculum: (p) => fixedCurriculum(1, p.pairs),
  readIn: (p) => ({ kind: 'embedding', vocabSize: p.vocab }),
  heads: (p) => [tokenMqarHead(p)],
  baselines: [],
  referenceBaseline: null,
  chanceLevel: (p) => 1 / p.pairs,
  sample: sampleTokenMqar,
  sketch: sketchTokenMqar,
  paper: {
    // Not in the paper's table: Zoology trains MQAR with a higher rate; a browser-sized default.
    lr: 1e-3,
    steps: 20_000,
    clip: 10,
    dModel: 128,
    gpt2Layers: 2,
  },
  classroom: {
    params: { vocab: 64, pairs: 8, queries: 8 },
    steps: 3000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'Transformer and MambaFormer accuracy near 1; Mamba lower',
  },
  probeDraft: (rng, p, state) => tokenRecallDraft(sampleTokenMqar(rng, p, 1, state), p.vocab),
};
