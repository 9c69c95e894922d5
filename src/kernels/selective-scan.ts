/**
 * The fused selective scan of Mamba (paper.md section 4, steps 4-9) as one tfjs kernel,
 * 'IclSelectiveScan', with a WGSL implementation on 'webgpu', plain JavaScript loops on 'cpu' and
 * 'wasm' (selective-scan-cpu.ts) and the reference (plain tfjs ops) on 'webgl', so every backend
 * runs the same model through the same kernel name.
 *
 * Inputs (layout "batch, length, channels"; R = dt rank, N = state size, S = R + 2N):
 *   u      [B, L, Di]     scan input (after the causal conv and SiLU)
 *   xdbl   [B, L, S]      x_proj(u) unsplit: dt_low = [0, R), B_t = [R, R+N), C_t = [R+N, R+2N)
 *   z      [B, L, Zw]     gate source: z = z[..., zOffset : zOffset + Di] (Zw a multiple of Di;
 *                         e.g. in_proj's output [B, L, 2 Di] with zOffset Di, or z itself)
 *   dtW    [Di, R]        dt_proj.weight
 *   dtBias [Di]           dt_proj.bias
 *   ALog   [Di, N]        A = -exp(A_log)
 *   D      [Di]
 * Output y [B, L, Di]:
 *   Delta = softplus(dt_low dtW^T + dtBias); A_bar = exp(Delta A); h_t = A_bar h_{t-1} + Delta B_t u_t;
 *   y_t = (sum_n C_t[n] h_t[n] + D u_t) * SiLU(z_t).
 *
 * WebGPU forward, one dispatch, H never materialised: 'sequential', one invocation per (b, channel),
 * N states in registers, a loop over t (prefetching P steps of u and z); or 'chunked' for long L,
 * one invocation per (b, channel, chunk of t): each scans its chunk from a zero state, the chunk
 * end states and summed Delta go through workgroup memory (a chunk's decay is exp(A sum Delta)),
 * each invocation folds in the chunks before its own and rescans its chunk from the true state.
 * WebGPU backward ('IclSelectiveScanGrad', paper.md section 4's equations), three dispatches:
 *   1. pack dtW | A_log | D | dtBias into [Di, R+N+2] (fewer bindings);
 *   2. one workgroup per (b, group of WG channels). Each invocation runs the forward once, storing
 *      the state h at the start of every chunk of K >= N steps into the rows of its own column of
 *      the du output (chunk c's N values in rows [(c-1)N, cN), which du overwrites only after
 *      chunk c has been consumed, since chunks are processed last to first and K >= N). Then, chunk
 *      by chunk from the end: recompute the chunk's states into a private K x N array, and walk it
 *      backwards with the adjoint g (paper.md: g_t = C_t dy_t + A_bar_{t+1} g_{t+1}), writing du, dz
 *      and accumulating d dtW, dA_log, dD, d dtBias in registers. The per-step reductions over
 *      channels (d dt_low, dB, dC: the xdbl gradient) go through workgroup memory into partial sums
 *      per channel group;
 *   3. sum the partials over channel groups (xdbl gradient) and over the batch (parameters).
 * Nothing of size B x L x Di x N is ever stored.
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { FusedScanArgs } from '../models/fused';
import { linear, softplus } from '../models/ops';
import { associativeScan, selectiveScanReference } from '../models/selective-scan-reference';
import { bindings, FLAT_INDEX, registerKernelOnce, viaOps, WGSL_MATH } from './common';
import { dispatch1d, maxStorageBuffers, release, runRaw } from './runner';
import { registerHostScanKernels } from './selective-scan-cpu';
import { type Dims, dimsOf, INPUT_NAMES, SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD } from './selective-scan-shape';

export type { FusedScanArgs };
export { SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD };

/**
 * Tunables of the WGSL kernels. bench/gpu.ts sweeps them; the defaults are reasoned, not yet
 * measured on a real GPU (see bench/RESULTS.md).
 */
