import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { CurveAccumulator, quantileSorted, summariseCurve } from './curve';
import type { HeadScores } from './score';

function scores(rng: Rng, prompts: number, targets: number, maskEvery = 0, gaussian = false): HeadScores {
  const values = new Float64Array(prompts * targets);
  const scored = new Uint8Array(prompts * targets);
  for (let p = 0; p < prompts; p++)
    for (let t = 0; t < targets; t++) {
      const z = rng.normal();
      // chi-square-like errors with mean t + 1, or Gaussian ones with mean and sd t + 1
      values[p * targets + t] = gaussian ? (t + 1) * (1 + z) : z * z * (t + 1);
      scored[p * targets + t] = maskEvery && (p + t) % maskEvery === 0 ? 0 : 1;
    }
  return {
    metric: 'squared-error',
    batchSize: prompts,
    nTargets: targets,
    examplesBefore: Int32Array.from({ length: targets }, (_, t) => t),
    values,
    scored,
  };
}

describe('ICL curves', () => {
  it('the mean is over scored prompts only, with the count per point', () => {
    const s: HeadScores = {
      metric: 'squared-error',
      batchSize: 3,
      nTargets: 2,
      examplesBefore: Int32Array.of(0, 5),
      values: Float64Array.of(1, 10, 2, 1000, 3, 30),
      scored: Uint8Array.of(1, 1, 1, 0, 1, 1),
    };
    const c = summariseCurve(s, { key: 'k', label: 'K', seed: 1, resamples: 200 });
    expect(Array.from(c.examples)).toEqual([0, 5]);
    expect(Array.from(c.mean)).toEqual([2, 20]);
    expect(Array.from(c.count)).toEqual([3, 2]);
  });

  it('drops points no prompt scored', () => {
    const s = scores(new Rng(1), 4, 3);
    s.scored.fill(0);
    s.scored[1] = 1;
    const c = summariseCurve(s, { key: 'k', label: 'K', seed: 1 });
    expect(Array.from(c.examples)).toEqual([1]);
  });

  it('the 5-95 % bootstrap band contains the mean and narrows with more prompts', () => {
    const small = summariseCurve(scores(new Rng(2), 100, 5, 7, true), { key: 'k', label: 'K', seed: 3 });
    const large = summariseCurve(scores(new Rng(4), 1600, 5, 7, true), { key: 'k', label: 'K', seed: 3 });
    for (const c of [small, large])
      for (let t = 0; t < 5; t++) {
        expect(c.lo[t]).toBeLessThan(c.mean[t]);
        expect(c.hi[t]).toBeGreaterThan(c.mean[t]);
      }
    for (let t = 0; t < 5; t++) {
      const ratio = (small.hi[t] - small.lo[t]) / (large.hi[t] - large.lo[t]);
      // width ~ 1 / sqrt(prompts): ratio ~ 4
      expect(ratio).toBeGreaterThan(3);
      expect(ratio).toBeLessThan(5.3);
      // and it is about +-1.645 standard errors wide
      const se = (t + 1) / Math.sqrt(large.count[t]);
      expect((large.hi[t] - large.lo[t]) / (2 * 1.645 * se)).toBeGreaterThan(0.8);
      expect((large.hi[t] - large.lo[t]) / (2 * 1.645 * se)).toBeLessThan(1.25);
    }
  });

  it('matches a direct implementation of the prompt bootstrap (dense and masked tables)', () => {
    for (const maskEvery of [0, 3]) {
      const s = scores(new Rng(8), 37, 4, maskEvery);
      const R = 300;
      const c = summariseCurve(s, { key: 'ref', label: 'R', seed: 4, resamples: R });
      const derived = Rng.derive(4, 'bootstrap', 'ref');
      const reps: number[][] = [[], [], [], []];
      for (let r = 0; r < R; r++) {
        const draws = Array.from({ length: 37 }, () => derived.int(37));
        for (let t = 0; t < 4; t++) {
          let num = 0;
          let den = 0;
          for (const p of draws)
            if (s.scored[p * 4 + t]) {
              num += s.values[p * 4 + t];
              den++;
            }
          reps[t].push(num / den);
        }
      }
      for (let t = 0; t < 4; t++) {
        const sorted = reps[t].sort((a, b) => a - b);
        expect(c.lo[t]).toBeCloseTo(quantileSorted(sorted, 0.05), 10);
        expect(c.hi[t]).toBeCloseTo(quantileSorted(sorted, 0.95), 10);
      }
    }
  });

  it('is reproducible for a seed', () => {
    const s = scores(new Rng(5), 50, 4);
    const a = summariseCurve(s, { key: 'k', label: 'K', seed: 9 });
    const b = summariseCurve(s, { key: 'k', label: 'K', seed: 9 });
    expect(Array.from(a.lo)).toEqual(Array.from(b.lo));
    expect(Array.from(a.hi)).toEqual(Array.from(b.hi));
  });

  it('accumulates chunks like one table', () => {
    const rng = new Rng(6);
    const all = scores(rng, 10, 3, 4);
    const acc = new CurveAccumulator();
    const first: HeadScores = {
      ...all,
      batchSize: 6,
      values: all.values.slice(0, 18),
      scored: all.scored.slice(0, 18),
    };
    const second: HeadScores = {
      ...all,
      batchSize: 4,
      values: all.values.slice(18),
      scored: all.scored.slice(18),
    };
    acc.add(first);
    acc.add(second);
    const a = acc.summarise({ key: 'k', label: 'K', seed: 1 });
    const b = summariseCurve(all, { key: 'k', label: 'K', seed: 1 });
    expect(a).toEqual(b);
    expect(() => acc.add({ ...first, nTargets: 2, examplesBefore: Int32Array.of(0, 1) })).toThrow();
  });

  it('quantiles interpolate between order statistics', () => {
    expect(quantileSorted([0, 10], 0.05)).toBeCloseTo(0.5, 12);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.5)).toBe(3);
  });
});
