/**
 * WGSL: the block-parallel backward's sums over its workgroup's channels (blocks-backward-program.ts).
 * Per state and chunk, the steps' dB and dC values of every channel sit in workgroup memory (`red`,
 * two columns of T steps, rows padded to WD + 1); per chunk, d dt (d Δ σ(dt)) does, one column.
 * - serial: one invocation sums a column's WD channels; d dt_low's R columns (d dt W) two at a time.
 * - parallel: KL invocations a column each sum WD / KL channels, one sums their KL partials (`red2`);
 *   d dt_low in one pass: KD invocations per (step, r) each sum their channels' d dt W[d, r], W of
 *   the workgroup's channels in workgroup memory (`wsh`).
 * Both write the partial sums of this channel group g: part[b, t, g, column].
 */
import type { BlocksLayout } from './blocks-layout';

export interface BlocksSums {
  /** invocations a dB / dC column (1: the serial sums) */
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

/** The parallel sums' lanes for a layout (R columns of d dt_low); serial where a column gets one. */
export function blocksSums(layout: BlocksLayout, r: number, parallel: boolean): BlocksSums {
  const { wd, tl, t } = layout;
  const kl = parallel ? pow2Lanes(wd, 2 * t, wd * tl) : 1;
  if (kl < 2) return { kl: 1, kd: 1, slots: 0 };
  const kd = pow2Lanes(wd, t * r, wd * tl);
  return { kl, kd, slots: Math.max(2 * t * kl, t * r * kd) };
}

/**
 * The WGSL function `sumColumns(lid, b, g, c0, col0, col1)` (red's two columns into the partials of
 * columns col0 and col1, col1 < 0: one) and, for the parallel sums, `sumDt(lid, b, g, c0)` (d dt_low
 * from red's first column, d dt per step and channel), for the program's constants T, R, S, WD, TL,
 * WDP. Every invocation calls them after a barrier that follows the writes to red; the next write
 * to red2 after one returns is behind at least two barriers (the program's state loop).
 */
export function blocksSumsWgsl(sums: BlocksSums): string {
  const write = 'part[((b * uni.L + tt) * uni.G + g) * S + col]';
  if (sums.kl === 1)
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

`;
  const { kl, kd } = sums;
  return `
const KL = ${kl};
const KD = ${kd};
const CHL = WD / KL;
const CHD = WD / KD;
fn sumColumns(lid: i32, b: i32, g: i32, c0: i32, col0: i32, col1: i32) {
  let item = lid / KL;
  if (item < 2 * T) {
    let lane = lid - item * KL;
    let base = item * WDP + lane * CHL;
    var acc = 0.0;
    for (var i = 0; i < CHL; i++) { acc += red[base + i]; }
    red2[lid] = acc;
  }
  workgroupBarrier();
  if (lid < 2 * T) {
    let which = lid / T;
    let tt = c0 + lid - which * T;
    var col = col0;
    if (which == 1) { col = col1; }
    if (col >= 0 && tt < uni.L && b < uni.B) {
      var acc = 0.0;
      for (var i = 0; i < KL; i++) { acc += red2[lid * KL + i]; }
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
 * lid, seg, dl, b, g, c0, the chunk's dDelta and sg, the channel's w): d dt W summed over channels.
 */
export function blocksDtWgsl(sums: BlocksSums): string {
  if (sums.kl === 1)
    return `for (var r0 = 0; r0 < R; r0 += 2) {
      workgroupBarrier();
      for (var j = 0; j < E; j++) {
        let ddt = dDelta[j] * sg[j];
        red[(seg * E + j) * WDP + dl] = ddt * w[r0];
        if (r0 + 1 < R) { red[(T + seg * E + j) * WDP + dl] = ddt * w[r0 + 1]; }
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
  return sums.kl === 1
    ? ''
    : `var<workgroup> red2: array<f32, ${sums.slots}>;
var<workgroup> wsh: array<f32, ${wd * r}>;`;
}

/** Bytes of workgroup memory the parallel sums add (none for the serial ones). */
export function blocksSumsBytes(sums: BlocksSums, wd: number, r: number): number {
  return sums.kl === 1 ? 0 : 4 * (sums.slots + wd * r);
}