export const scanTuning = {
  /**
   * forward algorithm: 'sequential' (one invocation per (b, channel) over all t), 'chunked' (one per
   * (b, channel, chunk of t): chunk end states combined through workgroup memory, then each chunk
   * rescanned from its true start state; more parallel, twice the arithmetic), or 'auto'
   * (chunked from `chunkedFromLength` steps on)
   */
  forwardMode: 'auto' as 'auto' | 'sequential' | 'chunked',
  chunkedFromLength: 128,
  /** invocations per workgroup of the sequential forward */
  forwardWorkgroup: 64,
  /**
   * time steps of u and z loaded ahead in the sequential forward (H200 sweep, bench/RESULTS.md,
   * B 64, L 1024: P 1 1.57 ms, P 4 1.99, P 8 1.62; P 4 kept: it was best on SwiftShader and at the
   * short L where the sequential kernel runs)
   */
  forwardPrefetch: 4,
  /**
   * chunked forward: channels x chunks per workgroup (H200 sweep at B 64, L 1024: 32 x 4 0.584 ms,
   * 16 x 8 0.623, 8 x 16 0.759, 4 x 32 1.258)
   */
  chunkChannels: 32,
  chunks: 4,
  /** invocations (channels) per workgroup of the backward (clamped by workgroup memory) */
  backwardWorkgroup: 64,
};

/** The fused selective scan (recorded on the tape; gradients for every input). */
export function fusedSelectiveScan(args: FusedScanArgs): tf.Tensor3D {
  const { u, xdbl, z, dtW, dtBias, ALog, D } = args;
  return tf
    .engine()
    .runKernel(SELECTIVE_SCAN, { u, xdbl, z, dtW, dtBias, ALog, D } as unknown as tf.NamedTensorMap, {
      zOffset: args.zOffset ?? 0,
    }) as tf.Tensor3D;
}

// ---------------------------------------------------------------------------------------------
// Reference (plain ops): the forward and the backward of paper.md section 4, on any backend.

function splitXdbl(xdbl: tf.Tensor3D, r: number, n: number) {
  const [b, l] = xdbl.shape;
  return {
    dtLow: xdbl.slice([0, 0, 0], [b, l, r]) as tf.Tensor3D,
    Bm: xdbl.slice([0, 0, r], [b, l, n]) as tf.Tensor3D,
    Cm: xdbl.slice([0, 0, r + n], [b, l, n]) as tf.Tensor3D,
  };
}

function gateOf(z: tf.Tensor3D, dims: Dims): tf.Tensor3D {
  return dims.zw === dims.di ? z : (z.slice([0, 0, dims.zOffset], [dims.b, dims.l, dims.di]) as tf.Tensor3D);
}

/** The fused scan in plain tfjs ops (also the unfused path the kernels are tested against). */
export function selectiveScanFusedReference(args: FusedScanArgs): tf.Tensor3D {
  return tf.tidy(() => {
    const { u, xdbl, z, dtW, dtBias, ALog, D } = args;
    const dims = dimsOf(args as unknown as Record<string, TensorInfo>, args.zOffset ?? 0);
    const { dtLow, Bm, Cm } = splitXdbl(xdbl, dims.r, dims.n);
    const delta = softplus(linear(dtLow, dtW, dtBias)) as tf.Tensor3D;
    const A = tf.exp(ALog).neg() as tf.Tensor2D;
    return selectiveScanReference(u, delta, A, Bm, Cm, D, gateOf(z, dims));
  });
}

