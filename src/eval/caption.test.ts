import { describe, expect, it } from 'vitest';
import { captionOf, formatValue, modelOutcomes } from './caption';
import type { IclCurve, IclCurveSet } from './types';

function curve(key: string, label: string, mean: number[]): IclCurve {
  const n = mean.length;
  return {
    key,
    label,
    examples: Int32Array.from(mean, (_, i) => i),
    mean: Float64Array.from(mean),
    lo: Float64Array.from(mean),
    hi: Float64Array.from(mean),
    count: new Int32Array(n).fill(16),
  };
}

function set(
  task: IclCurveSet['task'],
  metric: IclCurveSet['metric'],
  chance: number,
  curves: IclCurve[],
): IclCurveSet {
  return { task, head: 'y', metric, yLabel: 'm', chance, prompts: 16, seed: 0, curves };
}

const parity = (level: number) =>
  set('sparse-parity', 'sign-accuracy', 0.5, [curve('model:x', 'x', [0.5, 0.5, level, level, level])]);

describe('captions from measured data', () => {
  it('states each model’s measured level, mark and since when, best first', () => {
    const models = [
      {
        label: 'Transformer',
        evaluations: [
          { step: 100, sets: [parity(0.55)] },
          { step: 200, sets: [parity(0.58)] },
        ],
      },
      {
        label: 'Mamba',
        evaluations: [
          { step: 100, sets: [parity(0.7)] },
          { step: 200, sets: [parity(0.97)] },
        ],
      },
    ];
    const text = captionOf(models, null, 0);
    expect(text).toBe(
      'Accuracy over 2-4 examples at step 200 (seed 0): Mamba 0.97 (learns), ' +
        'Transformer 0.58 (fails since step 100); chance 0.50, perfect 1.',
    );
    // every number printed for a model is its verdict's value at the last evaluation
    for (const o of modelOutcomes(models, null)) {
      expect(text).toContain(`${o.label} ${formatValue(o.verdict.value)} (`);
    }
  });

  it('compares error curves with the zero predictor and the reference on the same prompts', () => {
    const baselines = set('linear-regression', 'squared-error', 1, [
      curve('zero', 'Zero', [1, 1, 1, 1, 1]),
      curve('least-squares', 'Least squares', [1, 0.5, 0, 0, 0]),
    ]);
    const model = set('linear-regression', 'squared-error', 1, [
      curve('model:m', 'm', [1, 0.9, 0.4, 0.3, 0.2]),
    ]);
    const text = captionOf([{ label: 'Mamba', evaluations: [{ step: 3000, sets: [model] }] }], baselines, 1);
    expect(text).toBe(
      'Error over 2-4 examples at step 3000 (seed 1): Mamba 0.30 (partly learns); predict 0: 1.00, least squares: 0.00.',
    );
  });

  it('is empty without evaluations and skips evaluations without a finite value', () => {
    expect(captionOf([{ label: 'Mamba', evaluations: [] }], null, 0)).toBe('');
    const nan = set('sparse-parity', 'sign-accuracy', 0.5, [curve('model:x', 'x', [Number.NaN, Number.NaN])]);
    expect(captionOf([{ label: 'Mamba', evaluations: [{ step: 5, sets: [nan] }] }], null, 0)).toBe('');
  });
});
