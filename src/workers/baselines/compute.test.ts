import { describe, expect, it } from 'vitest';
import { computeBaselines } from './compute';
import { baselinesRequestKey, curveSetTransferables } from './protocol';

describe('computeBaselines', () => {
  it('answers bad requests with a readable error instead of throwing', () => {
    const bad: unknown[] = [
      undefined,
      null,
      42,
      'linear-regression',
      {},
      { task: 'linear-regression' },
      { task: 'linear-regression', prompts: 0, seed: 1 },
      { task: 'linear-regression', prompts: 1e9, seed: 1 },
      { task: 'linear-regression', prompts: 16, seed: Number.NaN },
      { task: 'linear-regression', prompts: 16, seed: -1 },
      { task: 'linear-regression', prompts: 2.5, seed: 1 },
      { task: 'linear-regression', params: 'd=3', prompts: 16, seed: 1 },
      { task: '__proto__', prompts: 16, seed: 1 },
      { task: 'no-such-task', prompts: 16, seed: 1 },
      { task: 'linear-regression', params: { d: -3 }, prompts: 16, seed: 1 },
      { task: 'linear-regression', params: { d: Number.POSITIVE_INFINITY }, prompts: 16, seed: 1 },
      { task: 'linear-regression', params: { nPoints: 'many' }, prompts: 16, seed: 1 },
    ];
    for (const request of bad) {
      const result = computeBaselines(request);
      expect(result.ok, JSON.stringify(request)).toBe(false);
      if (!result.ok) {
        expect(result.error.length).toBeGreaterThan(5);
        expect(result.error).not.toContain('[object Object]');
      }
    }
  });

  it('names the task and the parameter that is wrong', () => {
    const unknown = computeBaselines({ task: 'no-such-task', prompts: 16, seed: 1 });
    expect(unknown.ok || unknown.error).toContain('no-such-task');
    const badParam = computeBaselines({ task: 'linear-regression', params: { d: -3 }, prompts: 16, seed: 1 });
    expect(badParam.ok || badParam.error).toMatch(/Linear regression.*\bd\b/);
  });

  it('computes curves for a valid request, reporting progress', () => {
    const progress: number[] = [];
    const result = computeBaselines(
      { task: 'linear-regression', params: { d: 4, nPoints: 9 }, prompts: 32, seed: 3 },
      (done, total) => progress.push(done / total),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.curves.task).toBe('linear-regression');
    expect(result.curves.curves.length).toBeGreaterThan(0);
    for (const curve of result.curves.curves) {
      expect(curve.mean.length).toBe(curve.examples.length);
      expect(curve.mean.every(Number.isFinite)).toBe(true);
    }
    expect(progress.at(-1)).toBe(1);
    const again = computeBaselines({
      task: 'linear-regression',
      params: { d: 4, nPoints: 9 },
      prompts: 32,
      seed: 3,
    });
    expect(again.ok && Array.from(again.curves.curves[0].mean)).toEqual(
      Array.from(result.curves.curves[0].mean),
    );
  });
});

describe('protocol helpers', () => {
  it('lists each transferable buffer once', () => {
    const shared = new Int32Array(3);
    const curve = () => ({
      key: 'k',
      label: 'K',
      examples: shared,
      mean: new Float64Array(3),
      lo: new Float64Array(3),
      hi: new Float64Array(3),
      count: new Int32Array(3),
    });
    const set = {
      task: 'linear-regression' as const,
      head: 'y',
      metric: 'squared-error' as const,
      yLabel: 'e',
      chance: 1,
      prompts: 1,
      seed: 1,
      curves: [curve(), curve()],
    };
    expect(curveSetTransferables(set)).toHaveLength(1 + 2 * 4);
  });

  it('keys requests independently of parameter order', () => {
    const a = baselinesRequestKey({
      task: 'linear-regression',
      params: { d: 4, nPoints: 9 },
      prompts: 8,
      seed: 1,
    });
    const b = baselinesRequestKey({
      task: 'linear-regression',
      params: { nPoints: 9, d: 4 },
      prompts: 8,
      seed: 1,
    });
    expect(a).toBe(b);
  });
});