/** The backward in plain ops (paper.md section 4), returning the grads in INPUT_NAMES order. */
function referenceBackward(t: Record<string, tf.Tensor>, dout: tf.Tensor3D, dims: Dims): tf.Tensor[] {
  const u = t.u as tf.Tensor3D;
  const { b: bt, l, di, r, n } = dims;
  const { dtLow, Bm, Cm } = splitXdbl(t.xdbl as tf.Tensor3D, r, n);
  const z = gateOf(t.z as tf.Tensor3D, dims);
  const dtpre = linear(dtLow, t.dtW, t.dtBias) as tf.Tensor3D;
  const delta = softplus(dtpre) as tf.Tensor3D;
  const A = tf.exp(t.ALog).neg() as tf.Tensor2D;
  const D = t.D;
  const tm = (x: tf.Tensor) => x.transpose([1, 0, 2]); // [B, L, .] <-> [L, B, .]
  const deltaT = tm(delta);
  const uT = tm(u);
  const BT = tm(Bm).expandDims(2); // [L, B, 1, N]
  const CT = tm(Cm).expandDims(2);
  const aBar = tf.exp(deltaT.expandDims(3).mul(A)); // [L, B, Di, N]
  const du0 = deltaT.mul(uT).expandDims(3); // [L, B, Di, 1]
  const h = associativeScan(aBar, du0.mul(BT)); // h_t
  const zeroState = tf.zeros([1, bt, di, n]);
  const hPrev = l > 1 ? tf.concat([zeroState, h.slice(0, l - 1)], 0) : zeroState;
  const ypre = tm(h.mul(CT).sum(3)).add(u.mul(D));
  const sz = tf.sigmoid(z);
  const dy = dout.mul(z).mul(sz);
  const dz = dout.mul(ypre).mul(sz).mul(sz.neg().add(1).mul(z).add(1));
  const dyT = tm(dy).expandDims(3); // [L, B, Di, 1]
  const ones = tf.ones([1, bt, di, n]);
  const aNext = l > 1 ? tf.concat([aBar.slice(1, l - 1), ones], 0) : ones; // A_bar_{t+1}
  const g = tf.reverse(associativeScan(tf.reverse(aNext, 0), tf.reverse(dyT.mul(CT), 0)), 0);
  const dC = tm(dyT.mul(h).sum(2)); // [B, L, N]
  const dB = tm(g.mul(du0).sum(2));
  const du = dy.mul(D).add(delta.mul(tm(g.mul(BT).sum(3))));
  const dDelta = tm(g.mul(BT.mul(uT.expandDims(3)).add(aBar.mul(A).mul(hPrev))).sum(3));
  const ddt = dDelta.mul(tf.sigmoid(dtpre)); // [B, L, Di]
  const dALog = g.mul(deltaT.expandDims(3)).mul(aBar).mul(hPrev).sum([0, 1]).mul(A);
  const dD = dy.mul(u).sum([0, 1]);
  const dBias = ddt.sum([0, 1]);
  const ddt2 = ddt.reshape([bt * l, di]) as tf.Tensor2D;
  const dW = tf.matMul(ddt2, dtLow.reshape([bt * l, r]) as tf.Tensor2D, true, false);
  const dDtLow = tf.matMul(ddt2, t.dtW as tf.Tensor2D).reshape([bt, l, r]);
  const dXdbl = tf.concat([dDtLow, dB, dC], 2);
  const dzFull =
    dims.zw === di
      ? dz
      : tf.pad(dz, [
          [0, 0],
          [0, 0],
          [dims.zOffset, dims.zw - dims.zOffset - di],
        ]);
  return [du, dXdbl, dzFull, dW, dBias, dALog, dD];
}

const referenceForwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const args = { ...(inputs as unknown as FusedScanArgs), zOffset: Number(attrs?.zOffset ?? 0) };
  return viaOps(backend as tf.KernelBackend, () => [selectiveScanFusedReference(args)])[0];
};

const referenceBackwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const t = inputs as unknown as Record<string, tf.Tensor>;
  const dims = dimsOf(inputs as Record<string, TensorInfo>, Number(attrs?.zOffset ?? 0));
  return viaOps(backend as tf.KernelBackend, () => referenceBackward(t, t.dy as tf.Tensor3D, dims));
};

// ---------------------------------------------------------------------------------------------
// WGSL

