import { describe, expect, it } from 'vitest';
import { appendLosses, emptySeries, type LossSeries } from '../../eval/loss-series';
import { lineWidth, lossColumn, lossRows, MAX_LOSS_ROWS } from './loss-rows';

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const series = (steps: number[], losses: number[], max?: number): LossSeries =>
  appendLosses(emptySeries(), steps, losses, max);

describe('lossRows', () => {
  it('keeps every point while there are few, one row per step, a column per model', () => {
    const a = series([0, 1, 2], [3, 2, 1]);
    const b = series([0, 1], [5, Number.NaN]);
    expect(
      lossRows(
        [
          { slot: 1, loss: a },
          { slot: 2, loss: b },
        ],
        false,
      ),
    ).toEqual([
      { step: 0, m1: 3, m2: 5 },
      { step: 1, m1: 2 },
      { step: 2, m1: 1 },
    ]);
  });

  it('leaves out non-positive values on a log scale', () => {
    const a = series([0, 1, 2], [0, -1, 2]);
    expect(lossRows([{ slot: 1, loss: a }], true)).toEqual([{ step: 2, m1: 2 }]);
    expect(lossRows([{ slot: 1, loss: a }], false)).toHaveLength(3);
  });

  it('averages many points on one shared grid of at most maxRows rows', () => {
    // three models whose buckets fall on different steps (so exact rows would not line up)
    const a = series(
      range(0, 2000),
      range(0, 2000).map((s) => 10 - s / 1000),
      200,
    );
    const b = series(
      range(0, 1500),
      range(0, 1500).map(() => 2),
      150,
    );
    const c = series(
      range(0, 999),
      range(0, 999).map((s) => (s % 2 ? 1 : 3)),
      333,
    );
    const models = [
      { slot: 1, loss: a },
      { slot: 2, loss: b },
      { slot: 3, loss: c },
    ];
    const exact = lossRows(models, false, 10_000);
    expect(exact.length).toBeGreaterThan(300);
    const rows = lossRows(models, false, 50);
    expect(rows.length).toBeLessThanOrEqual(50);
    expect(rows.length).toBeGreaterThan(45);
    // sorted by step, spanning the same steps
    for (let i = 1; i < rows.length; i++) expect(rows[i].step).toBeGreaterThan(rows[i - 1].step);
    const cell = (exact.at(-1)!.step - exact[0].step) / 50;
    expect(rows[0].step).toBeGreaterThanOrEqual(exact[0].step);
    expect(rows[0].step).toBeLessThan(exact[0].step + cell);
    expect(rows.at(-1)!.step).toBeGreaterThan(exact.at(-1)!.step - cell);
    // a row has every model that reached its steps: all three early, only the longest run late
    expect(Object.keys(rows[2]).sort()).toEqual(['m1', 'm2', 'm3', 'step']);
    expect(Object.keys(rows.at(-1)!).sort()).toEqual(['m1', 'step']);
    // values are means of the points in the cell: the linear trend is kept, the constant stays
    for (const r of rows) {
      expect(r.m1).toBeCloseTo(10 - r.step / 1000, 1);
      if (r.m2 !== undefined) expect(r.m2).toBeCloseTo(2, 10);
      if (r.m3 !== undefined) expect(r.m3).toBeGreaterThan(1.5);
    }
    expect(lossColumn(3)).toBe('m3');
  });

  it('bounds the rows by default, whatever the length of the run', () => {
    const long = series(
      range(0, 20_000),
      range(0, 20_000).map(() => 1),
      400,
    );
    expect(lossRows([{ slot: 1, loss: long }], false).length).toBeLessThanOrEqual(MAX_LOSS_ROWS);
    expect(lossRows([{ slot: 1, loss: long }], false, 1000).length).toBeGreaterThan(MAX_LOSS_ROWS);
  });
});

describe('loss line widths', () => {
  it('draws each later line thinner, so one under another shows as its outline', () => {
    expect([0, 1, 2].map((i) => lineWidth(i, 3))).toEqual([4, 2.75, 1.5]);
    expect(lineWidth(0, 1)).toBe(2);
  });
});
