import { describe, expect, it } from 'vitest';
import { defaultExperiment } from '../../schema/experiment';
import { formatNumber, markdownCell, markdownTable, runSummaryMarkdown } from './markdown';
import { curve, curveSet } from './test-data';

/** The tables of a Markdown text: runs of lines that start with '|'. */
function tables(md: string): string[][][] {
  const out: string[][][] = [];
  let current: string[][] | null = null;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      const cells = line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
      if (!current) {
        current = [];
        out.push(current);
      }
      current.push(cells);
    } else current = null;
  }
  return out;
}

describe('Markdown', () => {
  it('escapes cells', () => {
    expect(markdownCell('a|b')).toBe('a\\|b');
    expect(markdownCell('two\nlines')).toBe('two lines');
    expect(markdownCell('')).toBe(' ');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(Number.NaN)).toBe('–');
    expect(formatNumber(1e-5)).toBe('1.000e-5');
  });

  it('tables have a rule row and equal widths', () => {
    const t = markdownTable(['a', 'b'], [['1', 'x|y']], [true, false]);
    expect(t.split('\n')).toEqual(['| a | b |', '| ---: | --- |', '| 1 | x\\|y |']);
    expect(() => markdownTable(['a'], [['1', '2']])).toThrow();
  });

  it('the run summary has the configuration, the models and the final ICL table', () => {
    const e = defaultExperiment('linear-regression');
    const md = runSummaryMarkdown({
      experiment: e,
      taskTitle: 'Linear regression',
      link: 'http://lab.test/#x=abc',
      models: e.models.map((spec, i) => ({
        title: ['Transformer', 'Mamba', 'MambaFormer'][i],
        spec,
        step: 40,
        state: 'paused',
        lastLoss: 0.5 + i,
      })),
      icl: curveSet([
        curve('least-squares', 'Least squares', [1, 0.5, 0.25]),
        curve('model:mamba', 'Mamba | step 40', [1, 0.6, 0.3]),
      ]),
      exportedAt: new Date('2025-01-02T03:04:05Z'),
    });
    expect(md).toMatch(/^# ICL Lab run: Linear regression\n/);
    expect(md).toContain('<http://lab.test/#x=abc>');
    const ts = tables(md);
    expect(ts.length).toBe(4);
    for (const t of ts) {
      for (const row of t) expect(row.length).toBe(t[0].length);
      expect(t[1].every((c) => /^-+:?$/.test(c))).toBe(true);
    }
    const [config, models, icl, last] = ts;
    expect(config).toContainEqual(['Seed', String(e.seed)]);
    expect(models.slice(2).map((r) => r[0])).toEqual(['Transformer', 'Mamba', 'MambaFormer']);
    expect(models[3][6]).toBe('1.5');
    expect(icl[0]).toEqual(['examples', 'Least squares', 'Mamba \\| step 40']);
    expect(icl.slice(2)).toEqual([
      ['0', '1', '1'],
      ['1', '0.5', '0.6'],
      ['2', '0.25', '0.3'],
    ]);
    expect(last[2]).toEqual(['Least squares', '2', '0.25', '0.225', '0.275', '16']);
    const json = /```json\n([\s\S]*?)\n```/.exec(md)?.[1];
    expect(JSON.parse(json ?? '')).toEqual(JSON.parse(JSON.stringify(e)));
  });

  it('a run without curves says so', () => {
    const e = defaultExperiment('sparse-parity');
    const md = runSummaryMarkdown({
      experiment: e,
      taskTitle: 'Sparse parity',
      models: [],
      icl: null,
      exportedAt: new Date(0),
    });
    expect(md).toContain('No in-context curves yet.');
    expect(md).toContain('not started');
  });
});