function forwardProgram(dims: Dims, wg: number, p: number) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const dispatch = dispatch1d(b * di, wg);
  return {
    name: 'ScanForward',
    key: `scanfwd_${r}_${n}_${wg}_${p}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [b] },
      { type: 'int32' as const, data: [l] },
      { type: 'int32' as const, data: [di] },
      { type: 'int32' as const, data: [zw] },
      { type: 'int32' as const, data: [zOffset] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['y'], ['u', 'xdbl', 'zt', 'W', 'bias', 'ALog', 'Dp'], 'B: i32, L: i32, Di: i32, Zw: i32, zOff: i32, nx: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const P = ${p};
${WGSL_MATH}
${FLAT_INDEX}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = flatGroup(wid) * ${wg} + i32(lid);
  if (gid >= uni.B * uni.Di) { return; }
  let L = uni.L;
  let Di = uni.Di;
  let b = gid / Di;
  let d = gid - b * Di;
  var A: array<f32, N>;
  var h: array<f32, N>;
  for (var k = 0; k < N; k++) { A[k] = -exp(ALog[d * N + k]); h[k] = 0.0; }
  var w: array<f32, R>;
  for (var k = 0; k < R; k++) { w[k] = W[d * R + k]; }
  let bi = bias[d];
  let dd = Dp[d];
  for (var t0 = 0; t0 < L; t0 += P) {
    var ub: array<f32, P>;
    var zb: array<f32, P>;
    for (var j = 0; j < P; j++) {
      let row = b * L + min(t0 + j, L - 1);
      ub[j] = u[row * Di + d];
      zb[j] = zt[row * uni.Zw + uni.zOff + d];
    }
    for (var j = 0; j < P; j++) {
      let t = t0 + j;
      if (t < L) {
        let row = b * L + t;
        let xo = row * S;
        var dtp = bi;
        for (var k = 0; k < R; k++) { dtp += xdbl[xo + k] * w[k]; }
        let delta = softplusf(dtp);
        let ut = ub[j];
        let du = delta * ut;
        var acc = dd * ut;
        for (var k = 0; k < N; k++) {
          h[k] = exp(delta * A[k]) * h[k] + du * xdbl[xo + R + k];
          acc += h[k] * xdbl[xo + R + N + k];
        }
        let zv = zb[j];
        y[row * Di + d] = acc * zv * sigmoidf(zv);
      }
    }
  }
}
`,
  };
}

function chunkedForwardProgram(dims: Dims, wdIn: number, cnIn: number) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  let wd = wdIn;
  let cn = cnIn;
  while (wd * cn * (n + 1) * 4 > 16384 && cn > 1) cn = Math.max(1, cn >> 1);
  while (wd * cn * (n + 1) * 4 > 16384 && wd > 1) wd = Math.max(1, wd >> 1);
  const groupsPerB = Math.ceil(di / wd);
  const dispatch = dispatch1d(b * groupsPerB, 1);
  const clen = Math.ceil(l / cn);
  return {
    name: 'ScanForwardChunked',
    key: `scanfwdc_${r}_${n}_${wd}_${cn}`,
    dispatch,
    uniforms: [b, l, di, zw, zOffset, dispatch[0], groupsPerB, clen].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `
${bindings(['y'], ['u', 'xdbl', 'zt', 'W', 'bias', 'ALog', 'Dp'], 'B: i32, L: i32, Di: i32, Zw: i32, zOff: i32, nx: i32, gpb: i32, clen: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const WD = ${wd};
const N1 = ${n + 1};
var<workgroup> sh: array<f32, ${wd * cn * (n + 1)}>;
${WGSL_MATH}
${FLAT_INDEX}
@compute @workgroup_size(${wd * cn})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.gpb;
  let g = wgi - b * uni.gpb;
  let dl = lid % WD;
  let c = lid / WD;
  let d = g * WD + dl;
  let live = d < Di && b < uni.B;
  let dc = min(d, Di - 1);
  let t0 = c * uni.clen;
  let t1 = min(L, t0 + uni.clen);
  var A: array<f32, N>;
  var h: array<f32, N>;
  for (var k = 0; k < N; k++) { A[k] = -exp(ALog[dc * N + k]); h[k] = 0.0; }
  var w: array<f32, R>;
  for (var k = 0; k < R; k++) { w[k] = W[dc * R + k]; }
  let bi = bias[dc];
  let dd = Dp[dc];
  var sd = 0.0;
  if (live) {
    for (var t = t0; t < t1; t++) {
      let row = b * L + t;
      let xo = row * S;
      var dtp = bi;
      for (var k = 0; k < R; k++) { dtp += xdbl[xo + k] * w[k]; }
      let delta = softplusf(dtp);
      sd += delta;
      let du = delta * u[row * Di + d];
      for (var k = 0; k < N; k++) { h[k] = exp(delta * A[k]) * h[k] + du * xdbl[xo + R + k]; }
    }
  }
  let base = lid * N1;
  for (var k = 0; k < N; k++) { sh[base + k] = h[k]; }
  sh[base + N] = sd;
  workgroupBarrier();
  for (var k = 0; k < N; k++) { h[k] = 0.0; }
  for (var cc = 0; cc < c; cc++) {
    let o = (cc * WD + dl) * N1;
    let sdc = sh[o + N];
    for (var k = 0; k < N; k++) { h[k] = exp(A[k] * sdc) * h[k] + sh[o + k]; }
  }
  if (live) {
    for (var t = t0; t < t1; t++) {
      let row = b * L + t;
      let xo = row * S;
      var dtp = bi;
      for (var k = 0; k < R; k++) { dtp += xdbl[xo + k] * w[k]; }
      let delta = softplusf(dtp);
      let ut = u[row * Di + d];
      let du = delta * ut;
      var acc = dd * ut;
      for (var k = 0; k < N; k++) {
        h[k] = exp(delta * A[k]) * h[k] + du * xdbl[xo + R + k];
        acc += h[k] * xdbl[xo + R + N + k];
      }
      let zv = zt[row * uni.Zw + uni.zOff + d];
      y[row * Di + d] = acc * zv * sigmoidf(zv);
    }
  }
}
`,
  };
}

