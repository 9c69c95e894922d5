/**
 * WGSL: the block-parallel backward's chunk starting states in a pass of their own
 * (`scanTuning.blocksStarts = 'pass'`), instead of the main program's first pass (which composes
 * each state's segment maps through workgroup memory, N barriers a chunk).
 *
 * One invocation per (b, channel) walks t from 0 with its N states in registers, the forward's
 * recurrence (paper.md section 4):
 *   Δ_t = softplus(dt_low_t · W_d + bias_d),   h_t[n] = exp(Δ_t A_n) h_{t-1}[n] + Δ_t u_t B_t[n]
 * and after the last step of chunk c - 1 (t = c T - 1) writes h into starts[b, c - 1, n, d], the
 * state chunk c of the main program starts from (c = 1 .. chunks - 1; chunk 0 starts from 0).
 * The steps are walked in tiles of TS; the whole workgroup first copies a tile's x_dbl rows
 * (dt_low | B_t, each padded to whole vec4s, so a step's B_t is N/4 broadcast vec4 reads) and the u of
 * its channels into workgroup memory, double-buffered: the next tile's global loads are in flight
 * during this tile's steps, one barrier a tile. C_t, z and y are not touched. The writes of the
 * states are coalesced over channels.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';
import { rowsLoadWgsl } from './staged-rows-wgsl';

export interface StartsLayout {
  /** channels (invocations) per workgroup */
  wc: number;
  /** steps per staged tile */
  ts: number;
}

/** vec4s of a staged row: dt_low and B_t, each padded to whole vec4s */
function startsRowVecs(r: number, n: number): number {
  return Math.ceil(r / 4) + Math.ceil(n / 4);
}

/** Workgroup memory of the starts pass, bytes: two tiles of rows and of u. */
export function blocksStartsBytes(layout: StartsLayout, r: number, n: number): number {
  return 4 * 2 * layout.ts * (4 * startsRowVecs(r, n) + layout.wc);
}

/** The starts pass's layout: WC channels, tiles of TS steps, halved (TS first) until it fits. */
export function blocksStartsLayout(
  wanted: StartsLayout,
  r: number,
  n: number,
  storage: number,
): StartsLayout | null {
  const pow2 = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(x))));
  const lay = { wc: Math.min(256, pow2(wanted.wc)), ts: pow2(wanted.ts) };
  while (blocksStartsBytes(lay, r, n) > storage) {
    if (lay.ts > 4) lay.ts >>= 1;
    else if (lay.wc > 1) lay.wc >>= 1;
    else if (lay.ts > 1) lay.ts >>= 1;
    else return null;
  }
  return lay;
}

/** Chunks whose starts the pass writes (at least one slot, so the buffer is never empty). */
export function startsSlots(l: number, chunkSteps: number): number {
  return Math.max(1, Math.ceil(l / chunkSteps) - 1);
}

/**
 * The pass for chunks of `chunkSteps` steps; its output is [B, startsSlots, N, Di]. `packed`: the
 * parameters come as one buffer [Di, R + N + 2] (W | A_log | D | bias), as the backward binds them.
 */
