import { describe, expect, it } from 'vitest';
import { getTask, TASK_NAMES } from '../../tasks';
import { probeBatch } from '../../tasks/stream';
import type { TaskName } from '../../tasks/types';
import { tinyExperiment } from '../../train/test-experiments';
import type { ProbeResult } from '../../workers/training/protocol';
import {
  createDraft,
  evaluateHidden,
  flipBit,
  moveExample,
  nudgeExample,
  type ParityDraft,
  PROJECTION_LIMIT,
  type ProbeDraft,
  pairKey,
  pairValue,
  projectionOf,
  queryPosition,
  type RegressionDraft,
  readQuery,
  sameTokens,
  scatterPoints,
  setQueriedPair,
  type TokenRecallDraft,
  targetText,
  toProbePrompt,
  type VectorRecallDraft,
} from './probe-editor';

const SMALL: Partial<Record<TaskName, Record<string, unknown>>> = {
  'linear-regression': { d: 3, nPoints: 6 },
  'sparse-linear-regression': { d: 4, nPoints: 6, k: 2 },
  'relu-nn-regression': { d: 3, nPoints: 6, hidden: 5 },
  'decision-tree': { d: 3, nPoints: 8, depth: 2 },
  'orthogonal-outlier-regression': { d: 4, nPoints: 10 },
  'many-outlier-regression': { d: 3, nPoints: 12, p: 0.5 },
  'sparse-parity': { d: 5, nPoints: 8, k: 2 },
  'chain-of-thought': { d: 3, nPoints: 5, hidden: 2 },
  'vector-mqar': { d: 4, pairs: 5 },
  'token-mqar': { vocab: 16, pairs: 4, queries: 3 },
};

const experimentOf = (task: TaskName) => tinyExperiment(['transformer'], {}, task, SMALL[task] ?? {});

function regression(task: TaskName = 'linear-regression'): RegressionDraft {
  const d = createDraft(experimentOf(task));
  if (d.kind !== 'regression') throw new Error(`${task} is not a regression draft`);
  return d;
}

/** A probe result whose heads[0] read-out is `rows` (one row per token). */
function resultWith(d: ProbeDraft, width: number, fill: (pos: number, k: number) => number): ProbeResult {
  const out = new Float32Array(d.seqLen * width);
  for (let t = 0; t < d.seqLen; t++) for (let k = 0; k < width; k++) out[t * width + k] = fill(t, k);
  return { arch: 'transformer', seqLen: d.seqLen, layers: [], outputs: [out] };
}

describe('createDraft', () => {
  it.each(TASK_NAMES)('%s: the draft is the seeded probe prompt, token for token', (task) => {
    const e = experimentOf(task);
    const draft = createDraft(e);
    const batch = probeBatch(getTask(task) as never, e.task.params as never, e.curriculum, e.seed);
    expect(draft.task).toBe(task);
    expect(draft.seqLen).toBe(batch.seqLen);
    expect(draft.tokenDim).toBe(batch.tokenDim);
    expect(Array.from(draft.tokens)).toEqual(Array.from(batch.tokens));
    expect(Array.from(draft.tokenKinds)).toEqual(Array.from(batch.tokenKinds));
    const prompt = toProbePrompt(draft);
    expect(prompt.tokens).not.toBe(draft.tokens);
    expect(prompt.tokens.length).toBe(prompt.seqLen * prompt.tokenDim);
  });

  it.each([
    'linear-regression',
    'sparse-linear-regression',
    'relu-nn-regression',
    'decision-tree',
    'chain-of-thought',
    'orthogonal-outlier-regression',
    'many-outlier-regression',
  ] as TaskName[])('%s: the recovered hidden function explains every clean label', (task) => {
    const d = regression(task);
    for (let i = 0; i < d.nPoints; i++) {
      if (!d.clean[i]) continue;
      expect(evaluateHidden(d.fn, d.xs, i * d.dim, d.dim)).toBeCloseTo(d.ys[i], 4);
    }
  });

  it('picks the task kind and a sensible view', () => {
    expect(createDraft(experimentOf('sparse-parity')).kind).toBe('parity');
    expect(createDraft(experimentOf('vector-mqar')).kind).toBe('vector-recall');
    expect(createDraft(experimentOf('token-mqar')).kind).toBe('token-recall');
    const lin = regression();
    // the view is the direction of w: y is |w| times the projection
    const fn = lin.fn;
    if (fn.kind !== 'linear') throw new Error('linear');
    const norm = Math.hypot(...fn.w);
    for (const p of scatterPoints(lin)) expect(p.y).toBeCloseTo(norm * p.x, 4);
    const tree = regression('decision-tree');
    if (tree.fn.kind !== 'tree') throw new Error('tree');
    expect(tree.direction[tree.fn.coords[0]]).toBe(1);
    expect(tree.axisLabel).toContain(`x${tree.fn.coords[0] + 1}`);
  });

  it('the query is the last clean example', () => {
    const d = regression('many-outlier-regression');
    expect(d.clean[d.query]).toBe(1);
    for (let i = d.query + 1; i < d.nPoints; i++) expect(d.clean[i]).toBe(0);
    expect(scatterPoints(d).filter((p) => p.query)).toHaveLength(1);
  });
});

