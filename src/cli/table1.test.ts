import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IclCurveSet } from '../eval/types';
import { evalRecordLine, parseEvalRecords, table1Schema } from '../formats/table1';
import type { Architecture } from '../schema/architecture';
import { presetExperiment } from '../train/presets';
import { tinyExperiment } from '../train/test-experiments';
import {
  buildTable1,
  findRunFolders,
  MARKDOWN_MARKER,
  majorityMark,
  parseEvaluationLog,
  planLines,
  ReferenceCache,
  readRun,
  runTable1,
  spliceMarkdown,
  TABLE1_TASKS,
  table1Markdown,
} from './table1';

/** A model curve set over examples 0..3 with the given means. */
function sets(mean: number[], metric: IclCurveSet['metric'] = 'squared-error', chance = 1): IclCurveSet[] {
  return [
    {
      task: 'linear-regression',
      head: 'y',
      metric,
      yLabel: 'x',
      chance,
      prompts: 64,
      seed: 0,
      curves: [
        {
          key: 'model:0',
          label: 'm',
          examples: Int32Array.from(mean.map((_, i) => i)),
          mean: Float64Array.from(mean),
          lo: new Float64Array(mean.length),
          hi: new Float64Array(mean.length),
          count: new Int32Array(mean.length),
        },
      ],
    },
  ];
}

/** A run folder as CLI train leaves it: experiment.json + one jsonl per model. */
function writeRun(
  dir: string,
  arch: Architecture,
  seed: number,
  evals: Array<[number, number[]]>,
  settings: 'lesson' | 'tiny' = 'lesson',
  steps = 6,
): void {
  mkdirSync(dir, { recursive: true });
  const evaluation = { prompts: 64, everySteps: 2, bootstrap: 0 };
  // the lesson preset of linear regression (d 5, N 11), or a tiny model of the same task
  const e =
    settings === 'lesson'
      ? presetExperiment('classroom', 'linear-regression', [arch], seed, { steps, evaluation })
      : tinyExperiment([arch], { seed, steps, evaluation }, 'linear-regression', { d: 5, nPoints: 11 });
  writeFileSync(join(dir, 'experiment.json'), JSON.stringify(e));
  const lines = evals.map(([step, mean]) => evalRecordLine(step, sets(mean)));
  // a kill in the middle of writing leaves half a line: it must be skipped
  writeFileSync(join(dir, `${arch}-evals.jsonl`), `${lines.join('\n')}\n{"step": 9, "hea`);
}

/** An in-context curve over examples 0..10: 1 before the regime, `late` over it (5..10). */
const curve = (late: number) => Array.from({ length: 11 }, (_, i) => (i < 5 ? 1 : late));

