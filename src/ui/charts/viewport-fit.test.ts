import { describe, expect, it } from 'vitest';
import { fitHeight } from './viewport-fit';

describe('fitHeight', () => {
  it('fills the window below the top edge, less the reserve', () => {
    expect(fitHeight(1080, 500, 16, 300)).toBe(564);
    expect(fitHeight(2160, 500, 16, 300)).toBe(1644);
    // whole pixels, rounded down so the box never passes the window's bottom
    expect(fitHeight(1080, 500.6, 16, 300)).toBe(563);
  });

  it('never goes under the minimum (the page scrolls instead)', () => {
    expect(fitHeight(1080, 900, 16, 300)).toBe(300);
    expect(fitHeight(1080, Number.NaN, 16, 300)).toBe(300);
  });
});
