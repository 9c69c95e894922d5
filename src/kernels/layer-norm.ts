/**
 * LayerNorm over the last axis (torch.nn.LayerNorm, biased variance, eps 1e-5), fused:
 *   forward  'IclLayerNorm'      one dispatch, one invocation per row;
 *   backward 'IclLayerNormGrad'  two dispatches: (1) workgroups of 64 rows, one invocation per row
 *            computing dx = rstd (dy w - mean(dy w) - xhat mean(dy w xhat)), then the per-workgroup
 *            column sums of dy xhat and dy through workgroup memory; (2) the sums over workgroups.
 * Off WebGPU, `fusedLayerNorm` is the plain-ops LayerNorm of src/models/ops.ts.
 *
 * 'IclLayerNormKeep' is the same LayerNorm with a second output: its input, handed on (no copy)
 * for the residual stream. The residual's gradient then comes back to this kernel, whose backward
 * adds it to dx in the same dispatch, instead of tfjs adding the two gradients of the input.
 * With a `shift` [C] input, the second output is x + shift instead (written by the forward
 * dispatch): the bias of the matmul that adds the residual, so that matmul needs no second add.
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { LAYER_NORM_EPS, layerNorm } from '../models/ops';
import { bindings, FLAT_INDEX, fusedHere, registerKernelOnce } from './common';
import { columnSum } from './linear';
import { dispatch1d, release, runRaw } from './runner';

export const LAYER_NORM = 'IclLayerNorm';
export const LAYER_NORM_GRAD = 'IclLayerNormGrad';
export const LAYER_NORM_KEEP = 'IclLayerNormKeep';

const ROWS = 64; // rows per workgroup in the backward
const COLS = 16; // columns per block of the column sums

function forwardProgram(rows: number, c: number, shift = false) {
  const dispatch = dispatch1d(rows, 64);
  return {
    name: 'LayerNormForward',
    key: shift ? 'lnfwd_shift' : 'lnfwd',
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [rows] },
      { type: 'int32' as const, data: [c] },
      { type: 'int32' as const, data: [dispatch[0]] },
      { type: 'float32' as const, data: [LAYER_NORM_EPS] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(shift ? ['y', 'kept'] : ['y'], shift ? ['x', 'w', 'b', 'shift'] : ['x', 'w', 'b'], 'rows: i32, C: i32, nx: i32, eps: f32')}
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = flatGroup(wid) * 64 + i32(lid);
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
}
`,
  };
}

function backwardProgram(rows: number, c: number, residual: boolean) {
  const groups = Math.ceil(rows / ROWS);
  const dispatch = dispatch1d(groups, 1);
  const stride = 2 * COLS + 1;
  return {
    program: {
      name: 'LayerNormBackward',
      key: residual ? 'lnbwd_res' : 'lnbwd',
      dispatch,
      uniforms: [
        { type: 'int32' as const, data: [rows] },
        { type: 'int32' as const, data: [c] },
        { type: 'int32' as const, data: [dispatch[0]] },
        { type: 'float32' as const, data: [LAYER_NORM_EPS] },
      ],
      wgsl: () => /* wgsl */ `
${bindings(['dx', 'dwp', 'dbp'], residual ? ['x', 'w', 'dy', 'dres'] : ['x', 'w', 'dy'], 'rows: i32, C: i32, nx: i32, eps: f32')}
var<workgroup> red: array<f32, ${ROWS * stride}>;
${FLAT_INDEX}
@compute @workgroup_size(${ROWS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let grp = flatGroup(wid);
  let row = grp * ${ROWS} + lid;
  let live = row < uni.rows;
  let C = uni.C;
  let o = min(row, uni.rows - 1) * C;
  var mean = 0.0;
  var rstd = 0.0;
  if (live) {
    var s = 0.0;
    for (var c = 0; c < C; c++) { s += x[o + c]; }
    mean = s / f32(C);
    var v = 0.0;
    for (var c = 0; c < C; c++) { let d = x[o + c] - mean; v += d * d; }
    rstd = inverseSqrt(v / f32(C) + uni.eps);
    var s1 = 0.0;
    var s2 = 0.0;
    for (var c = 0; c < C; c++) {
      let g = dy[o + c] * w[c];
      s1 += g;
      s2 += g * (x[o + c] - mean) * rstd;
    }
    s1 = s1 / f32(C);
    s2 = s2 / f32(C);
    for (var c = 0; c < C; c++) {
      let xh = (x[o + c] - mean) * rstd;
      dx[o + c] = rstd * (dy[o + c] * w[c] - s1 - xh * s2)${residual ? ' + dres[o + c]' : ''};
    }
  }
  for (var cb = 0; cb < C; cb += ${COLS}) {
    for (var j = 0; j < ${COLS}; j++) {
      let c = cb + j;
      var a = 0.0;
      var bb = 0.0;
      if (live && c < C) {
        let g = dy[o + c];
        a = g * (x[o + c] - mean) * rstd;
        bb = g;
      }
      red[lid * ${stride} + j] = a;
      red[lid * ${stride} + ${COLS} + j] = bb;
    }
    workgroupBarrier();
    if (lid < ${2 * COLS}) {
      var acc = 0.0;
      for (var i = 0; i < ${ROWS}; i++) { acc += red[i * ${stride} + lid]; }
      let c = cb + (lid % ${COLS});
      if (c < C && grp * ${ROWS} < uni.rows) {
        if (lid < ${COLS}) { dwp[grp * C + c] = acc; } else { dbp[grp * C + c] = acc; }
      }
    }
    workgroupBarrier();
  }
}
`,
    },
    groups,
  };
}

