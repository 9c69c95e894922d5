/**
 * GPT-2's MLP activation with the bias of c_fc folded in, fused ('IclBiasGelu'):
 *   y = GELU_tanh(x + bias) = 0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3))), a = x + bias,
 * with the tanh argument clamped to +-15 as src/models/ops.ts does (so the gradient is the same:
 * zero slope of the clamp outside). Forward one dispatch; backward one dispatch for dx plus one
 * sum over rows for dbias (linear.ts `columnSum`). Off WebGPU, `fusedBiasGelu` is geluTanh(x + bias).
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

function program(n: number, c: number, backward: boolean) {
  const dispatch = dispatch1d(n, 64);
  const uniforms = [
    { type: 'int32' as const, data: [n] },
    { type: 'int32' as const, data: [c] },
    { type: 'int32' as const, data: [dispatch[0]] },
  ];
  const body = backward
    ? /* wgsl */ `
  let v = GC * (a + 0.044715 * a * a * a);
  let inside = abs(v) <= 15.0;
  let th = tanhc(clamp(v, -15.0, 15.0));
  var dv = 0.0;
  if (inside) { dv = GC * (1.0 + 3.0 * 0.044715 * a * a); }
  out[i] = dy[i] * (0.5 * (1.0 + th) + 0.5 * a * (1.0 - th * th) * dv);`
    : /* wgsl */ `
  let th = tanhc(clamp(GC * (a + 0.044715 * a * a * a), -15.0, 15.0));
  out[i] = 0.5 * a * (1.0 + th);`;
  return {
    name: backward ? 'BiasGeluBackward' : 'BiasGeluForward',
    key: backward ? 'biasgelu_bwd' : 'biasgelu_fwd',
    dispatch,
    uniforms,
    wgsl: () => /* wgsl */ `
${bindings(['out'], backward ? ['x', 'bias', 'dy'] : ['x', 'bias'], 'n: i32, C: i32, nx: i32')}
${COMMON}
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.n) { return; }
  let a = x[i] + bias[i % uni.C];
  ${body}
}
`,
  };
}

const forwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { x, bias } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(x.shape);
  return runRaw(backend, program(n, bias.shape[0], false), [x, bias], [x.shape.slice()])[0];
};

const backwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { x, bias, dy } = inputs as Record<string, TensorInfo>;
  const n = tf.util.sizeFromShape(x.shape);
  return runRaw(backend, program(n, bias.shape[0], true), [x, bias, dy], [x.shape.slice()])[0];
};

const gradConfig: GradConfig = {
  kernelName: BIAS_GELU,
  inputsToSave: ['x', 'bias'],
  gradFunc: (dy, saved) => {
    const [x, bias] = saved;
    const dx = tf.engine().runKernel(BIAS_GELU_GRAD, { x, bias, dy: dy as tf.Tensor }) as tf.Tensor;
    const c = bias.shape[0];
    return { x: () => dx, bias: () => columnSum(dx.reshape([-1, c])) };
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
