import { describe, expect, it } from 'vitest';
import { BASELINE_LABELS } from '../baselines';
import { TASKS } from '../tasks';
import { linearRegression } from '../tasks/linear-regression';
import { orthogonalOutlierRegression } from '../tasks/orthogonal-outlier-regression';
import { evaluationBatches } from '../tasks/stream';
import type { BaselineName } from '../tasks/types';
import { evaluateBaselines, evenlySpaced, expandBaselines, scoreBaselineOnBatch } from './baselines';

describe('evaluateBaselines', () => {
  const params = { d: 5, nPoints: 12 };
  const curriculum = linearRegression.curriculum(params);

  it('describes the curve set and labels every curve', () => {
    const progress: Array<[number, number]> = [];
    const set = evaluateBaselines(linearRegression, params, curriculum, {
      prompts: 100,
      seed: 3,
      resamples: 50,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(set.task).toBe('linear-regression');
    expect(set.head).toBe('y');
    expect(set.metric).toBe('squared-error');
    expect(set.yLabel).toBe('squared error / 5');
    expect(set.chance).toBe(1);
    expect(set.prompts).toBe(100);
    expect(set.curves.map((c) => c.label)).toEqual(['Least squares', '3-NN', 'Averaging', 'Zero predictor']);
    expect(set.curves.map((c) => c.key)).toEqual(['least-squares', 'knn', 'averaging', 'zero']);
    for (const c of set.curves) {
      expect(Array.from(c.examples)).toEqual([...Array(12).keys()]);
      expect(Array.from(c.count)).toEqual(new Array(12).fill(100));
    }
    // 2 chunks (64 + 36) x 4 baselines
    expect(progress.at(-1)).toEqual([8, 8]);
    // the zero predictor scores E[y^2] / d = 1
    const zero = set.curves[3];
    expect(zero.mean.reduce((a, b) => a + b, 0) / 12).toBeGreaterThan(0.8);
    expect(zero.mean.reduce((a, b) => a + b, 0) / 12).toBeLessThan(1.2);
  });

  it('scores exactly the shared evaluation prompts', () => {
    const set = evaluateBaselines(linearRegression, params, curriculum, {
      prompts: 70,
      seed: 5,
      baselines: ['averaging'],
      resamples: 10,
    });
    const sums = new Float64Array(12);
    for (const batch of evaluationBatches(linearRegression, params, curriculum, 5, 70)) {
      const s = scoreBaselineOnBatch({ name: 'averaging' }, batch);
      for (let b = 0; b < batch.batchSize; b++) for (let t = 0; t < 12; t++) sums[t] += s.values[b * 12 + t];
    }
    for (let t = 0; t < 12; t++) expect(set.curves[0].mean[t]).toBeCloseTo(sums[t] / 70, 10);
  });

  it('runs expensive baselines on the requested subset and says so', () => {
    const set = evaluateBaselines(linearRegression, params, curriculum, {
      prompts: 70,
      seed: 5,
      baselines: ['nn-gd', 'lasso'],
      lassoAlphas: [0.1, 0.001],
      nnPrompts: 3,
      nnPositions: 4,
      resamples: 10,
    });
    const [nn, l1, l2] = set.curves;
    expect(nn.label).toBe('2-layer NN by GD (3 prompts)');
    expect(Array.from(nn.examples)).toEqual([0, 4, 7, 11]);
    expect(Array.from(nn.count)).toEqual([3, 3, 3, 3]);
    expect(nn.mean[0]).toBeGreaterThan(0);
    expect([l1.label, l2.label]).toEqual(['Lasso (α = 0.1)', 'Lasso (α = 0.001)']);
    expect([l1.key, l2.key]).toEqual(['lasso:0.1', 'lasso:0.001']);
  });

  it('counts only clean targets on the outlier task', () => {
    const p = orthogonalOutlierRegression.paramsSchema.parse({ d: 4, nPoints: 10 });
    const cur = orthogonalOutlierRegression.curriculum(p);
    const set = evaluateBaselines(orthogonalOutlierRegression, p, cur, {
      prompts: 64,
      seed: 2,
      resamples: 10,
    });
    let clean = new Int32Array(10);
    for (const batch of evaluationBatches(orthogonalOutlierRegression, p, cur, 2, 64)) {
      const mask = batch.heads[0].mask;
      clean = clean.map(
        (v, t) => v + Array.from({ length: 64 }, (_, b) => mask[b * 10 + t]).reduce((a, x) => a + x, 0),
      );
    }
    const ls = set.curves[0];
    expect(ls.key).toBe('least-squares');
    for (let k = 0; k < ls.examples.length; k++) expect(ls.count[k]).toBe(clean[ls.examples[k]]);
  });

  it("runs every task's baselines (smoke test at small sizes)", () => {
    for (const task of TASKS) {
      const curriculum = task.curriculum(task.defaults);
      const set = evaluateBaselines(task, task.defaults, curriculum, {
        prompts: 3,
        seed: 1,
        resamples: 10,
        nnPrompts: 1,
        nnPositions: 2,
        subsets: { 'boosted-trees': { prompts: 1, positions: 2 } },
      });
      expect(set.curves.length).toBe(task.baselines.length);
      for (const c of set.curves) {
        expect(c.mean.length).toBeGreaterThan(0);
        for (const v of c.mean) expect(Number.isFinite(v)).toBe(true);
      }
    }
  });
});

describe('helpers', () => {
  it('evenly spaced positions include both ends', () => {
    expect(evenlySpaced(101, 11)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(evenlySpaced(5, 0)).toEqual([0, 1, 2, 3, 4]);
    expect(evenlySpaced(5, 9)).toEqual([0, 1, 2, 3, 4]);
  });

  it('every baseline name has a label and expands to specs', () => {
    const names = Object.keys(BASELINE_LABELS) as BaselineName[];
    expect(names.length).toBe(10);
    const specs = expandBaselines(names, { lassoAlphas: [1, 0.01], ridgeAlphas: [0.5] });
    expect(specs.filter((s) => s.name === 'lasso').length).toBe(2);
    expect(specs.length).toBe(11);
  });
});