describe('regression edits', () => {
  it('moving a point sets its projection, recomputes y from w and rewrites its tokens', () => {
    const d = regression();
    const i = 2;
    const moved = moveExample(d, i, 1.5);
    expect(projectionOf(moved, i)).toBeCloseTo(1.5, 5);
    expect(moved.ys[i]).toBeCloseTo(evaluateHidden(d.fn, moved.xs, i * d.dim, d.dim), 5);
    expect(moved.ys[i]).not.toBeCloseTo(d.ys[i], 3);
    // x token then y token (y, 0, ...)
    expect(Array.from(moved.tokens.subarray(2 * i * d.dim, (2 * i + 1) * d.dim))).toEqual(
      Array.from(moved.xs.subarray(i * d.dim, (i + 1) * d.dim)),
    );
    expect(moved.tokens[(2 * i + 1) * d.dim]).toBe(moved.ys[i]);
    for (let j = 1; j < d.dim; j++) expect(moved.tokens[(2 * i + 1) * d.dim + j]).toBe(0);
    // the other examples and the original draft are untouched
    expect(Array.from(d.tokens)).toEqual(Array.from(createDraft(experimentOf('linear-regression')).tokens));
    for (let k = 0; k < d.nPoints; k++) if (k !== i) expect(moved.ys[k]).toBe(d.ys[k]);
    expect(sameTokens(d, moved)).toBe(false);
  });

  it('keeps the component of x orthogonal to the view', () => {
    const d = regression('relu-nn-regression');
    const moved = nudgeExample(d, 1, 0.75);
    expect(moved.xs[d.dim]).toBeCloseTo(d.xs[d.dim] + 0.75, 5);
    for (let j = 1; j < d.dim; j++) expect(moved.xs[d.dim + j]).toBe(d.xs[d.dim + j]);
    expect(moved.ys[1]).toBeCloseTo(evaluateHidden(d.fn, moved.xs, d.dim, d.dim), 5);
  });

  it('the tree label jumps when the point crosses the root split', () => {
    const d = regression('decision-tree');
    const left = moveExample(d, 0, -2);
    const right = moveExample(d, 0, 2);
    if (d.fn.kind !== 'tree') throw new Error('tree');
    expect(left.xs[d.fn.coords[0]]).toBeLessThan(0);
    expect(right.xs[d.fn.coords[0]]).toBeGreaterThan(0);
    expect(left.ys[0]).toBe(Math.fround(evaluateHidden(d.fn, left.xs, 0, d.dim)));
    expect(right.ys[0]).toBe(Math.fround(evaluateHidden(d.fn, right.xs, 0, d.dim)));
    expect(left.ys[0]).not.toBe(right.ys[0]);
  });

  it('chain of thought: the s token and the y token follow the new x', () => {
    const d = regression('chain-of-thought');
    const moved = nudgeExample(d, 0, 1);
    const s = new Float32Array(2);
    const y = evaluateHidden(d.fn, moved.xs, 0, d.dim, s);
    const td = d.tokenDim;
    expect(Array.from(moved.tokens.subarray(td, td + 2))).toEqual(Array.from(s));
    expect(moved.tokens[2 * td]).toBeCloseTo(y, 5);
    expect(moved.ys[0]).toBeCloseTo(y, 5);
    expect(queryPosition(moved)).toBe(3 * d.query + 1);
  });

  it('clamps, and leaves outliers and bad indices alone', () => {
    const d = regression();
    expect(projectionOf(moveExample(d, 0, 1e9), 0)).toBeCloseTo(PROJECTION_LIMIT, 4);
    expect(projectionOf(moveExample(d, 0, -1e9), 0)).toBeCloseTo(-PROJECTION_LIMIT, 4);
    expect(moveExample(d, -1, 1)).toBe(d);
    expect(moveExample(d, d.nPoints, 1)).toBe(d);
    expect(moveExample(d, 0, Number.NaN)).toBe(d);
    const o = regression('many-outlier-regression');
    const outlier = Array.from(o.clean).indexOf(0);
    expect(outlier).toBeGreaterThanOrEqual(0);
    expect(nudgeExample(o, outlier, 1)).toBe(o);
  });
});

