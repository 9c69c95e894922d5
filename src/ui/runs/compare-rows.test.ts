import { describe, expect, it } from 'vitest';
import type { StoredModel } from '../../app/runs/run-db';
import { type RunSummary, summariseRun } from '../../app/stores/runs-store';
import { appendLosses, emptySeries } from '../../eval/loss-series';
import type { IclCurveSet } from '../../eval/types';
import { parseExperiment } from '../../schema/experiment';
import { compareIclRows, compareLossRows, lossCompareColumn } from './compare-rows';

function curveSet(means: number[], opts: Partial<IclCurveSet> = {}): IclCurveSet {
  const n = means.length;
  return {
    task: 'linear-regression',
    head: 'y',
    metric: 'squared-error',
    yLabel: 'squared error / d',
    chance: 1,
    prompts: 16,
    seed: 0,
    curves: [
      {
        key: 'model:0:mamba',
        label: 'Mamba',
        examples: Int32Array.from({ length: n }, (_, i) => i + 1),
        mean: Float64Array.from(means),
        lo: Float64Array.from(means),
        hi: Float64Array.from(means),
        count: Int32Array.from({ length: n }, () => 16),
      },
    ],
    ...opts,
  };
}

function model(arch: string, losses: number[], curves: IclCurveSet[] | null): StoredModel {
  const loss = appendLosses(
    emptySeries(),
    losses.map((_, i) => i),
    losses,
  );
  return {
    key: arch,
    arch,
    index: 0,
    step: losses.length,
    lr: 1e-3,
    state: 'paused',
    loss: JSON.parse(JSON.stringify(loss)),
    curves,
    curvesStep: curves ? losses.length : null,
    checkpointStep: losses.length,
  };
}

function run(id: string, models: StoredModel[]): RunSummary {
  const r = parseExperiment({ version: 1, task: { name: 'linear-regression' } });
  if (!r.ok) throw new Error('bad experiment');
  return summariseRun({ id, createdAt: 1, updatedAt: 1, label: id, experiment: r.experiment, models });
}

describe('compareLossRows', () => {
  it('puts both runs’ models on one step axis, one line each', () => {
    const a = run('a', [model('transformer', [3, 2, 1], null), model('mamba', [4, 3], null)]);
    const b = run('b', [model('mamba', [5, 4, 3, 2], null)]);
    const { rows, lines } = compareLossRows(a, b, false);
    expect(lines.map((l) => [l.name, l.side, l.arch])).toEqual([
      ['Transformer · A', 'A', 'transformer'],
      ['Mamba · A', 'A', 'mamba'],
      ['Mamba · B', 'B', 'mamba'],
    ]);
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2, 3]);
    expect(rows[3][lossCompareColumn('B', 0)]).toBe(2);
    expect(rows[3][lossCompareColumn('A', 0)]).toBeUndefined();
    expect(rows[0][lossCompareColumn('A', 1)]).toBe(4);
  });

  it('leaves out models with no loss yet and non-positive values on a log scale', () => {
    const a = run('a', [model('transformer', [], null), model('mamba', [0, 1], null)]);
    const b = run('b', [model('mamba', [2], null)]);
    const { rows, lines } = compareLossRows(a, b, true);
    expect(lines).toHaveLength(2);
    expect(rows.find((r) => r.step === 0)?.[lossCompareColumn('A', 1)]).toBeUndefined();
  });
});

describe('compareIclRows', () => {
  it('overlays the latest curves of both runs with the shared chance line', () => {
    const a = run('a', [model('mamba', [1], [curveSet([0.9, 0.5])])]);
    const b = run('b', [model('mamba', [1, 1], [curveSet([0.8, 0.3, 0.1])])]);
    const c = compareIclRows(a, b);
    expect(c).not.toBeNull();
    expect(c!.lines.map((l) => l.name)).toEqual(['Mamba · A', 'Mamba · B']);
    expect(c!.rows).toHaveLength(3);
    expect(c!.rows[1]).toEqual({ examples: 2, a0: 0.5, b0: 0.3 });
    expect(c!.chance).toBe(1);
    expect(c!.comparable).toBe(true);
    expect(c!.steps).toEqual({ a0: 1, b0: 2 });
  });

  it('flags curves of different metrics and drops the chance line', () => {
    const a = run('a', [model('mamba', [1], [curveSet([0.9])])]);
    const b = run('b', [
      model(
        'mamba',
        [1],
        [curveSet([0.6], { task: 'sparse-parity', metric: 'sign-accuracy', yLabel: 'accuracy' })],
      ),
    ]);
    const c = compareIclRows(a, b)!;
    expect(c.comparable).toBe(false);
    expect(c.chance).toBeNull();
  });

  it('is null when neither run has been evaluated', () => {
    expect(compareIclRows(run('a', [model('mamba', [1], null)]), run('b', []))).toBeNull();
  });
});
