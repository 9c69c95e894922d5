/**
 * The probe prompt as the page edits it: the experiment's seeded probe prompt (prompt 0 of
 * Rng.derive(seed, 'probe'), the one the workers probe by default) re-drawn together with its
 * hidden function, so that an edit of an input recomputes the label from the same function.
 * Each task draws its own draft (`TaskDefinition.probeDraft`, kinds in src/tasks/probe-draft.ts);
 * the edits here know only the draft kinds:
 *  - 'regression': moving a point moves its x along the view direction, its label follows the
 *    hidden function; outliers are shown but not editable;
 *  - 'parity': flipping one bit recomputes that example's label;
 *  - 'vector-recall' / 'token-recall': which key the (first) query asks for.
 *
 * Everything here is pure: every edit returns a new draft; nothing is mutated.
 */
import { Rng } from '../../random/rng';
import type { Experiment } from '../../schema/experiment';
import { bindTask } from '../../tasks';
import { curriculumEnd } from '../../tasks/common';
import { treeLeaf } from '../../tasks/decision-tree';
import type {
  HiddenFunction,
  ParityDraft,
  ProbeDraft,
  RegressionDraft,
  TokenRecallDraft,
  VectorRecallDraft,
} from '../../tasks/probe-draft';
import { reluNetwork } from '../../tasks/relu-nn-regression';
import type { ProbePrompt, ProbeResult } from '../../workers/training/protocol';

export type {
  HiddenFunction,
  ParityDraft,
  ProbeDraft,
  RegressionDraft,
  TokenRecallDraft,
  VectorRecallDraft,
} from '../../tasks/probe-draft';

/** How far (in units of the view direction) a point may be moved from the origin. */
export const PROJECTION_LIMIT = 6;

// ------------------------------------------------------------------------------ the hidden function

/** y = f(x) for x = xs[off .. off + dim); for chain of thought also s (written to `sOut`). */
export function evaluateHidden(
  fn: HiddenFunction,
  x: ArrayLike<number>,
  off: number,
  dim: number,
  sOut?: Float32Array,
): number {
  switch (fn.kind) {
    case 'linear': {
      let y = 0;
      for (let j = 0; j < dim; j++) y += fn.w[j] * x[off + j];
      return y;
    }
    case 'relu':
      return reluNetwork(fn.w1, 0, fn.w2, 0, x, off, dim, fn.hidden, new Float64Array(fn.hidden));
    case 'tree':
      return fn.values[treeLeaf(fn.coords, 0, fn.depth, x, off)];
    case 'cot': {
      const k = fn.hidden;
      const scale = Math.sqrt(2 / k);
      let y = 0;
      for (let j = 0; j < k; j++) {
        let pre = 0;
        for (let a = 0; a < dim; a++) pre += x[off + a] * fn.w[a * k + j];
        const s = Math.fround(scale * Math.max(0, pre));
        if (sOut) sOut[j] = s;
        y += fn.v[j] * s;
      }
      return y;
    }
  }
}

/** The experiment's probe prompt (the one the workers probe by default), as an editable draft. */
export function createDraft(experiment: Experiment): ProbeDraft {
  const task = bindTask(experiment.task.name, experiment.task.params);
  return task.probeDraft(Rng.derive(experiment.seed, 'probe'), curriculumEnd(experiment.curriculum));
}

/** What identifies an experiment's probe prompt: a change of any of these makes a new draft. */
export function probePromptKey(e: Experiment): string {
  return JSON.stringify([e.task.name, e.task.params, e.curriculum.dims.end, e.curriculum.points.end, e.seed]);
}

// ------------------------------------------------------------------------------ regression edits

/** x_i . direction */
export function projectionOf(d: RegressionDraft, i: number): number {
  let p = 0;
  for (let j = 0; j < d.dim; j++) p += d.xs[i * d.dim + j] * d.direction[j];
  return p;
}

export function isEditable(d: RegressionDraft, i: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < d.nPoints && d.clean[i] === 1;
}

/**
 * Move example i so that its projection on the view direction is `target` (clamped to
 * +-PROJECTION_LIMIT); the rest of x is kept. Its label (and, for chain of thought, its
 * intermediate step s) is recomputed from the hidden function, and its tokens rewritten.
 * Outliers and out-of-range indices leave the draft unchanged.
 */
