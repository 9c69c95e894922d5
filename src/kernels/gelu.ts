/**
 * GPT-2's MLP activation with the bias of c_fc folded in, fused ('IclBiasGelu'):
 *   y = GELU_tanh(x + bias) = 0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3))), a = x + bias,
 * with the tanh argument clamped to +-15 as src/models/ops.ts does (so the gradient is the same:
 * zero slope of the clamp outside). Forward one dispatch; backward one dispatch on WebGPU (dx,
 * and dbias summed over rows by column workgroups of the same program); on wasm the host kernel's
 * dx and a sum over rows (linear.ts `columnSum`). Off WebGPU and wasm, `fusedBiasGelu` is
 * geluTanh(x + bias).
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { geluTanh } from '../models/ops';
import { bindings, FLAT_INDEX, fusedHere, registerKernelOnce } from './common';
import { columnSum } from './linear';
import { dispatch1d, runRaw } from './runner';

export const BIAS_GELU = 'IclBiasGelu';
export const BIAS_GELU_GRAD = 'IclBiasGeluGrad';

const GELU_C = Math.sqrt(2 / Math.PI);

const COMMON = /* wgsl */ `
const GC = ${GELU_C};
fn tanhc(v: f32) -> f32 {
  return tanh(v);
}
`;

/** columns per column workgroup of the backward, and threads per column (rows strided over them) */
const COLS = 8;
const LANES = 32;
const WG = COLS * LANES;

function forwardProgram(n: number, c: number) {
  const dispatch = dispatch1d(n, 64);
  return {
    name: 'BiasGeluForward',
    key: 'biasgelu_fwd',
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [n] },
      { type: 'int32' as const, data: [c] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['out'], ['x', 'bias'], 'n: i32, C: i32, nx: i32')}
${COMMON}
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.n) { return; }
  let a = x[i] + bias[i % uni.C];
  let th = tanhc(clamp(GC * (a + 0.044715 * a * a * a), -15.0, 15.0));
  out[i] = 0.5 * a * (1.0 + th);
}
`,
  };
}

/**
 * The backward in one dispatch of ${WG}-thread workgroups: the first ones one invocation per
 * element of dx, the rest ${COLS} columns each summing dx over all rows for dbias (${LANES}
 * threads per column, the derivative recomputed, then a tree in workgroup memory).
 */
function backwardProgram(n: number, c: number) {
  const dxGroups = Math.ceil(n / WG);
  const dispatch = dispatch1d(dxGroups + Math.ceil(c / COLS), 1);
  return {
    name: 'BiasGeluBackward',
    key: 'biasgelu_bwd1',
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [n] },
      { type: 'int32' as const, data: [c] },
      { type: 'int32' as const, data: [dispatch[0]] },
      { type: 'int32' as const, data: [dxGroups] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['dx', 'db'], ['x', 'bias', 'dy'], 'n: i32, C: i32, nx: i32, dxGroups: i32')}
${COMMON}
${FLAT_INDEX}
var<workgroup> red: array<f32, ${WG}>;
fn grad(i: i32, col: i32) -> f32 {
  let a = x[i] + bias[col];
  let v = GC * (a + 0.044715 * a * a * a);
  let th = tanhc(clamp(v, -15.0, 15.0));
  var dv = 0.0;
  if (abs(v) <= 15.0) { dv = GC * (1.0 + 3.0 * 0.044715 * a * a); }
  return dy[i] * (0.5 * (1.0 + th) + 0.5 * a * (1.0 - th * th) * dv);
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let grp = flatGroup(wid);
  if (grp < uni.dxGroups) {
    let i = grp * ${WG} + lid;
    if (i < uni.n) { dx[i] = grad(i, i % uni.C); }
    return;
  }
  let col = (grp - uni.dxGroups) * ${COLS} + lid % ${COLS};
  let lane = lid / ${COLS};
  let rows = uni.n / uni.C;
  var acc = 0.0;
  if (col < uni.C) {
    for (var r = lane; r < rows; r += ${LANES}) { acc += grad(r * uni.C + col, col); }
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = ${LANES / 2}; s > 0; s = s >> 1u) {
    if (lane < s) { red[lid] += red[lid + s * ${COLS}]; }
    workgroupBarrier();
  }
  if (lane == 0 && col < uni.C) { db[col] = red[lid]; }
}
`,
  };
}

const forwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { x, bias } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(x.shape);
  return runRaw(backend, forwardProgram(n, bias.shape[0]), [x, bias], [x.shape.slice()])[0];
};

const backwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { x, bias, dy } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(x.shape);
  return runRaw(
    backend,
    backwardProgram(n, bias.shape[0]),
    [x, bias, dy],
    [x.shape.slice(), bias.shape.slice()],
  );
};

const gradConfig: GradConfig = {
  kernelName: BIAS_GELU,
  inputsToSave: ['x', 'bias'],
  gradFunc: (dy, saved) => {
    const [x, bias] = saved;
    // WebGPU: [dx, dbias] from one dispatch; wasm (host-kernels.ts): dx, then the column sum
    const out = tf.engine().runKernel(BIAS_GELU_GRAD, { x, bias, dy: dy as tf.Tensor }) as
      | tf.Tensor
      | tf.Tensor[];
    if (Array.isArray(out)) return { x: () => out[0], bias: () => out[1] };
    const c = bias.shape[0];
    return { x: () => out, bias: () => columnSum(out.reshape([-1, c])) };
  },
};

export function registerGeluKernels(): void {
  registerKernelOnce({ kernelName: BIAS_GELU, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({ kernelName: BIAS_GELU_GRAD, backendName: 'webgpu', kernelFunc: backwardKernel });
  if (tf.getGradient(BIAS_GELU)) tf.unregisterGradient(BIAS_GELU);
  tf.registerGradient(gradConfig);
}

/** GELU_tanh(x + bias) (bias over the last axis): fused on WebGPU and wasm, plain ops elsewhere. */
export function fusedBiasGelu(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (!fusedHere(BIAS_GELU)) return geluTanh(x.add(bias));
  return tf.engine().runKernel(BIAS_GELU, { x, bias }) as tf.Tensor;
}
