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
 *     with the Σ over a channel's SP lanes done by subgroup shuffles;
 *   - with `prepass`, Δ_t and SiLU(z_t) of the tile are computed first, once per (channel, step) with
 *     the lanes of a channel taking turns, into workgroup memory, so the steps do no softplus or
 *     sigmoid and lanes do not repeat each other's work (one more barrier per tile);
 *   - with `chunks` K, L is cut into K chunks of whole tiles walked side by side by K invocations a
 *     channel (every chunk's tile staged at once): each chunk's end state from h = 0 and its Σ Δ
 *     first, then each chunk's start h = exp(A Σ Δ_q) h + h_end(q) folded over the chunks q before
 *     it in workgroup memory, then the chunk walked again writing y.
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
  /**
   * Δ_t and SiLU(z_t) of a tile computed before its steps, once per (channel, step), the lanes of a
   * channel taking turns, into workgroup memory (one more barrier per tile); otherwise every lane of
   * a channel computes them in the step itself (default false)
   */
  prepass?: boolean;
  /**
   * the steps written out as one basic block: a branch-free softplus, exp2 with A pre-scaled by
   * log2 e, and the U steps' stores of y after all of them; without the prepass the turn is also
   * written in phases (every Δ and gate of the U steps, then every decay exp2(Δ_t A_n), then the
   * states' chains), so what does not wait for h is issued first (default false)
   */
  lean?: boolean;
  /**
   * L split into K chunks walked side by side (K invocations a channel and part): each chunk's end
   * state from zero and its Σ Δ first (pass 1, no y), then each chunk's true start folded from the
   * chunks before it in workgroup memory, then the chunk walked again writing y (pass 2); K times the
   * warps for twice the recurrence's work (default 1; not with the prepass)
   */
  chunks?: number;
}

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

/** vec4s of a staged row: dt_low, B_t and C_t each padded to whole vec4s */
export function stagedRowVecs(r: number, n: number): number {
  return Math.ceil(r / 4) + 2 * Math.ceil(n / 4);
}

/**
 * Workgroup memory of the staged forward, bytes: two tiles of rows, u and z (and Δ of one tile) of
 * each of K chunks, and with chunks each chunk's end state and Σ Δ per channel.
 */
export function stagedForwardBytes(t: number, r: number, n: number, wc: number, prepass = false, chunks = 1) {
  const tiles = 2 * chunks * t * (stagedRowVecs(r, n) * 16 + 2 * wc * 4) + (prepass ? t * wc * 4 : 0);
  return tiles + (chunks > 1 ? chunks * wc * (n + 1) * 4 : 0);
}

