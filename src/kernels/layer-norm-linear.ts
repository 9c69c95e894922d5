/**
 * LayerNorm and the linear layer that reads it, as one forward program ('IclLayerNormLinear').
 *
 * Every block of the models starts with y = LN(h) W (+ b): Mamba's in_proj, the attention's
 * c_attn, GPT-2's c_attn and c_fc. Apart, that is two dispatches (LayerNorm's, then the matmul's);
 * here one: each workgroup owns a tile of 64 rows x 64 columns of y, computes its rows' mean and
 * 1 / std (4 threads a row, two passes as torch), and normalises x as it loads it into the matmul's
 * tiles. The workgroups of the first column tile also write what the backward needs and what the
 * residual stream reads on: LN(h) itself (the linear's input, for dW), each row's stats [rows, 2],
 * and, with a `shift`, h + shift (the residual with the bias of the matmul that will add it; without,
 * the kept output is h itself, no copy).
 *
 * The backward is the two programs it was: the linear's (linear.ts, dW from the saved LN(h), dx = dLN)
 * and LayerNorm's one-dispatch backward from the saved stats (layer-norm.ts), which adds the residual's
 * gradient. Every workgroup of a row tile computes the same stats in the same order, so the values
 * the matmul used are the values written for the backward.
 *
 * Off WebGPU, `fusedLayerNormLinear` is the two kernels it replaces (`fusedLayerNormKeep`, then
 * `fusedLinear`).
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { LAYER_NORM_EPS } from '../models/ops';
import { bindings, FLAT_INDEX, registerKernelOnce } from './common';
import {
  fusedLayerNorm,
  fusedLayerNormKeep,
  LAYER_NORM_STATS_GRAD,
  backwardProgram as layerNormBackwardProgram,
  layerNormStatsBackward,
} from './layer-norm';
import { type EvenRows, fusedLinear, fusedLinearRows, linearBackward } from './linear';
import { ROW_MAP_UNIFORMS, type RowMap, rowMapUniforms, rowMapWgsl } from './linear-grad';
import { dispatch1d, maxStorageBuffers, runRaw } from './runner';
import { THREADS, TILE_DECLARATIONS, TM, TN, tiledMatmul } from './tiled-matmul';

export const LAYER_NORM_LINEAR = 'IclLayerNormLinear';
/** the model's final LayerNorm and its read-out at evenly spaced rows: only the rows read normalised */
export const LAYER_NORM_LINEAR_ROWS = 'IclLayerNormLinearRows';
/** its backward in one program: LayerNorm's with the read-out folded in (layer-norm.ts) */
export const LAYER_NORM_LINEAR_ROWS_GRAD = 'IclLayerNormLinearRowsGrad';

/** threads per row for the stats (THREADS / TM) */
const STAT_LANES = THREADS / TM;

/**
 * Whether the models fold LayerNorm into the next linear on WebGPU (off: two programs, to compare),
 * and whether the final LayerNorm + read-out's backward is one program (off: the read-out's linear
 * backward, then LayerNorm's).
 */
export const layerNormLinearTuning = { fold: true, foldRowsBackward: true };

/**
 * y [M, N] = LN(x) W (+ bias), with n = LN(x) [M, K], stats [M, 2] (and kept = x + shift [M, K]).
 * W is [N, K] with `transposeWeight` (nn.Linear), else [K, N] (GPT-2 Conv1D). With `rows` (a
 * read-out at evenly spaced positions), row r of y, n and stats is x's row xrow(r): only the rows
 * read are normalised.
 */