function reduceProgram(groups: number, c: number) {
  const dispatch = dispatch1d(2 * c, 64);
  return {
    name: 'LayerNormReduce',
    key: 'lnred',
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [groups] },
      { type: 'int32' as const, data: [c] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['dw', 'db'], ['dwp', 'dbp'], 'G: i32, C: i32, nx: i32')}
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  let C = uni.C;
  if (i >= 2 * C) { return; }
  let c = i % C;
  var acc = 0.0;
  if (i < C) {
    for (var g = 0; g < uni.G; g++) { acc += dwp[g * C + c]; }
    dw[c] = acc;
  } else {
    for (var g = 0; g < uni.G; g++) { acc += dbp[g * C + c]; }
    db[c] = acc;
  }
}
`,
  };
}

const forwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { x, weight, bias } = inputs as Record<string, TensorInfo>;
  const c = x.shape[x.shape.length - 1];
  const rows = tf.util.sizeFromShape(x.shape) / c;
  return runRaw(backend, forwardProgram(rows, c), [x, weight, bias], [x.shape.slice()])[0];
};

const keepKernel: KernelFunc = (args) => {
  const { x, weight, bias, shift } = args.inputs as Record<string, TensorInfo | undefined>;
  if (shift) {
    const c = x!.shape[x!.shape.length - 1];
    const rows = tf.util.sizeFromShape(x!.shape) / c;
    const program = forwardProgram(rows, c, true);
    return runRaw(args.backend, program, [x!, weight!, bias!, shift], [x!.shape.slice(), x!.shape.slice()]);
  }
  const y = forwardKernel(args) as TensorInfo;
  (args.backend as tf.KernelBackend).incRef(x!.dataId);
  return [y, { dataId: x!.dataId, shape: x!.shape.slice(), dtype: x!.dtype }];
};

const backwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { x, weight, dy, dres } = inputs as Record<string, TensorInfo | undefined>;
  const c = x!.shape[x!.shape.length - 1];
  const rows = tf.util.sizeFromShape(x!.shape) / c;
  const { program, groups } = backwardProgram(rows, c, dres !== undefined);
  const [dx, dwp, dbp] = runRaw(backend, program, dres ? [x!, weight!, dy!, dres] : [x!, weight!, dy!], [
    x!.shape.slice(),
    [groups, c],
    [groups, c],
  ]);
  const [dw, db] = runRaw(backend, reduceProgram(groups, c), [dwp, dbp], [[c], [c]]);
  release(backend, dwp, dbp);
  return [dx, dw, db];
};

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
  registerKernelOnce({ kernelName: LAYER_NORM, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({ kernelName: LAYER_NORM_KEEP, backendName: 'webgpu', kernelFunc: keepKernel });
  registerKernelOnce({ kernelName: LAYER_NORM_GRAD, backendName: 'webgpu', kernelFunc: backwardKernel });
  for (const config of [gradConfig, keepGradConfig]) {
    if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(config);
  }
}

/** LayerNorm over the last axis: the fused kernel on WebGPU and wasm, the plain ops elsewhere. */
export function fusedLayerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
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
  if (!fusedHere(LAYER_NORM_KEEP)) return [layerNorm(x, weight, bias), shift ? x.add(shift) : x];
  const inputs: tf.NamedTensorMap = shift ? { x, weight, bias, shift } : { x, weight, bias };
  const [y, kept] = tf.engine().runKernel(LAYER_NORM_KEEP, inputs) as tf.Tensor[];
  return [y, kept];
}
