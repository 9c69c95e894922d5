/**
 * A linear layer as one matmul program, and the sum over rows that its bias gradient needs:
 *   - `fusedLinear(x, weight, transposeWeight, bias?, residual?)` = x W^T (nn.Linear, W [out, in])
 *     or x W (GPT-2 Conv1D, W [in, out]), plus bias [out] and / or a residual [M, out]: tfjs's
 *     fused matMul adds one of them inside the matmul program (the bias, else the residual), so a
 *     biased or residual linear is one dispatch instead of two (both: two instead of three). Its
 *     gradient (dx, dW and the bias's column sum) runs on WebGPU as `linearTuning.backward` says:
 *     two dispatches split over row blocks (default), tfjs's matmuls and a column sum, or one
 *     dispatch (both in linear-grad.ts); the residual's is dy itself.
 *   - `columnSum(x)` ('IclColumnSum'): [M, N] -> [N], one dispatch on WebGPU (tfjs's sum over
 *     axis 0 is a transpose and a reduction); plain `tf.sum(x, 0)` on the other backends.
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { selectPositions } from '../models/ops';
import { bindings, registerKernelOnce, registerReference, viaOps } from './common';
import { LINEAR_GRAD, linearRowsProgram, type RowMap, registerLinearGradKernel } from './linear-grad';
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
  registerKernelOnce({ kernelName: LINEAR, backendName: 'webgpu', kernelFunc: linearKernel });
  registerLinearGradKernel();
  registerKernelOnce({ kernelName: LINEAR_ROWS, backendName: 'webgpu', kernelFunc: linearRowsKernel });
  for (const config of [linearGrad, linearRowsGrad]) {
    if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(config);
  }
  registerReference(COLUMN_SUM, ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.Tensor2D };
    return viaOps(backend as tf.KernelBackend, () => [tf.sum(x, 0)])[0];
  });
}

/** Sum over the rows of [M, N] -> [N] (no gradient: used inside gradients). */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  return tf.engine().runKernel(COLUMN_SUM, { x }) as tf.Tensor1D;
}

export const LINEAR = 'IclLinear';

type LinearAttrs = { transposeWeight: boolean; keep: boolean; bias: boolean };

/**
 * WebGPU: tfjs's fused matMul with the bias, else the residual, as its bias input; with `keep`,
 * x itself as a second output (no copy).
 */
const linearKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias, residual } = inputs as Record<string, tf.Tensor2D | undefined>;
  const { transposeWeight: transposeB, keep } = attrs as unknown as LinearAttrs;
  const [y] = viaOps(backend as tf.KernelBackend, () => {
    const v = tf.fused.matMul({ a: x!, b: weight!, transposeB, bias: bias ?? residual });
    return [bias && residual ? v.add(residual) : v];
  });
  if (!keep) return y;
  (backend as tf.KernelBackend).incRef(x!.dataId);
  return [y, { dataId: x!.dataId, shape: x!.shape.slice(), dtype: x!.dtype }];
};

/**
 * How a linear layer's backward runs on WebGPU:
 *   - 'matmuls': tfjs's matmul programs (split-K where the reduction is long) for dx and
 *     dW, and one column sum for the bias: ~3 dispatches.
 *   - 'one-dispatch': `IclLinearGrad` (linear-grad.ts), dx, dW and db in one program. Timed on the
 *     H200 at paper size (bench/RESULTS.md, 2026-12-03 17:56 UTC): fewer dispatches per step
 *     (Transformer 52, MambaFormer 71) but more GPU time (9.05 and 13.52 ms, against 5.25 and 10.66
 *     ms an hour earlier with the matmuls): its dW workgroups, one per 32 x 32 tile of the weight,
 *     each reduce over all B L rows, too few of them for a large GPU.
 *   - 'split-rows': the same program with dW's reduction cut into row blocks (enough for ~4
 *     workgroups per SM of an H200) and summed by one more small program: 2 dispatches (1 where a
 *     single block suffices); linear-grad.ts has the arithmetic. The default: timed fastest of the three
 *     on the H200 at paper size in one call (bench/RESULTS.md, 2026-12-03 21:35 UTC): Transformer
 *     4.37 ms (matmuls 6.70, one-dispatch 8.21), Mamba 4.96 (6.40, 11.48), MambaFormer 6.07 (7.22,
 *     13.39).
 * The read-out (`fusedLinearRows`) backward is `IclLinearGrad` in every form: split over row
 * blocks with 'split-rows', one dispatch otherwise.
 */