describe('parity edits', () => {
  const parity = () => createDraft(experimentOf('sparse-parity')) as ParityDraft;

  it('flipping a hidden bit flips the label, another bit does not', () => {
    const d = parity();
    const [inS] = d.subset;
    const outS = [0, 1, 2, 3, 4].find((j) => !d.subset.includes(j))!;
    const q = d.query;
    const a = flipBit(d, q, inS);
    expect(a.bits[q * d.dim + inS]).toBe(-d.bits[q * d.dim + inS]);
    expect(a.ys[q]).toBe(-d.ys[q]);
    expect(a.tokens[2 * q * d.dim + inS]).toBe(a.bits[q * d.dim + inS]);
    expect(a.tokens[(2 * q + 1) * d.dim]).toBe(a.ys[q]);
    const b = flipBit(d, q, outS);
    expect(b.ys[q]).toBe(d.ys[q]);
    expect(targetText(a)).not.toBe(targetText(d));
    // flipping twice restores the prompt
    expect(sameTokens(flipBit(a, q, inS), d)).toBe(true);
    expect(flipBit(d, q, d.dim)).toBe(d);
  });

  it('reads the sign of the logit at the query', () => {
    const d = parity();
    const pos = queryPosition(d);
    const r = readQuery(
      d,
      resultWith(d, 1, (t) => (t === pos ? d.ys[d.query] * 0.4 : -9)),
    )!;
    expect(r.correct).toBe(true);
    expect(r.prediction).toContain('0.400');
    const wrong = readQuery(
      d,
      resultWith(d, 1, (t) => (t === pos ? -d.ys[d.query] : 0)),
    )!;
    expect(wrong.correct).toBe(false);
  });
});

describe('recall edits', () => {
  it('vector MQAR: the query becomes the chosen key; the nearest value is read', () => {
    const d = createDraft(experimentOf('vector-mqar')) as VectorRecallDraft;
    const pick = (d.queried + 2) % d.nPairs;
    const e = setQueriedPair(d, pick);
    expect(e.queried).toBe(pick);
    const q = e.tokens.slice(2 * e.nPairs * e.tokenDim);
    expect(Array.from(q)).toEqual(Array.from(pairKey(e, pick)));
    expect(targetText(e)).toBe(`value of key ${pick + 1}`);
    const v = pairValue(e, pick);
    const r = readQuery(
      e,
      resultWith(e, e.tokenDim, (_t, k) => v[k] + 0.01),
    )!;
    expect(r.correct).toBe(true);
    expect(r.prediction).toBe(`nearest: value of key ${pick + 1}`);
    expect(
      readQuery(
        d,
        resultWith(d, d.tokenDim, (_t, k) => v[k]),
      )!.correct,
    ).toBe(false);
    expect(setQueriedPair(d, d.nPairs)).toBe(d);
  });

  it('token MQAR: the first query and its answer token follow the chosen pair', () => {
    const d = createDraft(experimentOf('token-mqar')) as TokenRecallDraft;
    const pick = (d.queried + 1) % d.nPairs;
    const e = setQueriedPair(d, pick);
    const q = 2 * e.nPairs;
    expect(e.tokens[q]).toBe(pairKey(e, pick)[0]);
    expect(e.tokens[q + 1]).toBe(pairValue(e, pick)[0]);
    const answer = pairValue(e, pick)[0];
    const r = readQuery(
      e,
      resultWith(e, e.vocab, (_t, k) => (k === answer ? 5 : 0)),
    )!;
    expect(r.correct).toBe(true);
    expect(r.prediction).toBe(`token ${answer}`);
    expect(
      readQuery(
        e,
        resultWith(e, e.vocab, (_t, k) => (k === answer + 1 ? 5 : 0)),
      )!.correct,
    ).toBe(false);
  });
});

describe('readQuery', () => {
  it('regression: the read-out at the query x token and its squared error', () => {
    const d = regression();
    const pos = queryPosition(d);
    expect(pos).toBe(2 * d.query);
    const r = readQuery(
      d,
      resultWith(d, 1, (t) => (t === pos ? 2 : 100)),
    )!;
    expect(r.prediction).toBe('2.000');
    expect(r.value).toBe(2);
    expect(r.squaredError).toBeCloseTo((2 - d.ys[d.query]) ** 2, 5);
    expect(r.correct).toBeNull();
  });

  it('refuses a result of another prompt length', () => {
    const d = regression();
    const other: ProbeResult = {
      arch: 'mamba',
      seqLen: d.seqLen + 2,
      layers: [],
      outputs: [new Float32Array(d.seqLen + 2)],
    };
    expect(readQuery(d, other)).toBeNull();
  });
});
