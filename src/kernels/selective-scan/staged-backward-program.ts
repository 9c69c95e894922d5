/**
 * WGSL: the channel-parallel backward with each channel's states over lanes (`backwardMode:
 * 'staged'`). One workgroup per (b, WC channels); a channel's N states split over SP neighbouring
 * lanes (state n on lane n mod SP), so B x Di x SP invocations walk t, as the staged forward does.
 * paper.md section 4's equations, with a_t = exp(Δ_t A_n), dy_t the gated output gradient and g_t
 * the adjoint of h_t:
 *   g_t = C_t[n] dy_t + a_{t+1} g_{t+1}
 *   du_t  = D dy_t + Δ_t Σ_n g_t[n] B_t[n]
 *   dΔ_t  = Σ_n g_t[n] (B_t[n] u_t + A_n a_t[n] h_{t-1}[n]),  d dt_t = dΔ_t σ(dt_t)
 *   dA_n  = Σ_t g_t[n] Δ_t a_t[n] h_{t-1}[n],  dB_t[n] = Σ_d g_t[n] Δ_t u_t,  dC_t[n] = Σ_d dy_t h_t[n]
 * L goes in chunks of K steps, last to first. A chunk starts from its state at the chunk boundary (the
 * starts pass's output, [B, chunks - 1, N, Di]), walks its K steps forward keeping h_t, Δ_t and u_t
 * in registers (the steps are written out, so the arrays are registers, not local memory), then
 * backward: the adjoint, the per-step sums over a channel's states by shuffles over its SP lanes,
 * and the per-step sums over the workgroup's channels (dB, dC and d dt_low = dd_t W[d, :]) by a
 * reduce-scatter over the Q channel lanes of a subgroup (reduce-scatter.ts) whose results wait in
 * workgroup memory until the chunk's end: one barrier, then each column's WC / Q group sums go into
 * the partials of this channel group, part[b, t, g, column], summed over the groups by
 * reduce-program.ts. The parameters' sums (dW, dA, dD, d bias) stay in registers until the end.
 */
import { FLAT_INDEX, WGSL_MATH } from '../common';
import { remembered } from '../remembered';
import { dispatch1d } from '../runner';
import { backwardBindings, backwardUniforms } from './backward-interface';
import { reduceScatter } from './reduce-scatter';
import type { Dims } from './shape';

/**
 * Timing diagnostics (bench/gpu.ts only; the gradients are then wrong by design), each leaving out one
 * part: 'no-channel-sums' the per-step reduce-scatter over channel lanes and its workgroup-memory
 * stores, 'no-chunk-sums' the chunk's sums over subgroups and the partials' stores, 'no-exp' every
 * exp(Δ A) (1 + Δ A instead), 'no-recompute' the chunk's forward walk over the states (the inputs
 * kept), 'no-stores' the stores of du and dz.
 */
export type StagedBackwardDiagnostic =
  | 'none'
  | 'no-channel-sums'
  | 'no-chunk-sums'
  | 'no-exp'
  | 'no-recompute'
  | 'no-stores';

/** The staged backward's shape on a device. */
export interface StagedBackwardLayout {
  /** channels a workgroup */
  wc: number;
  /** lanes a channel: its states split over them (1 without subgroups) */
  sp: number;
  /** channel lanes of a subgroup that a sum over channels runs over by shuffles (1 without subgroups) */
  q: number;
  /** steps a chunk (the starts pass writes the state at every chunk boundary) */
  k: number;
  /**
   * the chunk's steps written out (h_t, Δ_t and u_t in registers; the form for real GPUs), or loops
   * over arrays (SwiftShader's compiler needs minutes and tens of GB for the written-out form at K 16)
   */
  written: boolean;
  /**
   * (written, SP > 1, K a multiple of SP) each step's Δ and u computed by one lane of the channel (step j
   * by lane j mod SP) and passed to the others by subgroup shuffles, instead of by every lane
   */
  share?: boolean;
  /**
   * the chunks' starting states written by each invocation's own forward walk before the chunks (a
   * fifth output, [B, max(1, chunks - 1), N, Di]), not by a pass of their own before this program: one
   * dispatch fewer, for short L (plans.ts, scanTuning.stagedBackwardInlineChunks)
   */
  inlineStarts?: boolean;
  /**
   * each chunk's K rows of x_dbl loaded once by the workgroup into workgroup memory (coalesced) and
   * read from there by every step, instead of from global memory; double-buffered: the next chunk's
   * rows are loaded into registers before this chunk's walk and stored after it, so the loads have
   * the walk to arrive and the chunk's closing barrier covers them (one barrier more in all)
   */
  rows?: boolean;
  /** a timing diagnostic (default 'none') */
  diagnostic?: StagedBackwardDiagnostic;
}