function packProgram(di: number, r: number, n: number) {
  const p2 = r + n + 2;
  const dispatch = dispatch1d(di * p2, 64);
  return {
    name: 'ScanPackParams',
    key: `scanpack_${r}_${n}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [di] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['pk'], ['W', 'ALog', 'Dp', 'bias'], 'Di: i32, nx: i32')}
const N = ${n};
const R = ${r};
const P2 = ${p2};
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.Di * P2) { return; }
  let d = i / P2;
  let k = i - d * P2;
  var v: f32;
  if (k < R) { v = W[d * R + k]; }
  else if (k < R + N) { v = ALog[d * N + k - R]; }
  else if (k == R + N) { v = Dp[d]; }
  else { v = bias[d]; }
  pk[i] = v;
}
`,
  };
}

/** Workgroup size of the backward: <= requested, power of two, reduction buffer within 16 KiB. */
export function backwardWorkgroup(s: number, requested = scanTuning.backwardWorkgroup): number {
  const stride = s | 1;
  let wg = 1;
  while (wg * 2 <= requested && wg * 2 * stride * 4 <= 16384) wg *= 2;
  return wg;
}

function backwardProgram(dims: Dims, wg: number) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const k = Math.max(n, 8);
  const nC = Math.ceil(l / k);
  const g = Math.ceil(di / wg);
  const rs = s | 1;
  const groups = b * g;
  const dispatch = dispatch1d(groups, 1);
  return {
    program: {
      name: 'ScanBackward',
      key: `scanbwd_${r}_${n}_${wg}_${k}`,
      dispatch,
      uniforms: [
        { type: 'int32' as const, data: [b] },
        { type: 'int32' as const, data: [l] },
        { type: 'int32' as const, data: [di] },
        { type: 'int32' as const, data: [g] },
        { type: 'int32' as const, data: [zw] },
        { type: 'int32' as const, data: [zOffset] },
        { type: 'int32' as const, data: [nC] },
        { type: 'int32' as const, data: [dispatch[0]] },
      ],
      wgsl: () => /* wgsl */ `
${bindings(['du', 'dz', 'part', 'ppart'], ['u', 'xdbl', 'zt', 'pk', 'dout'], 'B: i32, L: i32, Di: i32, G: i32, Zw: i32, zOff: i32, nC: i32, nx: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const K = ${k};
const WG = ${wg};
const RS = ${rs};
const P2 = ${r + n + 2};
${WGSL_MATH}
var<workgroup> red: array<f32, ${wg * rs}>;
fn flatGroup(wid: vec3<u32>) -> i32 { return i32(wid.x + wid.y * u32(uni.nx)); }
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.G;
  let g = wgi - b * uni.G;
  let d = g * WG + lid;
  let live = d < Di && b < uni.B;
  let dc = min(d, Di - 1);
  var w: array<f32, R>;
  var A: array<f32, N>;
  for (var k = 0; k < R; k++) { w[k] = pk[dc * P2 + k]; }
  for (var k = 0; k < N; k++) { A[k] = -exp(pk[dc * P2 + R + k]); }
  let Dd = pk[dc * P2 + R + N];
  let bias = pk[dc * P2 + R + N + 1];
  var h: array<f32, N>;
  for (var k = 0; k < N; k++) { h[k] = 0.0; }
  // Phase 1: forward, storing the state before every chunk c >= 1 in du rows [(c-1)N, cN).
  if (live) {
    for (var t = 0; t < L; t++) {
      if (t > 0 && t % K == 0) {
        let c = t / K;
        for (var k = 0; k < N; k++) { du[(b * L + (c - 1) * N + k) * Di + d] = h[k]; }
      }
      let row = b * L + t;
      let xo = row * S;
      var dtp = bias;
      for (var k = 0; k < R; k++) { dtp += xdbl[xo + k] * w[k]; }
      let delta = softplusf(dtp);
      let dlu = delta * u[row * Di + d];
      for (var k = 0; k < N; k++) { h[k] = exp(delta * A[k]) * h[k] + dlu * xdbl[xo + R + k]; }
    }
  }
  // Phase 2: chunks from the last, each recomputed then walked backwards.
  var gc: array<f32, N>;
  var dA: array<f32, N>;
  var dW: array<f32, R>;
  var hs: array<f32, N>;
  var hb: array<f32, ${k * n}>;
  for (var k = 0; k < N; k++) { gc[k] = 0.0; dA[k] = 0.0; }
  for (var k = 0; k < R; k++) { dW[k] = 0.0; }
  var dD = 0.0;
  var dBias = 0.0;
  for (var c = uni.nC - 1; c >= 0; c--) {
    let t0 = c * K;
    let t1 = min(L, t0 + K);
    if (live) {
      for (var k = 0; k < N; k++) {
        if (c > 0) { hs[k] = du[(b * L + (c - 1) * N + k) * Di + d]; } else { hs[k] = 0.0; }
        h[k] = hs[k];
      }
      for (var t = t0; t < t1; t++) {
        let row = b * L + t;
        let xo = row * S;
        var dtp = bias;
        for (var k = 0; k < R; k++) { dtp += xdbl[xo + k] * w[k]; }
        let delta = softplusf(dtp);
        let dlu = delta * u[row * Di + d];
        for (var k = 0; k < N; k++) {
          h[k] = exp(delta * A[k]) * h[k] + dlu * xdbl[xo + R + k];
          hb[(t - t0) * N + k] = h[k];
        }
      }
    }
    for (var t = t1 - 1; t >= t0; t--) {
      let row = b * L + t;
      let xo = row * S;
      let base = lid * RS;
      if (live) {
        let j = t - t0;
        let jp = max(j - 1, 0);
        let ut = u[row * Di + d];
        let zv = zt[row * uni.Zw + uni.zOff + d];
        let go = dout[row * Di + d];
        var dtp = bias;
        for (var k = 0; k < R; k++) { dtp += xdbl[xo + k] * w[k]; }
        let delta = softplusf(dtp);
        let sig = sigmoidf(dtp);
        var ypre = Dd * ut;
        for (var k = 0; k < N; k++) { ypre += xdbl[xo + R + N + k] * hb[j * N + k]; }
        let sz = sigmoidf(zv);
        let dy = go * zv * sz;
        let dzv = go * ypre * sz * (1.0 + zv * (1.0 - sz));
        var sumGB = 0.0;
        var dDelta = 0.0;
        for (var k = 0; k < N; k++) {
          var hp = hs[k];
          if (j > 0) { hp = hb[jp * N + k]; }
          let ab = exp(delta * A[k]);
          let bn = xdbl[xo + R + k];
          let gn = xdbl[xo + R + N + k] * dy + gc[k];
          sumGB += gn * bn;
          dDelta += gn * (bn * ut + A[k] * ab * hp);
          dA[k] += gn * delta * ab * hp;
          red[base + R + k] = gn * delta * ut;
          red[base + R + N + k] = dy * hb[j * N + k];
          gc[k] = ab * gn;
        }
        let ddt = dDelta * sig;
        for (var k = 0; k < R; k++) {
          red[base + k] = ddt * w[k];
          dW[k] += ddt * xdbl[xo + k];
        }
        dD += dy * ut;
        dBias += ddt;
        du[row * Di + d] = Dd * dy + delta * sumGB;
        let zrow = row * uni.Zw;
        for (var m = 0; m < uni.Zw; m += Di) {
          if (m == uni.zOff) { dz[zrow + m + d] = dzv; } else { dz[zrow + m + d] = 0.0; }
        }
      } else {
        for (var k = 0; k < S; k++) { red[base + k] = 0.0; }
      }
      workgroupBarrier();
      if (b < uni.B) {
        for (var col = lid; col < S; col += WG) {
          var acc = 0.0;
          for (var i = 0; i < WG; i++) { acc += red[i * RS + col]; }
          part[(row * uni.G + g) * S + col] = acc;
        }
      }
      workgroupBarrier();
    }
  }
  if (live) {
    let o = (b * Di + d) * P2;
    for (var k = 0; k < R; k++) { ppart[o + k] = dW[k]; }
    for (var k = 0; k < N; k++) { ppart[o + R + k] = dA[k] * A[k]; }
    ppart[o + R + N] = dD;
    ppart[o + R + N + 1] = dBias;
  }
}
`,
    },
    g,
  };
}

