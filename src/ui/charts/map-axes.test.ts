import { describe, expect, it } from 'vitest';
import { createDraft, queryPosition } from '../../app/probe/probe-editor';
import { TASK_NAMES } from '../../tasks';
import type { TaskName } from '../../tasks/types';
import { tinyExperiment } from '../../train/test-experiments';
import {
  cellAt,
  formatValue,
  moveCursor,
  readoutText,
  rolesOf,
  tickPositions,
  tokenLabels,
  valueRange,
} from './map-axes';

const SMALL: Partial<Record<TaskName, Record<string, unknown>>> = {
  'linear-regression': { d: 3, nPoints: 4 },
  'chain-of-thought': { d: 3, nPoints: 3, hidden: 2 },
  'sparse-parity': { d: 5, nPoints: 4, k: 2 },
  'vector-mqar': { d: 4, pairs: 3 },
  'token-mqar': { vocab: 16, pairs: 3, queries: 2 },
};
const draftOf = (task: TaskName) => createDraft(tinyExperiment(['transformer'], {}, task, SMALL[task] ?? {}));

describe('tokenLabels', () => {
  it('alternates x and y on a regression prompt, the query x marked', () => {
    const d = draftOf('linear-regression');
    expect(tokenLabels(d, d.seqLen).map((l) => l.short)).toEqual([
      'x1',
      'y1',
      'x2',
      'y2',
      'x3',
      'y3',
      'x?',
      'y4',
    ]);
  });

  it('reads x, s, y on chain of thought', () => {
    const d = draftOf('chain-of-thought');
    expect(tokenLabels(d, d.seqLen).map((l) => l.role)).toEqual([
      'x',
      's',
      'y',
      'x',
      's',
      'y',
      'query',
      's',
      'y',
    ]);
  });

  it('names keys, values and the query of vector MQAR', () => {
    const d = draftOf('vector-mqar');
    expect(tokenLabels(d, d.seqLen).map((l) => l.short)).toEqual(['k1', 'v1', 'k2', 'v2', 'k3', 'v3', 'q']);
  });

  it('names the queries and answers of token MQAR', () => {
    const d = draftOf('token-mqar');
    expect(tokenLabels(d, d.seqLen).map((l) => l.short)).toEqual([
      'k1',
      'v1',
      'k2',
      'v2',
      'k3',
      'v3',
      'q1',
      'a1',
      'q2',
      'a2',
    ]);
  });

  it.each(TASK_NAMES)('%s: one label per token, the query where the editor reads it', (task) => {
    const d = draftOf(task);
    const labels = tokenLabels(d, d.seqLen);
    expect(labels).toHaveLength(d.seqLen);
    const q = labels.findIndex((l) => l.role === 'query');
    // the editor reads chain of thought's answer at the s after the query x
    expect(q).toBe(d.kind === 'regression' && d.stride === 3 ? queryPosition(d) - 1 : queryPosition(d));
  });

  it('extends the pattern to a longer prompt (curriculum) and numbers positions without a draft', () => {
    const d = draftOf('linear-regression');
    const long = tokenLabels(d, 12);
    expect(long.map((l) => l.short).slice(-2)).toEqual(['x?', 'y6']);
    expect(tokenLabels(null, 3).map((l) => l.short)).toEqual(['1', '2', '3']);
    expect(rolesOf(long)).toEqual(['x', 'y', 'query']);
    // the same array for the same draft and length (the maps' axes keep their identity)
    expect(tokenLabels(d, 12)).toBe(long);
    expect(tokenLabels(d, 8)).not.toBe(long);
  });
});

describe('tickPositions', () => {
  it('labels every position when there is room', () => {
    expect(tickPositions(6, 20)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('thins to every 2nd, 5th, 10th position as cells shrink, keeping the first', () => {
    expect(tickPositions(10, 10)).toEqual([0, 2, 4, 6, 8]);
    expect(tickPositions(20, 4)).toEqual([0, 5, 10, 15]);
    expect(tickPositions(129, 1.5)).toEqual([0, 20, 40, 60, 80, 100, 120]);
  });

  it('keeps the positions asked for and drops regular ticks that would overlap them', () => {
    const t = tickPositions(20, 4, 18, [16]);
    expect(t).toEqual([0, 5, 10, 16]);
    for (let i = 1; i < t.length; i++) expect((t[i] - t[i - 1]) * 4).toBeGreaterThanOrEqual(18);
  });

  it('is empty for an empty axis', () => {
    expect(tickPositions(0, 10)).toEqual([]);
  });
});

describe('values', () => {
  it('finds the finite range', () => {
    expect(valueRange([0.5, -2, Number.NaN, 1])).toEqual({ min: -2, max: 1, absMax: 2 });
    expect(valueRange([Number.NaN])).toEqual({ min: 0, max: 0, absMax: 0 });
  });

  it('formats without "e+"', () => {
    expect(formatValue(100)).toBe('100');
    expect(formatValue(0.1234)).toBe('0.123');
    expect(formatValue(-0.5)).toBe('−0.5');
    expect(formatValue(123456)).toBe('1.23×10^5');
    expect(formatValue(0.00012)).toBe('1.20×10^−4');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(Number.NaN)).toBe('not a number');
  });

  it('reads a cell out with both tokens named', () => {
    const labels = tokenLabels(draftOf('linear-regression'), 8);
    const text = readoutText({ name: 'row', labels }, { name: 'column', labels }, 6, 3, 0.4567);
    expect(text).toBe('row x? (query x (example 4, its y is predicted)), column y2 (y of example 2): 0.457');
    expect(readoutText({ name: 'channel', labels: null }, { name: 'token', labels }, 0, 0, 2)).toBe(
      'channel 1, token x1 (x of example 1): 2',
    );
    expect(
      readoutText({ name: 'channel', labels: null }, { name: 'lag', labels: null, from: 0 }, 1, 0, 2),
    ).toBe('channel 2, lag 0: 2');
  });
});

describe('cursor', () => {
  it('moves with the arrows and stays inside the map', () => {
    expect(moveCursor({ r: 0, c: 0 }, 'ArrowUp', 4, 4)).toEqual({ r: 0, c: 0 });
    expect(moveCursor({ r: 0, c: 0 }, 'ArrowDown', 4, 4)).toEqual({ r: 1, c: 0 });
    expect(moveCursor({ r: 1, c: 3 }, 'ArrowRight', 4, 4)).toEqual({ r: 1, c: 3 });
    expect(moveCursor({ r: 1, c: 3 }, 'ArrowLeft', 4, 4)).toEqual({ r: 1, c: 2 });
    expect(moveCursor({ r: 1, c: 1 }, 'End', 4, 6)).toEqual({ r: 1, c: 5 });
    expect(moveCursor({ r: 1, c: 1 }, 'PageDown', 4, 6)).toEqual({ r: 3, c: 1 });
    expect(moveCursor({ r: 1, c: 1 }, 'a', 4, 6)).toBeNull();
  });

  it('finds the cell under the pointer', () => {
    expect(cellAt(0, 0, 100, 100, 10, 10)).toEqual({ r: 0, c: 0 });
    expect(cellAt(99.9, 45, 100, 100, 10, 10)).toEqual({ r: 4, c: 9 });
    expect(cellAt(100, 5, 100, 100, 10, 10)).toBeNull();
  });
});
