import { describe, expect, it } from 'vitest';
import { getTask } from '../../tasks';
import { createExperimentStore, defaultDraft } from './experiment-store';

/** the width of the default task's lesson preset */
const LESSON_D = getTask('linear-regression').classroom.dModel;

describe('experiment store', () => {
  it('starts on the classroom preset with the three headline models', () => {
    const s = createExperimentStore().getState();
    expect(s.errors).toEqual([]);
    expect(s.experiment!.models.map((m) => m.arch)).toEqual(['transformer', 'mamba', 'mambaformer']);
    expect(s.experiment!.models[0].dModel).toBe(LESSON_D);
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
    expect(store.getState().presetDefaults!.models[0].dModel).toBe(LESSON_D);
    store.getState().setSize('dModel', 6); // not a multiple of 4 heads
    expect(store.getState().experiment).toBeNull();
    expect(store.getState().errors.join(' ')).toMatch(/multiple of the number of heads/);
    store.getState().setSize('dModel', undefined);
    expect(store.getState().experiment!.models[0].dModel).toBe(LESSON_D);
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

describe('experiment store: every setting', () => {
  it('changes one setting at a time, resets a group or everything', () => {
    const store = createExperimentStore();
    const s = () => store.getState();
    s().setSetting('curriculum.points.interval', 30);
    s().setSetting('clip.on', false);
    s().setSetting('optimizer.beta2', 0.99);
    s().setSetting('models.mamba.nLayer', 2);
    expect(s().experiment!.curriculum.points.interval).toBe(30);
    expect(s().experiment!.clip).toBeNull();
    expect(s().experiment!.optimizer.beta2).toBe(0.99);
    // the lesson preset of linear regression: 3 GPT-2 layers, so the Transformer 3, MambaFormer 6
    expect(s().experiment!.models.map((m) => m.nLayer)).toEqual([3, 2, 6]);
    // the placeholders keep the preset; the curriculum's follows the task's parameters
    expect(s().presetDefaults!.clip).toBe(10);
    expect(s().paperDefaults!.models[0].dModel).toBe(128);
    s().setSetting('task.params.nPoints', 9);
    expect(s().derivedCurriculum!.points.end).toBe(9);
    s().resetGroup('optimizer');
    expect(s().experiment!.clip).toBe(10);
    expect(s().experiment!.curriculum.points.interval).toBe(30);
    // setSize keeps its all-models meaning: it replaces the models' own values
    s().setSize('nLayer', 3);
    expect(s().experiment!.models.map((m) => m.nLayer)).toEqual([3, 3, 3]);
    s().resetAll();
    expect(s().experiment).toEqual(createExperimentStore().getState().experiment);
  });

  it('a loaded experiment edits on from where it is (no silent change of other settings)', () => {
    const a = createExperimentStore();
    a.getState().setSetting('curriculum.points.inc', 1);
    a.getState().setSetting('optimizer.eps', 1e-6);
    a.getState().setSetting('models.transformer.positionEmbedding', false);
    const stored = a.getState().experiment!;
    const b = createExperimentStore();
    b.getState().load(stored);
    b.getState().setSetting('steps', 777);
    expect(b.getState().experiment).toEqual({ ...stored, steps: 777 });
  });
});
