import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { curriculumAt, curriculumEnd } from './common';
import { ALL_TASKS, bindTask, getTask, isTaskName, TASK_NAMES, TASK_REGISTRY, TASKS } from './index';
import { evaluationBatches, trainingBatch } from './stream';
import type { PromptBatch, TaskName } from './types';

const TITLES: Record<TaskName, string> = {
  'linear-regression': 'Linear regression',
  'sparse-linear-regression': 'Sparse linear regression',
  'relu-nn-regression': '2-layer ReLU NN regression',
  'decision-tree': 'Decision tree',
  'orthogonal-outlier-regression': 'Orthogonal-outlier regression',
  'many-outlier-regression': 'Many-outlier regression',
  'sparse-parity': 'Sparse parity',
  'chain-of-thought': 'Chain-of-thought I/O',
  'vector-mqar': 'Vector-valued MQAR',
  'token-mqar': 'Token MQAR',
};

/** Small sizes so that every task samples in a few milliseconds. */
const SMALL: Record<TaskName, Record<string, unknown>> = {
  'linear-regression': { d: 6, nPoints: 9 },
  'sparse-linear-regression': { d: 6, nPoints: 9 },
  'relu-nn-regression': { d: 6, nPoints: 9, hidden: 12 },
  'decision-tree': { d: 6, nPoints: 9 },
  'orthogonal-outlier-regression': { d: 6, nPoints: 9 },
  'many-outlier-regression': { d: 6, nPoints: 9 },
  'sparse-parity': { d: 6, nPoints: 9 },
  'chain-of-thought': { d: 6, nPoints: 9 },
  'vector-mqar': { d: 6, pairs: 5 },
  'token-mqar': { vocab: 20, pairs: 5, queries: 3 },
};

function sameBatch(a: PromptBatch, b: PromptBatch): boolean {
  const eq = (x: ArrayLike<number>, y: ArrayLike<number>) =>
    x.length === y.length && Array.prototype.every.call(x, (v: number, i: number) => Object.is(v, y[i]));
  if (a.seqLen !== b.seqLen || a.tokenDim !== b.tokenDim || a.heads.length !== b.heads.length) return false;
  if (!eq(a.tokens, b.tokens) || !eq(a.tokenKinds, b.tokenKinds)) return false;
  for (let h = 0; h < a.heads.length; h++) {
    const [x, y] = [a.heads[h], b.heads[h]];
    if (!eq(x.targets, y.targets) || !eq(x.mask, y.mask) || !eq(x.positions, y.positions)) return false;
  }
  if (a.examples && b.examples) return eq(a.examples.xs, b.examples.xs) && eq(a.examples.ys, b.examples.ys);
  return !a.examples && !b.examples;
}