export const linearTuning = { backward: 'split-rows' as LinearBackward };

/** the forms of `linearTuning.backward`, default first */
export const LINEAR_BACKWARDS = ['split-rows', 'matmuls', 'one-dispatch'] as const;
export type LinearBackward = (typeof LINEAR_BACKWARDS)[number];

/**
 * With 'one-dispatch' or 'split-rows' on WebGPU, the whole backward (`IclLinearGrad`: dx with the
 * kept x's gradient added, dW in W's layout, and the bias's column sum) runs when the tape reaches
 * this node: its results are handed out by the closures (a result the tape does not ask for, such
 * as dx of the read-in's tokens, is released with the backward's scope). Elsewhere (and without
 * dy): tfjs's matMul gradient (the same two matmuls), the bias's as one column sum, the residual's
 * dy, each computed only when the tape asks for it.
 */
const linearGrad: GradConfig = {
  kernelName: LINEAR,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dys, saved, attrs) => {
    const [x, w] = saved as tf.Tensor2D[];
    const { transposeWeight: t, keep, bias: hasBias } = attrs as unknown as LinearAttrs;
    const [d, dKept] = (keep ? dys : [dys]) as Array<tf.Tensor2D | null>;
    // (the tape hands null for an output outside the backward's graph: y unread, only the kept x's
    // gradient flows back)
    const n = w.shape[t ? 0 : 1];
    return linearBackward(x, w, d ?? tf.zeros([x.shape[0], n]), t, hasBias, dKept);
  },
};

/**
 * The gradients of y = x W^T (or x W) + bias (+ residual) for dy: dx (plus `dKept`, the gradient of
 * x from another consumer, added in dx's matmul), dW, db and the residual's (dy itself), as closures
 * for the tape. On WebGPU with the 'one-dispatch' or 'split-rows' form the whole backward
 * (`IclLinearGrad`) runs now; otherwise each is computed when asked for.
 */
export function linearBackward(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  dy: tf.Tensor2D,
  t: boolean,
  hasBias: boolean,
  dKept: tf.Tensor2D | null = null,
): { x: () => tf.Tensor; weight: () => tf.Tensor; bias: () => tf.Tensor; residual: () => tf.Tensor } {
  const form = linearTuning.backward;
  if (tf.getBackend() === 'webgpu' && form !== 'matmuls') {
    const inputs: tf.NamedTensorMap = dKept ? { x, weight: w, dy, dkept: dKept } : { x, weight: w, dy };
    const [dx, dw, db] = tf.engine().runKernel(LINEAR_GRAD, inputs, {
      transposeWeight: t,
      bias: hasBias,
      splitRows: form === 'split-rows',
    } as never) as tf.Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db, residual: () => dy.reshape(dy.shape) };
  }
  return {
    x: () => tf.fused.matMul({ a: dy, b: w, transposeB: !t, bias: dKept ?? undefined }),
    weight: () => (t ? tf.matMul(dy, x, true, false) : tf.matMul(x, dy, true, false)),
    bias: () => columnSum(dy),
    residual: () => dy.reshape(dy.shape),
  };
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
  const inputs: tf.NamedTensorMap = { x, weight };
  if (bias) inputs.bias = bias;
  if (residual) inputs.residual = residual;
  return tf.engine().runKernel(LINEAR, inputs, {
    transposeWeight,
    keep: false,
    bias: bias !== undefined,
  } as never) as tf.Tensor2D;
}