/** The most invocations a workgroup of this program has. */
export const STAGED_BACKWARD_MAX_INVOCATIONS = 256;

/**
 * Bytes of workgroup memory: a chunk's sums over channels, WC / Q groups of each column and step, and
 * (rows) the chunk's K rows of x_dbl.
 */
export function stagedBackwardBytes(layout: StagedBackwardLayout, n: number, r: number): number {
  return layout.k * (layout.wc / layout.q + (layout.rows ? 2 : 0)) * (r + 2 * n) * 4;
}

function floorPow2(x: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, x)));
}

/**
 * The layout for N states and rank R on a device whose subgroups have at least `sgMin` lanes (null:
 * none usable) and `storage` bytes of workgroup memory: SP the largest power of two up to the wanted
 * lanes that divides N and fits a subgroup; Q = the subgroup's lanes / SP, at most WC and 32; then WC,
 * and after it K, halved until the workgroup memory holds the chunk's sums. Null where nothing fits.
 */
export function stagedBackwardLayout(
  n: number,
  r: number,
  wanted: {
    wc: number;
    sp: number;
    k: number;
    written: boolean;
    share?: boolean;
    diagnostic?: StagedBackwardDiagnostic;
    rows?: boolean;
  },
  sgMin: number | null,
  storage: number,
): StagedBackwardLayout | null {
  let sp = sgMin === null ? 1 : floorPow2(Math.min(wanted.sp, sgMin));
  while (sp > 1 && n % sp !== 0) sp >>= 1;
  let wc = floorPow2(wanted.wc);
  while (wc > 1 && wc * sp > STAGED_BACKWARD_MAX_INVOCATIONS) wc >>= 1;
  let k = Math.max(1, Math.floor(wanted.k));
  const qOf = (channels: number) => (sgMin === null ? 1 : Math.min(channels, 32, floorPow2(sgMin / sp)));
  const { written } = wanted;
  const diag = {
    ...(wanted.diagnostic && wanted.diagnostic !== 'none' ? { diagnostic: wanted.diagnostic } : {}),
    ...(wanted.rows ? { rows: true } : {}),
  };
  const shareOf = () => ({
    ...(wanted.share && written && sp > 1 && k % sp === 0 ? { share: true } : {}),
    ...diag,
  });
  let layout: StagedBackwardLayout = { wc, sp, q: qOf(wc), k, written, ...shareOf() };
  while (stagedBackwardBytes(layout, n, r) > storage) {
    if (wc > 1) wc >>= 1;
    else if (k > 1) k = Math.ceil(k / 2);
    else return null;
    layout = { wc, sp, q: qOf(wc), k, written, ...shareOf() };
  }
  return layout;
}

/** `count` written-out copies of `line(i)`, one a line. */
function each(count: number, line: (i: number) => string): string {
  return Array.from({ length: count }, (_, i) => line(i)).join('\n');
}

/**
 * The program for chunks of layout.k steps, with its channel-group count g. `packed`: the parameters
 * come as one buffer [Di, R + N + 2] (W | A_log | D | bias); else dtW, A_log, D and dtBias as they
 * are. Bound after them: dy, then the chunk starts [B, max(1, chunks - 1), N, Di] (with
 * layout.inlineStarts, the fifth output instead, written here).
 */
