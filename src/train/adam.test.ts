import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, clipByGlobalNorm, globalNorm } from './adam';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** torch.optim.Adam in float64, written out by hand. */
function referenceAdam(
  p0: number[],
  gradOf: (p: number[]) => number[],
  steps: number,
  s: { lr: number; beta1: number; beta2: number; eps: number },
  clip: number | null = null,
): number[][] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const path: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    let g = gradOf(p);
    if (clip !== null) {
      const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
      const coef = Math.min(1, clip / (norm + 1e-6));
      g = g.map((x) => x * coef);
    }
    for (let i = 0; i < p.length; i++) {
      m[i] = s.beta1 * m[i] + (1 - s.beta1) * g[i];
      v[i] = s.beta2 * v[i] + (1 - s.beta2) * g[i] * g[i];
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - s.beta2 ** t) + s.eps;
      p[i] -= ((s.lr / (1 - s.beta1 ** t)) * m[i]) / denom;
    }
    path.push([...p]);
  }
  return path;
}

// f(p) = 0.5 sum_i a_i (p_i - c_i)^2 over two parameters (a vector of 3 and a 2x2 matrix)
const A = [0.5, 2, 10, 1, 3, 0.1, 7];
const C = [1, -2, 0.5, 3, -1, 2, 0];
const P0 = [0.3, 0.1, -0.4, 1.5, 0.2, -0.7, 4];
const quadGrad = (p: number[]) => p.map((x, i) => A[i] * (x - C[i]));

function runTfAdam(
  settings: { lr: number; beta1: number; beta2: number; eps: number },
  steps: number,
  clip: number | null,
): number[][] {
  const vars = new Map<string, tf.Variable>([
    ['w', tf.variable(tf.tensor1d(P0.slice(0, 3)))],
    ['m', tf.variable(tf.tensor2d(P0.slice(3), [2, 2]))],
  ]);
  const a = tf.tensor1d(A);
  const c = tf.tensor1d(C);
  const adam = new Adam(settings);
  const path: number[][] = [];
  for (let t = 0; t < steps; t++) {
    tf.tidy(() => {
      const names = [...vars.keys()];
      const { grads } = tf.variableGrads(() => {
        const flat = tf.concat([vars.get('w')!, vars.get('m')!.reshape([4])]);
        return flat.sub(c).square().mul(a).sum().mul(0.5) as tf.Scalar;
      }, [...vars.values()]);
      const list = [...vars.values()].map((v) => grads[v.name]);
      const clipped = clipByGlobalNorm(list, clip);
      adam.apply(vars, new Map(names.map((n, i) => [n, clipped.grads[i]])));
    });
    path.push([...vars.get('w')!.dataSync(), ...vars.get('m')!.dataSync()]);
  }
  for (const v of vars.values()) v.dispose();
  adam.dispose();
  a.dispose();
  c.dispose();
  return path;
}

describe('Adam (torch.optim.Adam semantics)', () => {
  it('matches a float64 Adam on a quadratic, step by step', () => {
    const settings = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const ref = referenceAdam(P0, quadGrad, 50, settings);
    const got = runTfAdam(settings, 50, null);
    for (let t = 0; t < 50; t++) {
      for (let i = 0; i < P0.length; i++) expect(got[t][i]).toBeCloseTo(ref[t][i], 5);
    }
  });

  it('keeps eps outside the square root (visible with a large eps)', () => {
    const settings = { lr: 0.1, beta1: 0.8, beta2: 0.99, eps: 1e-3 };
    const ref = referenceAdam(P0, quadGrad, 10, settings);
    const got = runTfAdam(settings, 10, null);
    for (let i = 0; i < P0.length; i++) expect(got[9][i]).toBeCloseTo(ref[9][i], 5);
    // the first step moves every coordinate by about lr (bias-corrected m / sqrt(v) = sign(g))
    const first = runTfAdam({ lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, 1, null)[0];
    for (const [i, x] of first.entries()) expect(Math.abs(x - P0[i])).toBeCloseTo(0.01, 5);
  });

  it('matches the float64 Adam with global-norm clipping', () => {
    const settings = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const ref = referenceAdam(P0, quadGrad, 30, settings, 1);
    const got = runTfAdam(settings, 30, 1);
    for (let t = 0; t < 30; t++) {
      for (let i = 0; i < P0.length; i++) expect(got[t][i]).toBeCloseTo(ref[t][i], 5);
    }
  });

  it('changes the learning rate without resetting the moments', () => {
    const adam = new Adam({ lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    adam.learningRate = 0.01;
    expect(adam.learningRate).toBe(0.01);
    expect(() => {
      adam.learningRate = -1;
    }).toThrow(/positive/);
    adam.dispose();
  });
});

describe('clipByGlobalNorm (torch.nn.utils.clip_grad_norm_)', () => {
  it('scales every gradient by clip / (norm + 1e-6) when the norm is above the clip', () => {
    tf.tidy(() => {
      const g = [tf.tensor1d([3, 0]), tf.tensor2d([[0, 4]])]; // global norm 5
      expect(globalNorm(g).dataSync()[0]).toBeCloseTo(5, 6);
      const { grads, norm } = clipByGlobalNorm(g, 1);
      expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
      const scale = 1 / (5 + 1e-6);
      expect(grads[0].dataSync()[0]).toBeCloseTo(3 * scale, 7);
      expect(grads[1].dataSync()[1]).toBeCloseTo(4 * scale, 7);
      expect(globalNorm(grads).dataSync()[0]).toBeCloseTo(1, 5);
    });
  });

  it('leaves gradients below the clip unchanged, and does nothing with clip null', () => {
    tf.tidy(() => {
      const g = [tf.tensor1d([0.3, 0.4])];
      expect([...clipByGlobalNorm(g, 10).grads[0].dataSync()]).toEqual([...g[0].dataSync()]);
      const big = [tf.tensor1d([300, 400])];
      expect([...clipByGlobalNorm(big, null).grads[0].dataSync()]).toEqual([300, 400]);
    });
  });
});
