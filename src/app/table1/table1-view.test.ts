import { describe, expect, it } from 'vitest';
import type { Table1, Table1Cell, Table1Seed } from '../../formats/table1';
import { TASK_NAMES } from '../../tasks';
import { createTable1Store, MISSING_TABLE1 } from './table1-store';
import {
  cellView,
  NO_TABLE1_CAPTION,
  parseTable1,
  TABLE1_COLUMNS,
  table1Caption,
  table1View,
} from './table1-view';

const seed = (n: number, over: Partial<Table1Seed> = {}): Table1Seed => ({
  seed: n,
  run: `runs/x-s${n}`,
  mark: 'learns',
  gapClosed: 0.97,
  value: 0.9,
  reference: 'perfect predictor',
  lastStep: 3000,
  stepsToVerdict: 1000,
  ...over,
});

const cell = (over: Partial<Table1Cell>): Table1Cell => ({
  task: 'sparse-parity',
  arch: 'mamba',
  paper: 'learns',
  seeds: [seed(0), seed(1), seed(2)],
  mark: 'learns',
  agreeing: 3,
  ...over,
});

const table = (cells: Table1Cell[]): Table1 => ({
  version: 1,
  createdAt: '2026-12-01T10:00:00.000Z',
  machine: 'NVIDIA H200',
  command: 'npm run cli -- table1 --from out --json public/table1.json',
  tasks: [...new Set(cells.map((c) => c.task))],
  archs: [...new Set(cells.map((c) => c.arch))],
  cells,
  explored: [],
  trainedOn: [],
});

