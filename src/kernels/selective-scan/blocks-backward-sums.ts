/**
 * WGSL: the block-parallel backward's sums over its workgroup's channels (blocks-backward-program.ts).
 * Per group of NS states and chunk, the steps' dB and dC values of every channel sit in workgroup
 * memory (`red`, 2 NS columns of T steps: dB of state k0 + i in column 2i, its dC in 2i + 1, rows
 * padded to WD + 1); per chunk, d dt (d Δ σ(dt)) does, one column.
 * - serial (NS 1): one invocation sums a column's WD channels; d dt_low's R columns (d dt W) two at a
 *   time.
 * - parallel: KL invocations a column each sum WD / KL channels, one sums their KL partials (`red2`);
 *   d dt_low in one pass: KD invocations per (step, r) each sum their channels' d dt W[d, r], W of
 *   the workgroup's channels in workgroup memory (`wsh`).
 * Both write the partial sums of this channel group g: part[b, t, g, column].
 */
import type { BlocksLayout } from './blocks-layout';

export interface BlocksSums {
  parallel: boolean;
  /** states a group (1 for the serial sums) */
  ns: number;
  /** invocations a dB / dC column */
  kl: number;
  /** invocations per (step, r) of d dt_low */
  kd: number;
  /** floats of `red2`, the second level's partials (0: serial) */
  slots: number;
}

function pow2Lanes(wd: number, items: number, invocations: number): number {
  let k = 1;
  while (k * 2 <= wd && k * 2 * items <= invocations) k *= 2;
  return k;
}

/** The sums' lanes for a layout, NS states a group (parallel only) and R columns of d dt_low. */
export function blocksSums(layout: BlocksLayout, r: number, parallel: boolean, ns = 1): BlocksSums {
  const { wd, tl, t } = layout;
  if (!parallel) return { parallel, ns: 1, kl: 1, kd: 1, slots: 0 };
  const kl = pow2Lanes(wd, 2 * ns * t, wd * tl);
  const kd = pow2Lanes(wd, t * r, wd * tl);
  return { parallel, ns, kl, kd, slots: Math.max(2 * ns * t * kl, t * r * kd) };
}

/**
 * The WGSL function `sumStates(lid, b, g, c0, k0)` (red's columns of states k0 .. k0 + NS - 1 into
 * the partials of their dB and dC columns) and, for the parallel sums, `sumDt(lid, b, g, c0)`
 * (d dt_low from red's first column, d dt per step and channel), for the program's constants N, T,
 * R, S, WD, TL, WDP. Every invocation calls them after a barrier that follows the writes to red; the next write
 * to red2 after one returns is behind at least two barriers (the program's state loop).
 */
export function blocksSumsWgsl(sums: BlocksSums): string {
  const write = 'part[((b * uni.L + tt) * uni.G + g) * S + col]';
  if (!sums.parallel)
    return `
fn sumColumns(lid: i32, b: i32, g: i32, c0: i32, col0: i32, col1: i32) {
  for (var o = lid; o < 2 * T; o += WD * TL) {
    let which = o / T;
    let item = o - which * T;
    let tt = c0 + item;
    var col = col0;
    if (which == 1) { col = col1; }
    if (col >= 0 && tt < uni.L && b < uni.B) {
      let base = (which * T + item) * WDP;
      var acc = 0.0;
      for (var i = 0; i < WD; i++) { acc += red[base + i]; }
      ${write} = acc;
    }
  }
}

fn sumStates(lid: i32, b: i32, g: i32, c0: i32, k0: i32) {
  sumColumns(lid, b, g, c0, R + k0, R + N + k0);
}
`;
  const { kl, kd } = sums;
  return `
const KL = ${kl};
const KD = ${kd};
const CHL = WD / KL;
const CHD = WD / KD;
fn sumStates(lid: i32, b: i32, g: i32, c0: i32, k0: i32) {
  for (var o = lid; o < 2 * NS * T * KL; o += WD * TL) {
    let item = o / KL;
    let base = item * WDP + (o - item * KL) * CHL;
    var acc = 0.0;
    for (var i = 0; i < CHL; i++) { acc += red[base + i]; }
    red2[o] = acc;
  }
  workgroupBarrier();
  for (var o = lid; o < 2 * NS * T; o += WD * TL) {
    let which = o / T;
    let tt = c0 + o - which * T;
    let k = k0 + which / 2;
    var col = R + k;
    if ((which & 1) == 1) { col = R + N + k; }
    if (k < N && tt < uni.L && b < uni.B) {
      var acc = 0.0;
      for (var i = 0; i < KL; i++) { acc += red2[o * KL + i]; }
      ${write} = acc;
    }
  }
}

fn sumDt(lid: i32, b: i32, g: i32, c0: i32) {
  for (var o = lid; o < T * R * KD; o += WD * TL) {
    let item = o / KD;
    let lane = o - item * KD;
    let st = item / R;
    let rr = item - st * R;
    var acc = 0.0;
    for (var i = 0; i < CHD; i++) {
      let ch = lane * CHD + i;
      acc += red[st * WDP + ch] * wsh[ch * R + rr];
    }
    red2[o] = acc;
  }
  workgroupBarrier();
  for (var o = lid; o < T * R; o += WD * TL) {
    let st = o / R;
    let tt = c0 + st;
    let col = o - st * R;
    if (tt < uni.L && b < uni.B) {
      var acc = 0.0;
      for (var i = 0; i < KD; i++) { acc += red2[o * KD + i]; }
      ${write} = acc;
    }
  }
}
`;
}

/**
 * The main program's lines for d dt_low at the end of a chunk (after the state loop; its variables:
 * lid, seg, dl, b, g, c0, the chunk's dDelta and sg; W[d, r] as `wOf(r)` gives it): d dt W summed
 * over channels.
 */
export function blocksDtWgsl(sums: BlocksSums, wOf: (k: string) => string): string {
  if (!sums.parallel)
    return `for (var r0 = 0; r0 < R; r0 += 2) {
      workgroupBarrier();
      for (var j = 0; j < E; j++) {
        let ddt = dDelta[j] * sg[j];
        red[(seg * E + j) * WDP + dl] = ddt * ${wOf('r0')};
        if (r0 + 1 < R) { red[(T + seg * E + j) * WDP + dl] = ddt * ${wOf('r0 + 1')}; }
      }
      workgroupBarrier();
      var col1 = -1;
      if (r0 + 1 < R) { col1 = r0 + 1; }
      sumColumns(lid, b, g, c0, r0, col1);
    }`;
  return `workgroupBarrier();
    for (var j = 0; j < E; j++) { red[(seg * E + j) * WDP + dl] = dDelta[j] * sg[j]; }
    workgroupBarrier();
    sumDt(lid, b, g, c0);`;
}

/** The workgroup arrays the parallel sums add: red2, and W of the workgroup's channels. */
export function blocksSumsArrays(sums: BlocksSums, wd: number, r: number): string {
  return !sums.parallel
    ? ''
    : `var<workgroup> red2: array<f32, ${sums.slots}>;
var<workgroup> wsh: array<f32, ${wd * r}>;`;
}

/** Bytes of workgroup memory the parallel sums add (none for the serial ones). */
export function blocksSumsBytes(sums: BlocksSums, wd: number, r: number): number {
  return sums.parallel ? 4 * (sums.slots + wd * r) : 0;
}
