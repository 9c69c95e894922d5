/**
 * WGSL: the block-parallel forward. One workgroup per (b, WD channels); TL segments of E steps each
 * walk one chunk of T = TL x E steps at once, the states one after the other (as Mamba's CUDA kernel
 * does), so each exp(Δ A_n) is computed once:
 *   for each state n:
 *     1. each invocation folds its E steps into one affine map h -> P h + H
 *        (a_t = exp(Δ_t A_n), P = Π a_t, H = the state its steps reach from 0);
 *     2. through workgroup memory, each invocation composes the maps of the segments before its own
 *        onto the chunk's starting state (carried from the chunk before), giving its own start state;
 *     3. it walks its E steps again from there, adding C_t[n] h_t to its y_t.
 *   Then y_t = (Σ_n C_t[n] h_t[n] + D u_t) SiLU(z_t) is written, and the last segment's end states
 *   carry into the next chunk.
 * With layout.stage, each chunk's x_dbl rows are first copied into workgroup memory (one coalesced
 * load, double-buffered by the chunk's parity), and the state loop reads B_t, C_t from there.
 * The states go NS at a time (layout.ns): NS states' maps meet at one barrier, NS x E decays in
 * registers. (P, H) are double-buffered by the parity of the (chunk, state group) step and the carry
 * by the chunk's, so one barrier per state group and chunk suffices.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { BlocksLayout } from './blocks-layout';
import type { Dims } from './shape';

export function blocksForwardProgram(dims: Dims, layout: BlocksLayout) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const { wd, tl, e, t } = layout;
  const ns = Math.max(1, Math.min(n, layout.ns ?? 1));
  const stage = layout.stage ?? false;
  // x_dbl[b, c T + loc, col]: from the chunk's rows staged in workgroup memory, or from the buffer
  const X = (loc: string, col: string) =>
    stage ? `rows[rb + (${loc}) * S + ${col}]` : `xdbl[(bc * L + min(c * T + ${loc}, L - 1)) * S + ${col}]`;
  const groupsPerB = Math.ceil(di / wd);
  const dispatch = dispatch1d(b * groupsPerB, 1);
  const chunks = Math.ceil(l / t);
  const half = tl * wd;
  return {
    name: 'ScanForwardBlocks',
    key: `scanfwdb_${r}_${n}_${wd}_${tl}_${e}_${ns}_${stage}`,
    dispatch,
    uniforms: [b, l, di, zw, zOffset, dispatch[0], groupsPerB, chunks].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `
${bindings(['y'], ['u', 'xdbl', 'zt', 'W', 'bias', 'ALog', 'Dp'], 'B: i32, L: i32, Di: i32, Zw: i32, zOff: i32, nx: i32, gpb: i32, chunks: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const WD = ${wd};
const TL = ${tl};
const E = ${e};
const T = ${t};
const HALF = ${half};
const NS = ${ns};
const NG = ${Math.ceil(n / ns)};
var<workgroup> mapP: array<f32, ${2 * half * ns}>;
var<workgroup> mapH: array<f32, ${2 * half * ns}>;
var<workgroup> carry: array<f32, ${2 * wd * n}>;
${stage ? `var<workgroup> rows: array<f32, ${2 * t * s}>;` : ''}
${WGSL_MATH}
${FLAT_INDEX}
@compute @workgroup_size(${wd * tl})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.gpb;
  let g = wgi - b * uni.gpb;
  let seg = lid / WD;
  let dl = lid - seg * WD;
  let d = g * WD + dl;
  let live = d < Di && b < uni.B;
  let dc = min(d, Di - 1);
  let bc = min(b, uni.B - 1);
  var A: array<f32, N>;
  for (var k = 0; k < N; k++) { A[k] = -exp(ALog[dc * N + k]); }
  var w: array<f32, R>;
  for (var k = 0; k < R; k++) { w[k] = W[dc * R + k]; }
  let bi = bias[dc];
  let dd = Dp[dc];
  if (seg == 0) {
    for (var k = 0; k < N; k++) { carry[dl * N + k] = 0.0; }
  }
  var delta: array<f32, E>;
  var du: array<f32, E>;
  var acc: array<f32, E>;
  var a: array<f32, ${e * ns}>;
  for (var c = 0; c < uni.chunks; c++) {
    let t0 = c * T + seg * E;
    let cur = (c & 1) * WD * N;
    let nxt = WD * N - cur;
    let rb = (c & 1) * T * S;
    ${
      stage
        ? `// the chunk's x_dbl rows into workgroup memory (double-buffered by the chunk's parity)
    for (var i = lid; i < T * S; i += WD * TL) {
      let li = i / S;
      rows[rb + i] = xdbl[(bc * L + min(c * T + li, L - 1)) * S + i - li * S];
    }
    workgroupBarrier();`
        : ''
    }
    // Δ_t, Δ_t u_t and D u_t for the segment's steps (a step past L is the identity map)
    for (var j = 0; j < E; j++) {
      let tt = t0 + j;
      let row = bc * L + min(tt, L - 1);
      var dtp = bi;
      for (var k = 0; k < R; k++) { dtp += ${X('seg * E + j', 'k')} * w[k]; }
      let ut = u[row * Di + dc];
      if (tt < L) { delta[j] = softplusf(dtp); } else { delta[j] = 0.0; }
      du[j] = delta[j] * ut;
      acc[j] = dd * ut;
    }
    for (var k0 = 0; k0 < N; k0 += NS) {
      let par = ((c * NG + k0 / NS) & 1) * HALF * NS;
      // 1. each segment's map h -> P h + H, for NS states
      for (var q = 0; q < NS; q++) {
        let k = min(k0 + q, N - 1);
        var P = 1.0;
        var H = 0.0;
        for (var j = 0; j < E; j++) {
          let aj = exp(delta[j] * A[k]);
          a[q * E + j] = aj;
          H = aj * H + du[j] * ${X('seg * E + j', 'R + k')};
          P = P * aj;
        }
        mapP[par + q * HALF + lid] = P;
        mapH[par + q * HALF + lid] = H;
      }
      workgroupBarrier();
      for (var q = 0; q < NS; q++) {
        let k = k0 + q;
        if (k < N) {
          // 2. the start state of this segment
          var h = carry[cur + dl * N + k];
          for (var s2 = 0; s2 < seg; s2++) {
            let o = par + q * HALF + s2 * WD + dl;
            h = mapP[o] * h + mapH[o];
          }
          // 3. the segment's steps again, adding C_t[n] h_t
          for (var j = 0; j < E; j++) {
            h = a[q * E + j] * h + du[j] * ${X('seg * E + j', 'R + k')};
            acc[j] += h * ${X('seg * E + j', 'R + N + k')};
          }
          if (seg == TL - 1) { carry[nxt + dl * N + k] = h; }
        }
      }
    }
    if (live) {
      for (var j = 0; j < E; j++) {
        let tt = t0 + j;
        if (tt < L) {
          let row = b * L + tt;
          let zv = zt[row * uni.Zw + uni.zOff + d];
          y[row * Di + d] = acc[j] * zv * sigmoidf(zv);
        }
      }
    }
  }
}
`,
  };
}
