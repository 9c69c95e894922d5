/**
 * Causal multi-head softmax attention straight from the packed projection qkv [B, L, 3D]
 * (q | k | v, heads contiguous inside each), fused ('IclCausalAttention'):
 *   forward  one dispatch, one invocation per (b, head, query t): online softmax over keys s <= t
 *            (scores never stored), writes out [B, L, D] (heads merged) and the row log-sum-exp;
 *   backward one dispatch ('IclCausalAttentionGrad') writing dqkv [B, L, 3D] directly: half the
 *            invocations compute dq_t (loop s <= t), the other half dk_s and dv_s (loop t >= s), with
 *            P recomputed from q, k and the saved log-sum-exp (FlashAttention's backward equations).
 * No head split / merge transposes, no mask tensor, no softmax gradient chain. Suits the short
 * prompts of the ICL tasks (O(L) work per invocation). Off WebGPU, `fusedAttention` is the plain
 * ops attention of src/models/attention.ts.
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { causalAttention } from '../models/attention';
import { bindings, FLAT_INDEX, fusedHere, registerKernelOnce } from './common';
import { dispatch1d, runRaw } from './runner';

export const ATTENTION = 'IclCausalAttention';
export const ATTENTION_GRAD = 'IclCausalAttentionGrad';

function dimsOf(qkv: TensorInfo, nHead: number) {
  const [b, l, d3] = qkv.shape;
  const d = d3 / 3;
  if (!Number.isInteger(d) || d % nHead !== 0) {
    throw new Error(`${ATTENTION}: qkv width ${d3} must be 3 D with D a multiple of ${nHead} heads`);
  }
  return { b, l, d, h: nHead, hd: d / nHead };
}

type Dims = ReturnType<typeof dimsOf>;

function uniformsOf(dims: Dims, nx: number) {
  return [
    { type: 'int32' as const, data: [dims.b] },
    { type: 'int32' as const, data: [dims.l] },
    { type: 'int32' as const, data: [dims.d] },
    { type: 'int32' as const, data: [dims.h] },
    { type: 'int32' as const, data: [nx] },
    { type: 'float32' as const, data: [1 / Math.sqrt(dims.hd)] },
  ];
}

const UNIFORMS = 'B: i32, L: i32, D: i32, H: i32, nx: i32, scale: f32';

function forwardProgram(dims: Dims) {
  const dispatch = dispatch1d(dims.b * dims.h * dims.l, 64);
  return {
    name: 'AttentionForward',
    key: `attfwd_${dims.hd}`,
    dispatch,
    uniforms: uniformsOf(dims, dispatch[0]),
    wgsl: () => /* wgsl */ `
${bindings(['out', 'lse'], ['qkv'], UNIFORMS)}
const HD = ${dims.hd};
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = flatGroup(wid) * 64 + i32(lid);
  let L = uni.L;
  let D = uni.D;
  if (gid >= uni.B * uni.H * L) { return; }
  let t = gid % L;
  let bh = gid / L;
  let h = bh % uni.H;
  let b = bh / uni.H;
  let W = 3 * D;
  let qo = (b * L + t) * W + h * HD;
  var q: array<f32, HD>;
  var acc: array<f32, HD>;
  for (var j = 0; j < HD; j++) { q[j] = qkv[qo + j] * uni.scale; acc[j] = 0.0; }
  var m = -3.0e38;
  var l = 0.0;
  for (var s = 0; s <= t; s++) {
    let ko = (b * L + s) * W + D + h * HD;
    var sc = 0.0;
    for (var j = 0; j < HD; j++) { sc += q[j] * qkv[ko + j]; }
    let mn = max(m, sc);
    let corr = exp(m - mn);
    let p = exp(sc - mn);
    l = l * corr + p;
    for (var j = 0; j < HD; j++) { acc[j] = acc[j] * corr + p * qkv[ko + D + j]; }
    m = mn;
  }
  let oo = (b * L + t) * D + h * HD;
  for (var j = 0; j < HD; j++) { out[oo + j] = acc[j] / l; }
  lse[bh * L + t] = m + log(l);
}
`,
  };
}

