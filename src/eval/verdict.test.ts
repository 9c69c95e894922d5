import { describe, expect, it } from 'vitest';
import type { IclCurve } from './types';
import {
  baselineCurve,
  markOf,
  PAPER_TABLE1,
  paperMark,
  paperWord,
  regimeIndices,
  stepsToVerdict,
  VERDICT_THRESHOLDS,
  verdictOf,
  verdictOfSet,
} from './verdict';

/** A curve over 0..n-1 examples with the given means. */
function curve(key: string, mean: number[], label = key): IclCurve {
  const n = mean.length;
  return {
    key,
    label,
    examples: Int32Array.from({ length: n }, (_, i) => i),
    mean: Float64Array.from(mean),
    lo: Float64Array.from(mean),
    hi: Float64Array.from(mean),
    count: new Int32Array(n).fill(10),
  };
}

const flat = (v: number, n = 5) => Array(n).fill(v) as number[];

describe('regimeIndices', () => {
  it('keeps the positions with at least half of the last example count', () => {
    expect(regimeIndices(Int32Array.from([0, 1, 2, 3, 4]))).toEqual([2, 3, 4]);
    expect(regimeIndices(Int32Array.from([0, 1, 2, 3, 4, 5]))).toEqual([3, 4, 5]);
    expect(regimeIndices(Int32Array.from([64]))).toEqual([0]);
    expect(regimeIndices(new Int32Array(0))).toEqual([]);
  });
});

describe('markOf', () => {
  it('puts values on a threshold on its upper side, for both kinds', () => {
    expect(markOf(VERDICT_THRESHOLDS.error.learns, 'error')).toBe('learns');
    expect(markOf(VERDICT_THRESHOLDS.error.learns - 1e-6, 'error')).toBe('partial');
    expect(markOf(VERDICT_THRESHOLDS.error.fails, 'error')).toBe('partial');
    expect(markOf(VERDICT_THRESHOLDS.error.fails - 1e-6, 'error')).toBe('fails');
    expect(markOf(VERDICT_THRESHOLDS.accuracy.learns, 'accuracy')).toBe('learns');
    expect(markOf(VERDICT_THRESHOLDS.accuracy.learns - 1e-6, 'accuracy')).toBe('partial');
    expect(markOf(1.5, 'error')).toBe('learns');
    expect(markOf(-0.3, 'error')).toBe('fails');
    expect(markOf(Number.NaN, 'accuracy')).toBe('fails');
  });
});

describe('verdictOf, error metrics', () => {
  const ls = curve('least-squares', [1, 0.75, 0.5, 0.25, 0], 'Least squares');
  it('measures the gap closed over the second half against the reference and the zero curve', () => {
    // regime = examples 2..4: LS mean 0.25, zero 1, model mean 0.4 -> (1 - 0.4) / 0.75 = 0.8
    const model = curve('m', [1, 1, 0.6, 0.4, 0.2]);
    const v = verdictOf(model, 'squared-error', { chance: 1, zero: curve('zero', flat(1)), reference: ls });
    expect(v.regime).toEqual([2, 4]);
    expect(v.value).toBeCloseTo(0.4, 12);
    expect(v.reference).toBeCloseTo(0.25, 12);
    expect(v.trivial).toBe(1);
    expect(v.gapClosed).toBeCloseTo(0.8, 12);
    expect(v.mark).toBe('partial');
    expect(v.referenceLabel).toBe('Least squares');
    expect(v.kind).toBe('error');
  });
  it('learns exactly at 0.9 of the gap, partial just under', () => {
    // reference 0 (no reference given), trivial 1: model 0.1 -> 0.9
    expect(verdictOf(curve('m', flat(0.1)), 'squared-error', { chance: 1 }).mark).toBe('learns');
    expect(verdictOf(curve('m', flat(0.1001)), 'squared-error', { chance: 1 }).mark).toBe('partial');
    expect(verdictOf(curve('m', flat(0.1)), 'squared-error', { chance: 1 }).referenceLabel).toBe(
      'perfect predictor',
    );
  });
  it('fails under a fifth of the gap, partial exactly at it', () => {
    expect(verdictOf(curve('m', flat(0.8)), 'squared-error', { chance: 1 }).mark).toBe('partial');
    expect(verdictOf(curve('m', flat(0.8001)), 'squared-error', { chance: 1 }).mark).toBe('fails');
    // worse than the zero predictor: a negative fraction, fails
    const worse = verdictOf(curve('m', flat(1.5)), 'squared-error', { chance: 1 });
    expect(worse.gapClosed).toBeCloseTo(-0.5, 12);
    expect(worse.mark).toBe('fails');
  });
  it('counts beating the reference as learning (a fraction above 1)', () => {
    const v = verdictOf(curve('m', flat(0)), 'squared-error', {
      chance: 1,
      reference: curve('r', flat(0.5)),
    });
    expect(v.gapClosed).toBeCloseTo(2, 12);
    expect(v.mark).toBe('learns');
  });
  it('uses the zero curve, not the chance level, when given', () => {
    const v = verdictOf(curve('m', flat(1)), 'squared-error', { chance: 1, zero: curve('zero', flat(2)) });
    expect(v.trivial).toBe(2);
    expect(v.gapClosed).toBeCloseTo(0.5, 12);
  });
  it('falls back to chance / the perfect predictor where the zero or reference curve has no value', () => {
    const nan = curve('x', flat(Number.NaN));
    const v = verdictOf(curve('m', flat(0.5)), 'squared-error', { chance: 2, zero: nan, reference: nan });
    expect(v.trivial).toBe(2);
    expect(v.reference).toBe(0);
    expect(v.referenceLabel).toBe('perfect predictor');
    expect(v.gapClosed).toBeCloseTo(0.75, 12);
    // the regime is the model curve's: a reference with other positions only counts where they meet
    const shifted: IclCurve = { ...curve('r', [0.5, 0.5, 0.5]), examples: Int32Array.from([3, 4, 5]) };
    const w = verdictOf(curve('m', flat(0.5)), 'squared-error', { chance: 1, reference: shifted });
    expect(w.reference).toBe(0.5);
    expect(w.mark).toBe('learns');
  });

  it('refuses a reference that is no better than the trivial predictor', () => {
    expect(() =>
      verdictOf(curve('m', flat(0.5)), 'squared-error', { chance: 1, reference: curve('r', flat(1)) }),
    ).toThrow(/no better/);
  });
  it('refuses a curve without values in the regime', () => {
    expect(() =>
      verdictOf(curve('m', [0, 0, Number.NaN, Number.NaN, Number.NaN]), 'squared-error', { chance: 1 }),
    ).toThrow(/no finite value/);
  });
});

