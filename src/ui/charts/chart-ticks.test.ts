import { describe, expect, it } from 'vitest';
import { extent, formatLogTick, keepAxis, linearAxis, logAxis, niceStep, sameAxis } from './chart-ticks';

describe('chart ticks', () => {
  it('picks nice steps', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 4)).toBe(0.25);
    expect(niceStep(0.07, 5)).toBeCloseTo(0.02);
    expect(niceStep(3, 5, true)).toBe(1);
    expect(niceStep(1234, 5, true)).toBe(250);
  });

  it('covers the data with a linear axis from nice bounds', () => {
    expect(linearAxis(0, 9.3)).toEqual({ domain: [0, 10], ticks: [0, 2, 4, 6, 8, 10] });
    expect(linearAxis(0, 0.37, 4)).toEqual({ domain: [0, 0.4], ticks: [0, 0.1, 0.2, 0.3, 0.4] });
    const steps = linearAxis(0, 137, 5, true);
    expect(steps.ticks).toEqual([0, 50, 100, 150]);
    expect(linearAxis(0, 0, 5, true)).toEqual({ domain: [0, 1], ticks: [0, 1] });
    expect(linearAxis(Number.NaN, 1).domain).toEqual([0, 1]);
  });

  it('covers the data with whole decades on a log axis', () => {
    expect(logAxis(0.03, 4)).toEqual({ domain: [0.01, 10], ticks: [0.01, 0.1, 1, 10] });
    expect(logAxis(0.3, 4).ticks).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
    expect(logAxis(1, 1).domain).toEqual([1, 10]);
    expect(logAxis(0, 1).domain).toEqual([0.1, 10]);
  });

  it('finds the extent of some columns', () => {
    const rows = [{ step: 0, a: 3 }, { step: 1, a: Number.NaN, b: -1 }, { step: 2 }];
    expect(extent(rows, ['a', 'b'])).toEqual([-1, 3]);
    expect(extent(rows, ['c']).every(Number.isNaN)).toBe(true);
  });
});

describe('stable axes', () => {
  it('keeps the previous axis object while the domain and ticks are the same', () => {
    const a = linearAxis(0, 9.3);
    const b = linearAxis(0, 9.9);
    expect(sameAxis(a, b)).toBe(true);
    expect(keepAxis(a, b)).toBe(a);
    const c = linearAxis(0, 10.1);
    expect(sameAxis(a, c)).toBe(false);
    expect(keepAxis(a, c)).toBe(c);
    expect(keepAxis(null, c)).toBe(c);
    expect(sameAxis({ domain: [0, 1], ticks: [0, 1] }, { domain: [0, 1], ticks: [0, 0.5] })).toBe(false);
  });
});

describe('log ticks', () => {
  it('writes plain numbers where people do, powers of ten beyond, never "1e+2"', () => {
    expect([0.001, 0.01, 0.5, 1, 2, 100, 1000, 10000].map(formatLogTick)).toEqual([
      '0.001',
      '0.01',
      '0.5',
      '1',
      '2',
      '100',
      '1000',
      '10000',
    ]);
    expect(formatLogTick(1e5)).toBe('10⁵');
    expect(formatLogTick(1e-4)).toBe('10⁻⁴');
    expect(formatLogTick(1e12)).toBe('10¹²');
    expect(formatLogTick(2e5)).toBe('2.0×10^5');
    for (const v of [1e2, 1e5, 3e-6]) expect(formatLogTick(v)).not.toMatch(/e[+-]/);
  });
});
