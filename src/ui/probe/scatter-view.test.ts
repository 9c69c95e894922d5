import { describe, expect, it } from 'vitest';
import { PROJECTION_LIMIT } from '../../app/probe/probe-editor';
import { keyMove, projectionRange, symmetricRange, toData, toPixel } from './scatter-view';

describe('scatter view', () => {
  it('maps data to pixels and back', () => {
    const s = { d0: -3, d1: 3, p0: 40, p1: 340 };
    expect(toPixel(s, 0)).toBe(190);
    expect(toPixel(s, 3)).toBe(340);
    expect(toData(s, toPixel(s, 1.25))).toBeCloseTo(1.25, 12);
    const flipped = { d0: -2, d1: 2, p0: 200, p1: 10 };
    expect(toPixel(flipped, 2)).toBe(10);
  });

  it('ranges hold every point and stay symmetric', () => {
    expect(symmetricRange([0.5, -1], 3)).toEqual([-3, 3]);
    expect(symmetricRange([4.2, Number.NaN], 1)).toEqual([-5, 5]);
    expect(projectionRange([100])).toEqual([-PROJECTION_LIMIT, PROJECTION_LIMIT]);
  });

  it('arrow keys move a point, shift further; other keys do not', () => {
    expect(keyMove('ArrowRight', false, 1)).toBeCloseTo(1.1);
    expect(keyMove('ArrowDown', true, 1)).toBeCloseTo(0.5);
    expect(keyMove('PageUp', false, 0)).toBe(1);
    expect(keyMove('Home', false, 2)).toBe(-PROJECTION_LIMIT);
    expect(keyMove('a', false, 1)).toBeNull();
  });
});