describe('the Table 1 view model', () => {
  it('shows the paper’s mark beside ours with the number, the seeds and since when', () => {
    const seeds = [
      seed(0, { value: 0.98, stepsToVerdict: 2000 }),
      seed(1, { value: 0.96, stepsToVerdict: 2250 }),
      seed(2, { value: 0.97, stepsToVerdict: 1500 }),
    ];
    const v = cellView('sparse-parity', 'mamba', cell({ seeds }));
    expect([v.paperText, v.oursText, v.detail, v.agreementText]).toEqual([
      'yes',
      'learns 3/3',
      '0.97 · 3 seeds · from step 2250',
      '✓ agrees',
    ]);
    expect(v.label).toBe(
      'Sparse parity, Mamba: the paper: yes; ours: learns 3/3, 0.97 · 3 seeds · from step 2250; agrees. Opens the recording.',
    );
  });

  it('averages only the seeds with the majority mark, and says so when one disagrees', () => {
    const seeds = [
      seed(0, { value: 0.9 }),
      seed(1, { mark: 'fails', value: 0.5, stepsToVerdict: 0 }),
      seed(2),
    ];
    const v = cellView(
      'sparse-parity',
      'transformer',
      cell({ arch: 'transformer', paper: 'fails', seeds, agreeing: 2 }),
    );
    expect([v.paperText, v.oursText, v.detail, v.agreement]).toEqual([
      'fails',
      'learns 2/3',
      '0.90 · 3 seeds · from step 1000',
      'differs',
    ]);
    expect(v.agreementText).toBe('✗ differs');
  });

  it('says "partial", a missing paper mark, no verdict and not measured in words', () => {
    const partial = cellView(
      'decision-tree',
      's4',
      cell({ task: 'decision-tree', arch: 's4', paper: 'unknown', mark: 'partial', agreeing: 2 }),
    );
    expect([partial.paperText, partial.oursText, partial.agreementText]).toEqual([
      '–',
      'partial 2/3',
      'paper: no mark',
    ]);
    const none = cellView('vector-mqar', 'mamba', undefined);
    expect([none.paperText, none.oursText, none.detail, none.agreement]).toEqual([
      'fails',
      'not measured',
      '',
      'not-measured',
    ]);
    const refused = cellView(
      'vector-mqar',
      'mamba',
      cell({ seeds: [seed(0, { mark: null, error: 'no evaluation' })], mark: null, agreeing: 0 }),
    );
    expect([refused.oursText, refused.detail, refused.agreement]).toEqual([
      'no verdict',
      '1 seed · no evaluation',
      'no-verdict',
    ]);
    // a seed without steps to verdict leaves "from step" out
    const unsure = cellView('sparse-parity', 'mamba', cell({ seeds: [seed(0, { stepsToVerdict: null })] }));
    expect(unsure.detail).toBe('0.90 · 1 seed');
  });

  it('has every task of the registry and all six columns, unmeasured cells included', () => {
    const v = table1View(table([cell({})]));
    expect(v.rows.map((r) => r.task)).toEqual([...TASK_NAMES]);
    expect(v.rows).toHaveLength(10);
    expect(v.rows.at(-1)?.title).toBe('Token MQAR');
    expect(v.columns.map((c) => c.title)).toEqual([
      'Transformer',
      'Mamba',
      'MambaFormer',
      'Standard hybrid',
      'S4-Mamba',
      'S4',
    ]);
    for (const r of v.rows) expect(r.cells.map((c) => c.arch)).toEqual([...TABLE1_COLUMNS]);
    const cells = v.rows.flatMap((r) => r.cells);
    expect(cells.filter((c) => c.oursText !== 'not measured').map((c) => `${c.task}/${c.arch}`)).toEqual([
      'sparse-parity/mamba',
    ]);
    // the paper's marks of unmeasured cells come from the paper's table
    const parity = v.rows.find((r) => r.task === 'sparse-parity')!;
    expect(parity.cells.map((c) => c.paperText)).toEqual(['fails', 'yes', 'yes', 'fails', '–', '–']);
  });

  it('without a measured table shows the paper’s marks and nothing of ours', () => {
    const v = table1View(null);
    expect(v.caption).toBe(NO_TABLE1_CAPTION);
    const cells = v.rows.flatMap((r) => r.cells);
    expect(cells).toHaveLength(60);
    expect(new Set(cells.map((c) => c.oursText))).toEqual(new Set(['not measured']));
    expect(cells.find((c) => c.task === 'vector-mqar' && c.arch === 'mamba')?.paperText).toBe('fails');
  });

  it('captions where the numbers come from', () => {
    const t = table([cell({}), cell({ arch: 'transformer', seeds: [seed(4)] })]);
    expect(table1Caption(t)).toBe(
      'Measured 1 December 2026 on NVIDIA H200: 4 runs, seeds 0, 1, 2, 4, each task at its lesson preset; each cell the paper’s mark beside ours (the most common over the seeds, docs/VERDICTS.md).'.replace(
        '’',
        "'",
      ),
    );
    // where the runs say what they trained on, that is the machine named
    expect(table1Caption({ ...t, trainedOn: ['webgpu (nvidia H200)'] })).toMatch(
      /^Measured 1 December 2026 on webgpu \(nvidia H200\): 4 runs/,
    );
  });

  it('reads the file as untrusted', () => {
    expect(parseTable1(table([cell({})])).ok).toBe(true);
    const bad = parseTable1({ ...table([cell({})]), version: 2 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^table1\.json is not a Table 1 file .*at version\.$/);
    expect(parseTable1('nope').ok).toBe(false);
  });
});

describe('the Table 1 store', () => {
  it('loads the table once, and says why when it is missing, not JSON or invalid', async () => {
    const calls: string[] = [];
    const good = createTable1Store(async (url) => {
      calls.push(url);
      return JSON.stringify(table([cell({})]));
    }, 't.json');
    await good.getState().load();
    await good.getState().load();
    expect([good.getState().status, good.getState().table?.cells.length, calls]).toEqual([
      'ready',
      1,
      ['t.json'],
    ]);

    for (const [text, message] of [
      [null, MISSING_TABLE1],
      ['<!doctype html><html></html>', MISSING_TABLE1],
      ['{"version":', /^table1\.json is not JSON/],
      ['{"version":1}', /^table1\.json is not a Table 1 file/],
    ] as const) {
      const s = createTable1Store(async () => text, 't.json');
      await s.getState().load();
      expect(s.getState().status).toBe('error');
      if (typeof message === 'string') expect(s.getState().error).toBe(message);
      else expect(s.getState().error).toMatch(message);
    }
    const failing = createTable1Store(async () => {
      throw new Error('offline');
    }, 't.json');
    await failing.getState().load();
    expect(failing.getState().error).toBe('table1.json could not be loaded: offline.');
  });
});
