import { describe, expect, it } from 'vitest';
import { seriesPoints } from '../../eval/loss-series';
import type { BackendReport, StatusEvent } from '../../workers/training/protocol';
import { newModelLive } from '../stores/live-store';
import { applyTrainingEvent, backToStart, type LiveData } from './training-events';

const start = (): LiveData => ({
  models: [newModelLive(1, 0, 'transformer', 'Transformer'), newModelLive(2, 1, 'mamba', 'Mamba')].map(
    (m) => ({
      ...m,
      state: 'training' as const,
    }),
  ),
  notices: [],
  training: true,
  runId: 'run-1',
  traffic: { bytes: 0, events: 0, since: 0 },
});

const status = (state: StatusEvent['state'], backend: BackendReport | null = null): StatusEvent => ({
  type: 'status',
  state,
  step: 7,
  totalSteps: 100,
  lr: 1e-3,
  stepsPerSecond: 3,
  etaSeconds: 31,
  backend,
  tensors: 12,
});

const WASM: BackendReport = {
  name: 'wasm',
  attempts: [
    { name: 'webgpu', ok: false, reason: 'no adapter' },
    { name: 'wasm', ok: true },
  ],
  fallback: true,
  detail: '',
  summary: 'wasm',
};

const none = { checkpointStep: null };

