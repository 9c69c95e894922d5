/**
 * Mamba's causal depthwise convolution with its bias and the SiLU after it, fused
 * ('IclCausalConvSilu'), reading the channels [offset, offset + C) of x [B, L, Cx] (in_proj's
 * [B, L, 2 Di] output: no slice of the activations):
 *   u[b, t, c] = SiLU(bias[c] + sum_{j<K} w[c, 0, j] x[b, t - K + 1 + j, offset + c]), x = 0 before t = 0.
 *   forward  one dispatch, one invocation per output element (K taps);
 *   backward one dispatch: one invocation per element of dx (the K later pre-activations
 *            recomputed; zeros outside the channel window), beside workgroups of 8 channels
 *            summing dw and dbias over all rows (32 threads per channel, then a tree).
 * Off WebGPU, `fusedCausalConvSilu` is SiLU(causalDepthwiseConv(...)) of src/models/ops.ts.
 * With the attribute `keep`, x itself is a second output (no copy) for another consumer (the
 * scan reads z from it); that consumer's gradient is added to dx in the backward dispatch.
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { causalDepthwiseConv, silu } from '../models/ops';
import { bindings, FLAT_INDEX, fusedHere, registerKernelOnce } from './common';
import { dispatch1d, runRaw } from './runner';

export const CONV_SILU = 'IclCausalConvSilu';
export const CONV_SILU_GRAD = 'IclCausalConvSiluGrad';

function dimsOf(x: TensorInfo, w: TensorInfo, offset: number) {
  const [b, l, cx] = x.shape;
  const c = w.shape[0];
  const k = w.shape[w.shape.length - 1];
  if (offset < 0 || offset + c > cx)
    throw new Error(`${CONV_SILU}: channels [${offset}, ${offset + c}) outside ${cx}`);
  return { b, l, cx, c, k, offset };
}

type Dims = ReturnType<typeof dimsOf>;

const UNIFORMS = 'B: i32, L: i32, Cx: i32, C: i32, off: i32, nx: i32, nDx: i32';

function uniformsOf(d: Dims, nx: number, nDx = 0) {
  return [d.b, d.l, d.cx, d.c, d.offset, nx, nDx].map((v) => ({ type: 'int32' as const, data: [v] }));
}

/** WGSL: pre-activation at (b, t, c) (x, w, bias bindings; K constant). */
const PRE = /* wgsl */ `
fn pre(b: i32, t: i32, c: i32) -> f32 {
  var acc = bias[c];
  for (var j = 0; j < K; j++) {
    let ts = t - K + 1 + j;
    if (ts >= 0) { acc += w[c * K + j] * x[(b * uni.L + ts) * uni.Cx + uni.off + c]; }
  }
  return acc;
}
`;

function forwardProgram(d: Dims) {
  const dispatch = dispatch1d(d.b * d.l * d.c, 64);
  return {
    name: 'ConvSiluForward',
    key: `convfwd_${d.k}`,
    dispatch,
    uniforms: uniformsOf(d, dispatch[0]),
    wgsl: () => /* wgsl */ `
${bindings(['u'], ['x', 'w', 'bias'], UNIFORMS)}
const K = ${d.k};
${FLAT_INDEX}
${PRE}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.B * uni.L * uni.C) { return; }
  let c = i % uni.C;
  let row = i / uni.C;
  let t = row % uni.L;
  let b = row / uni.L;
  let p = pre(b, t, c);
  u[i] = p / (1.0 + exp(-p));
}
`,
  };
}

/** channels per column workgroup of the backward, and threads per channel (rows strided over them) */
const COLS = 8;
const LANES = 32;
const WG = COLS * LANES;

/**
 * The whole backward in one dispatch of 256-thread workgroups: the first ones one invocation per
 * element of dx, the rest ${COLS} channels each, ${LANES} threads per channel summing dw and dbias
 * over all rows (the pre-activations recomputed), then a tree in workgroup memory.
 */
