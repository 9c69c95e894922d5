import { describe, expect, it } from 'vitest';
import { CheckpointHistory } from './checkpoint-history';

const bytes = (n: number) => Uint8Array.of(n & 255);

describe('CheckpointHistory', () => {
  it('keeps checkpoints per model and answers the latest at or before a step', () => {
    const h = new CheckpointHistory(8);
    for (const s of [1, 2, 250, 500]) h.add('a', s, bytes(s));
    h.add('b', 3, bytes(3));
    expect(h.stepsOf('a')).toEqual([1, 2, 250, 500]);
    expect(h.steps()).toEqual([1, 2, 3, 250, 500]);
    expect(h.steps(['b'])).toEqual([3]);
    expect(h.at('a', 260)?.step).toBe(250);
    expect(h.at('a', 250)?.model[0]).toBe(250);
    expect(h.at('a', 0)?.step).toBe(1);
    expect(h.at('b', 1000)?.step).toBe(3);
    expect(h.at('c', 10)).toBeNull();
    expect(h.size).toBe(5);
  });

  it('a checkpoint at or before the latest drops the later ones (reset, restore)', () => {
    const h = new CheckpointHistory(8);
    for (const s of [250, 500, 750]) h.add('a', s, bytes(s));
    h.add('a', 500, bytes(7));
    expect(h.stepsOf('a')).toEqual([250, 500]);
    expect(h.at('a', 600)?.model[0]).toBe(7);
    const before = h.at('a', 250)!.serial;
    h.add('a', 10, bytes(10));
    expect(h.stepsOf('a')).toEqual([10]);
    h.add('a', 250, bytes(250));
    expect(h.at('a', 250)!.serial).not.toBe(before);
  });

  it('over capacity, the kept steps stay spread over the run, first and last kept', () => {
    const h = new CheckpointHistory(5);
    for (let s = 1; s <= 40; s++) h.add('a', s * 10, bytes(s));
    const steps = h.stepsOf('a');
    expect(steps).toHaveLength(5);
    expect(steps[0]).toBe(10);
    expect(steps[4]).toBe(400);
    const gaps = steps.slice(1).map((s, i) => s - steps[i]);
    // no gap more than three times another: evenly thinned, not just the newest kept
    expect(Math.max(...gaps)).toBeLessThanOrEqual(3 * Math.min(...gaps));
  });

  it('keeps at most maxBytes per model, but always the first and the latest', () => {
    const h = new CheckpointHistory(24, 10);
    for (let s = 1; s <= 8; s++) h.add('a', s, new Uint8Array(3));
    expect(h.stepsOf('a')).toHaveLength(3);
    expect(h.stepsOf('a')[0]).toBe(1);
    expect(h.stepsOf('a').at(-1)).toBe(8);
    const big = new CheckpointHistory(24, 10);
    for (let s = 1; s <= 5; s++) big.add('a', s, new Uint8Array(50));
    expect(big.stepsOf('a')).toEqual([1, 5]);
  });

  it('forgets models', () => {
    const h = new CheckpointHistory();
    h.add('a', 1, bytes(1));
    h.add('b', 1, bytes(1));
    h.add('c', 2, bytes(2));
    h.retain(['a', 'c']);
    expect(h.stepsOf('b')).toEqual([]);
    h.clear('a');
    expect(h.steps()).toEqual([2]);
    h.clearAll();
    expect(h.size).toBe(0);
    h.add('a', -1, bytes(0));
    h.add('a', 1.5, bytes(0));
    expect(h.size).toBe(0);
    expect(() => new CheckpointHistory(1)).toThrow();
  });
});