export function moveExample(d: RegressionDraft, i: number, target: number): RegressionDraft {
  if (!isEditable(d, i) || !Number.isFinite(target)) return d;
  const to = Math.max(-PROJECTION_LIMIT, Math.min(PROJECTION_LIMIT, target));
  const shift = to - projectionOf(d, i);
  if (shift === 0) return d;
  const xs = d.xs.slice();
  const off = i * d.dim;
  for (let j = 0; j < d.dim; j++) xs[off + j] = Math.fround(xs[off + j] + shift * d.direction[j]);
  const ys = d.ys.slice();
  const tokens = d.tokens.slice();
  const td = d.tokenDim;
  const base = d.stride * i * td;
  tokens.set(xs.subarray(off, off + d.dim), base);
  if (d.fn.kind === 'cot') {
    const s = new Float32Array(d.fn.hidden);
    const y = Math.fround(evaluateHidden(d.fn, xs, off, d.dim, s));
    ys[i] = y;
    tokens.fill(0, base + td, base + 3 * td);
    tokens.set(s, base + td);
    tokens[base + 2 * td] = y;
  } else {
    const y = Math.fround(evaluateHidden(d.fn, xs, off, d.dim));
    ys[i] = y;
    tokens.fill(0, base + td, base + 2 * td);
    tokens[base + td] = y;
  }
  return { ...d, xs, ys, tokens };
}

/** Move example i by `delta` along the view direction. */
export function nudgeExample(d: RegressionDraft, i: number, delta: number): RegressionDraft {
  if (!isEditable(d, i)) return d;
  return moveExample(d, i, projectionOf(d, i) + delta);
}

export interface ScatterPoint {
  index: number;
  /** projection on the view direction */
  x: number;
  y: number;
  outlier: boolean;
  query: boolean;
}

export function scatterPoints(d: RegressionDraft): ScatterPoint[] {
  return Array.from({ length: d.nPoints }, (_, i) => ({
    index: i,
    x: projectionOf(d, i),
    y: d.ys[i],
    outlier: d.clean[i] === 0,
    query: i === d.query,
  }));
}

// ------------------------------------------------------------------------------ parity edits

/** Flip bit j of example i; its label (the product of the hidden subset's bits) is recomputed. */
export function flipBit(d: ParityDraft, i: number, j: number): ParityDraft {
  if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || i >= d.nPoints || j < 0 || j >= d.dim)
    return d;
  const bits = d.bits.slice();
  const off = i * d.dim;
  bits[off + j] = -bits[off + j];
  let y = 1;
  for (const s of d.subset) y *= bits[off + s];
  const ys = d.ys.slice();
  ys[i] = y;
  const tokens = d.tokens.slice();
  const base = 2 * i * d.tokenDim;
  tokens.set(bits.subarray(off, off + d.dim), base);
  tokens.fill(0, base + d.tokenDim, base + 2 * d.tokenDim);
  tokens[base + d.tokenDim] = y;
  return { ...d, bits, ys, tokens };
}

// ------------------------------------------------------------------------------ recall edits

/** Make the (first) query ask for pair `pair`: the query token becomes that pair's key. */
export function setQueriedPair<D extends VectorRecallDraft | TokenRecallDraft>(d: D, pair: number): D {
  if (!Number.isInteger(pair) || pair < 0 || pair >= d.nPairs || pair === d.queried) return d;
  const tokens = d.tokens.slice();
  const td = d.tokenDim;
  const q = 2 * d.nPairs;
  tokens.copyWithin(q * td, 2 * pair * td, (2 * pair + 1) * td);
  // token MQAR: the query's answer token (read after the prediction) follows the new key
  if (d.kind === 'token-recall') tokens[q + 1] = tokens[2 * pair + 1];
  return { ...d, tokens, queried: pair };
}

/** The key of pair j: a vector, or a one-element token id. */
export function pairKey(d: VectorRecallDraft | TokenRecallDraft, pair: number): Float32Array {
  return d.tokens.slice(2 * pair * d.tokenDim, (2 * pair + 1) * d.tokenDim);
}

export function pairValue(d: VectorRecallDraft | TokenRecallDraft, pair: number): Float32Array {
  return d.tokens.slice((2 * pair + 1) * d.tokenDim, (2 * pair + 2) * d.tokenDim);
}

// ------------------------------------------------------------------------------ to the workers

export function toProbePrompt(d: ProbeDraft): ProbePrompt {
  return {
    tokens: d.tokens.slice(),
    seqLen: d.seqLen,
    tokenDim: d.tokenDim,
    tokenKinds: d.tokenKinds.slice(),
  };
}

