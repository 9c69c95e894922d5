import { describe, expect, it } from 'vitest';
import { type ExperimentInput, parseExperiment } from '../../schema/experiment';
import { type RunSummary, summariseRun } from '../stores/runs-store';
import { comparePair, runColorIndices, runHistory } from './run-history';

function run(id: string, createdAt: number, overrides: Partial<ExperimentInput> = {}): RunSummary {
  const r = parseExperiment({ version: 1, task: { name: 'linear-regression' }, ...overrides });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return summariseRun({
    id,
    createdAt,
    updatedAt: createdAt,
    label: id,
    experiment: r.experiment,
    models: [],
  });
}

describe('runHistory', () => {
  it('labels each run by what changed from the run created before it', () => {
    // newest first, as the store keeps them
    const runs = [
      run('c', 3, { optimizer: { lr: 3e-4 }, seed: 1 }),
      run('a', 1, { optimizer: { lr: 1e-4 } }),
      run('b', 2, { optimizer: { lr: 3e-4 } }),
    ];
    const h = runHistory(runs, 8);
    expect(h.get('a')).toMatchObject({ previousId: null, change: null });
    expect(h.get('b')).toMatchObject({ previousId: 'a', change: 'lr 1e-4 -> 3e-4' });
    expect(h.get('c')).toMatchObject({ previousId: 'b', change: 'seed 0 -> 1' });
  });

  it('says when a run repeats the previous one', () => {
    const h = runHistory([run('a', 1), run('b', 2)], 8);
    expect(h.get('b')?.change).toBe('same settings');
  });
});

describe('runColorIndices', () => {
  it('gives distinct colours while the palette lasts', () => {
    const runs = Array.from({ length: 8 }, (_, i) => run(`run-${i}`, i));
    const colors = runColorIndices(runs, 8);
    expect(new Set(colors.values()).size).toBe(8);
    for (const c of colors.values()) expect(c >= 0 && c < 8).toBe(true);
  });

  it('keeps the colours of the other runs when one is deleted', () => {
    const runs = Array.from({ length: 5 }, (_, i) => run(`id-${i * 7}`, i));
    const before = runColorIndices(runs, 8);
    const after = runColorIndices(
      runs.filter((r) => r.id !== 'id-0'),
      8,
    );
    // a run keeps its colour unless it had been pushed on by a collision with the deleted one
    let kept = 0;
    for (const [id, c] of after) if (before.get(id) === c) kept++;
    expect(kept).toBeGreaterThanOrEqual(3);
  });

  it('reuses colours once every one is taken', () => {
    const runs = Array.from({ length: 5 }, (_, i) => run(`r${i}`, i));
    expect(new Set(runColorIndices(runs, 3).values()).size).toBe(3);
  });
});

describe('comparePair', () => {
  const runs = [run('new', 3), run('mid', 2), run('old', 1)];
  it('defaults to the previous run against the newest', () => {
    expect(comparePair(runs, [null, null])).toEqual(['mid', 'new']);
  });
  it('keeps a valid choice', () => {
    expect(comparePair(runs, ['old', 'mid'])).toEqual(['old', 'mid']);
  });
  it('replaces a deleted or duplicate choice', () => {
    expect(comparePair(runs, ['gone', 'old'])).toEqual(['new', 'old']);
    expect(comparePair(runs, ['new', 'new'])).toEqual(['new', 'mid']);
  });
  it('needs two runs', () => {
    expect(comparePair([run('only', 1)], [null, null])).toBeNull();
  });
});
