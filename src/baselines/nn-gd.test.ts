import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { DEFAULT_MLP, mlpLossAndGradient, nnGradientDescent, predictMlp, trainMlp } from './nn-gd';
import { gaussian, singlePrompt, toF32 } from './test-helpers';

describe('2-layer NN by gradient descent', () => {
  it('reduces its training loss (Adam, 100 full-batch steps)', () => {
    const rng = new Rng(1);
    const n = 30;
    const d = 5;
    const xs = gaussian(rng, n, d);
    const ys = Float64Array.from(
      { length: n },
      (_, i) => Math.max(0, xs[i * d] + xs[i * d + 1]) - 0.5 * xs[i * d + 2],
    );
    const net = trainMlp(xs, ys, n, d, new Rng(7), { hidden: 32 });
    expect(net.losses.length).toBe(DEFAULT_MLP.steps + 1);
    expect(net.losses[DEFAULT_MLP.steps]).toBeLessThan(0.1 * net.losses[0]);
    // the recorded final loss is the loss of the returned network
    let sse = 0;
    for (let i = 0; i < n; i++) sse += (predictMlp(net, xs, i * d) - ys[i]) ** 2;
    expect(sse / n).toBeCloseTo(net.losses[DEFAULT_MLP.steps], 10);
  });

  it('back-propagates the gradient of the mean squared error (central differences)', () => {
    const rng = new Rng(2);
    const n = 10;
    const d = 3;
    const H = 8;
    const xs = gaussian(rng, n, d);
    const ys = gaussian(rng, n, 1);
    const theta = gaussian(rng, d * H + 2 * H + 1, 1);
    const grad = new Float64Array(theta.length);
    mlpLossAndGradient(theta, xs, ys, n, d, H, grad);
    const h = 1e-6;
    for (let i = 0; i < theta.length; i++) {
      const t = theta.slice();
      t[i] += h;
      const up = mlpLossAndGradient(t, xs, ys, n, d, H, null);
      t[i] -= 2 * h;
      const down = mlpLossAndGradient(t, xs, ys, n, d, H, null);
      expect(grad[i]).toBeCloseTo((up - down) / (2 * h), 6);
    }
    // one small Adam step lowers the loss
    const net = trainMlp(xs, ys, n, d, new Rng(3), { hidden: H, steps: 1, learningRate: 1e-3 });
    expect(net.losses[1]).toBeLessThan(net.losses[0]);
  });

  it('is deterministic per (seed, prompt, position) and honours the subset', () => {
    const rng = new Rng(4);
    const n = 6;
    const d = 3;
    const xs = toF32(gaussian(rng, 2 * n, d));
    const ys = toF32(gaussian(rng, 2 * n, 1));
    const view = {
      nPoints: n,
      dim: d,
      xs: Float32Array.from(xs),
      ys: Float32Array.from(ys),
      clean: new Uint8Array(2 * n).fill(1),
    };
    const opts = { hidden: 16, steps: 20, seed: 9 };
    const a = nnGradientDescent(view, opts, { positions: [0, 3, 5] });
    const b = nnGradientDescent(view, opts, { positions: [0, 3, 5] });
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(a.values[0]).toBe(0);
    expect(Array.from(a.evaluated!)).toEqual([1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1]);
    // prompt 1 of this batch = prompt 0 of a batch starting at global index 1
    const second = singlePrompt(xs.subarray(n * d), ys.subarray(n), n, d);
    const c = nnGradientDescent(second, opts, { positions: [3], promptOffset: 1 });
    expect(c.values[3]).toBe(a.values[n + 3]);
  });
});
