import { describe, expect, it } from 'vitest';
import { reduceLive } from './live-reducer';
import { createLiveStore, newModelLive } from './live-store';

const base = () => {
  const s = createLiveStore(() => 0).getState();
  return {
    ...s,
    training: true,
    runId: 'run-1',
    models: [newModelLive(1, 0, 'transformer', 'Transformer'), newModelLive(2, 1, 'mamba', 'Mamba')],
    notices: [
      { id: 'storage', kind: 'storage' as const, message: 'full' },
      { id: 'error:1', kind: 'error' as const, slot: 1, message: 'bad' },
    ],
  };
};

describe('reduceLive', () => {
  it("shows a writer's own models: not training, no run, no notice about another model", () => {
    const models = [newModelLive(1_000_000, 0, 's4', 'S4')];
    const s = reduceLive(base(), { type: 'show-models', models });
    expect(s).toMatchObject({ training: false, runId: null, models });
    expect(s.notices.map((n) => n.id)).toEqual(['storage']);
  });

  it('patches models by position and keeps the objects of those unchanged', () => {
    const before = base();
    const s = reduceLive(before, { type: 'patch-models', patches: [null, { step: 5, state: 'paused' }] });
    expect(s.models[0]).toBe(before.models[0]);
    expect(s.models[1]).toMatchObject({ step: 5, state: 'paused', label: 'Mamba' });
    // nothing to change: the same state (no redraw)
    expect(reduceLive(before, { type: 'patch-models', patches: [{}, null] })).toBe(before);
  });

  it("routes a worker's event through applyTrainingEvent, and clears the models", () => {
    const s = reduceLive(base(), {
      type: 'worker-event',
      slot: 2,
      event: { type: 'crashed', message: 'gone' },
      checkpointStep: 3,
    });
    expect(s.models[1].state).toBe('crashed');
    expect(s.notices.at(-1)?.action?.label).toBe('Restart Mamba from its last checkpoint (step 3)');
    expect(reduceLive(s, { type: 'clear-models' }).models).toEqual([]);
    const moved = reduceLive(base(), { type: 'patch-models', patches: [{ step: 9, lastLoss: 0.5 }, null] });
    const reset = reduceLive(moved, { type: 'back-to-start' });
    expect(reset.models[0]).toMatchObject({ step: 0, lastLoss: null });
  });
});