function reduceProgram(dims: Dims, g: number) {
  const { b, l, di, r, n, s } = dims;
  const p2 = r + n + 2;
  const total = b * l * s + di * p2;
  const dispatch = dispatch1d(total, 64);
  return {
    name: 'ScanReduce',
    key: `scanred_${r}_${n}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [b] },
      { type: 'int32' as const, data: [l] },
      { type: 'int32' as const, data: [di] },
      { type: 'int32' as const, data: [g] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['dx', 'dW', 'dAL', 'dD', 'dBias'], ['part', 'ppart'], 'B: i32, L: i32, Di: i32, G: i32, nx: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const P2 = ${p2};
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  let n1 = uni.B * uni.L * S;
  if (i < n1) {
    let row = i / S;
    let col = i - row * S;
    var acc = 0.0;
    for (var q = 0; q < uni.G; q++) { acc += part[(row * uni.G + q) * S + col]; }
    dx[i] = acc;
    return;
  }
  let k = i - n1;
  if (k >= uni.Di * P2) { return; }
  let d = k / P2;
  let j = k - d * P2;
  var acc = 0.0;
  for (var q = 0; q < uni.B; q++) { acc += ppart[(q * uni.Di + d) * P2 + j]; }
  if (j < R) { dW[d * R + j] = acc; }
  else if (j < R + N) { dAL[d * N + j - R] = acc; }
  else if (j == R + N) { dD[d] = acc; }
  else { dBias[d] = acc; }
}
`,
  };
}