function backwardProgram(dims: Dims) {
  const dispatch = dispatch1d(2 * dims.b * dims.h * dims.l, 64);
  return {
    name: 'AttentionBackward',
    key: `attbwd_${dims.hd}`,
    dispatch,
    uniforms: uniformsOf(dims, dispatch[0]),
    wgsl: () => /* wgsl */ `
${bindings(['dqkv'], ['qkv', 'o', 'lse', 'dout'], UNIFORMS)}
const HD = ${dims.hd};
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let L = uni.L;
  let D = uni.D;
  let n = uni.B * uni.H * L;
  var gid = flatGroup(wid) * 64 + i32(lid);
  if (gid >= 2 * n) { return; }
  let role = gid / n;
  gid = gid - role * n;
  let i = gid % L;
  let bh = gid / L;
  let h = bh % uni.H;
  let b = bh / uni.H;
  let W = 3 * D;
  var a: array<f32, HD>;
  var c: array<f32, HD>;
  var acc: array<f32, HD>;
  var acc2: array<f32, HD>;
  for (var j = 0; j < HD; j++) { acc[j] = 0.0; acc2[j] = 0.0; }
  if (role == 0) {
    // dq_t, t = i: a = q_t, c = dout_t
    let t = i;
    let qo = (b * L + t) * W + h * HD;
    let oo = (b * L + t) * D + h * HD;
    var Dt = 0.0;
    for (var j = 0; j < HD; j++) { a[j] = qkv[qo + j]; c[j] = dout[oo + j]; Dt += c[j] * o[oo + j]; }
    let lt = lse[bh * L + t];
    for (var s = 0; s <= t; s++) {
      let ko = (b * L + s) * W + D + h * HD;
      var sc = 0.0;
      var dp = 0.0;
      for (var j = 0; j < HD; j++) { sc += a[j] * qkv[ko + j]; dp += c[j] * qkv[ko + D + j]; }
      let p = exp(sc * uni.scale - lt);
      let ds = p * (dp - Dt);
      for (var j = 0; j < HD; j++) { acc[j] += ds * qkv[ko + j]; }
    }
    for (var j = 0; j < HD; j++) { dqkv[qo + j] = acc[j] * uni.scale; }
  } else {
    // dk_s, dv_s, s = i: a = k_s, c = v_s
    let s = i;
    let ko = (b * L + s) * W + D + h * HD;
    for (var j = 0; j < HD; j++) { a[j] = qkv[ko + j]; c[j] = qkv[ko + D + j]; }
    for (var t = s; t < L; t++) {
      let qo = (b * L + t) * W + h * HD;
      let oo = (b * L + t) * D + h * HD;
      var sc = 0.0;
      var dp = 0.0;
      var Dt = 0.0;
      for (var j = 0; j < HD; j++) {
        let g = dout[oo + j];
        sc += qkv[qo + j] * a[j];
        dp += g * c[j];
        Dt += g * o[oo + j];
      }
      let p = exp(sc * uni.scale - lse[bh * L + t]);
      let ds = p * (dp - Dt);
      for (var j = 0; j < HD; j++) {
        acc[j] += ds * qkv[qo + j];
        acc2[j] += p * dout[oo + j];
      }
    }
    for (var j = 0; j < HD; j++) {
      dqkv[ko + j] = acc[j] * uni.scale;
      dqkv[ko + D + j] = acc2[j];
    }
  }
}
`,
  };
}

const forwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const qkv = inputs.qkv as TensorInfo;
  const dims = dimsOf(qkv, Number(attrs?.nHead));
  return runRaw(
    backend,
    forwardProgram(dims),
    [qkv],
    [
      [dims.b, dims.l, dims.d],
      [dims.b, dims.h, dims.l],
    ],
  );
};

const backwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { qkv, out, lse, dy } = inputs as Record<string, TensorInfo>;
  const dims = dimsOf(qkv, Number(attrs?.nHead));
  return runRaw(backend, backwardProgram(dims), [qkv, out, lse, dy], [qkv.shape.slice()])[0];
};

const gradConfig: GradConfig = {
  kernelName: ATTENTION,
  inputsToSave: ['qkv'],
  outputsToSave: [true, true],
  gradFunc: (dys, saved, attrs) => {
    const [qkv, out, lse] = saved;
    const dy = (dys as tf.Tensor[])[0] ?? tf.zerosLike(out);
    const dqkv = tf
      .engine()
      .runKernel(ATTENTION_GRAD, { qkv, out, lse, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return { qkv: () => dqkv };
  },
};

export function registerAttentionKernels(): void {
  registerKernelOnce({ kernelName: ATTENTION, backendName: 'webgpu', kernelFunc: forwardKernel });
  registerKernelOnce({ kernelName: ATTENTION_GRAD, backendName: 'webgpu', kernelFunc: backwardKernel });
  if (tf.getGradient(ATTENTION)) tf.unregisterGradient(ATTENTION);
  tf.registerGradient(gradConfig);
}

/** Causal attention from packed qkv [B, L, 3D] -> [B, L, D]: fused on WebGPU and wasm, plain ops elsewhere. */
export function fusedAttention(qkv: tf.Tensor3D, nHead: number): tf.Tensor3D {
  if (!fusedHere(ATTENTION)) {
    return tf.tidy(() => {
      const d = qkv.shape[2] / 3;
      const [q, k, v] = tf.split(qkv, [d, d, d], -1);
      return causalAttention(q, k, v, nHead);
    });
  }
  const [out, lse] = tf.engine().runKernel(ATTENTION, { qkv }, { nHead }) as tf.Tensor[];
  lse.dispose();
  return out as tf.Tensor3D;
}