/**
 * The layout for wanted channels per workgroup, lanes per channel and steps per tile, on a device
 * whose subgroups have at least `subgroupMin` lanes (null: no subgroups) and `storage` bytes of
 * workgroup memory. Lanes per channel above 1 need subgroups, at least that many lanes, and N a
 * multiple of 4 x SP (each lane's states are whole vec4s of a row); otherwise 1. Channels x lanes x
 * chunks are at most 256 invocations; the tile, then the channels, halve until the staging fits.
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
  const prepass = wanted.prepass === true;
  const chunks = prepass ? 1 : Math.min(16, pow2(wanted.chunks ?? 1));
  let wc = pow2(wanted.wc);
  while (wc * sp * chunks > 256 && wc > 1) wc >>= 1;
  if (wc * sp * chunks > 256) return null;
  let t = pow2(wanted.t);
  while (stagedForwardBytes(t, r, n, wc, prepass, chunks) > storage) {
    if (t > 4 || (t > 1 && wc === 1)) t >>= 1;
    else if (wc > 1) wc >>= 1;
    else return null;
  }
  const unroll = Math.min(t, pow2(wanted.unroll ?? 1));
  const lean = wanted.lean === true;
  return {
    wc,
    sp,
    t,
    ...(unroll > 1 ? { unroll } : {}),
    ...(prepass ? { prepass } : {}),
    ...(lean ? { lean } : {}),
    ...(chunks > 1 ? { chunks } : {}),
  };
}

export function stagedForwardProgram(dims: Dims, layout: StagedLayout) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const { wc, sp, t: T } = layout;
  const unroll = Math.max(1, Math.min(T, layout.unroll ?? 1));
  const prepass = layout.prepass === true;
  const lean = layout.lean === true;
  // with K chunks, buffer `buf` holds every chunk's tile: chunk ck's rows and u / z after the others'
  const K = layout.chunks ?? 1;
  const uzBuf = K > 1 ? `(buf * ${K} + ck) * ${2 * T * wc}` : `buf * ${2 * T * wc}`;
  const uAt = (j: string) => `uz[${uzBuf} + ${j} * ${wc} + c]`;
  const zAt = (j: string) => `uz[${uzBuf} + ${T * wc} + ${j} * ${wc} + c]`;
  // the absolute step of chunk-local step x (the chunk starts at tb)
  const tAbs = (x: string) => (K > 1 ? `tb + ${x}` : x);
  const wg = wc * sp * K;
  const nps = n / sp;
  const rv = Math.ceil(r / 4);
  const nv = Math.ceil(n / 4);
  const rs = rv + 2 * nv;
  const rowBuf = K > 1 ? `(buf * ${K} + ck) * ${T * rs}` : `buf * ${T * rs}`;
  const groupsPerB = Math.ceil(di / wc);
  // chunk length: whole tiles, K of them covering L
  const lc = Math.max(1, Math.ceil(l / (K * T))) * T;
  const dispatch = dispatch1d(b * groupsPerB, 1);
  const rowShare = Math.ceil((K * T * rs) / wg);
  const colShare = Math.ceil((K * T * wc) / wg);
  const comp = (i: number) => 'xyzw'[i & 3];

  // invocation `lid` loads elements lid + m WG of the tile at t0: of its T x RS vec4s of padded
  // x_dbl rows, and of its T x WC values of u and of z (step e / WC, channel e % WC). Loops, not
  // unrolled code: a software GPU's compiler slows down steeply with straight-line shared-memory code
  const load = (t0: string) =>
    K === 1
      ? `${rowsLoadWgsl(t0, rowShare, wg, T * rs)}
    for (var m = 0; m < ${colShare}; m++) {
      let e = lid + m * ${wg};
      let tj = ${t0} + e / ${wc};
      let dj = g * ${wc} + e % ${wc};
      let ok = e < ${T * wc} && tj < L && dj < Di;
      let row = bc * L + tj;
      xu[m] = select(0.0, u[select(0, row * Di + dj, ok)], ok);
      xz[m] = select(0.0, zt[select(0, row * uni.Zw + uni.zOff + dj, ok)], ok);
    }`
      : // with chunks: element v of chunk v / (T RS), its step chunk-local tile offset t0 + j
        `    for (var m = 0; m < ${rowShare}; m++) {
      let v = lid + m * ${wg};
      let kk = v / ${T * rs};
      let vv = v - kk * ${T * rs};
      let j = vv / RS;
      let q = vv - j * RS;
      let tj = kk * uni.Lc + ${t0} + j;
      let base = (bc * L + tj) * S;
      let ok = v < ${K * T * rs} && tj < L;
      xs[m] = vec4<f32>(rowAt(base, 4 * q, ok), rowAt(base, 4 * q + 1, ok), rowAt(base, 4 * q + 2, ok), rowAt(base, 4 * q + 3, ok));
    }
    for (var m = 0; m < ${colShare}; m++) {
      let e = lid + m * ${wg};
      let kk = e / ${T * wc};
      let ee = e - kk * ${T * wc};
      let tj = kk * uni.Lc + ${t0} + ee / ${wc};
      let dj = g * ${wc} + ee % ${wc};
      let ok = e < ${K * T * wc} && tj < L && dj < Di;
      let row = bc * L + tj;
      xu[m] = select(0.0, u[select(0, row * Di + dj, ok)], ok);
      xz[m] = select(0.0, zt[select(0, row * uni.Zw + uni.zOff + dj, ok)], ok);
    }`;
  // ... and stores them into the buffers at `buf`
  const store =
    K === 1
      ? `    for (var m = 0; m < ${rowShare}; m++) {
      if (lid + m * ${wg} < ${T * rs}) { rows[buf * ${T * rs} + lid + m * ${wg}] = xs[m]; }
    }
    for (var m = 0; m < ${colShare}; m++) {
      if (lid + m * ${wg} < ${T * wc}) {
        uz[buf * ${2 * T * wc} + lid + m * ${wg}] = xu[m];
        uz[buf * ${2 * T * wc} + ${T * wc} + lid + m * ${wg}] = xz[m];
      }
    }`
      : `    for (var m = 0; m < ${rowShare}; m++) {
      if (lid + m * ${wg} < ${K * T * rs}) { rows[buf * ${K * T * rs} + lid + m * ${wg}] = xs[m]; }
    }
    for (var m = 0; m < ${colShare}; m++) {
      let e = lid + m * ${wg};
      let kk = e / ${T * wc};
      let at = (buf * ${K} + kk) * ${2 * T * wc} + e - kk * ${T * wc};
      if (e < ${K * T * wc}) {
        uz[at] = xu[m];
        uz[at + ${T * wc}] = xz[m];
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
  for (let q = 0; q < Math.ceil(nps / 4); q++) {
    states.push(`      let bq${q} = rows[o + ${rv} + so + ${q}];
      let cq${q} = rows[o + ${rv + nv} + so + ${q}];`);
    for (let i = 4 * q; i < Math.min(nps, 4 * q + 4); i++) {
      states.push(`      h${i} = ${lean ? 'exp2' : 'exp'}(delta * A${i}) * h${i} + du * bq${q}.${comp(i)};
      acc${i & 1} += h${i} * cq${q}.${comp(i)};`);
    }
  }
  const lanes: string[] = [];
  for (let m = 1; m < sp; m *= 2) lanes.push(`      acc += subgroupShuffleXor(acc, ${m}u);`);
  // Δ_t of step jj from its staged row (two partial sums: half the chain of dependent adds)
  const deltaOf = `      let o = ${rowBuf} + jj * RS;
      var dtp0 = bi;
      var dtp1 = 0.0;
${dot.join('\n')}
      let delta = ${lean ? 'softplusb' : 'softplusf'}(dtp0 + dtp1);`;
  // the prepass: the lanes of a channel take turns over the tile's steps; Δ into dl, the gate over z
  const prepassCode = `    for (var jj = part; jj < ${T}; jj += ${sp}) {
${deltaOf}
      dl[jj * ${wc} + c] = delta;
      let zv = ${zAt('jj')};
      ${zAt('jj')} = zv * sigmoidf(zv);
    }
    workgroupBarrier();`;
  const step = (k: number) => `    {
      let jj = j + ${k};
${prepass ? `      let o = ${rowBuf} + jj * RS;\n      let delta = dl[jj * ${wc} + c];` : deltaOf}
      let ut = ${uAt('jj')};
      let gate = ${prepass ? zAt('jj') : `${zAt('jj')} * sigmoidf(${zAt('jj')})`};
      let du = delta * ut;
      var acc0 = 0.0;
      var acc1 = 0.0;
${states.join('\n')}
      var acc = acc0 + acc1;
${lanes.join('\n')}
${
  lean
    ? `      yv${k} = select(nanv, (acc + dd * ut) * gate, mapped);`
    : `      if (store && ${tAbs('t0 + jj')} < L) {
        y[(bc * L + ${tAbs('t0 + jj')}) * Di + d] = select(nanv, (acc + dd * ut) * gate, mapped);
      }`
}
    }`;
  // lean (without the prepass): a turn of U steps in phases, so the work that does not wait for h
  // comes first: A, each step's Δ, u, gate and Δ u; B, every decay exp2(Δ_t A_n) of the turn; C, the
  // states' chains (one FMA a state and step) with the sums over states; then y of each step
  const turn: string[] = [];
  for (let k = 0; k < unroll; k++) {
    turn.push(`      let o${k} = ${rowBuf} + (j + ${k}) * RS;
      var dtp${k}a = bi;
      var dtp${k}b = 0.0;`);
    for (let q = 0; q < rv; q++) {
      turn.push(`      let x${k}_${q} = rows[o${k} + ${q}];`);
      for (let m = 4 * q; m < Math.min(r, 4 * q + 4); m++)
        turn.push(`      dtp${k}${m & 1 ? 'b' : 'a'} += x${k}_${q}.${comp(m)} * w${m};`);
    }
    turn.push(`      let delta${k} = softplusb(dtp${k}a + dtp${k}b);
      let ut${k} = ${uAt(`(j + ${k})`)};
      let zv${k} = ${zAt(`(j + ${k})`)};
      let gate${k} = zv${k} * sigmoidf(zv${k});
      let du${k} = delta${k} * ut${k};`);
  }
  for (let k = 0; k < unroll; k++)
    for (let i = 0; i < nps; i++) turn.push(`      let a${k}_${i} = exp2(delta${k} * A${i});`);
  for (let k = 0; k < unroll; k++) {
    turn.push(`      var acc${k}a = 0.0;
      var acc${k}b = 0.0;`);
    for (let q = 0; q < Math.ceil(nps / 4); q++) {
      turn.push(`      let b${k}_${q} = rows[o${k} + ${rv} + so + ${q}];
      let c${k}_${q} = rows[o${k} + ${rv + nv} + so + ${q}];`);
      for (let i = 4 * q; i < Math.min(nps, 4 * q + 4); i++)
        turn.push(`      h${i} = a${k}_${i} * h${i} + du${k} * b${k}_${q}.${comp(i)};
      acc${k}${i & 1 ? 'b' : 'a'} += h${i} * c${k}_${q}.${comp(i)};`);
    }
    turn.push(`      var acc${k} = acc${k}a + acc${k}b;`);
    for (let m = 1; m < sp; m *= 2) turn.push(`      acc${k} += subgroupShuffleXor(acc${k}, ${m}u);`);
    turn.push(`      yv${k} = select(nanv, (acc${k} + dd * ut${k}) * gate${k}, mapped);`);
  }
  const phased = lean && !prepass;
  // lean: the U steps' outputs stored after all of them
  const leanStores = Array.from(
    { length: unroll },
    (_, k) =>
      `      if (store && ${tAbs(`t0 + j + ${k}`)} < L) { y[(bc * L + ${tAbs(`t0 + j + ${k}`)}) * Di + d] = yv${k}; }`,
  ).join('\n');

  // with chunks, pass 1: the chunk walked from h = 0 for its end state and Σ Δ only (no y); past L
  // (the last chunk only) the steps move h and Σ Δ, which no later chunk reads
  const decay1 = (i: number) => `${lean ? 'exp2' : 'exp'}(delta * A${i})`;
  const pass1: string[] = [];
  for (let q = 0; q < Math.ceil(nps / 4); q++) {
    pass1.push(`      let bq${q} = rows[o + ${rv} + so + ${q}];`);
    for (let i = 4 * q; i < Math.min(nps, 4 * q + 4); i++)
      pass1.push(`      h${i} = ${decay1(i)} * h${i} + du * bq${q}.${comp(i)};`);
  }
  const chunkPass1 = `  // 1. each chunk from h = 0: its end state and Σ Δ
  var sdl = 0.0;
  {
    let t0 = 0;
${load('t0')}
  }
  for (var t0 = 0; t0 < uni.Lc; t0 += ${T}) {
    let buf = (t0 / ${T}) & 1;
${store}
    workgroupBarrier();
${load(`(t0 + ${T})`)}
    for (var jj = 0; jj < ${T}; jj++) {
${deltaOf}
      let du = delta * ${uAt('jj')};
      sdl += delta;
${pass1.join('\n')}
    }
  }
  // the chunks' end states and Σ Δ meet in workgroup memory; each chunk folds those before it:
  // h = exp(A Σ Δ_q) h + h_end(q), q = 0 .. ck - 1 (exp(A Σ Δ) is the product of the chunk's decays)
  let sho = (ck * ${wc} + c) * ${n + 1};
${Array.from({ length: nps }, (_, i) => `  sh[sho + part * ${nps} + ${i}] = h${i};`).join('\n')}
  if (part == 0) { sh[sho + N] = sdl; }
  workgroupBarrier();
${Array.from({ length: nps }, (_, i) => `  h${i} = 0.0;`).join('\n')}
  for (var qc = 0; qc < ck; qc++) {
    let shq = (qc * ${wc} + c) * ${n + 1};
    let sq = sh[shq + N];
${Array.from({ length: nps }, (_, i) => `    h${i} = ${lean ? 'exp2' : 'exp'}(sq * A${i}) * h${i} + sh[shq + part * ${nps} + ${i}];`).join('\n')}
  }
  // 2. each chunk again from its true start, writing y`;

  return {
    name: 'ScanForwardStaged',
    key: `scanfwds_${r}_${n}_${wc}_${sp}_${T}_${unroll}_${prepass}_${lean}_${K}`,
    dispatch,
    uniforms: [b, l, di, zw, zOffset, dispatch[0], groupsPerB, lc].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `${sp > 1 ? 'enable subgroups;' : ''}
${bindings(['y'], ['u', 'xdbl', 'zt', 'W', 'bias', 'ALog', 'Dp'], 'B: i32, L: i32, Di: i32, Zw: i32, zOff: i32, nx: i32, gpb: i32, Lc: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const RS = ${rs};
var<workgroup> rows: array<vec4<f32>, ${2 * K * T * rs}>;
var<workgroup> uz: array<f32, ${4 * K * T * wc}>;${K > 1 ? `\nvar<workgroup> sh: array<f32, ${K * wc * (n + 1)}>;` : ''}
${prepass ? `var<workgroup> dl: array<f32, ${T * wc}>;` : ''}
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
  let c = ${K > 1 ? `(lid / ${sp}) % ${wc}` : `lid / ${sp}`};${K > 1 ? `\n  // the chunk of L this invocation walks, from step tb\n  let ck = lid / ${sp * wc};\n  let tb = ck * uni.Lc;` : ''}
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
  (_, i) => `  let A${i} = -exp(ALog[dc * N + min(part * ${nps} + ${i}, N - 1)])${lean ? ' * 1.442695' : ''};
  var h${i} = 0.0;`,
).join('\n')}
${Array.from({ length: r }, (_, k) => `  let w${k} = W[dc * R + ${k}];`).join('\n')}
  let bi = bias[dc];
  let dd = Dp[dc];
  var xs: array<vec4<f32>, ${rowShare}>;
  var xu: array<f32, ${colShare}>;
  var xz: array<f32, ${colShare}>;
${K > 1 ? chunkPass1 : ''}
  {
    let t0 = 0;
${load('t0')}
  }
  for (var t0 = 0; t0 < ${K > 1 ? 'uni.Lc' : 'L'}; t0 += ${T}) {
    let buf = (t0 / ${T}) & 1;
${store}
    workgroupBarrier();
${load(`(t0 + ${T})`)}
${prepass ? prepassCode : ''}
    // every step of the tile, U at a time: past L the staged rows, u and z are zeros, so those steps
    // only move h (no longer needed) and store nothing
    for (var j = 0; j < ${T}; j += ${unroll}) {
${lean ? Array.from({ length: unroll }, (_, k) => `      var yv${k} = 0.0;`).join('\n') : ''}
${phased ? turn.join('\n') : Array.from({ length: unroll }, (_, k) => step(k)).join('\n')}
${lean ? leanStores : ''}
    }
  }
}
`,
  };
}
