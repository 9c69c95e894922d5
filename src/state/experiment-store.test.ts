import { describe, expect, it } from 'vitest';
import { createExperimentStore, defaultDraft } from './experiment-store';

describe('experiment store', () => {
  it('starts on the classroom preset with the three headline models', () => {
    const s = createExperimentStore().getState();
    expect(s.errors).toEqual([]);
    expect(s.experiment!.models.map((m) => m.arch)).toEqual(['transformer', 'mamba', 'mambaformer']);
    expect(s.experiment!.models[0].dModel).toBe(32);
    expect(s.experiment!.task.params).toMatchObject({ d: 5, nPoints: 11 });
  });

  it('applies size overrides to every model and validates them', () => {
    const store = createExperimentStore();
    store.getState().setSize('dModel', 8);
    store.getState().setSize('nLayer', 1);
    store.getState().setSize('batchSize', 16);
    store.getState().setLearningRate(3e-4);
    const e = store.getState().experiment!;
    expect(e.models.every((m) => m.dModel === 8 && m.nLayer === 1)).toBe(true);
    expect(e.batchSize).toBe(16);
    expect(e.optimizer.lr).toBe(3e-4);
    // the placeholders still show the preset
    expect(store.getState().presetDefaults!.models[0].dModel).toBe(32);
    store.getState().setSize('dModel', 6); // not a multiple of 4 heads
    expect(store.getState().experiment).toBeNull();
    expect(store.getState().errors.join(' ')).toMatch(/multiple of the number of heads/);
    store.getState().setSize('dModel', undefined);
    expect(store.getState().experiment!.models[0].dModel).toBe(32);
  });

  it('needs at least one architecture and keeps them in a fixed order', () => {
    const store = createExperimentStore({ ...defaultDraft(), archs: [] });
    expect(store.getState().errors).toEqual(['Choose at least one architecture.']);
    store.getState().toggleArch('s4', true);
    store.getState().toggleArch('transformer', true);
    expect(store.getState().experiment!.models.map((m) => m.arch)).toEqual(['transformer', 's4']);
  });

  it('loads a stored experiment exactly, and the draft follows it', () => {
    const a = createExperimentStore();
    a.getState().setSize('dModel', 16);
    a.getState().setSeed(9);
    const stored = a.getState().experiment!;
    const b = createExperimentStore();
    b.getState().load(stored);
    expect(b.getState().experiment).toBe(stored);
    expect(b.getState().draft).toMatchObject({ seed: 9, sizes: { dModel: 16 } });
  });
});

describe('experiment store: task parameters', () => {
  it('overrides the preset task parameters and forgets them with another task', () => {
    const store = createExperimentStore();
    store.getState().setParam('d', 2);
    store.getState().setParam('nPoints', 6);
    const e = store.getState().experiment!;
    expect(e.task.params).toMatchObject({ d: 2, nPoints: 6 });
    expect(e.curriculum.points.end).toBe(6);
    expect(store.getState().presetDefaults!.task.params).toMatchObject({ d: 5, nPoints: 11 });
    store.getState().setParam('d', 500);
    expect(store.getState().errors.join(' ')).toMatch(/task\.params\.d/);
    store.getState().setTask('sparse-parity');
    expect(store.getState().draft.params).toEqual({});
    expect(store.getState().experiment).not.toBeNull();
  });
});
