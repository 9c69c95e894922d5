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

const WG = 256;

function forwardProgram(n: number, dim: number, denom: number) {
  return {
    name: 'MaskedMseForward',
    key: 'masked_mse_fwd',
    dispatch: [1, 1, 1] as [number, number, number],
    uniforms: [
      { type: 'uint32' as const, data: [n] },
      { type: 'uint32' as const, data: [dim] },
      { type: 'float32' as const, data: [denom] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['out'], ['pred', 'y', 'mask'], 'n: u32, dim: u32, denom: f32')}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < uni.n; i += ${WG}u) {
    let e = pred[i] - y[i];
    acc += e * e * mask[i / uni.dim];
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = part[0] / uni.denom; }
}
`,
  };
}

function backwardProgram(n: number, dim: number, denom: number) {
  const dispatch = dispatch1d(n, 64);
  return {
    name: 'MaskedMseBackward',
    key: 'masked_mse_bwd',
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [n] },
      { type: 'int32' as const, data: [dim] },
      { type: 'float32' as const, data: [denom] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['out'], ['pred', 'y', 'mask', 'dy'], 'n: i32, dim: i32, denom: f32, nx: i32')}
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.n) { return; }
  out[i] = dy[0] / uni.denom * mask[i / uni.dim] * 2.0 * (pred[i] - y[i]);
}
`,
  };
}

type Denom = { denom: number };

const forwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { pred, target, mask } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(pred.shape);
  const dim = pred.shape[pred.shape.length - 1];
  const program = forwardProgram(n, dim, (attrs as unknown as Denom).denom);
  return runRaw(backend, program, [pred, target, mask], [[]])[0];
};

const backwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { pred, target, mask, dy } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(pred.shape);
  const dim = pred.shape[pred.shape.length - 1];
  const program = backwardProgram(n, dim, (attrs as unknown as Denom).denom);
  return runRaw(backend, program, [pred, target, mask, dy], [pred.shape.slice()])[0];
};

const gradConfig: GradConfig = {
  kernelName: MASKED_MSE,
  inputsToSave: ['pred', 'target', 'mask'],
  gradFunc: (dy, saved, attrs) => {
    const [pred, target, mask] = saved;
    return {
      pred: () =>
        tf
          .engine()
          .runKernel(MASKED_MSE_GRAD, { pred, target, mask, dy: dy as tf.Tensor }, attrs) as tf.Tensor,
      target: () => tf.zerosLike(target),
      mask: () => tf.zerosLike(mask),
    };
  },
};

export function registerLossKernels(): void {
  registerKernelOnce({ kernelName: MASKED_MSE, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({ kernelName: MASKED_MSE_GRAD, backendName: 'webgpu', kernelFunc: backwardKernel });
  if (tf.getGradient(MASKED_MSE)) tf.unregisterGradient(MASKED_MSE);
  tf.registerGradient(gradConfig);
}

/**
 * sum(mask (pred - target)^2) / denom, as src/train/losses.ts `maskedMse`: fused on WebGPU, the
 * same plain ops elsewhere. pred, target [B, T, dim]; mask [B, T, 1].
 */
export function fusedMaskedMse(
  pred: tf.Tensor,
  target: tf.Tensor,
  mask: tf.Tensor,
  denom: number,
): tf.Scalar {
  const same = pred.shape.length === target.shape.length && pred.shape.every((d, i) => d === target.shape[i]);
  if (tf.getBackend() !== 'webgpu' || !same)
    return pred.sub(target).square().mul(mask).sum().div(denom) as tf.Scalar;
  return tf.engine().runKernel(MASKED_MSE, { pred, target, mask }, { denom } as never) as tf.Scalar;
}
