/**
 * LayerNorm over the last axis (torch.nn.LayerNorm, biased variance, eps 1e-5), fused.
 * On WebGPU:
 *   forward  'IclLayerNormStats'      one dispatch, one invocation per row; a second output, each
 *            row's mean and 1 / std [rows, 2], is saved for the backward (and released otherwise);
 *   backward 'IclLayerNormStatsGrad'  ONE dispatch: workgroups of 64 rows, one invocation per row,
 *            computing dx = rstd (dy w - mean(dy w) - xhat mean(dy w xhat)), beside workgroups of
 *            2 columns summing dy xhat (dweight) and dy (dbias) over all rows from the saved stats.
 * On wasm (host-kernels.ts) 'IclLayerNorm' / 'IclLayerNormKeep' / 'IclLayerNormGrad', the same
 * maths without stats. Elsewhere `fusedLayerNorm` is the plain-ops LayerNorm of src/models/ops.ts.
 *
 * The Keep variants ('IclLayerNormStatsKeep', 'IclLayerNormKeep') have a second output: the input,
 * handed on (no copy) for the residual stream. The residual's gradient then comes back to this
 * kernel, whose backward adds it to dx in the same dispatch, instead of tfjs adding the two
 * gradients of the input. With a `shift` [C] input, the second output is x + shift instead
 * (written by the forward dispatch): the bias of the matmul that adds the residual, so that matmul
 * needs no second add; the shift's gradient (the sum of the residual's gradient over rows) is then
 * a third column sum of the same backward dispatch where the device binds 9 storage buffers
 * (else one `columnSum` dispatch more).
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { LAYER_NORM_EPS, layerNorm } from '../models/ops';
import { bindings, FLAT_INDEX, fusedHere, registerKernelOnce } from './common';
import { columnSum } from './linear';
import { ROW_MAP_UNIFORMS, type RowMap, rowMapUniforms, rowMapWgsl } from './linear-grad';
import { dispatch1d, maxStorageBuffers, runRaw } from './runner';

export const LAYER_NORM = 'IclLayerNorm';
export const LAYER_NORM_GRAD = 'IclLayerNormGrad';
export const LAYER_NORM_KEEP = 'IclLayerNormKeep';
/** WebGPU: the forward with each row's stats as a last output, and its one-dispatch backward */
export const LAYER_NORM_STATS = 'IclLayerNormStats';
export const LAYER_NORM_STATS_KEEP = 'IclLayerNormStatsKeep';
export const LAYER_NORM_STATS_GRAD = 'IclLayerNormStatsGrad';

const ROWS = 64; // rows per workgroup (forward, and the backward's dx workgroups)
const COLS = 2; // columns per column workgroup of the backward
const LANES = ROWS / COLS; // threads per column (rows are strided over them)

/**
 * y = LayerNorm(x) (+ kept = x + shift), and each row's mean and 1 / std as stats [rows, 2] for
 * the backward (so that its column sums need not recompute them).
 */
