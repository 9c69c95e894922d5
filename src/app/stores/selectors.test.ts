import { describe, expect, it } from 'vitest';
import type { IclCurve, IclCurveSet } from '../../eval/types';
import type { ModelLive } from './live-store';
import { liveCaption, modelStatusText } from './selectors';

const model = (over: Partial<ModelLive>): ModelLive =>
  ({
    slot: 0,
    arch: 'mamba',
    label: 'Mamba',
    step: 120,
    totalSteps: 3000,
    state: 'training',
    stepsPerSecond: 2.5,
    etaSeconds: 60,
    backend: { name: 'wasm' },
    ...over,
  }) as ModelLive;

describe('modelStatusText', () => {
  it('reads a training model with its speed and ETA', () => {
    expect(modelStatusText(model({}))).toBe(
      'Mamba: step 120 / 3000 · 2.5 steps/s · wasm · ETA 1m · training',
    );
  });

  it('says "pausing" at once after Pause, without speed or ETA, until the worker reports paused', () => {
    expect(modelStatusText(model({}), true)).toBe(
      'Mamba: step 120 / 3000 · wasm · pausing (finishing the step in flight)',
    );
    expect(modelStatusText(model({ state: 'paused' }), true)).toBe('Mamba: step 120 / 3000 · wasm · paused');
  });
});

describe('liveCaption', () => {
  const curve = (key: string, mean: number[], label = key): IclCurve => ({
    key,
    label,
    examples: Int32Array.from(mean, (_, i) => i),
    mean: Float64Array.from(mean),
    lo: Float64Array.from(mean),
    hi: Float64Array.from(mean),
    count: new Int32Array(mean.length).fill(16),
  });
  const set = (
    task: IclCurveSet['task'],
    metric: IclCurveSet['metric'],
    curves: IclCurve[],
  ): IclCurveSet => ({
    task,
    head: 'y',
    metric,
    yLabel: 'm',
    chance: metric === 'sign-accuracy' ? 0.5 : 1,
    prompts: 16,
    seed: 0,
    curves,
  });
  const lr = (level: number) =>
    set('linear-regression', 'squared-error', [curve('model:x', [1, 1, level, level])]);
  const baselines = set('linear-regression', 'squared-error', [
    curve('zero', [1, 1, 1, 1]),
    curve('least-squares', [1, 1, 0, 0], 'Least squares'),
  ]);

  it('waits for an error task’s baselines instead of assuming the zero predictor and the reference', () => {
    const h = [[{ step: 250, sets: [lr(0.5)] }]];
    expect(liveCaption(['Mamba'], h, null, 0)).toBe('');
    expect(liveCaption(['Mamba'], [[]], baselines, 0)).toBe('');
  });

  it('gives each model its measured level, mark and the step since which the mark holds', () => {
    const mamba = [
      { step: 250, sets: [lr(0.9)] },
      { step: 500, sets: [lr(0.05)] },
      { step: 750, sets: [lr(0.04)] },
    ];
    const transformer = [
      { step: 250, sets: [lr(0.95)] },
      { step: 500, sets: [lr(0.5)] },
    ];
    expect(liveCaption(['Mamba', 'Transformer'], [mamba, transformer], baselines, 3)).toBe(
      'Error over 2-3 examples at the last evaluation (seed 3): Mamba 0.04 (learns since step 500), ' +
        'Transformer 0.50 (partly learns); predict 0: 1.00, least squares: 0.00.',
    );
  });

  it('needs no baselines for an accuracy task (chance is the task’s own)', () => {
    const parity = set('sparse-parity', 'sign-accuracy', [curve('model:x', [0.5, 0.5, 0.99, 0.99])]);
    expect(liveCaption(['Mamba', 'Transformer'], [[{ step: 100, sets: [parity] }], undefined], null, 0)).toBe(
      'Accuracy over 2-3 examples at step 100 (seed 0): Mamba 0.99 (learns); chance 0.50, perfect 1.',
    );
  });
});
