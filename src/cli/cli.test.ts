import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runBaselines } from './baselines';
import { kebabToCamel, parseLiteral, parseTaskParams, requireTaskName, UsageError } from './task-args';

describe('task arguments', () => {
  it('maps --n-points to nPoints and parses literals', () => {
    expect(kebabToCamel('n-points')).toBe('nPoints');
    expect(parseLiteral('41')).toBe(41);
    expect(parseLiteral('1e-3')).toBe(0.001);
    expect(parseLiteral('true')).toBe(true);
    expect(parseLiteral('own-w')).toBe('own-w');
    expect(parseTaskParams('sparse-linear-regression', { d: '10', 'n-points': '21' })).toMatchObject({
      d: 10,
      nPoints: 21,
      k: 3,
    });
  });

  it('gives a clear error for a bad task name or parameter', () => {
    expect(() => requireTaskName('linear')).toThrow(/unknown task "linear".*Did you mean linear-regression/);
    expect(() => requireTaskName(undefined)).toThrow(UsageError);
    expect(() => parseTaskParams('linear-regression', { k: '3' })).toThrow(
      /unknown option --k .*--d, --n-points/,
    );
    expect(() => parseTaskParams('linear-regression', { d: '-4' })).toThrow(/--d:/);
    expect(() => parseTaskParams('linear-regression', { d: 'many' })).toThrow(/--d:/);
  });
});

describe('cli baselines', () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints a table and writes CSV and JSON whose least-squares curve follows (d - c) / d', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'icl-cli-'));
    const code = await runBaselines([
      '--task',
      'linear-regression',
      '--d',
      '8',
      '--n-points',
      '12',
      '--prompts',
      '256',
      '--out',
      dir,
    ]);
    expect(code).toBe(0);
    const table = out.join('\n');
    expect(table).toMatch(/Least squares/);
    expect(table).toMatch(/3-NN/);
    const csv = readFileSync(join(dir, 'baselines.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('task,head,metric,curve,label,examples,mean,lo,hi,count');
    const ls = csv.filter((l) => l.includes(',least-squares,'));
    expect(ls).toHaveLength(12);
    const at = (c: number) => Number(ls.find((l) => l.split(',')[5] === String(c))!.split(',')[6]);
    expect(at(4)).toBeGreaterThan(0.35);
    expect(at(4)).toBeLessThan(0.65);
    expect(at(10)).toBeLessThan(1e-6);
    const json = JSON.parse(readFileSync(join(dir, 'baselines.json'), 'utf8'));
    expect(json.task).toBe('linear-regression');
    expect(json.curves.map((c: { key: string }) => c.key)).toContain('least-squares');
  });
});
