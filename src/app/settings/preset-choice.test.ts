import { describe, expect, it } from 'vitest';
import { createExperimentStore } from '../stores/experiment-store';
import { presetChanges, presetChoice } from './preset-choice';

describe('presetChoice', () => {
  it('shows the preset until a setting differs from it, and the preset again once chosen', () => {
    const store = createExperimentStore();
    const s = () => store.getState();
    expect(presetChoice(s())).toBe('classroom');
    // the task, the models and the seed are not preset settings
    s().setTask('sparse-parity');
    s().toggleArch('s4', true);
    s().setSeed(9);
    expect(presetChoice(s())).toBe('classroom');
    s().setLearningRate(3e-4);
    expect(presetChoice(s())).toBe('custom');
    expect(presetChanges(s()).some((c) => c.startsWith('lr '))).toBe(true);
    s().setSetting('models.mamba.nLayer', 3);
    s().setSetting('evaluation.bootstrap', 50);
    expect(presetChanges(s()).length).toBeGreaterThanOrEqual(3);
    // choosing the paper preset drops every change
    s().setPreset('paper');
    expect(presetChoice(s())).toBe('paper');
    expect(s().draft.optimizer.lr).toBeUndefined();
    expect(s().draft.seed).toBe(9);
    // a value set back to the preset's is no change
    const paperLr = s().presetDefaults!.optimizer.lr!;
    s().setLearningRate(paperLr);
    expect(presetChoice(s())).toBe('paper');
    s().setSetting('clip.on', false);
    expect(presetChoice(s())).toBe('custom');
    s().setPreset('classroom');
    expect(presetChoice(s())).toBe('classroom');
  });

  it('counts a draft with errors as custom', () => {
    const store = createExperimentStore();
    store.getState().setSetting('models.transformer.dModel', 30);
    store.getState().setSetting('models.transformer.nHead', 4);
    const state = store.getState();
    expect(state.experiment).toBeNull();
    expect(presetChoice(state)).toBe('custom');
  });
});
