/**
 * Adam exactly as `torch.optim.Adam` (amsgrad off, weight decay 0, not capturable), and global-norm
 * clipping as `torch.nn.utils.clip_grad_norm_`, in plain tfjs ops (no readback, fixed shapes).
 *
 * Adam, per parameter p with gradient g at step t = 1, 2, ...:
 *   m <- m + (1 - beta1) (g - m)              (torch: exp_avg.lerp_(grad, 1 - beta1))
 *   v <- beta2 v + (1 - beta2) g^2
 *   p <- p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * The bias corrections are computed in float64 on the host; eps sits outside the square root.
 *
 * Clipping: total = sqrt(sum over parameters of ||g||^2); every gradient is multiplied by
 * min(1, maxNorm / (total + 1e-6)) (torch multiplies always, by the clamped coefficient).
 */
import * as tf from '@tensorflow/tfjs';
import { readCopies } from '../models/read-copies';

export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** Global L2 norm of a set of gradients, as a scalar tensor. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  let sum: tf.Tensor | null = null;
  for (const g of grads) {
    const s = g.square().sum();
    sum = sum === null ? s : sum.add(s);
  }
  return (sum === null ? tf.scalar(0) : sum.sqrt()) as tf.Scalar;
}

/**
 * torch.nn.utils.clip_grad_norm_: returns the clipped gradients (same order) and the norm before
 * clipping. `maxNorm` null = no clipping (the norm is still returned).
 */
export function clipByGlobalNorm(
  grads: readonly tf.Tensor[],
  maxNorm: number | null,
): { grads: tf.Tensor[]; norm: tf.Scalar } {
  const norm = globalNorm(grads);
  if (maxNorm === null) return { grads: [...grads], norm };
  const coef = tf.minimum(tf.scalar(maxNorm).div(norm.add(1e-6)), 1);
  return { grads: grads.map((g) => g.mul(coef)), norm };
}

/** Adam's moments of one parameter. */
export interface AdamMoments {
  expAvg: tf.Variable;
  expAvgSq: tf.Variable;
}

/**
 * Adam over named parameters. The moments are non-trainable variables created lazily at the first
 * update (zeros, like torch); `stepCount` is torch's `state['step']` (shared by all parameters,
 * which torch keeps per parameter but always equal here).
 */
export class Adam {
  settings: AdamSettings;
  stepCount = 0;
  private readonly moments = new Map<string, AdamMoments>();

  constructor(settings: AdamSettings) {
    this.settings = { ...settings };
  }

  get learningRate(): number {
    return this.settings.lr;
  }

  set learningRate(lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr))
      throw new Error(`learning rate must be a positive number, got ${lr}`);
    this.settings.lr = lr;
  }

  /** The moments, by parameter name (empty before the first step). */
  get state(): ReadonlyMap<string, AdamMoments> {
    return this.moments;
  }

  private momentsOf(name: string, shape: readonly number[]): AdamMoments {
    let m = this.moments.get(name);
    if (!m) {
      m = {
        expAvg: tf.variable(tf.zeros(shape as number[]), false),
        expAvgSq: tf.variable(tf.zeros(shape as number[]), false),
      };
      this.moments.set(name, m);
    }
    return m;
  }

  /**
   * One Adam step on `params` with `grads` (same keys). Call inside tf.tidy: intermediates are
   * freed by the caller's tidy; parameters and moments are updated in place with assign().
   */
  apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    // Create any missing moment variables outside the caller's tidy (they must survive it).
    for (const [name, p] of params) {
      if (grads.has(name) && !this.moments.has(name)) tf.tidy(() => void this.momentsOf(name, p.shape));
    }
    this.stepCount += 1;
    const { lr, beta1, beta2, eps } = this.settings;
    const t = this.stepCount;
    const bc1 = 1 - beta1 ** t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const stepSize = lr / bc1;
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) continue;
      const { expAvg, expAvgSq } = this.momentsOf(name, p.shape);
      const m = expAvg.add(g.sub(expAvg).mul(1 - beta1));
      const v = expAvgSq.mul(beta2).add(g.square().mul(1 - beta2));
      const denom = v.sqrt().div(bc2Sqrt).add(eps);
      expAvg.assign(m);
      expAvgSq.assign(v);
      p.assign(p.sub(m.div(denom).mul(stepSize)));
    }
  }

  /** Moments as host arrays (for checkpoints). */
  async readState(): Promise<Map<string, { expAvg: Float32Array; expAvgSq: Float32Array; shape: number[] }>> {
    const out = new Map<string, { expAvg: Float32Array; expAvgSq: Float32Array; shape: number[] }>();
    for (const [name, m] of this.moments) {
      const [expAvg, expAvgSq] = await readCopies([m.expAvg, m.expAvgSq]);
      out.set(name, {
        expAvg,
        expAvgSq,
        shape: [...m.expAvg.shape],
      });
    }
    return out;
  }

  /** Overwrite the moments of `name` (shape must be the parameter's). */
  setMoments(name: string, shape: readonly number[], expAvg: Float32Array, expAvgSq: Float32Array): void {
    const m = this.momentsOf(name, shape);
    tf.tidy(() => {
      m.expAvg.assign(tf.tensor(expAvg, shape as number[], 'float32'));
      m.expAvgSq.assign(tf.tensor(expAvgSq, shape as number[], 'float32'));
    });
  }

  /** Forget all moments and the step count (a fresh optimiser). */
  reset(): void {
    for (const m of this.moments.values()) {
      m.expAvg.dispose();
      m.expAvgSq.dispose();
    }
    this.moments.clear();
    this.stepCount = 0;
  }

  dispose(): void {
    this.reset();
  }
}
