/**
 * A linear layer as one matmul program, and the sum over rows that its bias gradient needs:
 *   - `fusedLinear(x, weight, transposeWeight, bias?, residual?)` = x W^T (nn.Linear, W [out, in])
 *     or x W (GPT-2 Conv1D, W [in, out]), plus bias [out] and / or a residual [M, out]: tfjs's
 *     fused matMul adds one of them inside the matmul program (the bias, else the residual), so a
 *     biased or residual linear is one dispatch instead of two (both: two instead of three). Its
 *     gradient is tfjs's matMul gradient (the same two matmuls), the residual's is dy itself, and
 *     the bias's is `columnSum(dy)`.
 *   - `columnSum(x)` ('IclColumnSum'): [M, N] -> [N], one dispatch on WebGPU (tfjs's sum over
 *     axis 0 is a transpose and a reduction); plain `tf.sum(x, 0)` on the other backends.
 */

import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { bindings, registerKernelOnce, registerReference, viaOps } from './common';
import { runRaw } from './runner';

export const COLUMN_SUM = 'IclColumnSum';

/** columns per workgroup, and threads per column (rows are strided over them) */
const COLS = 8;
const LANES = 32;

function columnSumProgram(m: number, n: number) {
  return {
    name: 'ColumnSum',
    key: 'colsum',
    dispatch: [Math.ceil(n / COLS), 1, 1] as [number, number, number],
    uniforms: [
      { type: 'uint32' as const, data: [m] },
      { type: 'uint32' as const, data: [n] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['out'], ['x'], 'm: u32, n: u32')}
var<workgroup> part: array<f32, ${COLS * LANES}>;
@compute @workgroup_size(${COLS * LANES})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let col = wid.x * ${COLS}u + lid % ${COLS}u;
  let lane = lid / ${COLS}u;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  if (col < uni.n) {
    var r = lane;
    for (; r + ${3 * LANES}u < uni.m; r += ${4 * LANES}u) {
      a0 += x[r * uni.n + col];
      a1 += x[(r + ${LANES}u) * uni.n + col];
      a2 += x[(r + ${2 * LANES}u) * uni.n + col];
      a3 += x[(r + ${3 * LANES}u) * uni.n + col];
    }
    for (; r < uni.m; r += ${LANES}u) { a0 += x[r * uni.n + col]; }
  }
  part[lid] = (a0 + a1) + (a2 + a3);
  workgroupBarrier();
  for (var s = ${LANES / 2}u; s > 0u; s = s >> 1u) {
    if (lane < s) { part[lid] += part[lid + s * ${COLS}u]; }
    workgroupBarrier();
  }
  if (lane == 0u && col < uni.n) { out[col] = part[lid]; }
}
`,
  };
}

const columnSumKernel: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as Record<string, TensorInfo>;
  const [m, n] = x.shape;
  return runRaw(backend, columnSumProgram(m, n), [x], [[n]])[0];
};

export function registerLinearKernels(): void {
  registerKernelOnce({ kernelName: COLUMN_SUM, backendName: 'webgpu', kernelFunc: columnSumKernel });
  registerReference(COLUMN_SUM, ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.Tensor2D };
    return viaOps(backend as tf.KernelBackend, () => [tf.sum(x, 0)])[0];
  });
}

/** Sum over the rows of [M, N] -> [N] (no gradient: used inside gradients). */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  return tf.engine().runKernel(COLUMN_SUM, { x }) as tf.Tensor1D;
}

type LinearFn = (...args: tf.Tensor[]) => tf.Tensor;
const linearFns = new Map<string, LinearFn>();

/** The custom-gradient function of one combination of (transposed weight, bias, residual). */
function linearFn(transposeWeight: boolean, withBias: boolean, withResidual: boolean): LinearFn {
  const key = `${transposeWeight}_${withBias}_${withResidual}`;
  let f = linearFns.get(key);
  if (f) return f;
  f = tf.customGrad((...args: unknown[]) => {
    const save = args.pop() as (ts: tf.Tensor[]) => void;
    const [x, w, ...rest] = args as tf.Tensor2D[];
    const bias = withBias ? rest[0] : undefined;
    const residual = withResidual ? rest[withBias ? 1 : 0] : undefined;
    save([x, w]);
    let value = tf.fused.matMul({ a: x, b: w, transposeB: transposeWeight, bias: bias ?? residual });
    if (bias && residual) value = value.add(residual);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      const grads: tf.Tensor[] = transposeWeight
        ? [tf.matMul(dy2, sw, false, false), tf.matMul(dy2, sx, true, false)]
        : [tf.matMul(dy2, sw, false, true), tf.matMul(sx, dy2, true, false)];
      if (withBias) grads.push(columnSum(dy2));
      if (withResidual) grads.push(dy2);
      return grads;
    };
    return { value, gradFunc };
  }) as unknown as LinearFn;
  linearFns.set(key, f);
  return f;
}

/**
 * x [M, in] times the weight (transposed: nn.Linear's [out, in]; else GPT-2 Conv1D's [in, out]),
 * plus bias [out] and residual [M, out] when given -> [M, out]. Fused on WebGPU; plain matMul and
 * adds elsewhere (tfjs 4.22's wasm fused matMul adds the bias wrongly with a transposed weight,
 * and takes no bias of rank 2).
 */
export function fusedLinear(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  transposeWeight: boolean,
  bias?: tf.Tensor,
  residual?: tf.Tensor2D,
): tf.Tensor2D {
  if (tf.getBackend() !== 'webgpu') {
    let y: tf.Tensor = tf.matMul(x, weight, false, transposeWeight);
    if (bias) y = y.add(bias);
    return (residual ? residual.add(y) : y) as tf.Tensor2D;
  }
  if (!bias && !residual) return tf.matMul(x, weight, false, transposeWeight);
  const inputs: tf.Tensor[] = [x, weight];
  if (bias) inputs.push(bias);
  if (residual) inputs.push(residual);
  return linearFn(transposeWeight, bias !== undefined, residual !== undefined)(...inputs) as tf.Tensor2D;
}