describe('table1', () => {
  let out: string[];
  beforeEach(() => {
    out = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => vi.restoreAllMocks());

  it('parses evaluation records and skips a last line cut short', () => {
    const text = `${evalRecordLine(2, sets([1, 0.5, Number.NaN, 0.1]))}\n{"st`;
    const records = parseEvalRecords(text);
    expect(records).toHaveLength(1);
    expect(records[0].heads[0].mean).toEqual([1, 0.5, null, 0.1]);
    expect(() => parseEvalRecords(`{"st\n${text}`)).toThrow(/line 1/);
  });

  it('the most common mark wins, ties to the worse mark', () => {
    expect(majorityMark(['learns', 'learns', 'partial'])).toEqual({ mark: 'learns', agreeing: 2 });
    expect(majorityMark(['learns', 'fails'])).toEqual({ mark: 'fails', agreeing: 1 });
    expect(majorityMark([null, null])).toEqual({ mark: null, agreeing: 0 });
  });

  it('reads a sweep folder: verdicts per seed against least squares, steps to verdict, paper marks', async () => {
    const root = mkdtempSync(join(tmpdir(), 'icl-table1-'));
    // least squares on d = 5 is exact from 5 examples on: the regime (5..10) reference is ~0
    writeRun(join(root, 'runs', 'lr-tf-s0'), 'transformer', 0, [
      [2, curve(1.5)],
      [4, curve(0.01)],
      [6, curve(0.005)],
    ]);
    writeRun(join(root, 'runs', 'lr-tf-s1'), 'transformer', 1, [[4, curve(0.02)]], 'lesson', 4);
    writeRun(join(root, 'runs', 'lr-tf-s2'), 'transformer', 2, [[4, curve(0.5)]], 'lesson', 4);
    writeRun(join(root, 'runs', 'lr-mb-s0'), 'mamba', 0, [[4, curve(1.5)]], 'lesson', 4);
    expect(findRunFolders(root)).toHaveLength(4);
    const models = findRunFolders(root).flatMap((f) => readRun(f));
    expect(models.map((m) => m.records.length)).toEqual([1, 3, 1, 1]);
    const refs = new ReferenceCache();
    const table = buildTable1(models, refs, { command: 'c', machine: 'm', createdAt: 't' }, () => true);
    // seeds 0, 1, 2: three reference sets; the Mamba run of seed 0 reuses seed 0's
    expect(refs.computed).toBe(3);
    // every task is a row (unmeasured ones too); the paper's three architectures are columns
    expect(table.tasks).toHaveLength(10);
    expect(table.tasks[0]).toBe('linear-regression');
    expect(table.archs).toEqual(['transformer', 'mamba', 'mambaformer']);
    expect(table.cells.every((c) => c.task === 'linear-regression')).toBe(true);
    expect(table1Markdown(table)).toMatch(/\| Sparse parity \| fails \/ not measured \|/);
    const tf = table.cells.find((c) => c.arch === 'transformer')!;
    expect(tf.paper).toBe('learns');
    expect(tf.seeds.map((s) => s.mark)).toEqual(['learns', 'learns', 'partial']);
    expect(tf.mark).toBe('learns');
    expect(tf.agreeing).toBe(2);
    expect(tf.seeds[0].stepsToVerdict).toBe(4);
    expect(tf.seeds[0].lastStep).toBe(6);
    expect(tf.seeds[0].reference).toBe('Least squares');
    expect(tf.seeds[0].gapClosed).toBeGreaterThan(0.98);
    const mb = table.cells.find((c) => c.arch === 'mamba')!;
    expect(mb.mark).toBe('fails');
    expect(table1Schema.parse(JSON.parse(JSON.stringify(table)))).toEqual(table);

    const md = join(root, 'TABLE1.md');
    writeFileSync(md, `# Kept\n\nhow it is measured\n${MARKDOWN_MARKER}\nold table\n`);
    const json = join(root, 'table1.json');
    expect(await runTable1(['--from', root, '--markdown', md, '--json', json])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/Linear regression\s+yes \| learns 2\/3 ✓\s+yes \| fails 1\/1 ✗/);
    expect(text).toMatch(/seed 0: learns \(gap closed 0\.99\d.*from step 4; last step 6\)/);
    const mdText = readFileSync(md, 'utf8');
    expect(mdText).toContain('| Linear regression | yes / learns 2/3 ✓ | yes / fails 1/1 ✗ |');
    expect(mdText).toContain('npm run cli -- table1 --from');
    expect(mdText.startsWith(`# Kept\n\nhow it is measured\n${MARKDOWN_MARKER}\n\n# Table 1, measured`)).toBe(
      true,
    );
    expect(mdText).not.toContain('old table');
    expect(spliceMarkdown(null, 'x')).toBe('x');
    expect(spliceMarkdown('no marker', 'x')).toBe('x');
    expect(table1Schema.safeParse(JSON.parse(readFileSync(json, 'utf8'))).success).toBe(true);
  });

  it("falls back to the sweep's log for a run without a jsonl (accuracy task: no reference)", () => {
    const root = mkdtempSync(join(tmpdir(), 'icl-table1-'));
    const run = join(root, 'runs', 'sp-mb-s0');
    mkdirSync(run, { recursive: true });
    const e = tinyExperiment(['mamba'], {}, 'sparse-parity', { d: 4, nPoints: 4, k: 2 });
    writeFileSync(join(run, 'experiment.json'), JSON.stringify(e));
    const line = (step: number, v: number) =>
      `Mamba (1,234 params) step ${step} y accuracy (chance 0.500): 0:0.500 1:0.500 2:${v} 3:${v}`;
    writeFileSync(
      join(root, 'sp-mb-s0.log'),
      `progress\r${line(10, 0.55)}\rMamba step 11/20\n${line(20, 0.97)} [learns, gap closed 0.940]\n`,
    );
    const parsed = parseEvaluationLog(
      readFileSync(join(root, 'sp-mb-s0.log'), 'utf8'),
      () => 'sign-accuracy',
    );
    expect(parsed.get('mamba')?.map((r) => r.step)).toEqual([10, 20]);
    const [model] = readRun(run);
    expect(model.source).toBe('log');
    const table = buildTable1(
      [model],
      new ReferenceCache(),
      { command: 'c', machine: 'm', createdAt: 't' },
      () => true,
    );
    const cell = table.cells[0];
    expect(cell.paper).toBe('learns');
    expect(cell.seeds[0].mark).toBe('learns');
    expect(cell.seeds[0].reference).toBe('perfect predictor');
    expect(cell.seeds[0].stepsToVerdict).toBe(20);
    expect(cell.seeds[0].gapClosed).toBeCloseTo(0.94, 12);
  });

  it('--plan prints one sweep line per task x model x seed from the lesson settings', async () => {
    const lines = planLines({
      tasks: ['linear-regression', 'sparse-parity'],
      models: ['transformer', 'mamba'],
      seeds: 2,
      stopAtVerdict: true,
    });
    expect(lines).toHaveLength(8);
    expect(lines[0]).toBe(
      'linear-regression-transformer-s0 --task linear-regression --models transformer --seed 0 --preset classroom --stop-at-verdict',
    );
    const custom = planLines(
      { tasks: ['sparse-parity'], models: ['hybrid'], seeds: 1, steps: 500, stopAtVerdict: false },
      () => ({ preset: 'paper', args: ['--d-model', '64'] }),
    );
    expect(custom).toEqual([
      'sparse-parity-hybrid-s0 --task sparse-parity --models hybrid --seed 0 --preset paper --steps 500 --d-model 64',
    ]);
    expect(TABLE1_TASKS).toHaveLength(9);
    expect(await runTable1(['--plan', '--seeds', '3'])).toBe(0);
    const plan = out.join('\n').split('\n');
    expect(plan[0]).toMatch(/^# Table 1 sweep plan .*: 81 runs$/);
    expect(plan).toHaveLength(82);
  });

  it('the grid holds lesson-preset runs only; other settings are explored; a cut-short run does not count', () => {
    const root = mkdtempSync(join(tmpdir(), 'icl-table1-'));
    // lesson preset, seed 0 twice (the longer run counts), seed 1 cut short by a time limit
    writeRun(join(root, 'runs', 'a'), 'transformer', 0, [[4, curve(0.5)]], 'lesson', 4);
    writeRun(
      join(root, 'runs', 'b'),
      'transformer',
      0,
      [
        [4, curve(0.5)],
        [8, curve(0.01)],
      ],
      'lesson',
      8,
    );
    writeRun(join(root, 'runs', 'c'), 'transformer', 1, [[4, curve(1.5)]], 'lesson', 4000);
    // a tiny model: another setting
    writeRun(join(root, 'runs', 'd'), 'transformer', 2, [[4, curve(1.5)]], 'tiny', 4);
    const models = findRunFolders(root).flatMap((f) => readRun(f));
    const table = buildTable1(models, new ReferenceCache(), { command: 'c', machine: 'm', createdAt: 't' });
    const [cell] = table.cells;
    expect(table.cells).toHaveLength(1);
    expect(cell.seeds.map((s) => [s.seed, s.lastStep, s.mark, s.cutShort ?? false])).toEqual([
      [0, 8, 'learns', false],
      [1, 4, 'fails', true],
    ]);
    expect(cell.mark).toBe('learns');
    expect(cell.agreeing).toBe(1);
    expect(cell.settings).toBe('D 64 · 3 layers, 4 heads · batch 256 · LR 1e-3 · d 5, nPoints 11');
    expect(table.explored).toHaveLength(1);
    expect(table.explored[0].seeds.map((s) => s.seed)).toEqual([2]);
    expect(table.explored[0].settings).toMatch(/^D 8 · 1 layers, 2 heads · batch 4 · LR 1e-3/);
    const md = table1Markdown(table);
    expect(md).toContain('| Linear regression | yes / learns 1/1 (+1 cut short) ✓ |');
    expect(md).toContain('## Runs at other settings');
    expect(md).toMatch(/\| Linear regression \| Transformer \| D 8 · 1 layers.* \| 2 \| fails \|/);
    expect(md).toMatch(/\| 1 \| fails \(cut short\) \|/);
  });
});