describe('registry', () => {
  it('lists the ten tasks in the paper order, token MQAR last, with the exact titles', () => {
    expect(TASKS.map((t) => t.name)).toEqual(TASK_NAMES);
    expect(ALL_TASKS.map((t) => t.name)).toEqual(TASK_NAMES);
    expect(TASK_NAMES).toEqual([
      'linear-regression',
      'sparse-linear-regression',
      'relu-nn-regression',
      'decision-tree',
      'orthogonal-outlier-regression',
      'many-outlier-regression',
      'sparse-parity',
      'vector-mqar',
      'chain-of-thought',
      'token-mqar',
    ]);
    for (const task of TASKS) {
      expect(task.title).toBe(TITLES[task.name]);
      expect(TASK_REGISTRY[task.name]).toBe(task);
      expect(getTask(task.name)).toBe(task);
      expect(task.summary.length).toBeGreaterThan(20);
    }
  });

  it('isTaskName accepts exactly the registered names', () => {
    for (const name of TASK_NAMES) expect(isTaskName(name)).toBe(true);
    for (const bad of ['', 'parity', 'toString', '__proto__', 'linear_regression'])
      expect(isTaskName(bad)).toBe(false);
  });

  it('defaults are the schema defaults and every described parameter has a description', () => {
    for (const task of TASKS) {
      expect(task.paramsSchema.parse({})).toEqual(task.defaults);
      const shape = (task.paramsSchema as unknown as { shape: Record<string, { description?: string }> })
        .shape;
      for (const [key, field] of Object.entries(shape)) {
        expect(field.description, `${task.name}.${key}`).toBeTruthy();
      }
    }
  });

  it('paper defaults', () => {
    expect(getTask('linear-regression').defaults).toEqual({ d: 20, nPoints: 41 });
    expect(getTask('sparse-linear-regression').defaults).toEqual({ d: 20, nPoints: 41, k: 3 });
    expect(getTask('relu-nn-regression').defaults).toEqual({ d: 20, nPoints: 101, hidden: 100 });
    expect(getTask('decision-tree').defaults).toEqual({ d: 20, nPoints: 101, depth: 4 });
    expect(getTask('orthogonal-outlier-regression').defaults).toEqual({
      d: 20,
      nPoints: 101,
      p: 0.5,
      outlierMode: 'released-code',
    });
    expect(getTask('many-outlier-regression').defaults).toEqual({ d: 20, nPoints: 512, p: 0.9 });
    expect(getTask('sparse-parity').defaults).toEqual({ d: 10, nPoints: 140, k: 2, subsetPerPrompt: true });
    expect(getTask('chain-of-thought').defaults).toEqual({ d: 10, nPoints: 101, hidden: 4 });
    expect(getTask('vector-mqar').defaults).toEqual({
      d: 20,
      pairs: 64,
      queryNoise: 0,
      metric: 'nearest-value',
    });
    expect(getTask('token-mqar').defaults).toEqual({ vocab: 64, pairs: 8, queries: 8 });
  });

  it('paper curricula', () => {
    const c = (name: TaskName) => getTask(name).curriculum(getTask(name).defaults);
    const lin = {
      dims: { start: 5, end: 20, inc: 1, interval: 2000 },
      points: { start: 11, end: 41, inc: 2, interval: 2000 },
    };
    expect(c('linear-regression')).toEqual(lin);
    expect(c('sparse-linear-regression')).toEqual(lin);
    const long = { dims: lin.dims, points: { start: 26, end: 101, inc: 5, interval: 2000 } };
    expect(c('relu-nn-regression')).toEqual(long);
    expect(c('decision-tree')).toEqual(long);
    expect(c('orthogonal-outlier-regression')).toEqual(long);
    expect(c('many-outlier-regression')).toEqual({
      dims: { start: 4, end: 20, inc: 1, interval: 2000 },
      points: { start: 12, end: 512, inc: 2, interval: 200 },
    });
    expect(curriculumAt(c('many-outlier-regression'), 2000)).toEqual({ dims: 5, points: 32 });
    expect(c('chain-of-thought').points).toEqual({ start: 26, end: 101, inc: 5, interval: 2000 });
    const cot = c('chain-of-thought');
    expect(cot.dims.start).toBe(cot.dims.end);
    for (const name of ['sparse-parity', 'vector-mqar', 'token-mqar'] as const) {
      const spec = c(name);
      expect(spec.dims.start, name).toBe(spec.dims.end);
      expect(spec.points.start, name).toBe(spec.points.end);
    }
    expect(curriculumEnd(c('sparse-parity'))).toEqual({ dims: 10, points: 140 });
    expect(curriculumEnd(c('vector-mqar')).points).toBe(64);
  });

  it('baselines and chance levels', () => {
    expect(getTask('sparse-linear-regression').baselines).toContain('lasso');
    expect(getTask('relu-nn-regression').baselines).toContain('nn-gd');
    for (const b of ['tree', 'tree-unlimited', 'boosted-trees', 'knn'] as const)
      expect(getTask('decision-tree').baselines).toContain(b);
    expect(getTask('sparse-parity').baselines).toEqual([]);
    expect(getTask('sparse-parity').chanceLevel(getTask('sparse-parity').defaults)).toBe(0.5);
    expect(getTask('vector-mqar').chanceLevel(getTask('vector-mqar').defaults)).toBe(1 / 64);
    expect(getTask('linear-regression').chanceLevel(getTask('linear-regression').defaults)).toBe(1);
  });

  it('normalisation: d for linear-like tasks, k for sparse regression, 1 for the tree', () => {
    const norm = (name: TaskName) => bindTask(name).heads()[0].normalisation;
    expect(norm('linear-regression')).toBe(20);
    expect(norm('sparse-linear-regression')).toBe(3);
    expect(norm('relu-nn-regression')).toBe(20);
    expect(norm('decision-tree')).toBe(1);
    expect(norm('orthogonal-outlier-regression')).toBe(20);
    expect(norm('many-outlier-regression')).toBe(20);
  });

  it('heads[0] is the primary head', () => {
    const primary = TASK_NAMES.map((name) => bindTask(name).heads()[0].name);
    expect(primary).toEqual(['y', 'y', 'y', 'y', 'y', 'y', 'y', 'value', 'y', 'token']);
  });

  it('bindTask validates parameters', () => {
    expect(bindTask('sparse-parity', { d: 12 }).params).toEqual({
      d: 12,
      nPoints: 140,
      k: 2,
      subsetPerPrompt: true,
    });
    expect(() => bindTask('sparse-parity', { d: 3, k: 4 })).toThrow();
    expect(() => bindTask('linear-regression', { d: 0 })).toThrow();
    expect(() => bindTask('token-mqar', { vocab: 16, pairs: 8 })).toThrow();
    expect(() => bindTask('token-mqar', { pairs: 4, queries: 5 })).toThrow();
  });
});