export function blocksStartsProgram(dims: Dims, chunkSteps: number, layout: StartsLayout, packed: boolean) {
  const { b, l, di, r, n, s } = dims;
  const { wc, ts } = layout;
  const rv = Math.ceil(r / 4);
  const nv = Math.ceil(n / 4);
  const rs = rv + nv;
  const gpb = Math.ceil(di / wc);
  const ch1 = Math.ceil(l / chunkSteps) - 1;
  const dispatch = dispatch1d(b * gpb, 1);
  const rowShare = Math.ceil((ts * rs) / wc);
  const comp = (i: number) => 'xyzw'[i & 3];
  const p2 = r + n + 2;
  const wAt = (k: number) => (packed ? `pk[dc * ${p2} + ${k}]` : `pW[dc * R + ${k}]`);
  const aLogAt = (k: number) => (packed ? `pk[dc * ${p2} + R + ${k}]` : `pALog[dc * N + ${k}]`);
  const biasAt = packed ? `pk[dc * ${p2} + R + N + 1]` : 'pBias[dc]';
  // invocation lid loads vec4s lid + m WC of the tile's padded rows, and u of its channel at every step
  const load = (t0: string) => `${rowsLoadWgsl(t0, rowShare, wc, ts * rs)}
    for (var m = 0; m < ${ts}; m++) {
      let ok = ${t0} + m < L && d < Di;
      xu[m] = select(0.0, u[select(0, (bc * L + ${t0} + m) * Di + dc, ok)], ok);
    }`;
  const store = `    for (var m = 0; m < ${rowShare}; m++) {
      if (lid + m * ${wc} < ${ts * rs}) { rows[buf * ${ts * rs} + lid + m * ${wc}] = xs[m]; }
    }
    for (var m = 0; m < ${ts}; m++) { us[(buf * ${ts} + m) * ${wc} + lid] = xu[m]; }`;
  const dot: string[] = [];
  for (let q = 0; q < rv; q++) {
    dot.push(`      let x${q} = rows[o + ${q}];`);
    for (let k = 4 * q; k < Math.min(r, 4 * q + 4); k++)
      dot.push(`      dtp${k & 1} += x${q}.${comp(k)} * w${k};`);
  }
  const states: string[] = [];
  for (let q = 0; q < nv; q++) {
    states.push(`      let bq${q} = rows[o + ${rv + q}];`);
    for (let i = 4 * q; i < Math.min(n, 4 * q + 4); i++)
      states.push(`      h${i} = exp(delta * A${i}) * h${i} + du * bq${q}.${comp(i)};`);
  }
  const writes = Array.from(
    { length: n },
    (_, i) => `        starts[((b * uni.ch1 + slot) * N + ${i}) * Di + d] = h${i};`,
  ).join('\n');
  return {
    name: 'ScanBackwardStarts',
    key: `scanstarts_${r}_${n}_${wc}_${ts}_${packed}`,
    dispatch,
    uniforms: [b, l, di, gpb, chunkSteps, ch1, dispatch[0]].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `
${bindings(['starts'], packed ? ['u', 'xdbl', 'pk'] : ['u', 'xdbl', 'pW', 'pALog', 'pBias'], 'B: i32, L: i32, Di: i32, gpb: i32, T: i32, ch1: i32, nx: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const RS = ${rs};
var<workgroup> rows: array<vec4<f32>, ${2 * ts * rs}>;
var<workgroup> us: array<f32, ${2 * ts * wc}>;
${WGSL_MATH}
${FLAT_INDEX}
// slot k of a staged row (dt_low | B_t, each padded to whole vec4s) from the x_dbl row at base; 0 for
// padding and where !ok
fn rowAt(base: i32, k: i32, ok: bool) -> f32 {
  let inB = k >= ${4 * rv};
  let kk = select(k, k - ${4 * rv}, inB);
  let col = select(kk, R + kk, inB);
  let valid = ok && kk < select(R, N, inB);
  return select(0.0, xdbl[select(0, base + col, valid)], valid);
}
@compute @workgroup_size(${wc})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.gpb;
  let d = (wgi - b * uni.gpb) * ${wc} + lid;
  let live = d < Di && b < uni.B;
  let dc = min(d, Di - 1);
  let bc = min(b, uni.B - 1);
${Array.from({ length: n }, (_, i) => `  let A${i} = -exp(${aLogAt(i)});\n  var h${i} = 0.0;`).join('\n')}
${Array.from({ length: r }, (_, k) => `  let w${k} = ${wAt(k)};`).join('\n')}
  let bi = ${biasAt};
  var xs: array<vec4<f32>, ${rowShare}>;
  var xu: array<f32, ${ts}>;
  {
    let t0 = 0;
${load('t0')}
  }
  // the last chunk's start is written after step (chunks - 1) T - 1: nothing past it is walked
  let tEnd = uni.ch1 * uni.T;
  for (var t0 = 0; t0 < tEnd; t0 += ${ts}) {
    let buf = (t0 / ${ts}) & 1;
${store}
    workgroupBarrier();
${load(`(t0 + ${ts})`)}
    for (var jj = 0; jj < ${ts}; jj++) {
      let o = buf * ${ts * rs} + jj * RS;
      var dtp0 = bi;
      var dtp1 = 0.0;
${dot.join('\n')}
      let delta = softplusf(dtp0 + dtp1);
      let du = delta * us[(buf * ${ts} + jj) * ${wc} + lid];
${states.join('\n')}
      let tn = t0 + jj + 1;
      let slot = tn / uni.T - 1;
      if (live && tn - (slot + 1) * uni.T == 0 && slot < uni.ch1) {
${writes}
      }
    }
  }
}
`,
  };
}
