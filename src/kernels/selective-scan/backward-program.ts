/**
 * WGSL: the backward's second dispatch, one workgroup per (b, group of WG channels): the forward
 * once with checkpoints, then chunk by chunk from the end the adjoint walk (see index.ts).
 * `packed`: the parameters come packed by pack-program.ts (9 storage buffers); else dtW, A_log, D
 * and dtBias are bound as they are (12 storage buffers, no pack dispatch).
 */
import { WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import { backwardBindings, backwardUniforms } from './backward-interface';
import type { Dims } from './shape';

export function backwardProgram(dims: Dims, wg: number, packed = true) {
  const { b, l, di, r, n, s } = dims;
  const k = Math.max(n, 8);
  const nC = Math.ceil(l / k);
  const g = Math.ceil(di / wg);
  const rs = s | 1;
  const groups = b * g;
  const dispatch = dispatch1d(groups, 1);
  return {
    program: {
      name: 'ScanBackward',
      key: `scanbwd_${r}_${n}_${wg}_${k}_${packed}`,
      dispatch,
      uniforms: backwardUniforms(dims, g, nC, dispatch[0]),
      wgsl: () => /* wgsl */ `
${backwardBindings(packed, false)}
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
  ${
    packed
      ? `for (var k = 0; k < R; k++) { w[k] = pk[dc * P2 + k]; }
  for (var k = 0; k < N; k++) { A[k] = -exp(pk[dc * P2 + R + k]); }
  let Dd = pk[dc * P2 + R + N];
  let bias = pk[dc * P2 + R + N + 1];`
      : `for (var k = 0; k < R; k++) { w[k] = pW[dc * R + k]; }
  for (var k = 0; k < N; k++) { A[k] = -exp(pALog[dc * N + k]); }
  let Dd = pD[dc];
  let bias = pBias[dc];`
  }
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
  for (var c = uni.chunks - 1; c >= 0; c--) {
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
