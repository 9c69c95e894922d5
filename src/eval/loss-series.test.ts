import { describe, expect, it } from 'vitest';
import { appendLosses, emptySeries, seriesFromStored, seriesPoints, truncateSeries } from './loss-series';

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('loss series', () => {
  it('keeps every step while short, then merges buckets so it stays small', () => {
    let s = appendLosses(emptySeries(), [0, 1, 2], [3, 2, 1], 8);
    expect(seriesPoints(s)).toEqual({ x: [0, 1, 2], y: [3, 2, 1] });
    s = appendLosses(emptySeries(), range(0, 1000), range(0, 1000), 8);
    expect(s.x.length).toBeLessThanOrEqual(8);
    expect(s.width).toBeGreaterThan(100);
    // bucket means of consecutive steps
    expect(s.y[0]).toBeCloseTo((s.width - 1) / 2);
    expect(s.end).toBe(1000);
  });

  it('skips non-finite losses inside a bucket and truncates after a divergence', () => {
    let s = appendLosses(emptySeries(), range(0, 10), [1, 1, 1, 1, 1, 1, 1, Number.NaN, Number.NaN, 1]);
    expect(seriesPoints(s).y.filter((v) => Number.isNaN(v))).toHaveLength(2);
    s = truncateSeries(s, 6);
    expect(s.x).toEqual(range(0, 6));
    expect(s.end).toBe(6);
    s = appendLosses(s, [6, 7], [0.5, 0.25]);
    expect(s.x).toEqual(range(0, 8));
  });

  it('round-trips through storage and rejects junk', () => {
    const s = appendLosses(emptySeries(), range(0, 20), range(0, 20));
    const back = seriesFromStored(JSON.parse(JSON.stringify(s)));
    expect(back.x).toEqual(s.x);
    expect(seriesFromStored({ x: [1], y: [] })).toEqual(emptySeries());
    expect(seriesFromStored('nope')).toEqual(emptySeries());
  });
});