describe.each(TASK_NAMES)('%s: batch structure and determinism', (name) => {
  const task = bindTask(name, SMALL[name]);
  const state = curriculumEnd(task.curriculum());

  it('same seed => bit-identical batch; different seed => different batch', () => {
    const a = task.sample(Rng.derive(5, 'train', 3), 4, state);
    const b = task.sample(Rng.derive(5, 'train', 3), 4, state);
    const c = task.sample(Rng.derive(6, 'train', 3), 4, state);
    expect(sameBatch(a, b)).toBe(true);
    expect(sameBatch(a, c)).toBe(false);
  });

  it('shapes agree with readIn and heads', () => {
    const batchSize = 3;
    const batch = task.sample(new Rng(1), batchSize, state);
    expect(batch.task).toBe(name);
    expect(batch.batchSize).toBe(batchSize);
    expect(batch.tokens.length).toBe(batchSize * batch.seqLen * batch.tokenDim);
    expect(batch.tokenKinds.length).toBe(batch.seqLen);
    for (const v of batch.tokens) expect(Number.isFinite(v)).toBe(true);
    const readIn = task.readIn();
    if (readIn.kind === 'linear') expect(batch.tokenDim).toBe(readIn.tokenDim);
    if (readIn.kind === 'embedding') expect(batch.tokenDim).toBe(1);
    if (readIn.kind === 'linear-per-kind') {
      expect(batch.tokenDim).toBe(Math.max(...readIn.tokenDims));
      for (const k of batch.tokenKinds) expect(k).toBeLessThan(readIn.tokenDims.length);
    } else {
      expect(batch.tokenKinds.every((k) => k === 0)).toBe(true);
    }
    const specs = task.heads();
    expect(batch.heads.map((h) => h.spec)).toEqual(specs);
    for (const head of batch.heads) {
      const nT = head.positions.length;
      expect(head.examplesBefore.length).toBe(nT);
      expect(head.mask.length).toBe(batchSize * nT);
      expect(head.targetDim).toBe(head.spec.loss === 'cross-entropy' ? 1 : head.spec.dim);
      expect(head.targets.length).toBe(batchSize * nT * head.targetDim);
      for (const p of head.positions) expect(p >= 0 && p < batch.seqLen).toBe(true);
      for (let i = 1; i < nT; i++) {
        expect(head.positions[i]).toBeGreaterThan(head.positions[i - 1]);
        expect(head.examplesBefore[i]).toBeGreaterThanOrEqual(head.examplesBefore[i - 1]);
      }
      for (const m of head.mask) expect(m === 0 || m === 1).toBe(true);
    }
    if (batch.examples) {
      const ex = batch.examples;
      expect(ex.xs.length).toBe(batchSize * ex.nPoints * ex.dim);
      expect(ex.ys.length).toBe(batchSize * ex.nPoints);
      expect(ex.clean.length).toBe(batchSize * ex.nPoints);
      expect(ex.nPoints).toBe(state.points);
    }
  });

  it('draws a sketch', () => {
    const batch = task.sample(new Rng(2), 2, state);
    const sketch = task.sketch(batch, 1);
    expect(sketch.caption.length).toBeGreaterThan(0);
    const expected = name === 'sparse-parity' ? 'bits' : name.endsWith('mqar') ? 'pairs' : 'scatter';
    expect(sketch.kind).toBe(expected);
  });

  it('works through the shared streams (training step and evaluation chunks)', () => {
    const def = getTask(name);
    const params = def.paramsSchema.parse(SMALL[name]);
    const spec = def.curriculum(params);
    const a = trainingBatch(def, params, spec, 9, 4000, 2);
    const b = trainingBatch(def, params, spec, 9, 4000, 2);
    expect(sameBatch(a, b)).toBe(true);
    const chunks = [...evaluationBatches(def, params, spec, 9, 70)];
    expect(chunks.map((c) => c.batchSize)).toEqual([64, 6]);
  });
});
