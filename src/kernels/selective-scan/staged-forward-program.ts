/**
 * WGSL: the row-staged forward. One invocation per (b, channel, part of the states): with SP parts a
 * channel's N states are split over SP neighbouring lanes of a subgroup (SP 1 needs no subgroups).
 * The scan walks t in tiles of T steps; everything a tile's steps read is staged in workgroup memory:
 *   - the tile's x_dbl rows (T x S floats, contiguous in memory), each row laid out as vec4s:
 *     dt_low | B_t | C_t, each part padded to whole vec4s, so a step's B_t and C_t are N/2 vec4 loads
 *     that all lanes of a subgroup share (one broadcast), not N scalar loads from global memory;
 *   - the tile's u_t and z_t of the workgroup's channels (T rows of WC floats each, coalesced);
 *   - the staging is double-buffered (tile k in buffer k mod 2): the workgroup loads tile k + 1 into
 *     registers before the steps of tile k and stores it after them, so every global load has a
 *     tile's steps to arrive and one barrier per tile suffices;
 *   - the steps are a loop over the tile (the states unrolled, so every register is named by a
 *     constant), the equations of paper.md section 4:
 *       Δ_t = softplus(dt_low_t · W_d + bias_d)
 *       h_t[n] = exp(Δ_t A_n) h_{t-1}[n] + Δ_t u_t B_t[n]
 *       y_t = (Σ_n C_t[n] h_t[n] + D u_t) SiLU(z_t)
 *     with the Σ over a channel's SP lanes done by subgroup shuffles.
 * All global loads and the stores of y are coalesced; each exp(Δ A) is computed once; nothing of
 * size B x L x Di x N is stored.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

export interface StagedLayout {
  /** channels per workgroup */
  wc: number;
  /** lanes per channel (1: every state in one invocation) */
  sp: number;
  /** steps per tile */
  t: number;
  /** steps of the tile's loop written out one after the other (a divisor of T; default 1) */
  unroll?: number;
  /** Δ's softplus without branches (softplusb: no divergence between a subgroup's lanes; default false) */
  branchless?: boolean;
  /** where Δ_t is computed (default 'walk'; see StagedDelta) */
  delta?: StagedDelta;
}

/**
 * Where the staged forward computes Δ_t = softplus(dt_low_t · W_d + bias_d):
 *   - 'walk': in each step of the walk over t, beside the states' updates;
 *   - 'tile': for all T steps of a tile at once, after its staging (T independent dot products and
 *     softplus, no chain between them), into a column of workgroup memory beside u and z;
 *   - 'pass': in a pass of its own over every (b, t, channel) (delta-program.ts), at full occupancy,
 *     then staged like u and z (the rows then go without dt_low's columns).
 * In the last two the walk reads Δ_t as one value a step.
 */
export type StagedDelta = 'walk' | 'tile' | 'pass';

/**
 * Timing diagnostics (bench/gpu.ts only; the output is then wrong by design), each leaving out one
 * part of a step: 'no-exp' replaces exp(Δ A) by 1 + Δ A (no exponential unit), 'no-delta' replaces
 * Δ's projection and softplus by a constant (dt_low's staged loads then go unread), 'no-scan' leaves
 * out the states altogether (what is left: the staging, Δ, the gate, the D skip and the stores);
 * 'pass-only' (with Δ from its pass) runs the pass alone and returns Δ as the output.
 */
export type StagedDiagnostic = 'none' | 'no-exp' | 'no-delta' | 'no-scan' | 'pass-only';

/**
 * WGSL: invocation lid's share of a tile's staged x_dbl rows starting at step t0, as vec4s through
 * `rowAt` (the program's: which columns a row holds, padded), into its registers xs[m]: elements
 * lid + m x (invocations) of the tile's `vecs` vec4s, `share` of them an invocation.
 */
export function rowsLoadWgsl(t0: string, share: number, invocations: number, vecs: number): string {
  return `    for (var m = 0; m < ${share}; m++) {
      let v = lid + m * ${invocations};
      let j = v / RS;
      let q = v - j * RS;
      let base = (bc * L + ${t0} + j) * S;
      let ok = v < ${vecs} && ${t0} + j < L;
      xs[m] = vec4<f32>(rowAt(base, 4 * q, ok), rowAt(base, 4 * q + 1, ok), rowAt(base, 4 * q + 2, ok), rowAt(base, 4 * q + 3, ok));
    }`;
}