/** Storage buffers the backward needs in one program (4 outputs + 5 inputs). */
const BACKWARD_BUFFERS = 9;

let warnedLimit = false;

const webgpuForwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const dims = dimsOf(inputs as Record<string, TensorInfo>, Number(attrs?.zOffset ?? 0));
  const ins = INPUT_NAMES.map((k) => inputs[k] as TensorInfo);
  const t = scanTuning;
  const chunked = t.forwardMode === 'chunked' || (t.forwardMode === 'auto' && dims.l >= t.chunkedFromLength);
  const program = chunked
    ? chunkedForwardProgram(dims, t.chunkChannels, t.chunks)
    : forwardProgram(dims, t.forwardWorkgroup, t.forwardPrefetch);
  return runRaw(backend, program, ins, [[dims.b, dims.l, dims.di]])[0];
};

const webgpuBackwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const dims = dimsOf(inputs as Record<string, TensorInfo>, Number(attrs?.zOffset ?? 0));
  if (maxStorageBuffers(backend) < BACKWARD_BUFFERS) {
    if (!warnedLimit) {
      warnedLimit = true;
      console.warn(
        `${SELECTIVE_SCAN_GRAD}: the WebGPU device binds ${maxStorageBuffers(backend)} storage buffers, ` +
          `the fused backward needs ${BACKWARD_BUFFERS}; using the reference backward (initialise with ` +
          'kernels/backend.ts initBackend to raise the limit)',
      );
    }
    return referenceBackwardKernel({ inputs, backend, attrs });
  }
  const { b, l, di, r, n, s, zw } = dims;
  const t = inputs as Record<string, TensorInfo>;
  const [pk] = runRaw(backend, packProgram(di, r, n), [t.dtW, t.ALog, t.D, t.dtBias], [[di, r + n + 2]]);
  const wg = backwardWorkgroup(s);
  const { program, g } = backwardProgram(dims, wg);
  const [du, dz, part, ppart] = runRaw(
    backend,
    program,
    [t.u, t.xdbl, t.z, pk, t.dy],
    [
      [b, l, di],
      [b, l, zw],
      [b, l, g, s],
      [b, di, r + n + 2],
    ],
  );
  const [dx, dW, dAL, dD, dBias] = runRaw(
    backend,
    reduceProgram(dims, g),
    [part, ppart],
    [[b, l, s], [di, r], [di, n], [di], [di]],
  );
  release(backend, pk, part, ppart);
  return [du, dx, dz, dW, dBias, dAL, dD];
};

