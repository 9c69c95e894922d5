import { describe, expect, it } from 'vitest';
import { wasmThreadsFor } from './threads';

describe('wasmThreadsFor', () => {
  it('shares the cores among the models, at least one thread each', () => {
    expect(wasmThreadsFor(8, 2)).toBe(4);
    expect(wasmThreadsFor(8, 3)).toBe(2);
    expect(wasmThreadsFor(4, 6)).toBe(1);
    expect(wasmThreadsFor(16, 0)).toBe(16);
  });

  it('keeps the single-threaded build on fewer than 4 cores', () => {
    expect(wasmThreadsFor(2, 1)).toBe(1);
    expect(wasmThreadsFor(3, 1)).toBe(1);
    expect(wasmThreadsFor(0, 1)).toBe(1);
    expect(wasmThreadsFor(4, 1)).toBe(4);
  });
});