function forwardProgram(rows: number, c: number, shift: boolean) {
  const dispatch = dispatch1d(rows, ROWS);
  return {
    name: 'LayerNormForward',
    key: shift ? 'lnfwd_stats_shift' : 'lnfwd_stats',
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [rows] },
      { type: 'int32' as const, data: [c] },
      { type: 'int32' as const, data: [dispatch[0]] },
      { type: 'float32' as const, data: [LAYER_NORM_EPS] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(shift ? ['y', 'kept', 'stats'] : ['y', 'stats'], shift ? ['x', 'w', 'b', 'shift'] : ['x', 'w', 'b'], 'rows: i32, C: i32, nx: i32, eps: f32')}
${FLAT_INDEX}
@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = flatGroup(wid) * ${ROWS} + i32(lid);
  if (row >= uni.rows) { return; }
  let C = uni.C;
  let o = row * C;
  var s = 0.0;
  for (var c = 0; c < C; c++) { s += x[o + c]; }
  let mean = s / f32(C);
  var v = 0.0;
  for (var c = 0; c < C; c++) { let d = x[o + c] - mean; v += d * d; }
  let rstd = inverseSqrt(v / f32(C) + uni.eps);
  for (var c = 0; c < C; c++) { y[o + c] = (x[o + c] - mean) * rstd * w[c] + b[c]; }
  ${shift ? 'for (var c = 0; c < C; c++) { kept[o + c] = x[o + c] + shift[c]; }' : ''}
  stats[2 * row] = mean;
  stats[2 * row + 1] = rstd;
}
`,
  };
}

/**
 * A read-out folded into LayerNorm's backward (the model's final LayerNorm, layer-norm-linear.ts):
 * dy is then the read-out's output gradient [rows, out]; the read-out's weight `rw` ([out, C] with
 * `t`, else [C, out]) and LN(x) at the rows read (`normed`) come in; its dW (and db) go out beside
 * LayerNorm's, as more columns summed over the rows.
 */
export interface ReadoutBackward {
  out: number;
  t: boolean;
  bias: boolean;
}

/**
 * The whole backward in one dispatch: the first workgroups one invocation per row (dx = rstd
 * (dy w - mean(dy w) - xhat mean(dy w xhat)), + dres), the rest ${COLS} columns each, summing
 * dy xhat (dw), dy (db) and, with `shiftSum`, dres (the shift's gradient) over all rows, with
 * ${LANES} threads per column and a tree in workgroup memory.
 */
export function backwardProgram(
  rows: number,
  c: number,
  residual: boolean,
  shiftSum: boolean,
  map?: { xRows: number; rows: RowMap },
  readout?: ReadoutBackward,
) {
  // with a row map, dy's rows are x's rows xrow(r); the row workgroups cover all of x's rows (dx is
  // zero on the rows no dy row reads)
  const rowGroups = Math.ceil((map ? map.xRows : rows) / ROWS);
  // with a read-out, its dW and db are more columns summed over the rows (one value each)
  const extra = readout ? readout.out * c + (readout.bias ? readout.out : 0) : 0;
  const dispatch = dispatch1d(rowGroups + Math.ceil((c + extra) / COLS), 1);
  const sums = shiftSum ? 3 : 2;
  const outputs = [
    ...(shiftSum ? ['dx', 'dw', 'db', 'dshift'] : ['dx', 'dw', 'db']),
    ...(readout ? (readout.bias ? ['dRw', 'dRb'] : ['dRw']) : []),
  ];
  const inputs = [
    ...(residual ? ['x', 'w', 'stats', 'dy', 'dres'] : ['x', 'w', 'stats', 'dy']),
    ...(readout ? ['rw', 'normed'] : []),
  ];
  // the gradient of LN(x) at (dy's row i, column c): dy itself, or through the read-out dy W
  const dyAt = readout
    ? `fn dyAt(i: i32, c: i32) -> f32 {
  var g = 0.0;
  for (var o = 0; o < ${readout.out}; o++) { g += dy[i * ${readout.out} + o] * rw[${readout.t ? `o * uni.C + c` : `c * ${readout.out} + o`}]; }
  return g;
}`
    : 'fn dyAt(i: i32, c: i32) -> f32 { return dy[i * uni.C + c]; }';
  return {
    name: 'LayerNormBackward',
    key: `lnbwd1${residual ? '_res' : ''}${shiftSum ? '_shift' : ''}${map ? '_rows' : ''}${readout ? `_ro${readout.out}${readout.t ? 't' : 'n'}${readout.bias ? 'b' : ''}` : ''}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [rows] },
      { type: 'int32' as const, data: [c] },
      { type: 'int32' as const, data: [dispatch[0]] },
      { type: 'int32' as const, data: [rowGroups] },
      { type: 'int32' as const, data: [map ? map.xRows : rows] },
      ...(map ? rowMapUniforms(map.rows, rows) : []),
    ],
    wgsl: () => /* wgsl */ `
${bindings(outputs, inputs, `rows: i32, C: i32, nx: i32, rowGroups: i32, xRows: i32${map ? `, ${ROW_MAP_UNIFORMS}` : ''}`)}
var<workgroup> red: array<f32, ${sums * ROWS}>;
${FLAT_INDEX}
${rowMapWgsl(map !== undefined)}
${dyAt}
@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let grp = flatGroup(wid);
  let C = uni.C;
  if (grp < uni.rowGroups) {
    let xr = grp * ${ROWS} + lid;
    if (xr < uni.xRows) {
      let o = xr * C;
      let row = selrow(xr);
      if (row < 0) {
        for (var c = 0; c < C; c++) { dx[o + c] = 0.0; }
      } else {
      let mean = stats[2 * row];
      let rstd = stats[2 * row + 1];
      var s1 = 0.0;
      var s2 = 0.0;
      for (var c = 0; c < C; c++) {
        let g = dyAt(row, c) * w[c];
        s1 += g;
        s2 += g * (x[o + c] - mean) * rstd;
      }
      s1 = s1 / f32(C);
      s2 = s2 / f32(C);
      for (var c = 0; c < C; c++) {
        let xh = (x[o + c] - mean) * rstd;
        dx[o + c] = rstd * (dyAt(row, c) * w[c] - s1 - xh * s2)${residual ? ' + dres[o + c]' : ''};
      }
      }
    }
    return;
  }
  let col = (grp - uni.rowGroups) * ${COLS} + lid % ${COLS};
  let lane = lid / ${COLS};
  var a0 = 0.0;
  var a1 = 0.0;
  var b0 = 0.0;
  var b1 = 0.0;
  var e0 = 0.0;
  ${
    readout
      ? `if (col >= C && col < C + ${extra}) {
    // the read-out's dW (dy column o times LN(x) column k) or db (dy column o) over the rows read
    let e = col - C;
    let o = select(e / C, e - ${readout.out} * C, e >= ${readout.out} * C);
    let k = e - o * C;
    for (var r = lane; r < uni.rows; r += ${LANES}) {
      let g = dy[r * ${readout.out} + o];
      if (e < ${readout.out} * C) { a0 += g * normed[r * C + k]; } else { a0 += g; }
    }
  }`
      : ''
  }
  if (col < C) {
    var r = lane;
    for (; r + ${LANES} < uni.rows; r += ${2 * LANES}) {
      let i0 = r * C + col;
      let i1 = i0 + ${LANES} * C;
      let g0 = dyAt(r, col);
      let g1 = dyAt(r + ${LANES}, col);
      a0 += g0 * (x[xrow(r) * C + col] - stats[2 * r]) * stats[2 * r + 1];
      a1 += g1 * (x[xrow(r + ${LANES}) * C + col] - stats[2 * (r + ${LANES})]) * stats[2 * (r + ${LANES}) + 1];
      b0 += g0;
      b1 += g1;
      ${shiftSum ? 'e0 += dres[i0] + dres[i1];' : ''}
    }
    if (r < uni.rows) {
      let i0 = r * C + col;
      let g0 = dyAt(r, col);
      a0 += g0 * (x[xrow(r) * C + col] - stats[2 * r]) * stats[2 * r + 1];
      b0 += g0;
      ${shiftSum ? 'e0 += dres[i0];' : ''}
    }
  }
  red[lid] = a0 + a1;
  red[${ROWS} + lid] = b0 + b1;
  ${shiftSum ? `red[${2 * ROWS} + lid] = e0;` : ''}
  workgroupBarrier();
  for (var s = ${LANES / 2}; s > 0; s = s >> 1u) {
    if (lane < s) {
      red[lid] += red[lid + s * ${COLS}];
      red[${ROWS} + lid] += red[${ROWS} + lid + s * ${COLS}];
      ${shiftSum ? `red[${2 * ROWS} + lid] += red[${2 * ROWS} + lid + s * ${COLS}];` : ''}
    }
    workgroupBarrier();
  }
  if (lane == 0 && col < C) {
    dw[col] = red[lid];
    db[col] = red[${ROWS} + lid];
    ${shiftSum ? `dshift[col] = red[${2 * ROWS} + lid];` : ''}
  }
  ${
    readout
      ? `if (lane == 0 && col >= C && col < C + ${extra}) {
    let e = col - C;
    if (e < ${readout.out} * C) {
      let o = e / C;
      let k = e - o * C;
      dRw[${readout.t ? 'e' : `k * ${readout.out} + o`}] = red[lid];
    } else { ${readout.bias ? `dRb[e - ${readout.out} * C] = red[lid];` : ''} }
  }`
      : ''
  }
}
`,
  };
}