/**
 * [x W^T (or x W), x]: x handed on for another consumer, whose gradient is then added to dx in
 * dx's matmul instead of by a separate add. Off WebGPU: [plain matMul, x].
 */
export function fusedLinearKeep(
  x: tf.Tensor2D,
  weight: tf.Tensor2D,
  transposeWeight: boolean,
): [tf.Tensor2D, tf.Tensor2D] {
  if (tf.getBackend() !== 'webgpu') return [tf.matMul(x, weight, false, transposeWeight), x];
  const [y, kept] = tf
    .engine()
    .runKernel(LINEAR, { x, weight }, { transposeWeight, keep: true, bias: false } as never) as tf.Tensor2D[];
  return [y, kept];
}

export const LINEAR_ROWS = 'IclLinearRows';

type LinearRowsAttrs = { transposeWeight: boolean; bias: boolean; rows: RowMap };

/** x [B L, K], weight, bias? -> [B n, out]: the read-out of the rows of the row map, one dispatch */
const linearRowsKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias } = inputs as Record<string, TensorInfo | undefined>;
  const { transposeWeight: t, rows } = attrs as unknown as LinearRowsAttrs;
  const k = x!.shape[1];
  const out = weight!.shape[t ? 0 : 1];
  const m = (x!.shape[0] / rows.l) * rows.n;
  const program = linearRowsProgram(m, k, out, t, bias !== undefined, rows);
  return runRaw(backend, program, bias ? [x!, weight!, bias] : [x!, weight!], [[m, out]])[0];
};

/** the row-mapped backward: dx over all B L rows (zeros where no row is read), dW, the bias's sum */
const linearRowsGrad: GradConfig = {
  kernelName: LINEAR_ROWS,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy, saved, attrs) => {
    const [x, w] = saved as tf.Tensor2D[];
    const { transposeWeight, bias, rows } = attrs as unknown as LinearRowsAttrs;
    const [dx, dw, db] = tf.engine().runKernel(LINEAR_GRAD, { x, weight: w, dy: dy as tf.Tensor }, {
      transposeWeight,
      bias,
      rows,
      splitRows: linearTuning.backward === 'split-rows',
    } as never) as tf.Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db };
  },
};

/** The rows start, start + stride, ... (count of them) of each sequence. */
export interface EvenRows {
  start: number;
  stride: number;
  count: number;
}

/**
 * A read-out at evenly spaced positions: x [B, L, in] at positions start + i stride (i < count)
 * times the weight (layouts as `fusedLinear`) plus bias -> [B, count, out]. On WebGPU one dispatch
 * reading the rows in place (no slice), and one for the whole backward (no pad); elsewhere
 * selectPositions and the plain linear.
 */
export function fusedLinearRows(
  x: tf.Tensor3D,
  rows: EvenRows,
  weight: tf.Tensor2D,
  transposeWeight: boolean,
  bias?: tf.Tensor,
): tf.Tensor3D {
  const [b, l, k] = x.shape;
  const { start, stride, count } = rows;
  if (count < 1 || stride < 1 || start < 0 || start + (count - 1) * stride >= l)
    throw new Error(`read-out rows ${start} + i ${stride}, i < ${count}, outside ${l}`);
  const out = weight.shape[transposeWeight ? 0 : 1];
  if (tf.getBackend() !== 'webgpu') {
    const positions = Int32Array.from({ length: count }, (_, i) => start + i * stride);
    const xs = selectPositions(x, positions).reshape([b * count, k]) as tf.Tensor2D;
    return fusedLinear(xs, weight, transposeWeight, bias).reshape([b, count, out]);
  }
  const inputs: tf.NamedTensorMap = { x: x.reshape([b * l, k]), weight };
  if (bias) inputs.bias = bias;
  const attrs = { transposeWeight, bias: bias !== undefined, rows: { l, n: count, start, stride } };
  const y = tf.engine().runKernel(LINEAR_ROWS, inputs, attrs as never) as tf.Tensor2D;
  return y.reshape([b, count, out]);
}
