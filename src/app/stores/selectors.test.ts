import { describe, expect, it } from 'vitest';
import type { ModelLive } from './live-store';
import { modelStatusText } from './selectors';

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