describe('applyTrainingEvent', () => {
  it('keeps every evaluation of a model for its live verdict; Reset clears them', () => {
    const curves = (step: number) => ({ type: 'curves' as const, step, sets: [], recall: null });
    let s = start();
    for (const step of [100, 200, 300]) s = applyTrainingEvent(s, 2, curves(step), none);
    expect(s.models[1].evaluations.map((e) => e.step)).toEqual([100, 200, 300]);
    expect(s.models[1].curvesStep).toBe(300);
    expect(s.models[0].evaluations).toEqual([]);
    // a reload from an older checkpoint: the evaluations of the lost steps go
    s = applyTrainingEvent(s, 2, curves(150), none);
    expect(s.models[1].evaluations.map((e) => e.step)).toEqual([100, 150]);
    expect(backToStart(s).models[1].evaluations).toEqual([]);
  });

  it('counts every event but a crash as traffic, and leaves its input untouched', () => {
    const s = start();
    const a = applyTrainingEvent(s, 1, { type: 'warning', message: 'x' }, none);
    expect(a.traffic.events).toBe(1);
    expect(a.traffic.bytes).toBeGreaterThan(0);
    expect(s.traffic.events).toBe(0);
    expect(s.notices).toEqual([]);
    const b = applyTrainingEvent(a, 1, { type: 'crashed', message: 'gone' }, none);
    expect(b.traffic).toBe(a.traffic);
  });

  it('patches only the model of the slot; a slot not shown changes nothing but the traffic', () => {
    const s = applyTrainingEvent(start(), 2, status('paused'), none);
    expect(s.models[1]).toMatchObject({ state: 'paused', step: 7, totalSteps: 100, tensors: 12 });
    expect(s.models[0].state).toBe('training');
    const t = applyTrainingEvent(s, 9, status('done'), none);
    expect(t.models).toEqual(s.models);
  });

  it('stops counting the race as training once no model goes on by itself', () => {
    let s = applyTrainingEvent(start(), 1, status('done'), none);
    expect(s.training).toBe(true);
    s = applyTrainingEvent(s, 2, status('diverged'), none);
    expect(s.training).toBe(false);
    // a paused model settles nothing (the race is paused by its command)
    expect(applyTrainingEvent(start(), 1, status('paused'), none).training).toBe(true);
  });

  it('says once that WebGPU was not available, with the reasons', () => {
    let s = applyTrainingEvent(start(), 1, status('training', WASM), none);
    s = applyTrainingEvent(s, 2, status('training', WASM), none);
    expect(s.notices).toHaveLength(1);
    expect(s.notices[0]).toMatchObject({ id: 'backend', kind: 'backend' });
    expect(s.notices[0].message).toContain('webgpu: no adapter');
  });

  it('appends losses, and keeps the last loss when a report has none', () => {
    const metrics = (steps: number[], losses: number[]) => ({
      type: 'metrics' as const,
      steps: Int32Array.from(steps),
      losses: Float32Array.from(losses),
      gradNorms: new Float32Array(steps.length),
      step: steps.length ? steps[steps.length - 1] + 1 : 2,
      totalSteps: 100,
      lr: 1e-3,
      stepsPerSecond: 1,
      etaSeconds: null,
      tensors: 1,
      bytes: 10,
      reloadLoss: { steps: 5, cadence: 'read-back' as const },
    });
    let s = applyTrainingEvent(start(), 1, metrics([0, 1], [2, 1]), none);
    s = applyTrainingEvent(s, 1, metrics([], []), none);
    expect(s.models[0].lastLoss).toBe(1);
    expect(seriesPoints(s.models[0].loss).y).toEqual([2, 1]);
    expect(s.models[0].step).toBe(2);
  });

  it("keeps an edited prompt's probe out of the live store", () => {
    const result = { layers: [], tokens: 3 } as never;
    const e = { type: 'probe' as const, step: 4, custom: true, result };
    expect(applyTrainingEvent(start(), 1, e, none).models[0].probe).toBeNull();
    const seeded = applyTrainingEvent(start(), 1, { ...e, custom: false }, none).models[0];
    expect(seeded).toMatchObject({ probe: result, probeStep: 4 });
  });

  it('puts a diverged model back to its restored step, with the lower learning rate to offer', () => {
    const s = applyTrainingEvent(
      start(),
      2,
      {
        type: 'diverged',
        step: 9,
        loss: Number.NaN,
        message: 'NaN',
        lr: 1e-2,
        suggestedLr: 3e-3,
        restoredStep: 0,
      },
      none,
    );
    expect(s.models[1]).toMatchObject({ state: 'diverged', step: 0 });
    expect(s.notices[0]).toMatchObject({
      id: 'diverged:2',
      slot: 2,
      action: { kind: 'lower-lr', lr: 3e-3, label: 'Use learning rate 0.003 for Mamba' },
    });
  });

  it('offers to restart a crashed model from its last checkpoint, or from its initialisation', () => {
    const a = applyTrainingEvent(
      start(),
      1,
      { type: 'crashed', message: 'out of memory' },
      { checkpointStep: 50 },
    );
    expect(a.models[0]).toMatchObject({ state: 'crashed', error: 'out of memory', stepsPerSecond: 0 });
    expect(a.notices[0].message).toBe(
      "Transformer's worker stopped: out of memory. The other models are not affected.",
    );
    expect(a.notices[0].action).toEqual({
      label: 'Restart Transformer from its last checkpoint (step 50)',
      kind: 'restart',
    });
    const b = applyTrainingEvent(start(), 2, { type: 'crashed', message: 'lost' }, none);
    expect(b.notices[0].action?.label).toBe('Restart Mamba from its initialisation');
    // a crash of a running model keeps the race training while another model still trains
    expect(a.training).toBe(true);
    const both = applyTrainingEvent(a, 2, { type: 'crashed', message: 'lost' }, none);
    expect(both.training).toBe(false);
  });

  it('notes warnings and non-fatal errors per slot; a fatal error waits for the crash', () => {
    let s = applyTrainingEvent(start(), 1, { type: 'error', message: 'bad', fatal: false }, none);
    s = applyTrainingEvent(s, 1, { type: 'error', message: 'worse', fatal: false }, none);
    expect(s.notices).toEqual([{ id: 'error:1', kind: 'error', slot: 1, message: 'worse' }]);
    expect(
      applyTrainingEvent(start(), 1, { type: 'error', message: 'x', fatal: true }, none).notices,
    ).toEqual([]);
  });
});