const shapeOf = (x: TensorInfo) => {
  const c = x.shape[x.shape.length - 1];
  return { c, rows: tf.util.sizeFromShape(x.shape) / c };
};

/** [y, stats] (with a shift: [y, x + shift, stats]; without: [y, x itself, stats] when kept) */
const forwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias, shift } = inputs as Record<string, TensorInfo | undefined>;
  const { keep } = (attrs ?? {}) as { keep?: boolean };
  const { c, rows } = shapeOf(x!);
  if (shift) {
    const program = forwardProgram(rows, c, true);
    return runRaw(
      backend,
      program,
      [x!, weight!, bias!, shift],
      [x!.shape.slice(), x!.shape.slice(), [rows, 2]],
    );
  }
  const [y, stats] = runRaw(
    backend,
    forwardProgram(rows, c, false),
    [x!, weight!, bias!],
    [x!.shape.slice(), [rows, 2]],
  );
  if (!keep) return [y, stats];
  (backend as tf.KernelBackend).incRef(x!.dataId);
  return [y, { dataId: x!.dataId, shape: x!.shape.slice(), dtype: x!.dtype }, stats];
};

/** inputs x, weight, stats, dy, dres? -> [dx, dw, db, dshift?] (attrs.shiftSum: dshift = sum of dres) */
const backwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, stats, dy, dres } = inputs as Record<string, TensorInfo | undefined>;
  const { shiftSum, rows: map } = attrs as unknown as { shiftSum: boolean; rows?: RowMap };
  const { c, rows: xRows } = shapeOf(x!);
  // with a row map, dy and the stats have the mapped rows only (dx has x's)
  const rows = map ? shapeOf(dy!).rows : xRows;
  const program = backwardProgram(
    rows,
    c,
    dres !== undefined,
    shiftSum && dres !== undefined,
    map ? { xRows, rows: map } : undefined,
  );
  const ins = dres ? [x!, weight!, stats!, dy!, dres] : [x!, weight!, stats!, dy!];
  const outs = [x!.shape.slice(), [c], [c]];
  if (shiftSum && dres) outs.push([c]);
  return runRaw(backend, program, ins, outs);
};

