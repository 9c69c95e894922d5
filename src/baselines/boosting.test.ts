import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { boostedTrees, DEFAULT_BOOSTING, fitBoostedTrees, predictBoosted } from './boosting';
import { gaussian, singlePrompt, toF32 } from './test-helpers';
import { presort } from './tree';

function treeTask(rng: Rng, n: number, d: number): { xs: Float64Array; ys: Float64Array } {
  const xs = gaussian(rng, n, d);
  const ys = Float64Array.from({ length: n }, (_, i) =>
    xs[i * d] > 0 ? (xs[i * d + 1] > 0.5 ? 1 : -0.3) : xs[i * d + 2] > -0.2 ? 0.7 : -1.2,
  );
  return { xs, ys };
}

describe('gradient-boosted trees', () => {
  it('reduces the training error at every round', () => {
    const rng = new Rng(1);
    const n = 60;
    const d = 5;
    const { xs, ys } = treeTask(rng, n, d);
    for (let i = 0; i < n; i++) ys[i] += 0.3 * rng.normal();
    const model = fitBoostedTrees(presort(xs, n, d), ys);
    const loss = model.trainingLoss;
    expect(loss.length).toBe(DEFAULT_BOOSTING.rounds + 1);
    for (let m = 1; m < loss.length; m++) expect(loss[m]).toBeLessThanOrEqual(loss[m - 1] + 1e-12);
    expect(loss[loss.length - 1]).toBeLessThan(0.1 * loss[0]);
    // the recorded loss is the loss of the model's own predictions
    let sse = 0;
    for (let i = 0; i < n; i++) sse += (ys[i] - predictBoosted(model, xs, i * d)) ** 2;
    expect(sse / n).toBeCloseTo(loss[loss.length - 1], 10);
  });

  it('predicts the same at a query whether or not the trees are kept', () => {
    const rng = new Rng(2);
    const n = 40;
    const d = 4;
    const { xs, ys } = treeTask(rng, n, d);
    const pre = presort(xs, n, d);
    const model = fitBoostedTrees(pre, ys, { rounds: 20 });
    for (let q = 0; q < 5; q++) {
      const query = gaussian(rng, 1, d);
      const quick = fitBoostedTrees(pre, ys, { rounds: 20 }, query);
      expect(quick.trees.length).toBe(0);
      expect(quick.queryPrediction).toBeCloseTo(predictBoosted(model, query), 12);
    }
  });

  it('learns a depth-2 tree function in context better than the mean', () => {
    const rng = new Rng(3);
    const n = 80;
    const d = 4;
    const { xs, ys } = treeTask(rng, n, d);
    const pred = boostedTrees(singlePrompt(toF32(xs), toF32(ys), n, d), {}, { positions: [0, 20, 79] });
    expect(pred.values[0]).toBe(0);
    expect(Array.from(pred.evaluated!)).toEqual(
      Array.from({ length: n }, (_, i) => (i === 0 || i === 20 || i === 79 ? 1 : 0)),
    );
    // the fit on 79 points at a training point is close to its label
    expect(Math.abs(pred.values[79] - ys[79])).toBeLessThan(0.5);
  });
});
