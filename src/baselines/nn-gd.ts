/**
 * "2-layer NN by GD" (Garg et al.'s baseline for the 2NN task): for every prompt and position, a
 * fresh d -> hidden -> 1 ReLU MLP with PyTorch's default Linear init (weights and biases
 * U(+-1/sqrt(fan_in))) trained by Adam (lr 5e-3, betas 0.9/0.999, eps 1e-8) for 100 full-batch steps
 * on the mean squared error over the earlier clean examples; the prediction is the trained network
 * at x_i (0 with no examples). The initialisation is seeded per (global prompt, position), so the
 * result does not depend on how the prompts are chunked.
 *
 * Expensive (about 4 d hidden flops per example per step): run it on a subset of prompts/positions.
 */
import { Rng } from '../random/rng';
import type { ExampleView } from '../tasks/types';
import {
  allocatePredictions,
  type BaselinePredictions,
  cleanExamples,
  type PredictionSubset,
  queryPoint,
  resolveSubset,
} from './types';

export interface MlpOptions {
  hidden: number;
  steps: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_MLP: MlpOptions = {
  hidden: 100,
  steps: 100,
  learningRate: 5e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
};

/** A trained 2-layer ReLU network. */
export interface TrainedMlp {
  d: number;
  hidden: number;
  /** [hidden, d] (row k = the input weights of hidden unit k) */
  w1: Float64Array;
  /** [hidden] */
  b1: Float64Array;
  /** [hidden] */
  w2: Float64Array;
  b2: number;
  /** [steps + 1] mean squared training error before each step, and after the last */
  losses: Float64Array;
}

export function predictMlp(net: TrainedMlp, x: ArrayLike<number>, offset = 0): number {
  const { d, hidden: H, w1, b1, w2 } = net;
  let out = net.b2;
  for (let k = 0; k < H; k++) {
    let pre = b1[k];
    for (let j = 0; j < d; j++) pre += x[offset + j] * w1[k * d + j];
    if (pre > 0) out += pre * w2[k];
  }
  return out;
}

/**
 * Mean squared error of the MLP with parameters theta = [w1 (hidden x d, row k = unit k), b1 (hidden),
 * w2 (hidden), b2] on xs [n, d], ys [n], and (when `grad` is given) its gradient, written to grad.
 * `pre` is scratch of length hidden.
 */
export function mlpLossAndGradient(
  theta: Float64Array,
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  d: number,
  H: number,
  grad: Float64Array | null,
  pre: Float64Array = new Float64Array(H),
): number {
  const oB1 = d * H;
  const oW2 = oB1 + H;
  const oB2 = oW2 + H;
  if (grad) grad.fill(0);
  let loss = 0;
  for (let s = 0; s < n; s++) {
    const xo = s * d;
    let out = theta[oB2];
    for (let k = 0; k < H; k++) {
      const row = k * d;
      // four partial sums: independent multiply-add chains run in parallel
      let a0 = theta[oB1 + k];
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let j = 0;
      for (; j + 3 < d; j += 4) {
        a0 += theta[row + j] * xs[xo + j];
        a1 += theta[row + j + 1] * xs[xo + j + 1];
        a2 += theta[row + j + 2] * xs[xo + j + 2];
        a3 += theta[row + j + 3] * xs[xo + j + 3];
      }
      for (; j < d; j++) a0 += theta[row + j] * xs[xo + j];
      const a = a0 + a1 + (a2 + a3);
      pre[k] = a;
      if (a > 0) out += a * theta[oW2 + k];
    }
    const e = out - ys[s];
    loss += e * e;
    if (!grad) continue;
    const dout = (2 * e) / n;
    grad[oB2] += dout;
    for (let k = 0; k < H; k++) {
      const a = pre[k];
      if (!(a > 0)) continue;
      grad[oW2 + k] += dout * a;
      const dh = dout * theta[oW2 + k];
      grad[oB1 + k] += dh;
      const row = k * d;
      for (let j = 0; j < d; j++) grad[row + j] += dh * xs[xo + j];
    }
  }
  return loss / n;
}

/**
 * Train a fresh MLP on xs [n, d], ys [n] (n >= 1) by full-batch Adam. `rng` draws the init.
 */
export function trainMlp(
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  d: number,
  rng: Rng,
  options: Partial<MlpOptions> = {},
): TrainedMlp {
  const o = { ...DEFAULT_MLP, ...options };
  const H = o.hidden;
  const nW1 = d * H;
  // parameters in one vector: [w1 (H*d, row k = unit k), b1 (H), w2 (H), b2 (1)]
  const nParams = nW1 + 2 * H + 1;
  const theta = new Float64Array(nParams);
  const a1 = 1 / Math.sqrt(d);
  const a2 = 1 / Math.sqrt(H);
  for (let i = 0; i < nW1 + H; i++) theta[i] = rng.uniformIn(-a1, a1);
  for (let i = nW1 + H; i < nParams; i++) theta[i] = rng.uniformIn(-a2, a2);
  const grad = new Float64Array(nParams);
  const m = new Float64Array(nParams);
  const v = new Float64Array(nParams);
  const pre = new Float64Array(H);
  const losses = new Float64Array(o.steps + 1);
  const lossAndGrad = (withGrad: boolean): number =>
    mlpLossAndGradient(theta, xs, ys, n, d, H, withGrad ? grad : null, pre);

  let b1t = 1;
  let b2t = 1;
  for (let t = 0; t < o.steps; t++) {
    losses[t] = lossAndGrad(true);
    b1t *= o.beta1;
    b2t *= o.beta2;
    const stepSize = o.learningRate / (1 - b1t);
    const biasCorr2 = Math.sqrt(1 - b2t);
    for (let i = 0; i < nParams; i++) {
      const gi = grad[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * gi;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * gi * gi;
      theta[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / biasCorr2 + o.eps);
    }
  }
  losses[o.steps] = lossAndGrad(false);
  return {
    d,
    hidden: H,
    w1: theta.slice(0, nW1),
    b1: theta.slice(nW1, nW1 + H),
    w2: theta.slice(nW1 + H, nW1 + 2 * H),
    b2: theta[nW1 + 2 * H],
    losses,
  };
}

export interface NnGdOptions extends Partial<MlpOptions> {
  /** seed of the initialisations (default 0) */
  seed?: number;
}

/** NN-by-GD predictions; use `subset` to bound the cost. */
export function nnGradientDescent(
  ex: ExampleView,
  options: NnGdOptions = {},
  subsetIn?: PredictionSubset,
): BaselinePredictions {
  const subset = resolveSubset(ex, subsetIn);
  const out = allocatePredictions(ex, subset);
  const { nPoints: n, dim: d } = ex;
  const x = new Float64Array(d);
  const seed = options.seed ?? 0;
  for (let b = 0; b < subset.prompts; b++) {
    const clean = cleanExamples(ex, b);
    let k = 0; // clean examples before position i
    for (let i = 0; i < n; i++) {
      while (k < clean.count && clean.index[k] < i) k++;
      if (!subset.wanted[i] || k === 0) continue;
      const rng = Rng.derive(seed, 'nn-gd', subset.promptOffset + b, i);
      const net = trainMlp(clean.xs, clean.ys, k, d, rng, options);
      out.values[b * n + i] = predictMlp(net, queryPoint(ex, b, i, x));
    }
  }
  return out;
}
