import { describe, expect, it } from 'vitest';
import { getTask, TASK_NAMES } from '../tasks';
import { presetExperiment, presetInput } from './presets';

describe('presets', () => {
  it.each(TASK_NAMES)('%s: both presets are valid experiments', (task) => {
    const { paper: own, classroom } = getTask(task);
    const paper = presetExperiment('paper', task);
    expect(paper.models.map((m) => m.arch)).toEqual(['transformer', 'mamba', 'mambaformer']);
    expect(paper.steps).toBe(own.steps);
    expect(paper.optimizer.lr).toBe(own.lr);
    expect(paper.clip).toBe(own.clip);
    expect(paper.models.map((m) => m.dModel)).toEqual([1, 2, 3].map(() => own.dModel));
    const g = own.gpt2Layers;
    expect(paper.models.map((m) => m.nLayer)).toEqual([g, 2 * g, 2 * g]);
    expect(paper.batchSize).toBe(64);

    const c = presetExperiment('classroom', task, ['transformer', 'mamba', 'mambaformer', 's4'], 7);
    expect(c.seed).toBe(7);
    expect(c.steps).toBe(classroom.steps);
    expect(c.models.every((m) => m.dModel === classroom.dModel && m.dModel <= 64)).toBe(true);
    const cg = classroom.gpt2Layers ?? 2;
    expect(c.models.map((m) => m.nLayer)).toEqual([cg, 2 * cg, 2 * cg, 2 * cg]);
    expect(c.task.params).toMatchObject(classroom.params);
    expect(c.batchSize).toBe(classroom.batchSize ?? 64);
    expect(c.optimizer.warmupSteps).toBe(classroom.warmupSteps ?? 0);
    expect(c.optimizer.lr).toBe(classroom.lr);
    // the curriculum moves faster than the paper's 2000-step interval
    for (const s of [c.curriculum.dims, c.curriculum.points]) {
      if (s.start !== s.end) expect(s.interval).toBe(classroom.interval);
    }
  });

  it("the paper preset takes each task's model size from the authors' configs", () => {
    const parity = presetExperiment('paper', 'sparse-parity', [
      'transformer',
      'mamba',
      'mambaformer',
      'hybrid',
      's4',
    ]);
    expect(parity.models.map((m) => m.dModel)).toEqual([256, 256, 256, 256, 256]);
    // conf/parity.yaml: a GPT-2 of 12 layers; each attention or Mamba block is one layer elsewhere
    expect(parity.models.map((m) => m.nLayer)).toEqual([12, 24, 24, 24, 24]);
    expect(parity.optimizer.lr).toBe(4e-4);
    const regression = presetExperiment('paper', 'linear-regression', ['transformer', 'mamba', 's4-mamba']);
    expect(regression.models.map((m) => [m.dModel, m.nLayer])).toEqual([
      [128, 2],
      [128, 4],
      [128, 4],
    ]);
    expect(regression.clip).toBe(10);
    expect(presetExperiment('paper', 'chain-of-thought').clip).toBeNull();
    expect(presetExperiment('paper', 'many-outlier-regression').steps).toBe(1_000_000);
  });

  it('the classroom linear regression is small', () => {
    const e = presetExperiment('classroom', 'linear-regression');
    expect(e.task.params).toEqual({ d: 5, nPoints: 11 });
    expect(e.curriculum.dims.end).toBe(5);
    expect(e.curriculum.points.end).toBe(11);
    // the lesson setting of run 3: D 64, 3 GPT-2 layers, batch 256, LR 1e-3
    expect(e.optimizer.lr).toBe(1e-3);
    expect(e.optimizer.warmupSteps).toBe(0);
    expect(e.batchSize).toBe(256);
    expect(e.models.map((m) => [m.dModel, m.nLayer])).toEqual([
      [64, 3],
      [64, 6],
      [64, 6],
    ]);
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
    expect(presetInput('paper', 'vector-mqar', ['s4']).models).toEqual([
      { arch: 's4', dModel: 128, nLayer: 4 },
    ]);
  });
});