export function sameTokens(a: ProbeDraft, b: ProbeDraft): boolean {
  if (a.tokens.length !== b.tokens.length) return false;
  for (let i = 0; i < a.tokens.length; i++) if (a.tokens[i] !== b.tokens[i]) return false;
  return true;
}

// ------------------------------------------------------------------------------ reading predictions

/** The token position whose read-out (heads[0]) answers the query. */
export function queryPosition(d: ProbeDraft): number {
  switch (d.kind) {
    case 'regression':
      // chain of thought reads y at the s token; the others at the x token
      return d.stride === 3 ? 3 * d.query + 1 : 2 * d.query;
    case 'parity':
      return 2 * d.query;
    case 'vector-recall':
    case 'token-recall':
      return 2 * d.nPairs;
  }
}

export interface QueryReading {
  /** what the model predicts, in words */
  prediction: string;
  /** the true answer, in words */
  target: string;
  /** true / false for classification-like tasks, null for regression */
  correct: boolean | null;
  /** squared error (regression) or null */
  squaredError: number | null;
  /** the predicted label as a number (regression), for drawing; null otherwise */
  value: number | null;
}

const fmt = (v: number) =>
  Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(3);
const signed = (v: number) => (v > 0 ? '+1' : '−1');

/** The true answer at the query, in words (no model needed). */
export function targetText(d: ProbeDraft): string {
  switch (d.kind) {
    case 'regression':
      return fmt(d.ys[d.query]);
    case 'parity':
      return signed(d.ys[d.query]);
    case 'vector-recall':
      return `value of key ${d.queried + 1}`;
    case 'token-recall':
      return `token ${pairValue(d, d.queried)[0]}`;
  }
}

/** A model's answer at the query, read from its probe result on this draft's prompt. */
export function readQuery(d: ProbeDraft, result: ProbeResult): QueryReading | null {
  const out = result.outputs[0];
  if (!out || result.seqLen !== d.seqLen) return null;
  const width = out.length / result.seqLen;
  const pos = queryPosition(d);
  const row = out.subarray(pos * width, (pos + 1) * width);
  const target = targetText(d);
  switch (d.kind) {
    case 'regression': {
      const y = d.ys[d.query];
      return {
        prediction: fmt(row[0]),
        target,
        correct: null,
        squaredError: (row[0] - y) ** 2,
        value: row[0],
      };
    }
    case 'parity': {
      const label = row[0] > 0 ? 1 : -1;
      return {
        prediction: `${signed(label)} (logit ${fmt(row[0])})`,
        target,
        correct: label === d.ys[d.query],
        squaredError: null,
        value: null,
      };
    }
    case 'vector-recall': {
      let best = 0;
      let bestDist = Number.POSITIVE_INFINITY;
      for (let j = 0; j < d.nPairs; j++) {
        const v = pairValue(d, j);
        let dist = 0;
        for (let k = 0; k < v.length; k++) dist += (row[k] - v[k]) ** 2;
        if (dist < bestDist) {
          bestDist = dist;
          best = j;
        }
      }
      return {
        prediction: `nearest: value of key ${best + 1}`,
        target,
        correct: best === d.queried,
        squaredError: null,
        value: null,
      };
    }
    case 'token-recall': {
      let best = 0;
      for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
      return {
        prediction: `token ${best}`,
        target,
        correct: best === pairValue(d, d.queried)[0],
        squaredError: null,
        value: null,
      };
    }
  }
}

/** A one-line description of the draft's query, for captions. */
export function queryCaption(d: ProbeDraft): string {
  switch (d.kind) {
    case 'regression':
      return `The query is example ${d.query + 1} of ${d.nPoints}: each model predicts its y from the ${d.query} examples before it.`;
    case 'parity':
      return `The query is the last row (example ${d.query + 1}); its label is the product of the hidden bits ${d.subset.map((s) => `x${s + 1}`).join(' · ')}.`;
    case 'vector-recall':
      return `The query copies key ${d.queried + 1} of ${d.nPairs}; the answer is the value paired with it.`;
    case 'token-recall':
      return `The first query asks for key ${pairKey(d, d.queried)[0]} (pair ${d.queried + 1} of ${d.nPairs}); the answer is ${pairValue(d, d.queried)[0]}.`;
  }
}