function backwardProgram(d: Dims, residual: boolean) {
  const rows = d.b * d.l;
  const dxGroups = Math.ceil((rows * d.cx) / WG);
  const dispatch = dispatch1d(dxGroups + Math.ceil(d.c / COLS), 1);
  return {
    name: 'ConvSiluBackward',
    key: `convbwd1_${d.k}_${residual}`,
    dispatch,
    uniforms: uniformsOf(d, dispatch[0], dxGroups),
    wgsl: () => /* wgsl */ `
${bindings(['dx', 'dw', 'db'], residual ? ['x', 'w', 'bias', 'du', 'dres'] : ['x', 'w', 'bias', 'du'], UNIFORMS)}
const K = ${d.k};
var<workgroup> red: array<f32, ${WG} * (K + 1)>;
${FLAT_INDEX}
${PRE}
fn dpre(b: i32, t: i32, c: i32) -> f32 {
  let p = pre(b, t, c);
  let s = 1.0 / (1.0 + exp(-p));
  return du[(b * uni.L + t) * uni.C + c] * s * (1.0 + p * (1.0 - s));
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let grp = flatGroup(wid);
  let rows = uni.B * uni.L;
  if (grp < uni.nDx) {
    let i = grp * ${WG} + lid;
    if (i < rows * uni.Cx) {
      let cx = i % uni.Cx;
      let row = i / uni.Cx;
      let t = row % uni.L;
      let b = row / uni.L;
      let c = cx - uni.off;
      var acc = 0.0;
      if (c >= 0 && c < uni.C) {
        for (var j = 0; j < K; j++) {
          let tt = t + K - 1 - j;
          if (tt < uni.L) { acc += w[c * K + j] * dpre(b, tt, c); }
        }
      }
      dx[i] = acc${residual ? ' + dres[i]' : ''};
    }
    return;
  }
  let c = (grp - uni.nDx) * ${COLS} + lid % ${COLS};
  let lane = lid / ${COLS};
  var sums: array<f32, K + 1>;
  for (var j = 0; j <= K; j++) { sums[j] = 0.0; }
  if (c < uni.C) {
    for (var r = lane; r < rows; r += ${LANES}) {
      let t = r % uni.L;
      let b = r / uni.L;
      let g = dpre(b, t, c);
      sums[K] += g;
      for (var j = 0; j < K; j++) {
        let ts = t - K + 1 + j;
        if (ts >= 0) { sums[j] += g * x[(b * uni.L + ts) * uni.Cx + uni.off + c]; }
      }
    }
  }
  for (var j = 0; j <= K; j++) { red[j * ${WG} + lid] = sums[j]; }
  workgroupBarrier();
  for (var s = ${LANES / 2}; s > 0; s = s >> 1u) {
    if (lane < s) {
      for (var j = 0; j <= K; j++) { red[j * ${WG} + lid] += red[j * ${WG} + lid + s * ${COLS}]; }
    }
    workgroupBarrier();
  }
  if (lane == 0 && c < uni.C) {
    for (var j = 0; j < K; j++) { dw[c * K + j] = red[j * ${WG} + lid]; }
    db[c] = red[K * ${WG} + lid];
  }
}
`,
  };
}

const forwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias } = inputs as Record<string, TensorInfo>;
  const d = dimsOf(x, weight, Number(attrs?.offset ?? 0));
  const [u] = runRaw(backend, forwardProgram(d), [x, weight, bias], [[d.b, d.l, d.c]]);
  if (!attrs?.keep) return u;
  (backend as tf.KernelBackend).incRef(x.dataId);
  return [u, { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype }];
};

const backwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias, dy, dres } = inputs as Record<string, TensorInfo | undefined>;
  const d = dimsOf(x!, weight!, Number(attrs?.offset ?? 0));
  const ins = [x!, weight!, bias!, dy!, ...(dres ? [dres] : [])];
  return runRaw(backend, backwardProgram(d, dres !== undefined), ins, [
    x!.shape.slice(),
    weight!.shape.slice(),
    [d.c],
  ]);
};

const gradConfig: GradConfig = {
  kernelName: CONV_SILU,
  inputsToSave: ['x', 'weight', 'bias'],
  gradFunc: (dys, saved, attrs) => {
    const [x, weight, bias] = saved;
    const [dy, dres] = (attrs?.keep ? dys : [dys]) as tf.Tensor[];
    const inputs: tf.NamedTensorMap = dres ? { x, weight, bias, dy, dres } : { x, weight, bias, dy };
    const [dx, dw, db] = tf
      .engine()
      .runKernel(CONV_SILU_GRAD, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { x: () => dx, weight: () => dw, bias: () => db };
  },
};

export function registerConvKernels(): void {
  registerKernelOnce({ kernelName: CONV_SILU, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({ kernelName: CONV_SILU_GRAD, backendName: 'webgpu', kernelFunc: backwardKernel });
  if (tf.getGradient(CONV_SILU)) tf.unregisterGradient(CONV_SILU);
  tf.registerGradient(gradConfig);
}

/**
 * SiLU(causal depthwise conv(x[..., offset : offset + C]) + bias) -> [B, L, C], weight [C, 1, K]:
 * fused on WebGPU and wasm, plain ops elsewhere.
 */
export function fusedCausalConvSilu(
  x: tf.Tensor3D,
  weight: tf.Tensor,
  bias: tf.Tensor,
  offset: number,
): tf.Tensor3D {
  if (!fusedHere(CONV_SILU)) {
    return tf.tidy(() => {
      const c = weight.shape[0];
      const [b, l, cx] = x.shape;
      const xs = offset === 0 && c === cx ? x : (x.slice([0, 0, offset], [b, l, c]) as tf.Tensor3D);
      return silu(causalDepthwiseConv(xs, weight, bias)) as tf.Tensor3D;
    });
  }
  return tf.engine().runKernel(CONV_SILU, { x, weight, bias }, { offset, keep: false }) as tf.Tensor3D;
}

/**
 * [fusedCausalConvSilu(x, ...), x]: x handed on for another consumer, whose gradient is then
 * added to dx in the conv's backward dispatch. Off WebGPU: [plain ops, x].
 */
export function fusedCausalConvSiluKeep(
  x: tf.Tensor3D,
  weight: tf.Tensor,
  bias: tf.Tensor,
  offset: number,
): [tf.Tensor3D, tf.Tensor3D] {
  if (!fusedHere(CONV_SILU)) return [fusedCausalConvSilu(x, weight, bias, offset), x];
  const [u, kept] = tf
    .engine()
    .runKernel(CONV_SILU, { x, weight, bias }, { offset, keep: true }) as tf.Tensor3D[];
  return [u, kept];
}
