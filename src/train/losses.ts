/**
 * Masked training losses, one per head kind (paper.md sections 1-2):
 *  - 'mse': squared error averaged over the unmasked targets and the head's output dims, i.e.
 *    PyTorch's `((pred - y) ** 2).mean()` restricted to the unmasked targets (Garg et al.'s
 *    `mean_squared_error`; vector MQAR averages over its d outputs too); a head with
 *    `lossOverDims: 'sum'` sums over its dims instead (chain-of-thought's s, as Li et al.);
 *  - 'bce': binary cross-entropy with logits, targets +-1 mapped to (y + 1) / 2 (sparse parity),
 *    averaged over unmasked targets;
 *  - 'cross-entropy': softmax cross-entropy over the vocabulary, targets are class ids (token MQAR),
 *    averaged over unmasked targets.
 * The training loss of a batch is the sum over its heads (chain-of-thought: s-loss + y-loss).
 *
 * Masks are host arrays, so each denominator is a plain number: no readback. A masked target is
 * multiplied by 0 before the reduction, so it contributes neither to the loss nor to the gradient.
 * `kernels.maskedMse` (src/kernels, through the model's kernels) computes the 'mse' loss fused.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelKernels } from '../models/fused';
import type { HeadBatch, LossKind } from '../tasks/types';

/** The fused losses a model's kernels may bring. */
export type LossKernels = Pick<ModelKernels, 'maskedMse'>;

/** Host-side tensors of one head's targets, built once per batch. */
export interface HeadTargets {
  loss: LossKind;
  /** [B, T, targetDim] (targetDim = head dim, or 1 class id for cross-entropy) */
  targets: tf.Tensor3D;
  /** [B, T, 1] */
  mask: tf.Tensor3D;
  /** number of unmasked targets */
  count: number;
  dim: number;
  /** 'mse': sum the squared error over the dims instead of averaging it */
  sumDims: boolean;
  /** [the MSE's divisor] (`mseDenominator`), the array the fused loss uploads */
  denom: Float32Array;
}

/** Unmasked targets of a head. */
export function unmaskedCount(head: HeadBatch): number {
  let count = 0;
  for (let i = 0; i < head.mask.length; i++) count += head.mask[i];
  return count;
}

/** [the masked MSE's divisor] of a head, as the one-float array the fused loss uploads. */
export function headDenominator(head: HeadBatch): Float32Array {
  return new Float32Array([
    mseDenominator({
      count: unmaskedCount(head),
      dim: head.spec.dim,
      sumDims: head.spec.lossOverDims === 'sum',
    }),
  ]);
}

/**
 * Tensors of a head's targets. `denom`: the head's `headDenominator` array to use (a step replayer
 * recognises the upload by that very array: src/train/step-replay.ts).
 */
export function headTargets(head: HeadBatch, batchSize: number, denom?: Float32Array): HeadTargets {
  const t = head.positions.length;
  const count = unmaskedCount(head);
  return {
    loss: head.spec.loss,
    targets: tf.tensor3d(head.targets, [batchSize, t, head.targetDim]),
    mask: tf.tensor3d(head.mask, [batchSize, t, 1]),
    count,
    dim: head.spec.dim,
    sumDims: head.spec.lossOverDims === 'sum',
    denom: denom ?? headDenominator(head),
  };
}

/** The divisor of the masked MSE: unmasked targets x dim (x 1 when sumDims), at least 1. */
export function mseDenominator(target: Pick<HeadTargets, 'count' | 'sumDims' | 'dim'>): number {
  return Math.max(1, target.count * (target.sumDims ? 1 : target.dim));
}

/** Masked mean squared error: sum(mask (pred - y)^2) / (unmasked targets x dim, or x 1 when sumDims). */
export function maskedMse(
  pred: tf.Tensor,
  target: HeadTargets,
  kernels?: LossKernels,
  objective = false,
): tf.Scalar {
  if (kernels?.maskedMse)
    return kernels.maskedMse(pred, target.targets, target.mask, target.denom, objective);
  return pred.sub(target.targets).square().mul(target.mask).sum().div(mseDenominator(target)) as tf.Scalar;
}

/**
 * Binary cross-entropy with logits against (y + 1) / 2, the stable form
 * max(x, 0) - x z + log(1 + exp(-|x|)), with the exact gradient sigmoid(x) - z (the autodiff of
 * the stable form is off at x = 0, where |x| has no derivative).
 */
export function bceWithLogits(logits: tf.Tensor, labels01: tf.Tensor): tf.Tensor {
  // The labels go in as an input (not a closure): tensors of the forward pass that a gradient
  // needs must be saved, or tf.grads frees them before the backward pass.
  const f = tf.customGrad((x, z, save) => {
    const xt = x as tf.Tensor;
    const zt = z as tf.Tensor;
    (save as (ts: tf.Tensor[]) => void)([xt, zt]);
    const value = tf
      .relu(xt)
      .sub(xt.mul(zt))
      .add(tf.log1p(tf.exp(tf.abs(xt).neg())));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        dy.mul(tf.sigmoid(saved[0]).sub(saved[1])),
        tf.zerosLike(saved[1]),
      ],
    };
  });
  return f(logits, labels01) as tf.Tensor;
}

export function maskedBce(pred: tf.Tensor, target: HeadTargets): tf.Scalar {
  const labels = target.targets.add(1).mul(0.5);
  const denom = Math.max(1, target.count * target.dim);
  return bceWithLogits(pred, labels).mul(target.mask).sum().div(denom) as tf.Scalar;
}

/** Softmax cross-entropy, logits [B, T, V], targets [B, T, 1] class ids. */
export function maskedCrossEntropy(pred: tf.Tensor, target: HeadTargets): tf.Scalar {
  const [b, t, v] = pred.shape as [number, number, number];
  const ids = tf.cast(tf.round(target.targets.reshape([b * t])), 'int32');
  const oneHot = tf.oneHot(ids, v).reshape([b, t, v]);
  const logp = tf.logSoftmax(pred.reshape([b * t, v])).reshape([b, t, v]);
  const nll = logp.mul(oneHot).sum(2, true).neg(); // [B, T, 1]
  return nll.mul(target.mask).sum().div(Math.max(1, target.count)) as tf.Scalar;
}

export function maskedLoss(
  pred: tf.Tensor,
  target: HeadTargets,
  kernels?: LossKernels,
  objective = false,
): tf.Scalar {
  switch (target.loss) {
    case 'mse':
      return maskedMse(pred, target, kernels, objective);
    case 'bce':
      return maskedBce(pred, target);
    case 'cross-entropy':
      return maskedCrossEntropy(pred, target);
  }
}

/**
 * Sum of the heads' losses. `preds[i]` is head i's output [B, T, dim]. `objective`: the sum is the
 * value `tf.variableGrads` differentiates (the training step), so every head's loss gets an upstream
 * gradient of 1 and the fused MSE skips its backward dispatch (src/kernels/loss.ts).
 */
export function batchLoss(
  preds: readonly tf.Tensor[],
  targets: readonly HeadTargets[],
  kernels?: LossKernels,
  objective = false,
): tf.Scalar {
  let total: tf.Scalar | null = null;
  preds.forEach((p, i) => {
    const l = maskedLoss(p, targets[i], kernels, objective);
    total = total === null ? l : (total.add(l) as tf.Scalar);
  });
  if (total === null) throw new Error('a batch needs at least one head');
  return total;
}
