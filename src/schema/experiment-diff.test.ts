import { describe, expect, it } from 'vitest';
import { type Experiment, type ExperimentInput, parseExperiment } from './experiment';
import { diffExperiments, diffLabel, formatValue } from './experiment-diff';

function experiment(overrides: Partial<ExperimentInput> = {}): Experiment {
  const r = parseExperiment({ version: 1, task: { name: 'linear-regression' }, ...overrides });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.experiment;
}

const models = (...specs: ExperimentInput['models'] & object) => ({ models: specs });

describe('formatValue', () => {
  it('writes small and large numbers in short scientific notation', () => {
    expect(formatValue(1e-4)).toBe('1e-4');
    expect(formatValue(3e-4)).toBe('3e-4');
    expect(formatValue(0.00025)).toBe('2.5e-4');
    expect(formatValue(2_500_000)).toBe('2.5e6');
  });
  it('writes ordinary numbers, booleans and none plainly', () => {
    expect(formatValue(64)).toBe('64');
    expect(formatValue(0.5)).toBe('0.5');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(true)).toBe('on');
    expect(formatValue(null)).toBe('none');
  });
});

describe('diffExperiments', () => {
  it('is empty for the same experiment', () => {
    expect(diffExperiments(experiment(), experiment())).toEqual([]);
    expect(diffLabel(experiment(), experiment())).toBe('same settings');
  });

  it('names a learning-rate change', () => {
    const a = experiment({ optimizer: { lr: 1e-4 } });
    const b = experiment({ optimizer: { lr: 3e-4 } });
    expect(diffExperiments(a, b)).toEqual(['lr 1e-4 -> 3e-4']);
  });

  it('says a width change shared by every model once', () => {
    const a = experiment(models({ arch: 'transformer', dModel: 32 }, { arch: 'mamba', dModel: 32 }));
    const b = experiment(models({ arch: 'transformer', dModel: 64 }, { arch: 'mamba', dModel: 64 }));
    expect(diffExperiments(a, b)).toEqual(['D 32 -> 64']);
  });

  it('prefixes a change of one model only with its name', () => {
    const a = experiment(models({ arch: 'transformer', dModel: 32 }, { arch: 'mamba', dModel: 32 }));
    const b = experiment(models({ arch: 'transformer', dModel: 32 }, { arch: 'mamba', dModel: 64 }));
    expect(diffExperiments(a, b)).toEqual(['Mamba D 32 -> 64']);
  });

  it('names added and removed architectures, matching models by architecture not position', () => {
    const a = experiment(models({ arch: 'transformer' }, { arch: 'mamba' }));
    const b = experiment(models({ arch: 'mamba' }, { arch: 's4' }));
    expect(diffExperiments(a, b)).toEqual(['+S4', '-Transformer']);
  });

  it('names task parameters, batch, steps, clip, seed and evaluation', () => {
    const a = experiment({ task: { name: 'linear-regression', params: { d: 20 } }, batchSize: 64, seed: 0 });
    const b = experiment({
      task: { name: 'linear-regression', params: { d: 10 } },
      batchSize: 16,
      seed: 3,
      steps: 500,
      clip: null,
      evaluation: { prompts: 64 },
    });
    const labels = diffExperiments(a, b);
    expect(labels).toContain('d 20 -> 10');
    expect(labels).toContain('batch 64 -> 16');
    expect(labels).toContain('seed 0 -> 3');
    expect(labels).toContain('eval prompts 1280 -> 64');
    expect(labels.some((l) => l.startsWith('steps ') && l.endsWith('-> 500'))).toBe(true);
    expect(labels.some((l) => l.startsWith('clip ') && l.endsWith('-> none'))).toBe(true);
    // the task's dimension also bounds its curriculum, which changes with it
    expect(labels.some((l) => l.startsWith('dims curriculum '))).toBe(true);
  });

  it('says a task change without listing the new task’s parameters', () => {
    const a = experiment();
    const b = experiment({ task: { name: 'sparse-parity' } });
    const labels = diffExperiments(a, b);
    expect(labels[0]).toBe('task Linear regression -> Sparse parity');
    expect(labels.some((l) => l.includes('curriculum'))).toBe(false);
    expect(labels.some((l) => l.startsWith('d '))).toBe(false);
  });

  it('is directional', () => {
    const a = experiment({ optimizer: { lr: 1e-4 } });
    const b = experiment({ optimizer: { lr: 3e-4 } });
    expect(diffExperiments(b, a)).toEqual(['lr 3e-4 -> 1e-4']);
  });
});

describe('diffLabel', () => {
  it('keeps the line short', () => {
    const a = experiment({ batchSize: 64, seed: 0, optimizer: { lr: 1e-4 } });
    const b = experiment({
      batchSize: 16,
      seed: 1,
      optimizer: { lr: 3e-4, beta1: 0.8 },
      evaluation: { prompts: 64, bootstrap: 10 },
    });
    expect(diffLabel(a, b, 2)).toBe('lr 1e-4 -> 3e-4, beta1 0.9 -> 0.8, +4 more');
  });
});