describe('verdictOf, accuracy metrics', () => {
  it('parity: chance 0.5, learns from 0.9 accuracy, fails under 0.6', () => {
    const at = (acc: number) => verdictOf(curve('m', flat(acc)), 'sign-accuracy', { chance: 0.5 });
    expect(at(0.9).mark).toBe('learns');
    expect(at(0.9).gapClosed).toBeCloseTo(0.8, 12);
    expect(at(0.8999).mark).toBe('partial');
    expect(at(0.6).mark).toBe('partial');
    expect(at(0.5999).mark).toBe('fails');
    expect(at(0.5).mark).toBe('fails');
    expect(at(1).reference).toBe(1);
  });
  it('recall: chance 1/64 (nearest value), one position', () => {
    const one = (acc: number): IclCurve => ({ ...curve('m', [acc]), examples: Int32Array.from([64]) });
    const v = verdictOf(one(0.99), 'nearest-value-accuracy', { chance: 1 / 64 });
    expect(v.regime).toEqual([64, 64]);
    expect(v.mark).toBe('learns');
    expect(verdictOf(one(0.1), 'nearest-value-accuracy', { chance: 1 / 64 }).mark).toBe('fails');
  });
  it('refuses a chance accuracy of 1', () => {
    expect(() => verdictOf(curve('m', flat(1)), 'sign-accuracy', { chance: 1 })).toThrow(/no gap/);
  });
});

describe('verdictOfSet', () => {
  it("takes the task's reference baseline from the baseline set (Lasso for sparse regression)", () => {
    const model = {
      task: 'sparse-linear-regression' as const,
      metric: 'squared-error' as const,
      chance: 1,
      curves: [curve('model:mamba', flat(0.3))],
    };
    const baselines = {
      curves: [
        curve('least-squares', flat(0.8)),
        curve('lasso:0.01', flat(0.2), 'Lasso'),
        curve('zero', flat(1)),
      ],
    };
    const v = verdictOfSet(model, baselines);
    expect(v.referenceLabel).toBe('Lasso');
    expect(v.gapClosed).toBeCloseTo(0.7 / 0.8, 12);
    expect(baselineCurve(baselines, 'lasso')?.key).toBe('lasso:0.01');
    expect(baselineCurve(null, 'lasso')).toBeNull();
  });
});

describe('stepsToVerdict', () => {
  it('is the first step from which the last mark holds at every later evaluation', () => {
    const h = [
      { step: 100, mark: 'fails' as const },
      { step: 200, mark: 'learns' as const },
      { step: 300, mark: 'partial' as const },
      { step: 400, mark: 'learns' as const },
      { step: 500, mark: 'learns' as const },
    ];
    expect(stepsToVerdict(h)).toBe(400);
    expect(stepsToVerdict([...h].reverse())).toBe(400);
    expect(stepsToVerdict(h, 'partial')).toBeNull();
    expect(stepsToVerdict(h.slice(0, 3), 'partial')).toBe(300);
    expect(stepsToVerdict([])).toBeNull();
    expect(stepsToVerdict([{ step: 0, mark: 'fails' }])).toBe(0);
  });
});

describe('the paper table', () => {
  it('holds the marks of paper.md section 5 and unknown elsewhere', () => {
    expect(paperMark('sparse-parity', 'transformer')).toBe('fails');
    expect(paperMark('sparse-parity', 'hybrid')).toBe('fails');
    expect(paperMark('vector-mqar', 'mamba')).toBe('fails');
    expect(paperMark('decision-tree', 'mamba')).toBe('partial');
    expect(paperMark('many-outlier-regression', 'transformer')).toBe('partial');
    expect(paperMark('linear-regression', 's4')).toBe('unknown');
    expect(paperMark('token-mqar', 'transformer')).toBe('unknown');
    expect(Object.keys(PAPER_TABLE1)).toHaveLength(9);
    expect(paperWord('partial')).toBe('gap');
    expect(paperWord('unknown')).toBe('?');
  });
});
