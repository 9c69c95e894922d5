/**
 * The masked mean squared error of src/train/losses.ts (`maskedMse`), fused ('IclMaskedMse'):
 *   loss = sum over b, t, j of mask[b, t] (pred[b, t, j] - y[b, t, j])^2 / denom
 * pred and y [B, T, dim], mask [B, T, 1]. Forward one dispatch (one workgroup: the heads are
 * small, B x T x dim is a few thousand), backward one dispatch:
 *   dpred = dy 2 mask (pred - y) / denom.
 * Replaces sub, square, mul, sum, div and their gradients (~12 dispatches). Off WebGPU
 * `fusedMaskedMse` is the plain-ops expression itself.
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { bindings, FLAT_INDEX, registerKernelOnce } from './common';
import { dispatch1d, runRaw } from './runner';

export const MASKED_MSE = 'IclMaskedMse';
export const MASKED_MSE_GRAD = 'IclMaskedMseGrad';
/**
 * The loss as the objective being differentiated (the Trainer's step: the sum of the heads' losses
 * is what `tf.variableGrads` differentiates, so each loss's upstream gradient is exactly 1): the
 * forward's one dispatch also writes dpred = 2 mask (pred - y) / denom, which is then the gradient
 * as it is (no backward dispatch). Only for a loss whose upstream gradient is 1.
 */
export const MASKED_MSE_OBJECTIVE = 'IclMaskedMseObjective';

const WG = 256;

// The denominator comes in as a 1-float input, not a uniform: it changes with the batch's mask
// (outlier tasks), and an input keeps the step's bindings the same from step to step.
function forwardProgram(n: number, dim: number, objective = false) {
  return {
    name: 'MaskedMseForward',
    key: `masked_mse_fwd_in${objective ? '_g' : ''}`,
    dispatch: [1, 1, 1] as [number, number, number],
    uniforms: [
      { type: 'uint32' as const, data: [n] },
      { type: 'uint32' as const, data: [dim] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(objective ? ['out', 'g'] : ['out'], ['pred', 'y', 'mask', 'denom'], 'n: u32, dim: u32')}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < uni.n; i += ${WG}u) {
    let e = pred[i] - y[i];
    acc += e * e * mask[i / uni.dim];
    ${objective ? 'g[i] = 1.0 / denom[0] * mask[i / uni.dim] * 2.0 * e;' : ''}
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = part[0] / denom[0]; }
}
`,
  };
}

function backwardProgram(n: number, dim: number) {
  const dispatch = dispatch1d(n, 64);
  return {
    name: 'MaskedMseBackward',
    key: 'masked_mse_bwd_in',
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [n] },
      { type: 'int32' as const, data: [dim] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['out'], ['pred', 'y', 'mask', 'denom', 'dy'], 'n: i32, dim: i32, nx: i32')}
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.n) { return; }
  out[i] = dy[0] / denom[0] * mask[i / uni.dim] * 2.0 * (pred[i] - y[i]);
}
`,
  };
}

const forwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { pred, target, mask, denom } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(pred.shape);
  const dim = pred.shape[pred.shape.length - 1];
  return runRaw(backend, forwardProgram(n, dim), [pred, target, mask, denom], [[]])[0];
};

/** [loss, dpred for an upstream gradient of 1] */
const objectiveKernel: KernelFunc = ({ inputs, backend }) => {
  const { pred, target, mask, denom } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(pred.shape);
  const dim = pred.shape[pred.shape.length - 1];
  return runRaw(backend, forwardProgram(n, dim, true), [pred, target, mask, denom], [[], pred.shape.slice()]);
};

const backwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { pred, target, mask, denom, dy } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(pred.shape);
  const dim = pred.shape[pred.shape.length - 1];
  return runRaw(backend, backwardProgram(n, dim), [pred, target, mask, denom, dy], [pred.shape.slice()])[0];
};

const gradConfig: GradConfig = {
  kernelName: MASKED_MSE,
  inputsToSave: ['pred', 'target', 'mask', 'denom'],
  gradFunc: (dy, saved) => {
    const [pred, target, mask, denom] = saved;
    return {
      pred: () =>
        tf
          .engine()
          .runKernel(MASKED_MSE_GRAD, { pred, target, mask, denom, dy: dy as tf.Tensor }) as tf.Tensor,
      target: () => tf.zerosLike(target),
      mask: () => tf.zerosLike(mask),
      denom: () => tf.zerosLike(denom),
    };
  },
};

/** The objective's gradient is the dpred its forward wrote (a view of it: no dispatch). */
const objectiveGradConfig: GradConfig = {
  kernelName: MASKED_MSE_OBJECTIVE,
  inputsToSave: ['target', 'mask', 'denom'],
  outputsToSave: [false, true],
  gradFunc: (_dys, saved) => {
    const [target, mask, denom, dpred] = saved;
    return {
      pred: () => dpred.clone(),
      target: () => tf.zerosLike(target),
      mask: () => tf.zerosLike(mask),
      denom: () => tf.zerosLike(denom),
    };
  },
};

export function registerLossKernels(): void {
  registerKernelOnce({ kernelName: MASKED_MSE, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({
    kernelName: MASKED_MSE_OBJECTIVE,
    backendName: 'webgpu',
    kernelFunc: objectiveKernel,
  });
  if (tf.getGradient(MASKED_MSE_OBJECTIVE)) tf.unregisterGradient(MASKED_MSE_OBJECTIVE);
  tf.registerGradient(objectiveGradConfig);
  registerKernelOnce({ kernelName: MASKED_MSE_GRAD, backendName: 'webgpu', kernelFunc: backwardKernel });
  if (tf.getGradient(MASKED_MSE)) tf.unregisterGradient(MASKED_MSE);
  tf.registerGradient(gradConfig);
}

/**
 * sum(mask (pred - target)^2) / denom, as src/train/losses.ts `maskedMse`: fused on WebGPU, the
 * same plain ops elsewhere. pred, target [B, T, dim]; mask [B, T, 1]. `objective`: this loss is
 * (a term of a sum that is) the value `tf.variableGrads` differentiates, so its upstream gradient is
 * 1 and its backward needs no dispatch (MASKED_MSE_OBJECTIVE); never for a loss scaled afterwards.
 */
export function fusedMaskedMse(
  pred: tf.Tensor,
  target: tf.Tensor,
  mask: tf.Tensor,
  denom: Float32Array,
  objective = false,
): tf.Scalar {
  const same = pred.shape.length === target.shape.length && pred.shape.every((d, i) => d === target.shape[i]);
  if (tf.getBackend() !== 'webgpu' || !same)
    return pred.sub(target).square().mul(mask).sum().div(denom[0]) as tf.Scalar;
  // uploaded as this very array: the trainer declares it as one of the step's inputs (step replay)
  return tf.tidy(() => {
    const inputs = { pred, target, mask, denom: tf.tensor1d(denom) };
    if (!objective) return tf.engine().runKernel(MASKED_MSE, inputs) as tf.Scalar;
    const [loss] = tf.engine().runKernel(MASKED_MSE_OBJECTIVE, inputs) as tf.Tensor[];
    return loss as tf.Scalar;
  });
}