/** vec4s of a staged row: dt_low (unless Δ comes from its pass), B_t and C_t each padded to whole vec4s */
export function stagedRowVecs(r: number, n: number, delta: StagedDelta = 'walk'): number {
  return (delta === 'pass' ? 0 : Math.ceil(r / 4)) + 2 * Math.ceil(n / 4);
}

/** Workgroup memory of the staged forward, bytes: two tiles of rows, u, z (and Δ unless in the walk). */
export function stagedForwardBytes(t: number, r: number, n: number, wc: number, delta: StagedDelta = 'walk') {
  return 2 * t * (stagedRowVecs(r, n, delta) * 16 + (delta === 'walk' ? 2 : 3) * wc * 4);
}

/**
 * The layout for wanted channels per workgroup, lanes per channel and steps per tile, on a device
 * whose subgroups have at least `subgroupMin` lanes (null: no subgroups) and `storage` bytes of
 * workgroup memory. Lanes per channel above 1 need subgroups, at least that many lanes, and N a
 * multiple of 4 x SP (each lane's states are whole vec4s of a row); otherwise 1. Channels x lanes
 * are at most 256 invocations; the tile, then the channels, halve until the staging fits.
 */
export function stagedLayout(
  n: number,
  r: number,
  wanted: StagedLayout,
  subgroupMin: number | null,
  storage: number,
): StagedLayout | null {
  const pow2 = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(x))));
  let sp = pow2(wanted.sp);
  while (sp > 1 && (subgroupMin === null || sp > subgroupMin || n % (4 * sp) !== 0)) sp >>= 1;
  let wc = pow2(wanted.wc);
  while (wc * sp > 256 && wc > 1) wc >>= 1;
  if (wc * sp > 256) return null;
  let t = pow2(wanted.t);
  const delta = wanted.delta ?? 'walk';
  while (stagedForwardBytes(t, r, n, wc, delta) > storage) {
    if (t > 4 || (t > 1 && wc === 1)) t >>= 1;
    else if (wc > 1) wc >>= 1;
    else return null;
  }
  const unroll = Math.min(t, pow2(wanted.unroll ?? 1));
  return {
    wc,
    sp,
    t,
    ...(unroll > 1 ? { unroll } : {}),
    ...(wanted.branchless ? { branchless: true } : {}),
    ...(delta !== 'walk' ? { delta } : {}),
  };
}

