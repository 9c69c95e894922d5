/**
 * WGSL: the sequential forward, one invocation per (b, channel), N states in registers, a loop
 * over t prefetching P steps of u and z.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

export function forwardProgram(dims: Dims, wg: number, p: number) {
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
