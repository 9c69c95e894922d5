import { describe, expect, it } from 'vitest';
import { wasmThreadsFor } from './threads';

describe('wasmThreadsFor', () => {
  it('shares the cores among the models, at least one thread each', () => {
    expect(wasmThreadsFor(2, 3)).toBe(1);
    expect(wasmThreadsFor(8, 2)).toBe(4);
    expect(wasmThreadsFor(8, 3)).toBe(2);
    expect(wasmThreadsFor(0, 1)).toBe(1);
    expect(wasmThreadsFor(16, 0)).toBe(16);
  });
});
