/**
 * WGSL: the state-parallel backward ('states' in scanTuning.backwardMode), the dispatch that replaces
 * backward-program.ts's (same bindings, same outputs du, dz, part [B, L, G, S], ppart [B, Di, R+N+2],
 * summed by reduce-program.ts as before). One invocation per (b, channel lane, state n): a workgroup
 * holds CP channel lanes x N states and owns CW = CP x M channels (M channels per lane, one after
 * the other: "rounds"), so G = ceil(Di / CW) channel groups write partial sums of the xdbl gradient.
 * Time is walked in tiles of T >= N steps; inside a tile no invocation waits for another, and the
 * reductions go through workgroup memory once per tile, never once per step:
 *   phase 1, per round: the forward, one scalar state per invocation, leaving the state at the
 *     start of every tile c >= 1 in rows [(c-1)N, cN) of its channel's column of du (as the old
 *     backward does; du overwrites those rows only once tile c has been consumed, since T >= N);
 *   phase 2, tiles last to first, per round:
 *     A. Δ, u, dy = dout z σ(z), σ(Δ_pre), dz / ypre for each (t, lane) into workgroup memory;
 *     B. the tile's states and decays A_bar recomputed from the checkpoint into 2T private floats;
 *     C. the adjoint walk g_t = C_t[n] dy_t + A_bar_{t+1} g_{t+1} (carried between tiles in a
 *        register), leaving g B, g A A_bar h_{t-1} and C h per (t, lane, n) in workgroup memory and
 *        adding g Δ u (dB) and dy h (dC) over the rounds in registers; dA in a register;
 *     D. per (t, channel): the sums over n give du, dz, dΔ (dW, dD, dBias summed over t in
 *        registers);
 *   then E. the dB / dC terms per (t, lane, n) into workgroup memory and F. per (t, column) the
 *   sums over the CP lanes (d dt_low from dΔ and dt_proj.weight) written as the group's partial.
 * Every sum runs in a fixed order: the result does not depend on scheduling.
 *
 * Arithmetic at the benchmark shape (B 64, L 1024, Di 256, N 16, R 8; CP 4, T 16, M 1):
 *   workgroups B x ceil(Di / CW) = 64 x 64 = 4096 of 64 invocations = 262,144 invocations (an H200
 *   holds 132 SMs x 2048 = 270,336); the old backward: 256 workgroups x 64 = 16,384 invocations.
 *   Serial length per invocation: M x (L - T + 2L) = 3056 scalar state updates, 64 tiles x (2 + 5)
 *   = 448 barriers, one per ~7 steps (the old backward: 3L updates of N states each, 2 barriers
 *   per step). With M 4 (CW 16): 1024 workgroups = 65,536 invocations, 4 x 3056 updates each.
 *   Bytes: the unavoidable 357 MB (u, z, dout read, du, dz written, xdbl read, dxdbl written);
 *   checkpoints B Di N (L/T - 1) x 4 B = 66 MB written and read; partials G x B L S x 4 B =
 *   671 MB (M 1, G 64) or 168 MB (M 4, G 16) written and read again by the reduce program; xdbl
 *   (10.5 MB, L2-resident) read once per workgroup. M trades parallelism for partial traffic:
 *   at M 1 the partials dominate (1.9 GB in all, >= 0.64 ms at the H200's 2979 GB/s copy
 *   bandwidth), at M 4 0.9 GB (>= 0.3 ms) with a quarter of the invocations. Where the device
 *   grants 32 KiB of workgroup memory (statesBackwardStorage), 8 lanes: G 32 at M 1.
 *   Arithmetic: 3 B L Di N = 805M scalar state updates (two exp per state and step, in phases 1
 *   and B), as in the old backward; the Δ of each (t, channel) is computed once per tile and round
 *   (step A), not once per state.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

/**
 * Workgroup memory of the program, bytes: three stashes per (t, lane, state), rows padded to N + 1
 * (step C writes a row per lane, step D reads one per thread: both without bank conflicts), five
 * tile values per (t, lane), dΔ per (t, channel).
 */
function bytesOf(cp: number, t: number, m: number, n: number, r: number): number {
  return 4 * (Math.max(3 * t * cp * (n + 1), cp * n * (r + 2)) + 5 * t * cp + t * cp * m);
}

export interface StatesBackwardLayout {
  /** channel lanes per workgroup (invocations = cp x N) */
  cp: number;
  /** tile length (>= N) */
  t: number;
  /** channels per lane, one after the other */
  m: number;
}

