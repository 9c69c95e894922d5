import { describe, expect, it } from 'vitest';
import { PAPER_TRAINING } from '../schema/paper-training';
import { TASK_NAMES } from '../tasks';
import { CLASSROOM, presetExperiment, presetInput } from './presets';

describe('presets', () => {
  it.each(TASK_NAMES)('%s: both presets are valid experiments', (task) => {
    const paper = presetExperiment('paper', task);
    expect(paper.models.map((m) => m.arch)).toEqual(['transformer', 'mamba', 'mambaformer']);
    expect(paper.steps).toBe(PAPER_TRAINING[task].steps);
    expect(paper.optimizer.lr).toBe(PAPER_TRAINING[task].lr);
    expect(paper.models[0].dModel).toBe(128);
    expect(paper.batchSize).toBe(64);

    const c = presetExperiment('classroom', task, ['transformer', 'mamba', 'mambaformer', 's4'], 7);
    expect(c.seed).toBe(7);
    expect(c.steps).toBe(CLASSROOM[task].steps);
    expect(c.models.every((m) => m.dModel <= 32)).toBe(true);
    expect(c.models.map((m) => m.nLayer)).toEqual([2, 4, 4, 4]);
    expect(c.task.params).toMatchObject(CLASSROOM[task].params);
    // the curriculum moves faster than the paper's 2000-step interval
    for (const s of [c.curriculum.dims, c.curriculum.points]) {
      if (s.start !== s.end) expect(s.interval).toBe(CLASSROOM[task].interval);
    }
  });

  it('the classroom linear regression is small', () => {
    const e = presetExperiment('classroom', 'linear-regression');
    expect(e.task.params).toEqual({ d: 5, nPoints: 11 });
    expect(e.curriculum.dims.end).toBe(5);
    expect(e.curriculum.points.end).toBe(11);
    expect(e.optimizer.lr).toBe(1e-3);
  });

  it('applies overrides and reports invalid ones', () => {
    const e = presetExperiment('classroom', 'sparse-parity', ['mamba'], 0, {
      steps: 10,
      optimizer: { lr: 3e-3 },
    });
    expect(e.steps).toBe(10);
    expect(e.optimizer.lr).toBe(3e-3);
    expect(e.optimizer.beta2).toBe(0.999);
    expect(() => presetExperiment('classroom', 'linear-regression', ['mamba'], 0, { batchSize: 0 })).toThrow(
      /batchSize/,
    );
    expect(presetInput('paper', 'vector-mqar', ['s4']).models).toEqual([{ arch: 's4' }]);
  });
});
