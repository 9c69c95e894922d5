import { describe, expect, it } from 'vitest';
import { tinyExperiment } from '../../train/test-experiments';
import { canKeepModel, planSlots } from './reconfigure';

describe('canKeepModel / planSlots', () => {
  const three = tinyExperiment(['transformer', 'mamba', 'mambaformer']);

  it('keeps a model across learning-rate, step and evaluation changes and index moves', () => {
    const e = {
      ...three,
      optimizer: { ...three.optimizer, lr: 0.01 },
      steps: 7,
      evaluation: { ...three.evaluation, prompts: 32 },
    };
    expect(canKeepModel(three, 1, e, 1)).toBe(true);
    const two = tinyExperiment(['mamba', 'mambaformer']);
    expect(canKeepModel(three, 1, two, 0)).toBe(true);
    expect(canKeepModel(three, 0, two, 0)).toBe(false);
  });

  it('restarts every model when the data stream changes', () => {
    for (const over of [{ seed: 11 }, { batchSize: 8 }, { clip: 1 }]) {
      expect(canKeepModel(three, 0, tinyExperiment(['transformer', 'mamba', 'mambaformer'], over), 0)).toBe(
        false,
      );
    }
    const plan = planSlots(
      slots(three),
      tinyExperiment(['transformer', 'mamba', 'mambaformer'], { seed: 11 }),
    );
    expect(plan.freshRun).toBe(true);
    // the workers are reused (rebuilt), none started or stopped
    expect(plan.assign.map((a) => [a.slot, a.keep])).toEqual([
      [10, false],
      [11, false],
      [12, false],
    ]);
    expect(plan.release).toEqual([]);
  });

  it('removing an architecture releases only its worker; adding one starts only one', () => {
    const removed = planSlots(slots(three), tinyExperiment(['transformer', 'mambaformer']));
    expect(removed.assign).toEqual([
      { index: 0, slot: 10, keep: true },
      { index: 1, slot: 12, keep: true },
    ]);
    expect(removed.release).toEqual([11]);
    expect(removed.freshRun).toBe(false);
    const added = planSlots(slots(three), tinyExperiment(['transformer', 'mamba', 'mambaformer', 's4']));
    expect(added.assign.map((a) => a.slot)).toEqual([10, 11, 12, null]);
    expect(added.freshRun).toBe(false);
  });

  it('a new width rebuilds the models in the workers they already have', () => {
    const wider = tinyExperiment(['transformer', 'mamba', 'mambaformer']);
    wider.models = wider.models.map((m) => ({ ...m, dModel: 16 }));
    const plan = planSlots(slots(three), wider);
    expect(plan.assign.every((a) => a.slot !== null && !a.keep)).toBe(true);
    expect(plan.freshRun).toBe(true);
  });
});

function slots(e: ReturnType<typeof tinyExperiment>) {
  return e.models.map((_, index) => ({ slot: 10 + index, experiment: e, index }));
}
