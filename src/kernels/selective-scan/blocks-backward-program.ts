/**
 * WGSL: the block-parallel backward's main program (blocks-layout.ts: one workgroup per (b, WD
 * channels), TL segments of E steps, chunks of T = TL x E steps, the states one after the other).
 * paper.md section 4's equations, with a_t = exp(Δ_t A_n), dy_t the gated output
 * gradient and g_t the adjoint of h_t:
 *   g_t = C_t[n] dy_t + a_{t+1} g_{t+1}
 *   du_t  = D dy_t + Δ_t Σ_n g_t[n] B_t[n]
 *   dΔ_t  = Σ_n g_t[n] (B_t[n] u_t + A_n a_t[n] h_{t-1}[n]),  d dt_t = dΔ_t σ(dt_t)
 *   dA_n  = Σ_t g_t[n] Δ_t a_t[n] h_{t-1}[n],  dB_t[n] = Σ_d g_t[n] Δ_t u_t,  dC_t[n] = Σ_d dy_t h_t[n]
 * Phase 1 walks the chunks forward, composing each state's segment maps h -> P h + H to get every
 * chunk's starting state, kept in the du rows of the chunk before it (T >= N; du overwrites those
 * rows only after the chunk that reads them is done, chunks going last to first); or a pass of its
 * own finds them (blocks-starts-program.ts) and this program reads them from `starts`.
 * Phase 2 walks the chunks from the last. Per state, each segment folds its steps into a forward map
 * and a backward one (what a_{t0} g_{t0} becomes from the adjoint flowing in at its right end:
 * m -> P m + R, the same P), the segments meet once in workgroup memory, then each walks its steps
 * forward (h_{t-1}, h_t) and backward (g_t), accumulating the per-step sums in registers. The sums
 * over the workgroup's channels (dB, dC, d dt_low, the x_dbl gradient) go through workgroup memory
 * once per state and chunk, or through subgroup shuffles (blocks-backward-sums.ts), into partials per
 * channel group (summed by reduce-program.ts).
 */
import { FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import { backwardBindings, backwardUniforms } from './backward-interface';
import {
  type BlocksBackwardOptions,
  blocksArrays,
  segmentLanes,
  statesParts,
  subgroupPlan,
} from './blocks-backward-forms';
import {
  serialDtWgsl,
  serialSumsWgsl,
  subgroupChunkWgsl,
  subgroupStateWgsl,
  subgroupSumsFloats,
  subgroupSumsSetup,
} from './blocks-backward-sums';
import type { BlocksLayout } from './blocks-layout';
import { segmentJoinWgsl, segmentStartsWgsl } from './blocks-segment-lanes';
import type { Dims } from './shape';

export {
  type BlocksBackwardDiagnostic,
  type BlocksBackwardOptions,
  blocksBackwardProgramBytes,
  statesParts,
} from './blocks-backward-forms';

export function blocksBackwardProgram(
  dims: Dims,
  layout: BlocksLayout,
  packed: boolean,
  options: BlocksBackwardOptions = {},
) {
  const { b, l, di, r, n, s } = dims;
  const { wd, tl, e, t } = layout;
  if (t < n) throw new Error(`the block-parallel scan backward needs chunks of >= N = ${n} steps, got ${t}`);
  const diag = options.diagnostic ?? 'none';
  const sgs = subgroupPlan(layout, options);
  const pass = options.starts === 'pass';
  // each channel's states over `parts` parts of the workgroup (lid = (seg SP + pt) WD + dl)
  const parts = statesParts(layout, n, options);
  // a channel's segments on neighbouring lanes, their maps joined by shuffles (blocks-segment-lanes.ts)
  const lanes = segmentLanes(layout, options);
  const { map: mapSize, red: redSize } = blocksArrays(layout, sgs !== null, options.ahead, parts, lanes);
  const sgFloats = sgs ? subgroupSumsFloats(sgs, n, r, t) : null;
  const decay = (x: string) => (diag === 'no-exp' ? `(1.0 + ${x})` : `exp(${x})`);
  const sums = diag !== 'no-sums';
  const slim = options.slim ?? false;
  const rows = options.rows ?? false;
  // the maps of `ahead` states before one barrier (with the subgroup sums only: the serial ones need a
  // barrier a state anyway)
  const ahead = sgs ? Math.max(1, Math.min(n, Math.floor(options.ahead ?? 1))) : 1;
  // the state chunk c starts from (c > 0): from the starts pass, or from du's rows of chunk c - 1
  const startOf = (k: string) =>
    pass
      ? `starts[((b * (uni.chunks - 1) + c - 1) * N + ${k}) * Di + d]`
      : `du[(b * L + c0 - T + ${k}) * Di + d]`;
  // A_n and W[d, r] of this channel: from registers, or (slim) from the parameters where used
  const wOf = (k: string) => (!slim ? `w[${k}]` : packed ? `pk[dc * P2 + ${k}]` : `pW[dc * R + ${k}]`);
  const aOf = (k: string) =>
    !slim ? `A[${k}]` : packed ? `(-exp(pk[dc * P2 + R + ${k}]))` : `(-exp(pALog[dc * N + ${k}]))`;
  const g = Math.ceil(di / wd);
  const dispatch = dispatch1d(b * g, 1);
  const chunks = Math.ceil(l / t);
  const half = tl * wd * parts;
  // map slot of segment q (of this part and channel)
  const segAt = (q: string) => (parts > 1 ? `(${q} * SP + pt) * WD + dl` : `${q} * WD + dl`);
  // the states' loop: state k of this part at turn ki
  const statesLoop = (parity: string) =>
    parts > 1
      ? `for (var ki = 0; ki < ${n / parts}; ki++) {
      let k = ki * SP + pt;
      let ${parity}`
      : null;
  const wdp = wd + 1;
  // x_dbl[b, c T + loc, col]
  const X = (loc: string, col: string) =>
    diag === 'no-loads' ? `(xr + f32(${col}))` : `xdbl[(bc * L + min(c * T + ${loc}, L - 1)) * S + ${col}]`;
  // a state's B_t[n] and C_t[n] at step j of the segment in phase 2: held in registers (rows) or read
  const bAt = rows ? 'bk[j]' : X('seg * E + j', 'R + k');
  const cAt = rows ? 'ck[j]' : X('seg * E + j', 'R + N + k');
  // B_t[n] and C_t[n] of state k at the segment's steps, read once (rows)
  const rowsLoad = rows
    ? `      var bk: array<f32, E>;
      var ck: array<f32, E>;
      for (var j = 0; j < E; j++) {
        bk[j] = ${X('seg * E + j', 'R + k')};
        ck[j] = ${X('seg * E + j', 'R + N + k')};
      }`
    : '';
  // state k's segment maps, forward (P, F) and backward (P, m), into the maps at `at` + lid
  const mapsCode = (at: string) => `      var P = 1.0;
      var F = 0.0;
      for (var j = 0; j < E; j++) {
        let aj = ${decay('delta[j] * Ak')};
        a[j] = aj;
        F = aj * F + delta[j] * ut[j] * ${bAt};
        P = P * aj;
      }
      var m = 0.0;
      for (var j = E - 1; j >= 0; j--) {
        m = a[j] * (${cAt} * dyv[j] + m);
      }
${
  lanes
    ? ''
    : `      mapP[${at} + lid] = P;
      mapF[${at} + lid] = F;
      mapR[${at} + lid] = m;`
}`;
  // after the barrier: state k's start and adjoint joined from the other segments' maps at mo, then
  // the walks over the segment's steps and their sums (a[j], P and m of this segment set)
  const startVar = `      ${
    slim
      ? `var h0 = 0.0;
      if (c > 0 && live${diag === 'no-phase1' ? ' && false' : ''}) { h0 = ${startOf('k')}; }`
      : 'let h0 = hs[k];'
  }
${segmentJoinWgsl(tl, 'h0', 'gcar[cur + dl * N + k]', 'gcar[nxt + dl * N + k]')}`;
  const join = lanes
    ? startVar
    : `      ${
        slim
          ? `var h = 0.0;
      if (c > 0 && live${diag === 'no-phase1' ? ' && false' : ''}) { h = ${startOf('k')}; }`
          : 'var h = hs[k];'
      }
      m = gcar[cur + dl * N + k];
      ${
        diag === 'no-compose'
          ? ''
          : `for (var q = 0; q < seg; q++) {
        let o = mo + ${segAt('q')};
        h = mapP[o] * h + mapF[o];
      }
      for (var q = TL - 1; q > seg; q--) {
        let o = mo + ${segAt('q')};
        m = mapP[o] * m + mapR[o];
      }`
      }
      if (seg == 0) { gcar[nxt + dl * N + k] = P * m + mapR[mo + lid]; }`;
  const joinWalk = `      // the state entering this segment, and the adjoint flowing into it from the right
${join}
      // forward over the steps: h_{t-1}, h_t, C_t h_t, and the dC sums
      for (var j = 0; j < E; j++) {
        hp[j] = h;
        h = a[j] * h + delta[j] * ut[j] * ${bAt};
        ypre[j] += ${cAt} * h;
        ${sums ? (sgs ? 'cv[j] = dyv[j] * h;' : 'red[(T + seg * E + j) * WDP + dl] = dyv[j] * h;') : ''}
      }
      // backward over the steps: g_t
      var dAk = 0.0;
      for (var j = E - 1; j >= 0; j--) {
        let aj = a[j];
        let bn = ${bAt};
        let gn = ${cAt} * dyv[j] + m;
        sumGB[j] += gn * bn;
        dDelta[j] += gn * (bn * ut[j] + Ak * aj * hp[j]);
        dAk += gn * delta[j] * aj * hp[j];
        ${sums ? (sgs ? 'bv[j] = gn * delta[j] * ut[j];' : 'red[(seg * E + j) * WDP + dl] = gn * delta[j] * ut[j];') : ''}
        m = aj * gn;
      }
      dA[k] += dAk;
${sgs && sums ? subgroupStateWgsl(sgs, e) : ''}`;
  // the parts' per-step sums over their states (C h with D u on part 0, g B, dΔ), joined once a chunk
  const joinParts = `    for (var j = 0; j < E; j++) {
      comb[j * INV + lid] = ypre[j];
      comb[(E + j) * INV + lid] = sumGB[j];
      comb[(2 * E + j) * INV + lid] = dDelta[j];
    }
    workgroupBarrier();
    for (var j = 0; j < E; j++) {
      var y0 = 0.0;
      var s0 = 0.0;
      var d0 = 0.0;
      for (var p = 0; p < SP; p++) {
        let o = (seg * SP + p) * WD + dl;
        y0 += comb[j * INV + o];
        s0 += comb[(E + j) * INV + o];
        d0 += comb[(2 * E + j) * INV + o];
      }
      ypre[j] = y0;
      sumGB[j] = s0;
      dDelta[j] = d0;
    }`;
  const stateLoop =
    ahead > 1
      ? `    // the states ${ahead} at a time: a group's maps all before one barrier, then each state's walks
    // (exp(Δ A) computed again), one more barrier before the next group's maps
    for (var k0 = 0; k0 < N; k0 += ${ahead}) {
      let kn = min(${ahead}, N - k0);
      for (var kq = 0; kq < kn; kq++) {
        let k = k0 + kq;
        let Ak = ${aOf('k')};
${rowsLoad}
${mapsCode('kq * HALF')}
      }
      workgroupBarrier();
      for (var kq = 0; kq < kn; kq++) {
        let k = k0 + kq;
        let mo = kq * HALF;
        let Ak = ${aOf('k')};
${rowsLoad}
        for (var j = 0; j < E; j++) { a[j] = ${decay('delta[j] * Ak')}; }
        let P = mapP[mo + lid];
        var m = 0.0;
${joinWalk}
      }
      workgroupBarrier();
    }`
      : lanes
        ? `    // the states one after the other, the segments' maps joined by shuffles: no barrier
    for (var k = 0; k < N; k++) {
      let Ak = ${aOf('k')};
${rowsLoad}
${mapsCode('0')}
${joinWalk}
    }`
        : `    // the states one after the other: the segments' maps meet at one barrier a state
    ${
      statesLoop('mo = (ki & 1) * HALF;') ??
      `for (var k = 0; k < N; k++) {
      // the maps' half: the same with a barrier between one state's reads and the next one's writes,
      // alternating by state where the subgroup sums leave no such barrier
      let mo = ${sgs ? '(k & 1) * HALF' : '0'};`
    }
      let Ak = ${aOf('k')};
${rowsLoad}
${mapsCode('mo')}
      workgroupBarrier();
${joinWalk}
      ${sgs ? '' : 'workgroupBarrier();'}
      ${sums && !sgs ? 'sumState(lid, b, g, c0, k);' : ''}
    }`;
  return {
    program: {
      name: `ScanBackwardBlocks${sgs ? 'Subgroup' : ''}${slim ? 'Slim' : ''}${pass ? 'Starts' : ''}${rows ? 'Rows' : ''}${ahead > 1 ? `Ahead${ahead}` : ''}${parts > 1 ? `Parts${parts}` : ''}${lanes ? 'SegLanes' : ''}`,
      key: `scanbwdb_${r}_${n}_${wd}_${tl}_${e}_${packed}_${slim}_${pass}_${rows}_${sgs?.q ?? 0}_${ahead}_${diag}${parts > 1 ? `_p${parts}` : ''}${lanes ? '_lanes' : ''}`,
      dispatch,
      uniforms: backwardUniforms(dims, g, chunks, dispatch[0]),
      wgsl: () => /* wgsl */ `${sgs ? 'enable subgroups;' : ''}
${backwardBindings(packed, pass)}
const N = ${n};
const R = ${r};
const S = ${s};
const WD = ${wd};
const TL = ${tl};
const E = ${e};
const T = ${t};
const HALF = ${half};${parts > 1 ? `\nconst SP = ${parts};\nconst INV = ${wd * tl * parts};` : ''}
const WDP = ${wdp};
const P2 = ${r + n + 2};
${
  mapSize > 0
    ? `var<workgroup> mapP: array<f32, ${mapSize}>;
var<workgroup> mapF: array<f32, ${mapSize}>;
var<workgroup> mapR: array<f32, ${mapSize}>;
`
    : ''
}var<workgroup> gcar: array<f32, ${2 * wd * n}>;
var<workgroup> red: array<f32, ${redSize}>;${parts > 1 ? `\nvar<workgroup> comb: array<f32, ${3 * e * wd * tl * parts}>;` : ''}
${sgFloats ? `var<workgroup> sred: array<f32, ${sgFloats.sred}>;\nvar<workgroup> sdt: array<f32, ${sgFloats.sdt}>;` : ''}
${WGSL_MATH}
${FLAT_INDEX}
${sgs ? '' : serialSumsWgsl()}
@compute @workgroup_size(${wd * tl * parts})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32${sgs ? ', @builtin(subgroup_invocation_id) sgl: u32' : ''}) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.G;
  let g = wgi - b * uni.G;
${
  lanes
    ? `  let seg = lid % TL;
  let dl = lid / TL;`
    : parts > 1
      ? `  let slot = lid / WD;
  let seg = slot / SP;
  let pt = slot - seg * SP;
  let dl = lid - slot * WD;`
      : `  let seg = lid / WD;
  let dl = lid - seg * WD;`
}
  let d = g * WD + dl;
  let live = d < Di && b < uni.B;
  let dc = min(d, Di - 1);
  let bc = min(b, uni.B - 1);
${sgs ? subgroupSumsSetup(sgs) : ''}
  ${diag === 'no-loads' ? 'let xr = xdbl[bc * L * S] + f32(lid) * 1e-3; /* xdbl read once: its binding stays */' : ''}
  ${
    slim
      ? ''
      : `var w: array<f32, R>;
  var A: array<f32, N>;
  for (var k = 0; k < R; k++) { w[k] = ${packed ? 'pk[dc * P2 + k]' : 'pW[dc * R + k]'}; }
  for (var k = 0; k < N; k++) { A[k] = -exp(${packed ? 'pk[dc * P2 + R + k]' : 'pALog[dc * N + k]'}); }`
  }
  ${
    packed
      ? `let dd = pk[dc * P2 + R + N];
  let bi = pk[dc * P2 + R + N + 1];`
      : `let dd = pD[dc];
  let bi = pBias[dc];`
  }
  var delta: array<f32, E>;
  var ut: array<f32, E>;
  var a: array<f32, E>;
  // Phase 1: each chunk's starting state, from the segment maps (per state, the last segment
  // composes them)
  var hc: array<f32, N>;
  for (var k = 0; k < N; k++) { hc[k] = 0.0; }
  for (var c = 0; c < ${diag === 'no-phase1' || pass ? '0' : 'uni.chunks - 1'}; c++) {
    let t0 = c * T + seg * E;
    for (var j = 0; j < E; j++) {
      let row = bc * L + t0 + j;
      var dtp = bi;
      for (var k = 0; k < R; k++) { dtp += ${X('seg * E + j', 'k')} * ${wOf('k')}; }
      delta[j] = softplusf(dtp);
      ut[j] = delta[j] * u[row * Di + dc];
    }
    ${
      statesLoop(`par = ((c * ${n / parts} + ki) & 1) * HALF;`) ??
      `for (var k = 0; k < N; k++) {
      let par = ((c * N + k) & 1) * HALF;`
    }
      let Ak = ${aOf('k')};
      var P = 1.0;
      var H = 0.0;
      for (var j = 0; j < E; j++) {
        let aj = ${decay('delta[j] * Ak')};
        H = aj * H + ut[j] * ${X('seg * E + j', 'R + k')};
        P = P * aj;
      }
${
  lanes
    ? `${segmentStartsWgsl(tl, 'hc[k]')}
      if (seg == TL - 1 && live) { du[(b * L + c * T + k) * Di + d] = hc[k]; }`
    : `      mapP[par + lid] = P;
      mapF[par + lid] = H;
      workgroupBarrier();
      if (seg == TL - 1) {
        var h = hc[k];
        for (var q = 0; q < TL; q++) {
          let o = par + ${segAt('q')};
          h = mapP[o] * h + mapF[o];
        }
        hc[k] = h;
        if (live) { du[(b * L + c * T + k) * Di + d] = h; }
      }`
}
    }
  }
  storageBarrier();
  workgroupBarrier();
  // Phase 2: chunks from the last
  var dyv: array<f32, E>;
  var sg: array<f32, E>;
  var ypre: array<f32, E>;
  var sumGB: array<f32, E>;
  var dDelta: array<f32, E>;
  var hp: array<f32, E>;
  ${slim ? '' : 'var hs: array<f32, N>;'}
  var dA: array<f32, N>;
  var dW: array<f32, R>;
  ${sgs ? 'var bv: array<f32, E>;\n  var cv: array<f32, E>;' : ''}
  for (var k = 0; k < N; k++) { dA[k] = 0.0; }
  for (var k = 0; k < R; k++) { dW[k] = 0.0; }
  var dD = 0.0;
  var dBias = 0.0;
  if (seg == 0${parts > 1 ? ' && pt == 0' : ''}) {
    let last = ((uni.chunks - 1) & 1) * WD * N;
    for (var k = 0; k < N; k++) { gcar[last + dl * N + k] = 0.0; }
  }
  for (var c = uni.chunks - 1; c >= 0; c--) {
    let c0 = c * T;
    let t0 = c0 + seg * E;
    let cur = (c & 1) * WD * N;
    let nxt = WD * N - cur;
${lanes ? "    // no barrier a state: this one keeps the previous chunk's reads of the sums and carries apart\n    workgroupBarrier();\n" : ''}    for (var j = 0; j < E; j++) {
      let tt = t0 + j;
      let row = bc * L + min(tt, L - 1);
      var dtp = bi;
      for (var k = 0; k < R; k++) { dtp += ${X('seg * E + j', 'k')} * ${wOf('k')}; }
      let valid = tt < L && live;
      ut[j] = u[row * Di + dc];
      sg[j] = sigmoidf(dtp);
      let zv = zt[row * uni.Zw + uni.zOff + dc];
      if (valid) {
        delta[j] = softplusf(dtp);
        dyv[j] = dout[row * Di + dc] * zv * sigmoidf(zv);
      } else {
        delta[j] = 0.0;
        dyv[j] = 0.0;
      }
      ypre[j] = ${parts > 1 ? 'select(0.0, dd * ut[j], pt == 0)' : 'dd * ut[j]'};
      sumGB[j] = 0.0;
      dDelta[j] = 0.0;
    }
    ${
      slim
        ? ''
        : `for (var k = 0; k < N; k++) {
      if (c > 0 && live${diag === 'no-phase1' ? ' && false' : ''}) { hs[k] = ${startOf('k')}; } else { hs[k] = 0.0; }
    }`
    }
${stateLoop}${parts > 1 ? `\n${joinParts}` : ''}
    // d dt_low: d dt_t W over the channels
    ${sums ? (sgs ? subgroupChunkWgsl(sgs, e, r, wOf, ...(parts > 1 ? [{ storeGuard: 'pt == 0', invocations: 'INV' }] : [])) : serialDtWgsl(wOf)) : 'if (b >= uni.B) { part[0] = 0.0; } // part stays bound'}
    storageBarrier();
    for (var j = 0; j < E; j++) {
      let tt = t0 + j;
      if (live && tt < L${parts > 1 ? ' && pt == 0' : ''}) {
        let row = b * L + tt;
        let ddt = dDelta[j] * sg[j];
        for (var k = 0; k < R; k++) { dW[k] += ddt * ${X('seg * E + j', 'k')}; }
        dBias += ddt;
        dD += dyv[j] * ut[j];
        du[row * Di + d] = dd * dyv[j] + delta[j] * sumGB[j];
        let zv = zt[row * uni.Zw + uni.zOff + d];
        let sz = sigmoidf(zv);
        let dzv = dout[row * Di + d] * ypre[j] * sz * (1.0 + zv * (1.0 - sz));
        let zrow = row * uni.Zw;
        for (var mz = 0; mz < uni.Zw; mz += Di) {
          if (mz == uni.zOff) { dz[zrow + mz + d] = dzv; } else { dz[zrow + mz + d] = 0.0; }
        }
      }
    }
  }
  // the parameters' gradients of this (b, channel): summed over the segments
  for (var p = 0; p < P2; p++) {
    var v = dBias;
    if (p < R) { v = dW[p]; } else if (p < R + N) { v = dA[p - R] * ${aOf('p - R')}; } else if (p == R + N) { v = dD; }
    workgroupBarrier();
    red[${parts > 1 ? 'lid' : 'seg * WD + dl'}] = v;
    workgroupBarrier();
    if (${parts > 1 ? 'lid < WD' : 'seg == 0'} && live) {
      var acc = 0.0;
      for (var q = 0; q < TL${parts > 1 ? ' * SP' : ''}; q++) { acc += red[q * WD + dl]; }
      ppart[(b * Di + d) * P2 + p] = acc;
    }
  }
}
`,
    },
    g,
  };
}