const gradConfig: GradConfig = {
  kernelName: SELECTIVE_SCAN,
  inputsToSave: [...INPUT_NAMES],
  gradFunc: (dy, saved, attrs) => {
    const inputs: Record<string, tf.Tensor> = {};
    INPUT_NAMES.forEach((name, i) => {
      inputs[name] = saved[i];
    });
    inputs.dy = dy as tf.Tensor;
    const grads = tf
      .engine()
      .runKernel(
        SELECTIVE_SCAN_GRAD,
        inputs as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
    const out: Record<string, () => tf.Tensor> = {};
    INPUT_NAMES.forEach((name, i) => {
      out[name] = () => grads[i];
    });
    return out;
  },
};

/** Backends that run the scan as plain tfjs ops (cpu and wasm have the host loops instead). */
const REFERENCE_SCAN_BACKENDS = ['webgl', 'tensorflow'] as const;

/** The reference kernels (plain ops forward, explicit plain-ops backward), for tests. */
export const referenceScanKernels = { forward: referenceForwardKernel, backward: referenceBackwardKernel };

/**
 * Register the scan kernels (WGSL on webgpu, host loops on cpu / wasm, reference on webgl /
 * tensorflow) and the gradient. Idempotent.
 */
export function registerSelectiveScanKernels(): void {
  registerKernelOnce({ kernelName: SELECTIVE_SCAN, backendName: 'webgpu', kernelFunc: webgpuForwardKernel });
  registerKernelOnce({
    kernelName: SELECTIVE_SCAN_GRAD,
    backendName: 'webgpu',
    kernelFunc: webgpuBackwardKernel,
  });
  for (const backendName of REFERENCE_SCAN_BACKENDS) {
    registerKernelOnce({ kernelName: SELECTIVE_SCAN, backendName, kernelFunc: referenceForwardKernel });
    registerKernelOnce({ kernelName: SELECTIVE_SCAN_GRAD, backendName, kernelFunc: referenceBackwardKernel });
  }
  registerHostScanKernels();
  if (tf.getGradient(SELECTIVE_SCAN)) tf.unregisterGradient(SELECTIVE_SCAN);
  tf.registerGradient(gradConfig);
}