export function layerNormLinearProgram(
  m: number,
  k: number,
  n: number,
  transposeWeight: boolean,
  bias: boolean,
  shift: boolean,
  rows?: RowMap,
) {
  const colTiles = Math.ceil(n / TN);
  const dispatch = dispatch1d(colTiles * Math.ceil(m / TM), 1);
  const outputs = shift ? ['y', 'normed', 'stats', 'kept'] : ['y', 'normed', 'stats'];
  const inputs = ['x', 'gamma', 'beta', 'w', ...(bias ? ['bias'] : []), ...(shift ? ['shift'] : [])];
  return {
    name: 'LayerNormLinear',
    key: `lnlin_${transposeWeight ? 't' : 'n'}${bias ? 'b' : ''}${shift ? 's' : ''}${rows ? 'r' : ''}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [m] },
      { type: 'int32' as const, data: [k] },
      { type: 'int32' as const, data: [n] },
      { type: 'int32' as const, data: [colTiles] },
      { type: 'int32' as const, data: [dispatch[0]] },
      { type: 'float32' as const, data: [LAYER_NORM_EPS] },
      ...(rows ? rowMapUniforms(rows, m) : []),
    ],
    wgsl: () => /* wgsl */ `
${bindings(outputs, inputs, `M: i32, K: i32, N: i32, colTiles: i32, nx: i32, eps: f32${rows ? `, ${ROW_MAP_UNIFORMS}` : ''}`)}
${FLAT_INDEX}
${rowMapWgsl(rows !== undefined)}
${TILE_DECLARATIONS}var<workgroup> red: array<f32, ${THREADS}>;
var<workgroup> rowMean: array<f32, ${TM}>;
var<workgroup> rowRstd: array<f32, ${TM}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let g = flatGroup(wid);
  let colTile = g % uni.colTiles;
  let row0 = (g / uni.colTiles) * ${TM};
  if (row0 >= uni.M) { return; }
  let col0 = colTile * ${TN};
  let K = uni.K;
  let first = colTile == 0;

  // each row's mean, then 1 / std from the centred squares (torch's two passes)
  let sr = lid / ${STAT_LANES};
  let sl = lid % ${STAT_LANES};
  let srow = row0 + sr;
  var s = 0.0;
  if (srow < uni.M) { for (var c = sl; c < K; c += ${STAT_LANES}) { s += x[xrow(srow) * K + c]; } }
  red[lid] = s;
  workgroupBarrier();
  if (sl == 0) {
    var t = red[lid];
    for (var q = 1; q < ${STAT_LANES}; q++) { t += red[lid + q]; }
    rowMean[sr] = t / f32(K);
  }
  workgroupBarrier();
  let mean = rowMean[sr];
  var v = 0.0;
  if (srow < uni.M) {
    for (var c = sl; c < K; c += ${STAT_LANES}) { let d = x[xrow(srow) * K + c] - mean; v += d * d; }
  }
  red[lid] = v;
  workgroupBarrier();
  if (sl == 0) {
    var t = red[lid];
    for (var q = 1; q < ${STAT_LANES}; q++) { t += red[lid + q]; }
    let rstd = inverseSqrt(t / f32(K) + uni.eps);
    rowRstd[sr] = rstd;
    if (first && srow < uni.M) {
      stats[2 * srow] = mean;
      stats[2 * srow + 1] = rstd;
    }
  }
  workgroupBarrier();

  // the matmul, x normalised as it is loaded
${tiledMatmul(
  `if (row < uni.M && kx < K) {
        let xv = x[xrow(row) * K + kx];
        a = (xv - rowMean[r]) * rowRstd[r] * gamma[kx] + beta[kx];
        if (first) {
          normed[row * K + kx] = a;
          ${shift ? 'kept[row * K + kx] = xv + shift[kx];' : ''}
        }
      }`,
  transposeWeight,
  bias,
)}
}
`,
  };
}

type LayerNormLinearAttrs = { transposeWeight: boolean; bias: boolean; shift: boolean };

/** [y, n, stats, kept]: kept is x + shift (written here) or x itself */
const forwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, lnWeight, lnBias, weight, bias, shift } = inputs as Record<string, TensorInfo | undefined>;
  const { transposeWeight: t } = attrs as unknown as LayerNormLinearAttrs;
  const k = x!.shape[x!.shape.length - 1];
  const m = tf.util.sizeFromShape(x!.shape) / k;
  const n = weight!.shape[t ? 0 : 1];
  const program = layerNormLinearProgram(m, k, n, t, bias !== undefined, shift !== undefined);
  const ins = [x!, lnWeight!, lnBias!, weight!, ...(bias ? [bias] : []), ...(shift ? [shift] : [])];
  const outs = [[m, n], [m, k], [m, 2], ...(shift ? [[m, k]] : [])];
  const [y, normed, stats, kept] = runRaw(backend, program, ins, outs);
  if (kept) return [y, normed, stats, kept];
  (backend as tf.KernelBackend).incRef(x!.dataId);
  return [y, normed, stats, { dataId: x!.dataId, shape: [m, k], dtype: x!.dtype }];
};

/** The backward: the linear's from the saved LN(x), then LayerNorm's from the saved stats. */
const gradConfig: GradConfig = {
  kernelName: LAYER_NORM_LINEAR,
  inputsToSave: ['x', 'lnWeight', 'weight'],
  outputsToSave: [false, true, true, false],
  gradFunc: (dys, saved, attrs) => {
    const [x, lnWeight, weight, normed, stats] = saved as tf.Tensor2D[];
    const { transposeWeight: t, bias, shift } = attrs as unknown as LayerNormLinearAttrs;
    // (the tape hands null for an output outside the backward's graph; LN(x) has no other reader)
    const [dy, , , dkept] = dys as Array<tf.Tensor2D | null>;
    const n = weight.shape[t ? 0 : 1];
    const lin = linearBackward(normed, weight, dy ?? tf.zeros([x.shape[0], n]), t, bias);
    const ln = layerNormStatsBackward(x, lnWeight, stats, lin.x(), dkept, shift);
    return {
      x: ln.x,
      lnWeight: ln.weight,
      lnBias: ln.bias,
      weight: lin.weight,
      bias: lin.bias,
      shift: ln.shift,
    };
  },
};

type RowsAttrs = { transposeWeight: boolean; bias: boolean; rows: RowMap };

/** x [B L, K] -> [y [B n, N], LN(x) at the rows read [B n, K], their stats [B n, 2]] */
const rowsForwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, lnWeight, lnBias, weight, bias } = inputs as Record<string, TensorInfo | undefined>;
  const { transposeWeight: t, rows } = attrs as unknown as RowsAttrs;
  const k = x!.shape[1];
  const m = (x!.shape[0] / rows.l) * rows.n;
  const n = weight!.shape[t ? 0 : 1];
  const program = layerNormLinearProgram(m, k, n, t, bias !== undefined, false, rows);
  const ins = [x!, lnWeight!, lnBias!, weight!, ...(bias ? [bias] : [])];
  return runRaw(backend, program, ins, [
    [m, n],
    [m, k],
    [m, 2],
  ]);
};

/**
 * x, lnWeight, stats, dy [rows read, out], weight, LN(x) at the rows read -> [dx, dlnWeight,
 * dlnBias, dweight, dbias?]: LayerNorm's one-dispatch backward with the read-out folded in.
 */
const rowsBackwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, lnWeight, stats, dy, weight, normed } = inputs as Record<string, TensorInfo>;
  const { transposeWeight: t, bias, rows } = attrs as unknown as RowsAttrs;
  const [xRows, k] = x.shape;
  const [m, n] = dy.shape;
  const program = layerNormBackwardProgram(m, k, false, false, { xRows, rows }, { out: n, t, bias });
  return runRaw(
    backend,
    program,
    [x, lnWeight, stats, dy, weight, normed],
    [[xRows, k], [k], [k], weight.shape.slice(), ...(bias ? [[n]] : [])],
  );
};

/** storage buffers of that program: 5 outputs (4 without the bias) and 6 inputs */
const ROWS_BACKWARD_BUFFERS = 11;

/**
 * One program where the device binds its buffers (`layerNormLinearTuning.foldRowsBackward`): LayerNorm's
 * backward reading dLN(x) as dy W, with the read-out's dW and db as more column sums; else the
 * linear's backward on the rows read, then LayerNorm's over x's rows (zero where none is read).
 */
const rowsGradConfig: GradConfig = {
  kernelName: LAYER_NORM_LINEAR_ROWS,
  inputsToSave: ['x', 'lnWeight', 'weight'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, lnWeight, weight, normed, stats] = saved as tf.Tensor2D[];
    const { transposeWeight: t, bias, rows } = attrs as unknown as RowsAttrs;
    const [dy] = dys as Array<tf.Tensor2D | null>;
    const n = weight.shape[t ? 0 : 1];
    const dyRows = dy ?? tf.zeros([normed.shape[0], n]);
    if (
      layerNormLinearTuning.foldRowsBackward &&
      maxStorageBuffers(tf.backend()) >= ROWS_BACKWARD_BUFFERS - (bias ? 0 : 1)
    ) {
      const [dx, dw, db, dW, dB] = tf
        .engine()
        .runKernel(LAYER_NORM_LINEAR_ROWS_GRAD, { x, lnWeight, stats, dy: dyRows, weight, normed }, {
          transposeWeight: t,
          bias,
          rows,
        } as never) as tf.Tensor[];
      const grads: Record<string, () => tf.Tensor> = {
        x: () => dx,
        lnWeight: () => dw,
        lnBias: () => db,
        weight: () => dW,
      };
      if (dB) grads.bias = () => dB;
      return grads;
    }
    const lin = linearBackward(normed, weight, dyRows, t, bias);
    const [dx, dw, db] = tf
      .engine()
      .runKernel(LAYER_NORM_STATS_GRAD, { x, weight: lnWeight, stats, dy: lin.x() }, {
        shiftSum: false,
        rows,
      } as never) as tf.Tensor[];
    return { x: () => dx, lnWeight: () => dw, lnBias: () => db, weight: lin.weight, bias: lin.bias };
  },
};

export function registerLayerNormLinearKernels(): void {
  registerKernelOnce({ kernelName: LAYER_NORM_LINEAR, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({
    kernelName: LAYER_NORM_LINEAR_ROWS,
    backendName: 'webgpu',
    kernelFunc: rowsForwardKernel,
  });
  registerKernelOnce({
    kernelName: LAYER_NORM_LINEAR_ROWS_GRAD,
    backendName: 'webgpu',
    kernelFunc: rowsBackwardKernel,
  });
  for (const config of [gradConfig, rowsGradConfig]) {
    if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(config);
  }
}

/**
 * The model's final LayerNorm and a read-out at evenly spaced positions: x [B, L, K] -> LN(x) at rows
 * start + i stride (i < count) times the weight (layouts as `fusedLinear`) plus bias -> [B, count, out].
 * One program on WebGPU (with `layerNormLinearTuning.fold`) normalising only the rows read; elsewhere
 * the LayerNorm and read-out kernels (`fusedLayerNorm`, `fusedLinearRows`).
 */
export function fusedLayerNormLinearRows(
  x: tf.Tensor3D,
  rows: EvenRows,
  lnWeight: tf.Tensor,
  lnBias: tf.Tensor,
  weight: tf.Tensor2D,
  transposeWeight: boolean,
  bias?: tf.Tensor,
): tf.Tensor3D {
  const [b, l, k] = x.shape;
  const { start, stride, count } = rows;
  if (tf.getBackend() !== 'webgpu' || !layerNormLinearTuning.fold)
    return fusedLinearRows(
      fusedLayerNorm(x, lnWeight, lnBias) as tf.Tensor3D,
      rows,
      weight,
      transposeWeight,
      bias,
    );
  if (count < 1 || stride < 1 || start < 0 || start + (count - 1) * stride >= l)
    throw new Error(`read-out rows ${start} + i ${stride}, i < ${count}, outside ${l}`);
  const out = weight.shape[transposeWeight ? 0 : 1];
  const inputs: tf.NamedTensorMap = { x: x.reshape([b * l, k]), lnWeight, lnBias, weight };
  if (bias) inputs.bias = bias;
  const attrs = { transposeWeight, bias: bias !== undefined, rows: { l, n: count, start, stride } };
  const [y, normed, stats] = tf
    .engine()
    .runKernel(LAYER_NORM_LINEAR_ROWS, inputs, attrs as never) as tf.Tensor2D[];
  normed.dispose();
  stats.dispose();
  return y.reshape([b, count, out]);
}

/**
 * [LN(x) W (+ bias), x (+ shift)] for x [M, K], the LayerNorm's weight and bias [K], W as `fusedLinear`
 * takes it: one program on WebGPU (with `layerNormLinearTuning.fold`), the LayerNorm and linear
 * kernels elsewhere. The second output is the residual stream, handed on (its gradient comes back
 * to the LayerNorm's backward).
 */
export function fusedLayerNormLinear(
  x: tf.Tensor2D,
  lnWeight: tf.Tensor,
  lnBias: tf.Tensor,
  weight: tf.Tensor2D,
  transposeWeight: boolean,
  bias?: tf.Tensor,
  shift?: tf.Tensor,
): [tf.Tensor2D, tf.Tensor2D] {
  if (tf.getBackend() !== 'webgpu' || !layerNormLinearTuning.fold) {
    const [normed, kept] = fusedLayerNormKeep(x, lnWeight, lnBias, shift);
    return [fusedLinear(normed as tf.Tensor2D, weight, transposeWeight, bias), kept as tf.Tensor2D];
  }
  const inputs: tf.NamedTensorMap = { x, lnWeight, lnBias, weight };
  if (bias) inputs.bias = bias;
  if (shift) inputs.shift = shift;
  const attrs = { transposeWeight, bias: bias !== undefined, shift: shift !== undefined };
  const [y, normed, stats, kept] = tf
    .engine()
    .runKernel(LAYER_NORM_LINEAR, inputs, attrs as never) as tf.Tensor2D[];
  // the tape keeps its own references for the backward
  normed.dispose();
  stats.dispose();
  return [y, kept];
}
