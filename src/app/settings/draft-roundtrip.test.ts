/**
 * After `load()` the draft and the experiment agree: the draft of any experiment builds that
 * experiment again (every task, both presets, changed settings, models in any order).
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../schema/architecture';
import { TASKS } from '../../tasks';
import { PRESET_NAMES, presetExperiment } from '../../train/presets';
import { createExperimentStore } from '../stores/experiment-store';
import { buildExperiment, draftOf, sameExperiment } from './experiment-draft';

const ORDERS: Architecture[][] = [
  ['transformer', 'mamba', 'mambaformer'],
  ['s4-mamba', 'transformer', 'hybrid'],
  ['mamba', 's4'],
];

describe('draft of a stored experiment', () => {
  it('builds the same experiment again, and the store shows both in agreement', () => {
    let checked = 0;
    for (const task of TASKS)
      for (const preset of PRESET_NAMES)
        for (const archs of ORDERS) {
          const e = presetExperiment(preset, task.name, archs, 5, {
            clip: null,
            optimizer: { beta1: 0.8, warmupSteps: 7 },
            evaluation: { bootstrap: 3 },
          });
          const built = buildExperiment(draftOf(e)).experiment;
          expect(built && sameExperiment(built, e), `${task.name} ${preset} ${archs}`).toBe(true);
          const store = createExperimentStore();
          store.getState().load(e);
          const s = store.getState();
          expect(s.experiment).toBe(e);
          expect(s.draft.archs).toEqual(archs);
          const again = buildExperiment(s.draft).experiment;
          expect(again && sameExperiment(again, s.experiment), `${task.name} ${preset}`).toBe(true);
          checked++;
        }
    expect(checked).toBe(TASKS.length * PRESET_NAMES.length * ORDERS.length);
  });

  it('tells experiments apart by any value and by the order of the models, not of keys', () => {
    const e = presetExperiment('classroom', 'linear-regression', ['transformer', 'mamba'], 0);
    const reordered = { ...e, optimizer: Object.fromEntries(Object.entries(e.optimizer).reverse()) };
    expect(sameExperiment(reordered, e)).toBe(true);
    expect(sameExperiment({ ...e, models: [...e.models].reverse() }, e)).toBe(false);
    expect(sameExperiment({ ...e, optimizer: { ...e.optimizer, eps: 1e-7 } }, e)).toBe(false);
    expect(sameExperiment({ ...e, clip: null }, { ...e, clip: undefined })).toBe(false);
  });
});
