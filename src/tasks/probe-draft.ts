/**
 * The probe prompt as the page edits it: one prompt of a task together with its hidden function,
 * so that an edit of an input recomputes the label from the same function. Each task builds its
 * own draft (`TaskDefinition.probeDraft`) with one of the builders below; the editing itself
 * (src/state/probe-editor.ts) only knows the draft kinds, never the tasks.
 *
 * One draft kind per family of tasks:
 *  - 'regression': the examples as points projected on a view direction (e.g. the hidden w, or a
 *    coordinate of x); moving a point moves its x along that direction and its label follows the
 *    hidden function. Outliers are shown but not editable.
 *  - 'parity': the +-1 bits of every example; flipping one recomputes that example's label.
 *  - 'vector-recall' / 'token-recall': which key the (first) query asks for.
 * The query is the last clean example (regression, parity) or the (first) query token (recall).
 */
import type { PromptBatch, TaskName } from './types';

/** The function behind a regression prompt's labels. */
export type HiddenFunction =
  | { kind: 'linear'; w: Float64Array }
  | { kind: 'relu'; w1: Float64Array; w2: Float64Array; hidden: number }
  | { kind: 'tree'; coords: Int32Array; values: Float64Array; depth: number }
  /** chain of thought: s = sqrt(2/k) ReLU(W^T x), y = v . s */
  | { kind: 'cot'; w: Float64Array; v: Float64Array; hidden: number };

interface DraftBase {
  task: TaskName;
  seqLen: number;
  tokenDim: number;
  /** [seqLen, tokenDim] the prompt as the model reads it */
  tokens: Float32Array;
  tokenKinds: Uint8Array;
}

export interface RegressionDraft extends DraftBase {
  kind: 'regression';
  nPoints: number;
  dim: number;
  /** [nPoints, dim] */
  xs: Float32Array;
  /** [nPoints] */
  ys: Float32Array;
  /** [nPoints] 1 clean, 0 outlier (not editable) */
  clean: Uint8Array;
  fn: HiddenFunction;
  /** unit vector the points are projected on */
  direction: Float64Array;
  axisLabel: string;
  /** tokens per example: 2 (x, y) or 3 (x, s, y: chain of thought) */
  stride: number;
  /** index of the query example */
  query: number;
}

export interface ParityDraft extends DraftBase {
  kind: 'parity';
  nPoints: number;
  dim: number;
  /** [nPoints, dim] +-1 */
  bits: Float32Array;
  /** [nPoints] +-1 */
  ys: Float32Array;
  /** the hidden subset (0-based coordinates) */
  subset: number[];
  query: number;
}

export interface VectorRecallDraft extends DraftBase {
  kind: 'vector-recall';
  nPairs: number;
  /** the pair whose key the query copies */
  queried: number;
}

export interface TokenRecallDraft extends DraftBase {
  kind: 'token-recall';
  nPairs: number;
  nQueries: number;
  vocab: number;
  /** the pair the first query asks for */
  queried: number;
}

export type ProbeDraft = RegressionDraft | ParityDraft | VectorRecallDraft | TokenRecallDraft;

/** The axis label of a draft whose points are projected on the hidden weights w. */
export const W_AXIS = 'x projected on w, the hidden weights';
/** The axis label of a draft whose points are projected on the first coordinate of x. */
export const X1_AXIS = 'x₁, the first coordinate of x';

/** The unit vector along coordinate `axis` (clamped into [0, dim)). */
export function unitAxis(dim: number, axis: number): Float64Array {
  const u = new Float64Array(dim);
  u[Math.max(0, Math.min(dim - 1, axis))] = 1;
  return u;
}

/** w / |w| (the first axis when w is 0). */
export function unitDirection(w: Float64Array): Float64Array {
  let n = 0;
  for (const v of w) n += v * v;
  n = Math.sqrt(n);
  if (!(n > 0)) return unitAxis(w.length, 0);
  return w.map((v) => v / n);
}

function lastClean(clean: Uint8Array): number {
  for (let i = clean.length - 1; i >= 0; i--) if (clean[i]) return i;
  return clean.length - 1;
}

function base(batch: PromptBatch): DraftBase {
  return {
    task: batch.task,
    seqLen: batch.seqLen,
    tokenDim: batch.tokenDim,
    tokens: batch.tokens.slice(0, batch.seqLen * batch.tokenDim),
    tokenKinds: batch.tokenKinds.slice(),
  };
}

/** Prompt 0 of a function-learning batch, with the function behind its labels. */
export function regressionDraft(
  batch: PromptBatch,
  fn: HiddenFunction,
  dir: Float64Array,
  axisLabel: string,
  stride: number,
): RegressionDraft {
  const ex = batch.examples;
  if (!ex) throw new Error(`${batch.task}: no example view`);
  return {
    kind: 'regression',
    ...base(batch),
    nPoints: ex.nPoints,
    dim: ex.dim,
    xs: ex.xs.slice(0, ex.nPoints * ex.dim),
    ys: ex.ys.slice(0, ex.nPoints),
    clean: ex.clean.slice(0, ex.nPoints),
    fn,
    direction: dir,
    axisLabel,
    stride,
    query: lastClean(ex.clean.subarray(0, ex.nPoints)),
  };
}

/** Prompt 0 of a +-1 bits batch whose labels are the parity of the bits in `subset`. */
export function parityDraft(batch: PromptBatch, subset: ArrayLike<number>): ParityDraft {
  const ex = batch.examples;
  if (!ex) throw new Error(`${batch.task}: no example view`);
  return {
    kind: 'parity',
    ...base(batch),
    nPoints: ex.nPoints,
    dim: ex.dim,
    bits: ex.xs.slice(0, ex.nPoints * ex.dim),
    ys: ex.ys.slice(0, ex.nPoints),
    subset: Array.from(subset),
    query: ex.nPoints - 1,
  };
}

function recallOf(batch: PromptBatch) {
  const recall = batch.heads[0]?.recall;
  if (!recall) throw new Error(`${batch.task}: its first head is no recall head`);
  return recall;
}

/** Prompt 0 of a vector-recall batch (its first head is the recall head). */
export function vectorRecallDraft(batch: PromptBatch): VectorRecallDraft {
  const recall = recallOf(batch);
  return { kind: 'vector-recall', ...base(batch), nPairs: recall.nPairs, queried: recall.queriedPair[0] };
}

/** Prompt 0 of a token-recall batch over a vocabulary of `vocab` ids. */
export function tokenRecallDraft(batch: PromptBatch, vocab: number): TokenRecallDraft {
  const recall = recallOf(batch);
  return {
    kind: 'token-recall',
    ...base(batch),
    nPairs: recall.nPairs,
    nQueries: batch.heads[0].positions.length,
    vocab,
    queried: recall.queriedPair[0],
  };
}
