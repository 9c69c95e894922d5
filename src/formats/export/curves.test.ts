import { describe, expect, it } from 'vitest';
import { defaultExperiment } from '../../schema/experiment';
import { CURVES_CSV_HEADER, collectCurves, curvesCsv, curvesJson } from './curves';
import { curve, curveSet, parseCsv } from './test-data';

function sample() {
  return collectCurves({
    experiment: defaultExperiment('linear-regression'),
    models: [
      {
        model: 'Mamba',
        arch: 'mamba',
        loss: { x: [0, 2, 4], y: [1.5, Number.NaN, 0.5], width: 2 },
        curves: [curveSet([curve('model:mamba', 'Mamba', [0.9, 0.4])])],
        curvesStep: 6,
      },
      {
        model: 'Transformer',
        arch: 'transformer',
        loss: { x: [], y: [], width: 1 },
        curves: null,
        curvesStep: null,
      },
    ],
    baselines: curveSet([
      curve('least-squares', 'Least squares, "min-norm"', [1, 0.2]),
      curve('lasso:0.01', 'Lasso (α = 0.01)', [1, Number.NaN]),
    ]),
    exportedAt: new Date('2025-01-02T03:04:05Z'),
  });
}

describe('curves export', () => {
  it('collects every model loss, model ICL curves and the baselines with their bands', () => {
    const c = sample();
    expect(c.loss.map((l) => l.model)).toEqual(['Mamba', 'Transformer']);
    expect(c.loss[0]).toEqual({
      model: 'Mamba',
      arch: 'mamba',
      bucketSteps: 2,
      step: [0, 2, 4],
      loss: [1.5, null, 0.5],
    });
    expect(c.icl.map((x) => [x.source, x.key])).toEqual([
      ['model', 'model:mamba'],
      ['baseline', 'least-squares'],
      ['baseline', 'lasso:0.01'],
    ]);
    expect(c.icl[0].trainedSteps).toBe(6);
    expect(c.icl[1].lo[1]).toBeCloseTo(0.18);
    expect(c.icl[1].hi[1]).toBeCloseTo(0.22);
    expect(c.icl[2].mean).toEqual([1, null]);
  });

  it('JSON is valid and keeps every number (non-finite as null)', () => {
    const text = curvesJson(sample());
    const back = JSON.parse(text);
    expect(back.format).toBe('icl-lab-curves');
    expect(back.exportedAt).toBe('2025-01-02T03:04:05.000Z');
    expect(back.experiment.task.name).toBe('linear-regression');
    expect(back.loss[0].loss).toEqual([1.5, null, 0.5]);
    expect(back.icl[2].mean).toEqual([1, null]);
  });

  it('CSV has one row per point, quoted labels and empty cells for missing values', () => {
    const rows = parseCsv(curvesCsv(sample()));
    expect(rows[0]).toEqual([...CURVES_CSV_HEADER]);
    const body = rows.slice(1);
    expect(body.length).toBe(3 + 2 + 2 + 2);
    expect(body[1]).toEqual([
      'loss',
      'model',
      'Mamba',
      'Mamba',
      '',
      'training loss',
      'step',
      '2',
      '',
      '',
      '',
      '',
      '',
    ]);
    const ls = body.filter((r) => r[3] === 'Least squares, "min-norm"');
    expect(ls.map((r) => [r[7], r[8]])).toEqual([
      ['0', '1'],
      ['1', '0.2'],
    ]);
    const model = body.find((r) => r[1] === 'model' && r[0] === 'icl');
    expect(model?.[12]).toBe('6');
    expect(model?.[11]).toBe('16');
  });
});
