import { describe, expect, it } from 'vitest';
import {
  bandPath,
  decimate,
  linearScale,
  linePath,
  logScale,
  nearestIndex,
  pointNear,
  unionXs,
} from './plot-geometry';

describe('scales', () => {
  it('maps a linear domain onto a range, reversed ranges included', () => {
    const s = linearScale([0, 10], [100, 0]);
    expect(s(0)).toBe(100);
    expect(s(10)).toBe(0);
    expect(s(2.5)).toBe(75);
    expect(s(-5)).toBe(150);
  });

  it('maps a log domain by decades; non-positive values are not drawn', () => {
    const s = logScale([0.1, 10], [0, 200]);
    expect(s(0.1)).toBeCloseTo(0, 12);
    expect(s(1)).toBeCloseTo(100, 12);
    expect(s(10)).toBeCloseTo(200, 12);
    expect(s(Math.sqrt(10))).toBeCloseTo(150, 12);
    expect(s(0)).toBeNaN();
    expect(s(-1)).toBeNaN();
  });

  it('a one-value domain maps to the start of the range', () => {
    expect(linearScale([3, 3], [10, 50])(3)).toBe(10);
  });
});

describe('decimate', () => {
  const id = (v: number) => v;

  it('keeps every point when each pixel column has at most four', () => {
    const xs = [0, 0.2, 0.4, 1, 2.5];
    const ys = [5, 1, 4, 2, 3];
    expect(decimate(xs, ys, id, id)).toEqual([
      [0, 5],
      [0.2, 1],
      [0.4, 4],
      [1, 2],
      [2.5, 3],
    ]);
  });

  it('reduces a crowded column to its first, extremes and last, in x order', () => {
    // ten points in column 0: first (0, 3), lowest (0.3, -7), highest (0.6, 9), last (0.9, 2)
    const xs = Array.from({ length: 10 }, (_, i) => i / 10);
    const ys = [3, 1, 0, -7, 2, 1, 9, 4, 5, 2];
    expect(decimate(xs, ys, id, id)).toEqual([
      [0, 3],
      [0.3, -7],
      [0.6, 9],
      [0.9, 2],
    ]);
  });

  it('keeps a spike among a thousand points per pixel', () => {
    const n = 100_000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((x) => (x === 54_321 ? 100 : Math.sin(x)));
    const sx = linearScale([0, n - 1], [0, 99]);
    const pts = decimate(xs, ys, sx, id);
    expect(pts.length).toBeLessThanOrEqual(4 * 100);
    expect(Math.max(...pts.map((p) => p[1]))).toBe(100);
    // every kept point is one of the input points, in x order
    for (let i = 1; i < pts.length; i++) expect(pts[i][0]).toBeGreaterThanOrEqual(pts[i - 1][0]);
  });

  it('skips non-finite values and points a log scale cannot draw', () => {
    const s = logScale([1, 100], [0, 2]);
    expect(decimate([0, 1, 2, 3], [10, Number.NaN, 0, 100], id, s)).toEqual([
      [0, 1],
      [3, 2],
    ]);
  });
});

describe('paths', () => {
  it('a line through its points, rounded to tenths of a pixel', () => {
    expect(
      linePath([
        [0, 10],
        [5.04, 2.26],
        [10, 0],
      ]),
    ).toBe('M0,10L5,2.3L10,0');
    expect(linePath([[3, 4]])).toBe('M3,4h0');
    expect(linePath([])).toBe('');
  });

  it('a band is one closed shape per run of finite bounds', () => {
    const id = (v: number) => v;
    const d = bandPath([0, 1, 2, 3, 4], [1, 1, Number.NaN, 2, 2], [3, 4, 5, 6, 7], id, id);
    expect(d).toBe('M0,1L1,1L1,4L0,3ZM3,2L4,2L4,7L3,6Z');
    // a lone point between gaps is no shape
    expect(bandPath([0, 1, 2], [Number.NaN, 1, Number.NaN], [1, 2, 3], id, id)).toBe('');
  });
});

describe('read-out', () => {
  it('steps through the sorted distinct x of every series', () => {
    expect(unionXs([[3, 1, 2], [2, 5, Number.NaN], []])).toEqual([1, 2, 3, 5]);
  });

  it('finds the nearest x', () => {
    const xs = [0, 10, 20, 40];
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 4)).toBe(0);
    expect(nearestIndex(xs, 6)).toBe(1);
    expect(nearestIndex(xs, 31)).toBe(3);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex([], 1)).toBe(-1);
  });

  it('shows each series at its point nearest x, only within its x range', () => {
    const xs = [10, 20, 30];
    const ys = [1, Number.NaN, 3];
    expect(pointNear(xs, ys, 12)).toEqual({ x: 10, y: 1 });
    // the missing value at 20 is skipped: 30 is nearer than 10
    expect(pointNear(xs, ys, 21)).toEqual({ x: 30, y: 3 });
    expect(pointNear(xs, ys, 5)).toBeNull();
    expect(pointNear(xs, ys, 31)).toBeNull();
    expect(pointNear([], [], 0)).toBeNull();
  });
});
