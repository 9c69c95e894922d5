import { describe, expect, it } from 'vitest';
import type { Table1 } from '../../formats/table1';
import { estimateLesson, formatMinutes, LONG_LESSON_MINUTES, sharedCoresMs, stepsToShow } from './estimate';

describe('estimateLesson', () => {
  it('takes the summed step time over the cores when the models outnumber them', () => {
    // 3 models of 200, 500, 500 ms on 2 cores: 600 ms a step of the race (> the slowest, 500)
    const e = estimateLesson({ modelMs: [200, 500, 500], steps: 3000, cores: 2 });
    expect(e?.minutes).toBeCloseTo((3000 * 600) / 60_000, 9);
    expect(e?.text).toBe('Shows at ~3000 steps, about 30 minutes on this device for these models.');
    expect(e?.long).toBe(true);
  });

  it('takes the slowest model when there are cores enough', () => {
    const e = estimateLesson({ modelMs: [20, 50, 40], steps: 3000, cores: 8 });
    expect(e?.minutes).toBeCloseTo(2.5, 9);
    expect(e?.long).toBe(false);
    expect(e?.text).toBe('Shows at ~3000 steps, about 3 minutes on this device for these models.');
  });

  it('is short exactly up to the limit', () => {
    const ms = (LONG_LESSON_MINUTES * 60_000) / 1000;
    expect(estimateLesson({ modelMs: [ms], steps: 1000, cores: 1 })?.long).toBe(false);
    expect(estimateLesson({ modelMs: [ms * 1.01], steps: 1000, cores: 1 })?.long).toBe(true);
    expect(estimateLesson({ modelMs: [ms], steps: 1000, cores: 1 })?.text).toContain('for this model');
  });

  it('keeps a worker that reached the verdict early busy until its last step', () => {
    // 3 models of 200, 500, 500 ms on 2 cores, the verdict at step 3000 of 4000: the fast model holds
    // its two-thirds share for 4000 x 200 ms (1200 s of wall time), the others then train alone:
    // 3000 x 500 ms of work each, 800 s of it done in the shared phase: 1200 + 700 s = 31.67 min
    const e = estimateLesson({ modelMs: [200, 500, 500], steps: 3000, cores: 2, totalSteps: 4000 });
    expect(e?.minutes).toBeCloseTo((1200 + 700) / 60, 9);
    // as many cores as models: each its own, the slowest decides
    expect(
      estimateLesson({ modelMs: [200, 500], steps: 3000, cores: 2, totalSteps: 9000 })?.minutes,
    ).toBeCloseTo(25, 9);
    // one core, two models: both share it until the first stops
    expect(sharedCoresMs([100, 100], 10, 20, 1)).toBeCloseTo(2000, 9);
    expect(sharedCoresMs([100, 300], 10, 10, 1)).toBeCloseTo(4000, 9);
  });

  it('waits for every model to be measured', () => {
    expect(estimateLesson({ modelMs: [20, null], steps: 100, cores: 2 })).toBeNull();
    expect(estimateLesson({ modelMs: [], steps: 100, cores: 2 })).toBeNull();
    expect(estimateLesson({ modelMs: [20], steps: 0, cores: 2 })).toBeNull();
  });
});

describe('formatMinutes', () => {
  it('reads as a person would say it', () => {
    expect(formatMinutes(0.4)).toBe('under a minute');
    expect(formatMinutes(1.2)).toBe('about 1 minute');
    expect(formatMinutes(42.6)).toBe('about 43 minutes');
    expect(formatMinutes(150)).toBe('about 2.5 hours');
    expect(formatMinutes(180)).toBe('about 3 hours');
    expect(formatMinutes(60 * 14.6)).toBe('about 15 hours');
  });
});

const seed = (stepsToVerdict: number | null) => ({
  seed: 0,
  run: 'r',
  mark: 'learns' as const,
  gapClosed: 1,
  value: 0,
  reference: 'x',
  lastStep: 5000,
  stepsToVerdict,
});
const table: Table1 = {
  version: 1,
  createdAt: '2026-01-01',
  machine: 'm',
  command: 'c',
  tasks: ['linear_regression'],
  archs: ['transformer', 'mamba'],
  cells: [
    {
      task: 'linear_regression',
      arch: 'transformer',
      paper: 'learns',
      seeds: [seed(1000), seed(3000), seed(2000)],
      mark: 'learns',
      agreeing: 3,
    },
    {
      task: 'linear_regression',
      arch: 'mamba',
      paper: 'learns',
      seeds: [seed(4000), seed(null)],
      mark: 'learns',
      agreeing: 2,
    },
  ],
} as Table1;

describe('stepsToShow', () => {
  it('takes the slowest architecture’s median steps to the verdict', () => {
    expect(stepsToShow(table, 'linear_regression', ['transformer'], 9000)).toEqual({
      steps: 2000,
      source: 'table1',
    });
    expect(stepsToShow(table, 'linear_regression', ['transformer', 'mamba'], 9000)).toEqual({
      steps: 4000,
      source: 'table1',
    });
  });

  it('falls back to the preset when the table lacks a model or the task', () => {
    expect(stepsToShow(table, 'linear_regression', ['transformer', 's4'], 9000)).toEqual({
      steps: 9000,
      source: 'preset',
    });
    expect(stepsToShow(table, 'sparse_parity', ['transformer'], 500)).toEqual({
      steps: 500,
      source: 'preset',
    });
    expect(stepsToShow(null, 'linear_regression', ['transformer'], 700)).toEqual({
      steps: 700,
      source: 'preset',
    });
  });
});
