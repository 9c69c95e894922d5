import { describe, expect, it } from 'vitest';
import { nextSlot } from './use-throttled';

describe('redraw slots', () => {
  it('panels of different phases redraw at different times of each second', () => {
    expect(nextSlot(1250, 1000, 0)).toBe(2000);
    expect(nextSlot(1250, 1000, 333)).toBe(1333);
    expect(nextSlot(1400, 1000, 333)).toBe(2333);
    expect(nextSlot(2000, 1000, 0)).toBe(2000);
    // the three panels' next redraws after one message fall into separate tasks
    const at = [0, 333, 667].map((p) => nextSlot(5010, 1000, p));
    expect(at).toEqual([6000, 5333, 5667]);
  });
});