/** the backward's storage buffers with the shift's sum: 4 outputs and 5 inputs */
const SHIFT_SUM_BUFFERS = 9;

/**
 * LayerNorm's gradients on WebGPU, one dispatch from the forward's saved stats: dx (plus `dres`, the
 * residual's gradient, when given), dweight, dbias and, with `shift`, the shift's (the sum of dres
 * over rows: inside the dispatch where the device binds its 9 storage buffers, else one column sum).
 */
export function layerNormStatsBackward(
  x: tf.Tensor,
  weight: tf.Tensor,
  stats: tf.Tensor,
  dy: tf.Tensor | null,
  dres: tf.Tensor | null,
  shift: boolean,
): { x: () => tf.Tensor; weight: () => tf.Tensor; bias: () => tf.Tensor; shift: () => tf.Tensor } {
  const c = x.shape[x.shape.length - 1];
  const inputs: tf.NamedTensorMap = { x, weight, stats, dy: dy ?? tf.zerosLike(x) };
  if (dres) inputs.dres = dres;
  const shiftSum = shift && dres !== null && maxStorageBuffers(tf.backend()) >= SHIFT_SUM_BUFFERS;
  const [dx, dw, db, dshift] = tf
    .engine()
    .runKernel(LAYER_NORM_STATS_GRAD, inputs, { shiftSum } as never) as tf.Tensor[];
  return {
    x: () => dx,
    weight: () => dw,
    bias: () => db,
    shift: () => dshift ?? (dres ? columnSum(dres.reshape([-1, c])) : tf.zeros([c])),
  };
}