/**
 * Lanes, tile and rounds for the wanted invocations per workgroup, tile and rounds, within `budget`
 * bytes of workgroup memory (16 KiB: what every WebGPU device has); null where nothing fits (then
 * the channel-parallel backward runs).
 */
export function statesBackwardLayout(
  n: number,
  r: number,
  invocations: number,
  chunk: number,
  rounds: number,
  budget = 16384,
): StatesBackwardLayout | null {
  if (n > 256) return null;
  let cp = Math.max(1, Math.min(Math.floor(invocations / n), Math.floor(256 / n)));
  const t = Math.max(n, Math.floor(chunk));
  let m = Math.max(1, Math.floor(rounds));
  while (cp > 1 && bytesOf(cp, t, m, n, r) > budget) cp >>= 1;
  while (m > 1 && bytesOf(cp, t, m, n, r) > budget) m -= 1;
  return bytesOf(cp, t, m, n, r) <= budget ? { cp, t, m } : null;
}

export function statesBackwardProgram(dims: Dims, layout: StatesBackwardLayout, packed = true) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const { cp, t, m } = layout;
  const cw = cp * m;
  const wg = cp * n;
  const g = Math.ceil(di / cw);
  const nC = Math.ceil(l / t);
  const p2 = r + n + 2;
  const dispatch = dispatch1d(b * g, 1);
  const params = packed
    ? `fn wAt(d: i32, q: i32) -> f32 { return pk[d * P2 + q]; }
fn aLogAt(d: i32, k: i32) -> f32 { return pk[d * P2 + R + k]; }
fn dAt(d: i32) -> f32 { return pk[d * P2 + R + N]; }
fn biasAt(d: i32) -> f32 { return pk[d * P2 + R + N + 1]; }`
    : `fn wAt(d: i32, q: i32) -> f32 { return pW[d * R + q]; }
fn aLogAt(d: i32, k: i32) -> f32 { return pALog[d * N + k]; }
fn dAt(d: i32) -> f32 { return pD[d]; }
fn biasAt(d: i32) -> f32 { return pBias[d]; }`;
  return {
    program: {
      name: 'ScanBackwardStates',
      key: `scanbwds_${r}_${n}_${cp}_${t}_${m}_${packed}`,
      dispatch,
      uniforms: [b, l, di, g, zw, zOffset, nC, dispatch[0]].map((v) => ({
        type: 'int32' as const,
        data: [v],
      })),
      wgsl: () => /* wgsl */ `
${bindings(
  ['du', 'dz', 'part', 'ppart'],
  packed ? ['u', 'xdbl', 'zt', 'pk', 'dout'] : ['u', 'xdbl', 'zt', 'pW', 'pALog', 'pD', 'pBias', 'dout'],
  'B: i32, L: i32, Di: i32, G: i32, Zw: i32, zOff: i32, nC: i32, nx: i32',
)}
const N = ${n};
const R = ${r};
const S = ${s};
const CP = ${cp};
const M = ${m};
const CW = ${cw};
const T = ${t};
const WG = ${wg};
const TC = ${t * cp};
const P2 = ${p2};
const R2 = ${r + 2};
const NP = ${n + 1};
var<workgroup> s1: array<f32, ${Math.max(t * cp * (n + 1), wg * (r + 2))}>;
var<workgroup> s2: array<f32, ${t * cp * (n + 1)}>;
var<workgroup> s3: array<f32, ${t * cp * (n + 1)}>;
var<workgroup> tD: array<f32, ${t * cp}>;
var<workgroup> tU: array<f32, ${t * cp}>;
var<workgroup> tY: array<f32, ${t * cp}>;
var<workgroup> tS: array<f32, ${t * cp}>;
var<workgroup> tZ: array<f32, ${t * cp}>;
var<workgroup> tT: array<f32, ${t * cw}>;
${WGSL_MATH}
${FLAT_INDEX}
${params}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let inGrid = wgi < uni.B * uni.G;
  let b = min(wgi / uni.G, uni.B - 1);
  let g = wgi - (wgi / uni.G) * uni.G;
  let dl = lid / N;
  let k = lid - dl * N;
  var A: array<f32, M>;
  for (var mm = 0; mm < M; mm++) { A[mm] = -exp(aLogAt(min(g * CW + mm * CP + dl, Di - 1), k)); }
  // Phase 1: the forward per round, leaving the state at the start of tile c >= 1 in du.
  for (var mm = 0; mm < M; mm++) {
    let d = g * CW + mm * CP + dl;
    let live = inGrid && d < Di;
    var h = 0.0;
    for (var c = 0; c < uni.nC - 1; c++) {
      let t0 = c * T;
      for (var i = lid; i < TC; i += WG) {
        let j = i / CP;
        let d2 = g * CW + mm * CP + (i - j * CP);
        var dv = 0.0;
        var uv = 0.0;
        if (inGrid && d2 < Di) {
          let row = b * L + t0 + j;
          var dtp = biasAt(d2);
          for (var q = 0; q < R; q++) { dtp += xdbl[row * S + q] * wAt(d2, q); }
          dv = softplusf(dtp);
          uv = u[row * Di + d2];
        }
        tD[i] = dv;
        tU[i] = uv;
      }
      workgroupBarrier();
      for (var j = 0; j < T; j++) {
        let i = j * CP + dl;
        var bv = 0.0;
        if (live) { bv = xdbl[(b * L + t0 + j) * S + R + k]; }
        let dv = tD[i];
        h = exp(dv * A[mm]) * h + (dv * tU[i]) * bv;
      }
      if (live) { du[(b * L + c * N + k) * Di + d] = h; }
      workgroupBarrier();
    }
  }
  storageBarrier();
  // Phase 2: tiles from the last.
  var K: array<f32, M>;
  var dA: array<f32, M>;
  var acc: array<f32, ${m * (r + 2)}>;
  for (var mm = 0; mm < M; mm++) { K[mm] = 0.0; dA[mm] = 0.0; }
  for (var q = 0; q < M * R2; q++) { acc[q] = 0.0; }
  var hS: array<f32, T>;
  var aS: array<f32, T>;
  var eT: array<f32, T>;
  var fT: array<f32, T>;
  for (var c = uni.nC - 1; c >= 0; c--) {
    let t0 = c * T;
    let tn = min(T, L - t0);
    for (var j = 0; j < T; j++) { eT[j] = 0.0; fT[j] = 0.0; }
    for (var mm = 0; mm < M; mm++) {
      let d = g * CW + mm * CP + dl;
      let live = inGrid && d < Di;
      let Am = A[mm];
      // A. per (t, lane) values of the tile
      for (var i = lid; i < TC; i += WG) {
        let j = i / CP;
        let d2 = g * CW + mm * CP + (i - j * CP);
        var dv = 0.0;
        var uv = 0.0;
        var yv = 0.0;
        var sv = 0.0;
        var zv2 = 0.0;
        if (inGrid && j < tn && d2 < Di) {
          let row = b * L + t0 + j;
          var dtp = biasAt(d2);
          for (var q = 0; q < R; q++) { dtp += xdbl[row * S + q] * wAt(d2, q); }
          dv = softplusf(dtp);
          sv = sigmoidf(dtp);
          uv = u[row * Di + d2];
          let zv = zt[row * uni.Zw + uni.zOff + d2];
          let go = dout[row * Di + d2];
          let sz = sigmoidf(zv);
          yv = go * zv * sz;
          zv2 = go * sz * (1.0 + zv * (1.0 - sz));
        }
        tD[i] = dv;
        tU[i] = uv;
        tY[i] = yv;
        tS[i] = sv;
        tZ[i] = zv2;
      }
      var hs = 0.0;
      if (c > 0 && live) { hs = du[(b * L + (c - 1) * N + k) * Di + d]; }
      storageBarrier();
      workgroupBarrier();
      // B. the tile's states
      // (loops over the constant T with a guard: a compiler may unroll them and keep hS, aS, eT
      // and fT in registers)
      var h = hs;
      for (var j = 0; j < T; j++) {
        if (j < tn) {
          let i = j * CP + dl;
          var bv = 0.0;
          if (live) { bv = xdbl[(b * L + t0 + j) * S + R + k]; }
          let dv = tD[i];
          let ab = exp(dv * Am);
          h = ab * h + (dv * tU[i]) * bv;
          hS[j] = h;
          aS[j] = ab;
        }
      }
      // C. the adjoint walk
      var gK = K[mm];
      var dAm = dA[mm];
      for (var jj = 0; jj < T; jj++) {
        let j = T - 1 - jj;
        if (j < tn) {
          let i = j * CP + dl;
          var bv = 0.0;
          var cv = 0.0;
          if (live) {
            let xo = (b * L + t0 + j) * S + R + k;
            bv = xdbl[xo];
            cv = xdbl[xo + N];
          }
          let dv = tD[i];
          let dy = tY[i];
          var hp = hs;
          if (j > 0) { hp = hS[j - 1]; }
          let ab = aS[j];
          let gv = cv * dy + gK;
          let o = i * NP + k;
          s1[o] = gv * bv;
          s2[o] = gv * Am * ab * hp;
          s3[o] = cv * hS[j];
          dAm += gv * dv * ab * hp;
          eT[j] += gv * dv * tU[i];
          fT[j] += dy * hS[j];
          gK = ab * gv;
        }
      }
      K[mm] = gK;
      dA[mm] = dAm;
      workgroupBarrier();
      // D. per (t, channel): the sums over the states
      for (var i = lid; i < tn * CP; i += WG) {
        let j = i / CP;
        let dl2 = i - j * CP;
        let d2 = g * CW + mm * CP + dl2;
        var dd = 0.0;
        if (inGrid && d2 < Di) {
          var sGB = 0.0;
          var sGH = 0.0;
          var sCH = 0.0;
          for (var q = 0; q < N; q++) {
            sGB += s1[i * NP + q];
            sGH += s2[i * NP + q];
            sCH += s3[i * NP + q];
          }
          let row = b * L + t0 + j;
          let uv = tU[i];
          let dy = tY[i];
          let Dd = dAt(d2);
          du[row * Di + d2] = Dd * dy + tD[i] * sGB;
          let dzv = (sCH + Dd * uv) * tZ[i];
          let zrow = row * uni.Zw;
          for (var w = 0; w < uni.Zw; w += Di) {
            if (w == uni.zOff) { dz[zrow + w + d2] = dzv; } else { dz[zrow + w + d2] = 0.0; }
          }
          dd = (uv * sGB + sGH) * tS[i];
          let a0 = mm * R2;
          for (var q = 0; q < R; q++) { acc[a0 + q] += dd * xdbl[row * S + q]; }
          acc[a0 + R] += dy * uv;
          acc[a0 + R + 1] += dd;
        }
        tT[j * CW + mm * CP + dl2] = dd;
      }
      workgroupBarrier();
    }
    // E. dB and dC terms, summed over the rounds, per (t, lane, state)
    for (var j = 0; j < T; j++) {
      if (j < tn) {
        let o = (j * CP + dl) * NP + k;
        s1[o] = eT[j];
        s2[o] = fT[j];
      }
    }
    workgroupBarrier();
    // F. the group's partial of the xdbl gradient: sums over the lanes
    for (var i = lid; i < tn * S; i += WG) {
      let j = i / S;
      let col = i - j * S;
      var sum = 0.0;
      if (col < R) {
        for (var q = 0; q < CW; q++) {
          let d2 = g * CW + q;
          if (d2 < Di) { sum += tT[j * CW + q] * wAt(d2, col); }
        }
      } else if (col < R + N) {
        for (var q = 0; q < CP; q++) { sum += s1[(j * CP + q) * NP + col - R]; }
      } else {
        for (var q = 0; q < CP; q++) { sum += s2[(j * CP + q) * NP + col - R - N]; }
      }
      if (inGrid) { part[((b * L + t0 + j) * uni.G + g) * S + col] = sum; }
    }
    workgroupBarrier();
  }
  // the parameters' partials of this batch row: dA per (channel, state), the rest per channel
  for (var mm = 0; mm < M; mm++) {
    let d = g * CW + mm * CP + dl;
    if (inGrid && d < Di) { ppart[(b * Di + d) * P2 + R + k] = dA[mm] * A[mm]; }
    for (var q = 0; q < R2; q++) { s1[lid * R2 + q] = acc[mm * R2 + q]; }
    workgroupBarrier();
    if (lid < CP) {
      let d2 = g * CW + mm * CP + lid;
      if (inGrid && d2 < Di) {
        for (var q = 0; q < R2; q++) {
          var sum = 0.0;
          for (var x = 0; x < N; x++) { sum += s1[(lid + x * CP) * R2 + q]; }
          var col = q;
          if (q >= R) { col = q + N; }
          ppart[(b * Di + d2) * P2 + col] = sum;
        }
      }
    }
    workgroupBarrier();
  }
}
`,
    },
    g,
  };
}