export function stagedForwardProgram(
  dims: Dims,
  layout: StagedLayout,
  diagnostic: StagedDiagnostic = 'none',
) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const { wc, sp, t: T } = layout;
  const unroll = Math.max(1, Math.min(T, layout.unroll ?? 1));
  const mode = layout.delta ?? 'walk';
  const pass = mode === 'pass';
  // a tile's columns a channel: u, z (and Δ unless computed in the walk), T x WC values each
  const cols = mode === 'walk' ? 2 : 3;
  const colAt = (part: number, j: string) =>
    `uz[buf * ${cols * T * wc} + ${part * T * wc} + ${j} * ${wc} + c]`;
  const wg = wc * sp;
  const nps = n / sp;
  const rv = pass ? 0 : Math.ceil(r / 4);
  const nv = Math.ceil(n / 4);
  const rs = rv + 2 * nv;
  const groupsPerB = Math.ceil(di / wc);
  const dispatch = dispatch1d(b * groupsPerB, 1);
  const rowShare = Math.ceil((T * rs) / wg);
  const colShare = Math.ceil((T * wc) / wg);
  const comp = (i: number) => 'xyzw'[i & 3];

  // invocation `lid` loads elements lid + m WG of the tile at t0: of its T x RS vec4s of padded
  // x_dbl rows, and of its T x WC values of u and of z (step e / WC, channel e % WC). Loops, not
  // unrolled code: a software GPU's compiler slows down steeply with straight-line shared-memory code
  const load = (t0: string) => `${rowsLoadWgsl(t0, rowShare, wg, T * rs)}
    for (var m = 0; m < ${colShare}; m++) {
      let e = lid + m * ${wg};
      let tj = ${t0} + e / ${wc};
      let dj = g * ${wc} + e % ${wc};
      let ok = e < ${T * wc} && tj < L && dj < Di;
      let row = bc * L + tj;
      xu[m] = select(0.0, u[select(0, row * Di + dj, ok)], ok);
      xz[m] = select(0.0, zt[select(0, row * uni.Zw + uni.zOff + dj, ok)], ok);${
        pass ? '\n      xd[m] = select(0.0, dlt[select(0, row * Di + dj, ok)], ok);' : ''
      }
    }`;
  // ... and stores them into the buffers at `buf`
  const store = `    for (var m = 0; m < ${rowShare}; m++) {
      if (lid + m * ${wg} < ${T * rs}) { rows[buf * ${T * rs} + lid + m * ${wg}] = xs[m]; }
    }
    for (var m = 0; m < ${colShare}; m++) {
      if (lid + m * ${wg} < ${T * wc}) {
        uz[buf * ${cols * T * wc} + lid + m * ${wg}] = xu[m];
        uz[buf * ${cols * T * wc} + ${T * wc} + lid + m * ${wg}] = xz[m];${
          pass
            ? `
        uz[buf * ${cols * T * wc} + ${2 * T * wc} + lid + m * ${wg}] = xd[m];`
            : ''
        }
      }
    }`;
  // one step at tile offset jj: the dot product and the sum over states in two partial sums each,
  // so their chains of dependent adds are half as long
  const dot: string[] = [];
  for (let q = 0; q < rv; q++) {
    dot.push(`      let x${q} = rows[o + ${q}];`);
    for (let k = 4 * q; k < Math.min(r, 4 * q + 4); k++)
      dot.push(`      dtp${k & 1} += x${q}.${comp(k)} * w${k};`);
  }
  const states: string[] = [];
  for (let q = 0; q < Math.ceil(nps / 4) && diagnostic !== 'no-scan'; q++) {
    states.push(`      let bq${q} = rows[o + ${rv} + so + ${q}];
      let cq${q} = rows[o + ${rv + nv} + so + ${q}];`);
    for (let i = 4 * q; i < Math.min(nps, 4 * q + 4); i++) {
      const decay = diagnostic === 'no-exp' ? `(1.0 + delta * A${i})` : `exp(delta * A${i})`;
      states.push(`      h${i} = ${decay} * h${i} + du * bq${q}.${comp(i)};
      acc${i & 1} += h${i} * cq${q}.${comp(i)};`);
    }
  }
  const lanes: string[] = [];
  for (let m = 1; m < sp; m *= 2) lanes.push(`      acc += subgroupShuffleXor(acc, ${m}u);`);
  const softplus = layout.branchless ? 'softplusb' : 'softplusf';
  // Δ_t from the staged row (two partial sums: half the chain of dependent adds), or as staged
  const delta = mode === 'walk' ? `${softplus}(dtp0 + dtp1)` : colAt(2, 'jj');
  const deltaDot =
    mode !== 'walk'
      ? ''
      : `      var dtp0 = bi;
      var dtp1 = 0.0;
${dot.join('\n')}
`;
  // 'tile': Δ of a tile's steps after its staging, independent of each other: lane `part` of a
  // channel takes steps part, part + SP, ...; with SP > 1 the channel's other lanes read them after a
  // barrier (with SP 1 an invocation reads only what it wrote)
  const bu = Math.max(1, Math.min(unroll, Math.floor(T / sp)));
  const tileCopy = (k: number) => `      {
        let jj = q0 + ${k * sp}${sp > 1 ? ' + part' : ''};
        ${sp > 1 ? `if (jj < ${T}) {` : '{'}
          let o = buf * ${T * rs} + jj * RS;
          var dtp0 = bi;
          var dtp1 = 0.0;
${dot.map((line) => `    ${line}`).join('\n')}
          ${colAt(2, 'jj')} = ${softplus}(dtp0 + dtp1);
        }
      }`;
  const tileDelta =
    mode !== 'tile'
      ? ''
      : `    for (var q0 = 0; q0 < ${T}; q0 += ${bu * sp}) {
${Array.from({ length: bu }, (_, k) => tileCopy(k)).join('\n')}
    }
${sp > 1 ? '    workgroupBarrier();\n' : ''}`;
  const step = (k: number) => `    {
      let jj = j + ${k};
      let o = buf * ${T * rs} + jj * RS;
${deltaDot}      let delta = ${diagnostic === 'no-delta' ? '0.05' : delta};
      let ut = ${colAt(0, 'jj')};
      let gate = ${colAt(1, 'jj')} * sigmoidf(${colAt(1, 'jj')});
      let du = delta * ut;
      var acc0 = 0.0;
      var acc1 = 0.0;
${states.join('\n')}
      var acc = acc0 + acc1;
${lanes.join('\n')}
      if (store && t0 + jj < L) {
        y[(bc * L + t0 + jj) * Di + d] = select(nanv, (acc + dd * ut) * gate, mapped);
      }
    }`;

  return {
    name: 'ScanForwardStaged',
    key: `scanfwds_${r}_${n}_${wc}_${sp}_${T}_${unroll}_${layout.branchless === true}_${mode}_${diagnostic}`,
    dispatch,
    uniforms: [b, l, di, zw, zOffset, dispatch[0], groupsPerB].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `${sp > 1 ? 'enable subgroups;' : ''}
${bindings(['y'], pass ? ['u', 'xdbl', 'zt', 'dlt', 'ALog', 'Dp'] : ['u', 'xdbl', 'zt', 'W', 'bias', 'ALog', 'Dp'], 'B: i32, L: i32, Di: i32, Zw: i32, zOff: i32, nx: i32, gpb: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const RS = ${rs};
var<workgroup> rows: array<vec4<f32>, ${2 * T * rs}>;
var<workgroup> uz: array<f32, ${2 * cols * T * wc}>;
${WGSL_MATH}
${FLAT_INDEX}
// slot k of a staged row (dt_low | B_t | C_t, each padded to whole vec4s) from the x_dbl row at
// base; 0 for padding and where !ok (branch-free: software GPUs compile branches poorly)
fn rowAt(base: i32, k: i32, ok: bool) -> f32 {
  let inB = k >= ${4 * rv};
  let inC = k >= ${4 * (rv + nv)};
  let kk = select(select(k, k - ${4 * rv}, inB), k - ${4 * (rv + nv)}, inC);
  let col = select(select(kk, R + kk, inB), R + N + kk, inC);
  let valid = ok && kk < select(R, N, inB);
  return select(0.0, xdbl[select(0, base + col, valid)], valid);
}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32${sp > 1 ? ', @builtin(subgroup_invocation_id) sgl: u32' : ''}) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.gpb;
  let g = wgi - b * uni.gpb;
  let part = lid % ${sp};
  let c = lid / ${sp};
  let d = g * ${wc} + c;
  let store = d < Di && b < uni.B && part == 0;
  let dc = min(d, Di - 1);
  let bc = min(b, uni.B - 1);
  // a device whose subgroups do not follow the invocation index writes NaN: loud, never wrong
  let mapped = ${sp > 1 ? `i32(sgl % ${sp}u) == part` : 'true'};
  let nanv = bitcast<f32>(0x7fc00000u | (lidu & 0u));
  // this lane's states: part * ${nps} .. + ${nps - 1}; their vec4s start at so in a row's B_t and C_t
  let so = part * ${sp > 1 ? nps / 4 : 0};
${Array.from(
  { length: nps },
  (_, i) => `  let A${i} = -exp(ALog[dc * N + min(part * ${nps} + ${i}, N - 1)]);
  var h${i} = 0.0;`,
).join('\n')}
${pass ? '' : Array.from({ length: r }, (_, k) => `  let w${k} = W[dc * R + ${k}];`).join('\n')}
${pass ? '' : '  let bi = bias[dc];'}
  let dd = Dp[dc];
  var xs: array<vec4<f32>, ${rowShare}>;
  var xu: array<f32, ${colShare}>;
  var xz: array<f32, ${colShare}>;
${pass ? `  var xd: array<f32, ${colShare}>;\n` : ''}  {
    let t0 = 0;
${load('t0')}
  }
  for (var t0 = 0; t0 < L; t0 += ${T}) {
    let buf = (t0 / ${T}) & 1;
${store}
    workgroupBarrier();
${load(`(t0 + ${T})`)}
${tileDelta}    // every step of the tile, U at a time: past L the staged rows, u and z are zeros, so those steps
    // only move h (no longer needed) and store nothing
    for (var j = 0; j < ${T}; j += ${unroll}) {
${Array.from({ length: unroll }, (_, k) => step(k)).join('\n')}
    }
  }
}
`,
  };
}
