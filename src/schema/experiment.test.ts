import { describe, expect, it } from 'vitest';
import { coerceExperiment, defaultExperiment, EXPERIMENT_VERSION, parseExperiment } from './experiment';

describe('experiment schema', () => {
  it('fills the paper defaults for a task', () => {
    const e = defaultExperiment('vector-mqar');
    expect(e.version).toBe(EXPERIMENT_VERSION);
    expect(e.optimizer.lr).toBe(2e-4);
    expect(e.clip).toBe(100);
    expect(e.batchSize).toBe(64);
    expect(e.models.map((m) => m.arch)).toEqual(['transformer', 'mamba', 'mambaformer']);
    expect(e.models[0].nLayer).toBe(2);
    expect(e.models[1].nLayer).toBe(4);
    expect(e.models[0].positionEmbedding).toBe(true);
    expect(e.models[2].positionEmbedding).toBe(false);
    const lr = defaultExperiment('linear-regression');
    expect(lr.curriculum.dims).toEqual({ start: 5, end: 20, inc: 1, interval: 2000 });
    expect(lr.curriculum.points).toEqual({ start: 11, end: 41, inc: 2, interval: 2000 });
    expect(defaultExperiment('chain-of-thought').clip).toBeNull();
  });

  it('accepts an explicit experiment and keeps every value', () => {
    const r = parseExperiment({
      version: 1,
      task: { name: 'sparse-linear-regression', params: { d: 10, nPoints: 21 } },
      models: [{ arch: 'mamba', dModel: 32, nLayer: 2, dState: 8 }],
      optimizer: { lr: 3e-4 },
      clip: 1,
      batchSize: 16,
      steps: 500,
      seed: 42,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.experiment.task.params).toMatchObject({ d: 10, nPoints: 21 });
    expect(r.experiment.models[0]).toMatchObject({ arch: 'mamba', dModel: 32, nLayer: 2, dState: 8 });
    expect(r.experiment.optimizer.lr).toBe(3e-4);
    expect(r.experiment.curriculum.dims.end).toBe(10);
    expect(r.experiment.steps).toBe(500);
  });

  it('rejects unknown and out-of-range values with readable messages', () => {
    const r = parseExperiment({
      version: 1,
      task: { name: 'linear-regression', params: { d: 5000 } },
      models: [{ arch: 'transformer', dModel: 30, nHead: 8, wings: 2 }],
      batchSize: 0,
      colour: 'red',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join('\n');
    expect(text).toMatch(/task\.params\.d: .*(64|at most).*5000/);
    expect(text).toMatch(/colour/);
    expect(text).toMatch(/wings/);
    expect(text).toMatch(/batchSize/);
    expect(text).not.toMatch(/\[object Object\]/);
  });

  it('rejects a task name that does not exist, and a future version', () => {
    const bad = parseExperiment({ version: 1, task: { name: 'telepathy' } });
    expect(bad.ok).toBe(false);
    const future = parseExperiment({ version: EXPERIMENT_VERSION + 1, task: { name: 'linear-regression' } });
    expect(future.ok).toBe(false);
    if (!future.ok) expect(future.errors[0]).toMatch(/newer/);
  });

  it('rejects a curriculum larger than the task', () => {
    const r = parseExperiment({
      version: 1,
      task: { name: 'linear-regression', params: { d: 8 } },
      curriculum: {
        dims: { start: 2, end: 20, inc: 1, interval: 10 },
        points: { start: 5, end: 41, inc: 1, interval: 10 },
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(/curriculum\.dims\.end/);
  });

  it('coerces a hand-edited experiment to the nearest valid one and says what changed', () => {
    const { experiment, warnings } = coerceExperiment({
      version: 1,
      task: { name: 'linear-regression', params: { d: 5000, nPoints: -3 } },
      models: [{ arch: 'mamba', dModel: 1e9 }, { arch: 'dragon' }],
      batchSize: 12.5,
      seed: 'abc',
      extra: true,
    });
    expect(experiment.task.params).toMatchObject({ d: 64, nPoints: 1 });
    expect(experiment.models).toHaveLength(1);
    expect(experiment.models[0].dModel).toBe(1024);
    expect(experiment.batchSize).toBe(13);
    expect(experiment.seed).toBe(0);
    expect(warnings.length).toBeGreaterThanOrEqual(5);
    expect(warnings.join('\n')).toMatch(/extra/);
  });

  it('never throws on garbage', () => {
    for (const junk of [
      null,
      42,
      'x',
      [],
      { task: 7 },
      { version: 'x', models: 'all' },
      { task: { name: 'nope' } },
    ]) {
      const { experiment } = coerceExperiment(junk);
      expect(parseExperiment(experiment).ok).toBe(true);
    }
  });

  it('round-trips: a parsed experiment parses to itself', () => {
    const e = defaultExperiment('sparse-parity');
    const again = parseExperiment(JSON.parse(JSON.stringify(e)));
    expect(again.ok).toBe(true);
    if (again.ok) expect(again.experiment).toEqual(e);
  });
});
