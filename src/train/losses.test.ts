import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { chainOfThoughtParams, sampleChainOfThought } from '../tasks/chain-of-thought';
import type { HeadBatch, HeadSpec, LossKind } from '../tasks/types';
import { batchLoss, headTargets, maskedLoss } from './losses';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function head(loss: LossKind, dim: number, targets: number[], mask: number[], nT: number): HeadBatch {
  const spec: HeadSpec = {
    name: 'h',
    dim,
    loss,
    metric: loss === 'mse' ? 'squared-error' : loss === 'bce' ? 'sign-accuracy' : 'token-accuracy',
    normalisation: 1,
  };
  return {
    spec,
    positions: Int32Array.from({ length: nT }, (_, i) => i),
    targets: Float32Array.from(targets),
    targetDim: loss === 'cross-entropy' ? 1 : dim,
    mask: Float32Array.from(mask),
    examplesBefore: Int32Array.from({ length: nT }, (_, i) => i),
  };
}

/** The loss and d loss / d pred for predictions `pred` ([B, T, dim]). */
function lossOf(h: HeadBatch, batch: number, pred: number[]): { loss: number; grad: number[] } {
  return tf.tidy(() => {
    const nT = h.positions.length;
    const v = tf.variable(tf.tensor3d(pred, [batch, nT, h.spec.dim]), true);
    const target = headTargets(h, batch);
    const { value, grads } = tf.variableGrads(() => maskedLoss(v, target), [v]);
    const out = { loss: value.dataSync()[0], grad: [...grads[v.name].dataSync()] };
    v.dispose();
    return out;
  });
}

describe('masked losses', () => {
  it('MSE averages over the unmasked targets and the output dims', () => {
    // batch 1, 3 targets of dim 2; the middle target is masked
    const h = head('mse', 2, [1, 2, 100, 100, 0, 0], [1, 0, 1], 3);
    const pred = [0, 0, 5, 5, 1, 1];
    const { loss, grad } = lossOf(h, 1, pred);
    // unmasked squared errors: (1 + 4) + (1 + 1) = 7 over 2 targets x 2 dims
    expect(loss).toBeCloseTo(7 / 4, 6);
    expect(grad.slice(2, 4).map(Math.abs)).toEqual([0, 0]);
    expect(grad[0]).toBeCloseTo((2 * (0 - 1)) / 4, 6);
  });

  it('a masked target changes neither the loss nor the gradient', () => {
    const a = head('mse', 1, [1, 2, 3, 4], [1, 1, 0, 1], 4);
    const b = head('mse', 1, [1, 2, -1e6, 4], [1, 1, 0, 1], 4);
    const pred = [0.5, -1, 7, 2];
    const la = lossOf(a, 1, pred);
    const lb = lossOf(b, 1, pred);
    expect(lb.loss).toBe(la.loss);
    expect(lb.grad.map((g) => g + 0)).toEqual(la.grad.map((g) => g + 0));
    expect(Math.abs(la.grad[2])).toBe(0);
    for (const kind of ['bce', 'cross-entropy'] as const) {
      const dim = kind === 'bce' ? 1 : 3;
      const t1 = kind === 'bce' ? [1, -1, 1] : [0, 2, 1];
      const t2 = kind === 'bce' ? [1, 1, 1] : [0, 0, 1];
      const p = Array.from({ length: 3 * dim }, (_, i) => Math.sin(i + 1));
      const x = lossOf(head(kind, dim, t1, [1, 0, 1], 3), 1, p);
      const y = lossOf(head(kind, dim, t2, [1, 0, 1], 3), 1, p);
      expect(y.loss).toBe(x.loss);
      // equal values (a masked zero may carry either sign)
      expect(y.grad.map((g) => g + 0)).toEqual(x.grad.map((g) => g + 0));
      expect(x.grad.slice(dim, 2 * dim).every((g) => g === 0)).toBe(true);
    }
  });

  it('BCE with logits on targets +-1, with the gradient sigmoid(x) - (y + 1) / 2', () => {
    const h = head('bce', 1, [1, -1, 1, -1], [1, 1, 1, 0], 4);
    const pred = [2, 0.5, 0, -30];
    const { loss, grad } = lossOf(h, 1, pred);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const z = [1, 0, 1];
    const expected = [0, 1, 2].reduce(
      (a, i) => a - (z[i] * Math.log(sig(pred[i])) + (1 - z[i]) * Math.log(1 - sig(pred[i]))),
      0,
    );
    expect(loss).toBeCloseTo(expected / 3, 6);
    for (const i of [0, 1, 2]) expect(grad[i]).toBeCloseTo((sig(pred[i]) - z[i]) / 3, 6);
    expect(Math.abs(grad[3])).toBe(0);
    // large logits stay finite
    const extreme = lossOf(head('bce', 1, [-1], [1], 1), 1, [80]);
    expect(extreme.loss).toBeCloseTo(80, 4);
  });

  it('cross-entropy over the vocabulary against class ids', () => {
    const h = head('cross-entropy', 3, [2, 0], [1, 1], 2);
    const pred = [1, 2, 3, 0, 0, 0];
    const { loss, grad } = lossOf(h, 1, pred);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(loss).toBeCloseTo((lse - 3 + Math.log(3)) / 2, 5);
    const sm = [1, 2, 3].map((v) => Math.exp(v - lse));
    expect(grad[2]).toBeCloseTo((sm[2] - 1) / 2, 5);
    expect(grad[3]).toBeCloseTo((1 / 3 - 1) / 2, 5);
  });

  it('sums the heads (chain-of-thought: s-loss + y-loss)', () => {
    const y = head('mse', 1, [1, 1], [1, 1], 2);
    const s = head('mse', 2, [0, 0, 0, 0], [1, 1], 2);
    tf.tidy(() => {
      const py = tf.tensor3d([0, 0], [1, 2, 1]);
      const ps = tf.tensor3d([1, 1, 1, 1], [1, 2, 2]);
      const total = batchLoss([py, ps], [headTargets(y, 1), headTargets(s, 1)]);
      expect(total.dataSync()[0]).toBeCloseTo(1 + 1, 6);
    });
  });

  it('chain-of-thought: the s loss sums over its k dims, then means over prompts and positions (Li et al.)', () => {
    const p = chainOfThoughtParams.parse({ d: 4, nPoints: 5, hidden: 3 });
    const { batch } = sampleChainOfThought(new Rng(5), p, 6, { dims: 4, points: 5 });
    const sHead = batch.heads[1];
    expect(sHead.spec.name).toBe('s');
    let total = 0;
    for (const v of sHead.targets) total += v * v;
    tf.tidy(() => {
      const zero = tf.zeros([6, 5, 3]);
      const loss = maskedLoss(zero, headTargets(sHead, 6)).dataSync()[0];
      // predicting 0: sum over the 3 dims of s^2, averaged over the 6 x 5 targets
      expect(loss).toBeCloseTo(total / 30, 4);
      // the y head keeps the plain mean
      const y = batch.heads[0];
      let ty = 0;
      for (const v of y.targets) ty += v * v;
      expect(maskedLoss(tf.zeros([6, 5, 1]), headTargets(y, 6)).dataSync()[0]).toBeCloseTo(ty / 30, 4);
    });
  });
});