export const stagedBackwardProgram = remembered(buildStagedBackwardProgram);

function buildStagedBackwardProgram(dims: Dims, layout: StagedBackwardLayout, packed: boolean) {
  const { b, l, di, r, n, s } = dims;
  const { wc, sp, q, k, written } = layout;
  const share = layout.share === true && written && sp > 1 && k % sp === 0;
  const diag = layout.diagnostic ?? 'none';
  const inline = layout.inlineStarts === true;
  const rows = layout.rows === true;
  // x_dbl's column `col` at step j of the chunk: from the staged rows, or from global memory at the
  // row offset `xo`
  const xAt = (j: number | string, xo: string, col: string) =>
    rows ? `xr[xb + (${j}) * S + ${col}]` : `xdbl[${xo} + ${col}]`;
  const decay = (arg: string) => (diag === 'no-exp' ? `(1.0 + ${arg})` : `exp(${arg})`);
  if (n % sp !== 0)
    throw new Error(`the staged scan backward needs N = ${n} to be a multiple of ${sp} lanes`);
  const ns = n / sp;
  const wg = wc * sp;
  const subs = wc / q;
  const g = Math.ceil(di / wc);
  const chunks = Math.ceil(l / k);
  // d dt_low's columns a lane sums over channels: column m SP + lane
  const rq = Math.ceil(r / sp);
  const shuffles = sp > 1 || q > 1;
  const dispatch = dispatch1d(b * g, 1);
  const wOf = (col: string) => (packed ? `pk[dc * P2 + ${col}]` : `pW[dc * R + ${col}]`);
  // state i of this lane: n = i SP + lane
  const st = (i: number) => (sp > 1 ? `${i * sp} + qq` : `${i}`);
  // the values a lane sums over channels at a step: dB and dC of its states, then its d dt_low columns
  const values: string[] = [
    ...Array.from({ length: ns }, (_, i) => `vb${i}`),
    ...Array.from({ length: ns }, (_, i) => `vc${i}`),
    ...Array.from({ length: rq }, (_, m) => `vw${m}`),
  ];
  const rs = reduceScatter(values, q, sp);
  const groups = rs.live.length;
  // a value's column of part: value index v of lane qq
  const colOf = (v: string) => `colOf(${v}, qq)`;
  // a step's Δ, u and states: registers of their own (written) or array elements (loops)
  const dlOf = (j: number | string) => (written ? `dl${j}` : `dl[${j}]`);
  const utOf = (j: number | string) => (written ? `ut${j}` : `ut[${j}]`);
  const hbOf = (j: number | string, i: number) => (written ? `hb${j}_${i}` : `hb[(${j}) * NS + ${i}]`);
  // h_{t-1}: the step before's state, or the chunk's start at its first step
  const hpOf = (j: number | string, i: number) =>
    typeof j === 'number'
      ? j > 0
        ? hbOf(j - 1, i)
        : `h0${i}`
      : `select(h0${i}, hb[max(${j} - 1, 0) * NS + ${i}], ${j} > 0)`;
  const sumsOut = (j: number | string) =>
    each(groups, (kk) =>
      rs.live[kk]
        ? `      { let col = ${colOf(`${kk * q} + cl`)}; if (col >= 0) { red[(${j} * SUBS + sub) * S + col] = sv${kk}_0; } }`
        : '',
    );
  // Δ and u of step j: this lane's own, or (share) lane j mod SP's, computed at the first step of
  // each SP steps for step j + lane
  const ownInputs = (j: number | string) => `      {
        let rowm = bc * L + min(t0 + ${j}, L - 1);
        let xom = rowm * S;
        var dtp = bias;
${each(r, (c) => `        dtp += ${xAt(j, 'xom', `${c}`)} * w${c};`)}
        ${share ? 'shDl' : dlOf(j)} = softplusb(dtp);
        ${share ? 'shUt' : utOf(j)} = u[rowm * Di + dc];
      }`;
  const inputs = (j: number | string) =>
    share && typeof j === 'number'
      ? `${
          j % sp === 0
            ? `${ownInputs(`${j} + qq`)}
`
            : ''
        }      ${dlOf(j)} = subgroupShuffle(shDl, lane0 + ${j % sp}u);
      ${utOf(j)} = subgroupShuffle(shUt, lane0 + ${j % sp}u);`
      : ownInputs(j);
  const forwardStep = (j: number | string) => `    {
      let row = bc * L + min(t0 + ${j}, L - 1);
      let xo = row * S;
${inputs(j)}
      let dlu = ${dlOf(j)} * ${utOf(j)};
${each(ns, (i) => `${diag === 'no-recompute' ? '' : `      h${i} = ${decay(`${dlOf(j)} * A${i}`)} * h${i} + dlu * ${xAt(j, 'xo', `R + ${st(i)}`)};\n`}      ${hbOf(j, i)} = h${i};`)}
    }`;
  const backwardStep = (j: number | string) => {
    const hp = (i: number) => hpOf(j, i);
    return `    {
      let t = t0 + ${j};
      let ok = live && t < L;
      let row = bc * L + min(t, L - 1);
      let xo = row * S;
      let zv = zt[row * uni.Zw + uni.zOff + dc];
      let go = select(0.0, dout[row * Di + dc], ok);
      let sz = sigmoidf(zv);
      let dy = go * zv * sz;
      let dlu = ${dlOf(j)} * ${utOf(j)};
      // σ(dt) = 1 - exp(-softplus(dt))
      let sgm = 1.0 - exp(-${dlOf(j)});
      var sGB = 0.0;
      var sD = 0.0;
      var yp = 0.0;
${each(
  ns,
  (i) => `      {
        let bn = ${xAt(j, 'xo', `R + ${st(i)}`)};
        let cn = ${xAt(j, 'xo', `R + N + ${st(i)}`)};
        let a = ${decay(`${dlOf(j)} * A${i}`)};
        let gn = cn * dy + gc${i};
        sGB += gn * bn;
        sD += gn * (bn * ${utOf(j)} + A${i} * a * ${hp(i)});
        dA${i} += gn * ${dlOf(j)} * a * ${hp(i)};
        vb${i} = gn * dlu;
        vc${i} = dy * ${hbOf(j, i)};
        yp += cn * ${hbOf(j, i)};
        gc${i} = a * gn;
      }`,
)}
${
  sp > 1
    ? each(
        Math.log2(sp),
        (m) => `      sGB += subgroupShuffleXor(sGB, ${1 << m}u);
      sD += subgroupShuffleXor(sD, ${1 << m}u);
      yp += subgroupShuffleXor(yp, ${1 << m}u);`,
      )
    : ''
}
      let ddt = sD * sgm;
      dD += dy * ${utOf(j)};
      dBias += ddt;
${each(rq, (m) => `      { let col = ${m * sp} + qq; let ok2 = col < R; let cc = min(col, R - 1); dW${m} += select(0.0, ddt * ${xAt(j, 'xo', 'cc')}, ok2); vw${m} = select(0.0, ddt * ${wOf('cc')}, ok2); }`)}
      if (${diag === 'no-stores' ? 'false && ' : ''}ok && qq == 0) {
        du[row * Di + d] = Dd * dy + ${dlOf(j)} * sGB;
        let dzv = go * (Dd * ${utOf(j)} + yp) * sz * (1.0 + zv * (1.0 - sz));
        let zrow = row * uni.Zw;
        for (var mz = 0; mz < uni.Zw; mz += Di) {
          if (mz == uni.zOff) { dz[zrow + mz + d] = dzv; } else { dz[zrow + mz + d] = 0.0; }
        }
      }
${diag === 'no-channel-sums' ? '' : `${rs.code.join('\n')}\n${sumsOut(j)}`}
    }`;
  };
  // (inlineStarts) the states at the end of every chunk but the last, by a forward walk of this
  // invocation's own states over the first chunks - 1 chunks; the chunk loop reads them back (an
  // invocation's own stores; other invocations' dead lanes start from zero, see h0)
  const inlineStarts = `  {
${each(ns, (i) => `    var hs${i} = 0.0;`)}
    let steps = (uni.chunks - 1) * K;
    for (var t = 0; t < steps; t++) {
      let row = bc * L + t;
      let xo = row * S;
      var dtp = bias;
${each(r, (c) => `      dtp += xdbl[xo + ${c}] * w${c};`)}
      let dl = softplusb(dtp);
      let dlu = dl * u[row * Di + dc];
${each(ns, (i) => `      hs${i} = exp(dl * A${i}) * hs${i} + dlu * xdbl[xo + R + ${st(i)}];`)}
      if (live && (t + 1) % K == 0) {
        let slot = (bc * (uni.chunks - 1) + (t + 1) / K - 1) * N;
${each(ns, (i) => `        starts[(slot + ${st(i)}) * Di + dc] = hs${i};`)}
      }
    }
  }`;
  // (rows) chunk c's K rows of x_dbl, K S floats, by the workgroup: invocation lid loads elements
  // lid + m WG into its registers xq<m> (all loads first, so they are in flight together), then
  // stores them into buffer c mod 2 of xr (rows past L repeat the last one: never read)
  const rowShare = Math.ceil((k * s) / wg);
  const rowsLoad = (chunk: string) =>
    each(
      rowShare,
      (m) =>
        `      { let o = lid + ${m * wg}; let j = o / S; xq${m} = xdbl[(bc * L + min((${chunk}) * K + j, L - 1)) * S + o - j * S]; }`,
    );
  const rowsStore = (chunk: string) =>
    each(
      rowShare,
      (m) =>
        `      { let o = lid + ${m * wg}; if (o < K * S) { xr[((${chunk}) & 1) * K * S + o] = xq${m}; } }`,
    );
  const name = `ScanBackwardStaged${written ? '' : 'Loops'}${share ? 'Shared' : ''}${inline ? 'Inline' : ''}${rows ? 'Rows' : ''}${diag === 'none' ? '' : `_${diag}`}`;
  return {
    program: {
      name,
      key: `scanbwdstaged_${r}_${n}_${wc}_${sp}_${q}_${k}_${written}_${share}_${packed}_${diag}_${inline}_${rows}`,
      dispatch,
      uniforms: backwardUniforms(dims, g, chunks, dispatch[0]),
      wgsl: () => /* wgsl */ `${shuffles ? 'enable subgroups;' : ''}
${backwardBindings(packed, inline ? 'written' : true)}
const N = ${n};
const R = ${r};
const S = ${s};
const K = ${k};
const WC = ${wc};
const SP = ${sp};
const NS = ${ns};
const Q = ${q};
const SUBS = ${subs};
const P2 = ${r + n + 2};
${WGSL_MATH}
${FLAT_INDEX}
var<workgroup> red: array<f32, ${k * subs * s}>;${
        rows
          ? `
var<workgroup> xr: array<f32, ${2 * k * s}>;`
          : ''
      }

// the column of part that value v of lane qq sums into (values: dB of the lane's NS states, dC of
// them, d dt_low's columns m SP + qq), or -1
fn colOf(v: i32, qq: i32) -> i32 {
  if (v < NS) { return R + v * SP + qq; }
  if (v < 2 * NS) { return R + N + (v - NS) * SP + qq; }
  let col = (v - 2 * NS) * SP + qq;
  if (col < R) { return col; }
  return -1;
}

@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32${share ? ', @builtin(subgroup_invocation_id) sgl: u32' : ''}) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.G;
  let gi = wgi - b * uni.G;
  let c = lid / SP;
  let qq = lid - c * SP;
  let d = gi * WC + c;
  let live = d < Di && b < uni.B;
  let dc = min(d, Di - 1);
  let bc = min(b, uni.B - 1);
  let sub = c / Q;
  let cl = c - sub * Q;
${share ? "  // the subgroup lane of this channel's lane 0\n  let lane0 = sgl - u32(qq);\n  var shDl = 0.0;\n  var shUt = 0.0;" : ''}
${each(Math.log2(q), (m) => `  let bm${1 << m} = (cl & ${1 << m}) != 0;`)}
${each(r, (c) => `  let w${c} = ${wOf(`${c}`)};`)}
${each(ns, (i) => `  let A${i} = -exp(${packed ? `pk[dc * P2 + R + ${st(i)}]` : `pALog[dc * N + ${st(i)}]`});`)}
  let Dd = ${packed ? 'pk[dc * P2 + R + N]' : 'pD[dc]'};
  let bias = ${packed ? 'pk[dc * P2 + R + N + 1]' : 'pBias[dc]'};
${each(ns, (i) => `  var dA${i} = 0.0;\n  var gc${i} = 0.0;\n  var vb${i} = 0.0;\n  var vc${i} = 0.0;`)}
${each(rq, (m) => `  var dW${m} = 0.0;\n  var vw${m} = 0.0;`)}
  var dD = 0.0;
  var dBias = 0.0;
${
  written
    ? each(k, (j) => `  var dl${j} = 0.0;\n  var ut${j} = 0.0;`)
    : '  var dl: array<f32, K>;\n  var ut: array<f32, K>;\n  var hb: array<f32, K * NS>;'
}
${inline ? inlineStarts : ''}
${
  rows
    ? `${each(rowShare, (m) => `  var xq${m} = 0.0;`)}
${rowsLoad('uni.chunks - 1')}
${rowsStore('uni.chunks - 1')}
  workgroupBarrier();`
    : ''
}
  for (var ch = uni.chunks - 1; ch >= 0; ch--) {
    let t0 = ch * K;${
      rows
        ? `
    // this chunk's rows (buffer ch mod 2, stored a chunk ago); the next chunk's loaded now, stored
    // after this chunk's walk
    let xb = (ch & 1) * K * S;
    if (ch > 0) {
${rowsLoad('ch - 1')}
    }`
        : ''
    }
${each(ns, (i) => `    var h0${i} = 0.0;\n    if (ch > 0 && live) { h0${i} = starts[((bc * (uni.chunks - 1) + ch - 1) * N + ${st(i)}) * Di + dc]; }\n    var h${i} = h0${i};`)}
${
  written
    ? `${each(k, (j) => each(ns, (i) => `    var hb${j}_${i} = 0.0;`))}
${each(k, (j) => forwardStep(j))}
${each(k, (jj) => backwardStep(k - 1 - jj))}`
    : `    for (var j = 0; j < K; j++) {
${forwardStep('j')}
    }
    for (var j = K - 1; j >= 0; j--) {
${backwardStep('j')}
    }`
}${
  rows
    ? `
    if (ch > 0) {
${rowsStore('ch - 1')}
    }`
    : ''
}
    workgroupBarrier();
    for (var o = lid; o < ${diag === 'no-chunk-sums' ? '0' : 'K * S'}; o += ${wg}) {
      let j = o / S;
      let col = o - j * S;
      let t = t0 + j;
      if (t < L && b < uni.B) {
        var acc = 0.0;
        for (var sb = 0; sb < SUBS; sb++) { acc += red[(j * SUBS + sb) * S + col]; }
        part[((b * L + t) * uni.G + gi) * S + col] = acc;
      }
    }
    workgroupBarrier();
  }
  if (live) {
    let o = (b * Di + d) * P2;
${each(rq, (m) => `    if (${m * sp} + qq < R) { ppart[o + ${m * sp} + qq] = dW${m}; }`)}
${each(ns, (i) => `    ppart[o + R + ${st(i)}] = dA${i} * A${i};`)}
    if (qq == 0) {
      ppart[o + R + N] = dD;
      ppart[o + R + N + 1] = dBias;
    }
  }
}
`,
    },
    g,
  };
}
