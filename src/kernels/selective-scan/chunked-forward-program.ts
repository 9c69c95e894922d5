/**
 * WGSL: the chunked forward for long L, one invocation per (b, channel, chunk of t); chunk end
 * states and summed Delta meet in workgroup memory, then each chunk is rescanned from its true state.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

export function chunkedForwardProgram(dims: Dims, wdIn: number, cnIn: number) {
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