/** WebGPU: the backward's one dispatch, from the forward's saved stats */
function statsGradient(keep: boolean): GradConfig {
  return {
    kernelName: keep ? LAYER_NORM_STATS_KEEP : LAYER_NORM_STATS,
    inputsToSave: ['x', 'weight'],
    outputsToSave: keep ? [false, false, true] : [false, true],
    gradFunc: (dys, saved, attrs) => {
      const [x, weight, stats] = saved;
      const shift = (attrs as { shift?: boolean } | undefined)?.shift === true;
      const [dy, dres] = dys as Array<tf.Tensor | null>;
      return layerNormStatsBackward(x, weight, stats, dy, keep ? dres : null, shift);
    },
  };
}

const gradConfig: GradConfig = {
  kernelName: LAYER_NORM,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy, saved) => {
    const [x, weight] = saved;
    const [dx, dw, db] = tf
      .engine()
      .runKernel(LAYER_NORM_GRAD, { x, weight, dy: dy as tf.Tensor }) as tf.Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db };
  },
};

const keepGradConfig: GradConfig = {
  kernelName: LAYER_NORM_KEEP,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dys, saved) => {
    const [x, weight] = saved;
    const [dy, dres] = dys as tf.Tensor[];
    const [dx, dw, db] = tf.engine().runKernel(LAYER_NORM_GRAD, { x, weight, dy, dres }) as tf.Tensor[];
    const c = x.shape[x.shape.length - 1];
    return { x: () => dx, weight: () => dw, bias: () => db, shift: () => columnSum(dres.reshape([-1, c])) };
  },
};

export function registerLayerNormKernels(): void {
  registerKernelOnce({ kernelName: LAYER_NORM_STATS, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({ kernelName: LAYER_NORM_STATS_KEEP, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({
    kernelName: LAYER_NORM_STATS_GRAD,
    backendName: 'webgpu',
    kernelFunc: backwardKernel,
  });
  for (const config of [gradConfig, keepGradConfig, statsGradient(false), statsGradient(true)]) {
    if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(config);
  }
}

/** LayerNorm over the last axis: the fused kernel on WebGPU and wasm, the plain ops elsewhere. */
export function fusedLayerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (tf.getBackend() === 'webgpu') {
    const [y, stats] = tf.engine().runKernel(LAYER_NORM_STATS, { x, weight, bias }) as tf.Tensor[];
    stats.dispose(); // the tape keeps its own reference for the backward
    return y;
  }
  if (!fusedHere(LAYER_NORM)) return layerNorm(x, weight, bias);
  return tf.engine().runKernel(LAYER_NORM, { x, weight, bias }) as tf.Tensor;
}

/**
 * [LayerNorm(x), x]: the second output is x itself (or x + shift), for the residual stream (its
 * gradient is added in the LayerNorm's backward dispatch). Off WebGPU: [plain-ops LayerNorm, x].
 */
export function fusedLayerNormKeep(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
  shift?: tf.Tensor,
): [tf.Tensor, tf.Tensor] {
  const inputs: tf.NamedTensorMap = shift ? { x, weight, bias, shift } : { x, weight, bias };
  if (tf.getBackend() === 'webgpu') {
    const attrs = { keep: true, shift: shift !== undefined };
    const [y, kept, stats] = tf
      .engine()
      .runKernel(LAYER_NORM_STATS_KEEP, inputs, attrs as never) as tf.Tensor[];
    stats.dispose();
    return [y, kept];
  }
  if (!fusedHere(LAYER_NORM_KEEP)) return [layerNorm(x, weight, bias), shift ? x.add(shift) : x];
  const [y, kept] = tf.engine().runKernel(LAYER_NORM_KEEP, inputs) as tf.Tensor[];
  return [y, kept];
}
