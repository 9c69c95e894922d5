/**
 * WGSL: the block-parallel backward's sums over its workgroup's channels (blocks-backward-program.ts).
 * - serial (devices without subgroups): per state and chunk, the steps' dB and dC values of every
 *   channel sit in workgroup memory (`red`, 2 columns of T steps: dB in column 0, dC in 1, rows padded
 *   to WD + 1), and one invocation sums a column's WD channels; per chunk, d dt_low's R columns
 *   (d dt W) two at a time the same way.
 * - subgroup: shuffles over the lanes of a subgroup, below.
 * Both write the partial sums of this channel group g: part[b, t, g, column].
 */
import { reduceScatter } from './reduce-scatter';

/**
 * The serial sums' WGSL functions `sumColumns(lid, b, g, c0, col0, col1)` (red's two columns into the
 * partials of columns col0 and col1; col1 < 0: none) and `sumState(lid, b, g, c0, k)` (state k's dB
 * and dC), for the program's constants N, T, R, S, WD, TL, WDP. Every invocation calls them after a
 * barrier that follows the writes to red.
 */
export function serialSumsWgsl(): string {
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
      part[((b * uni.L + tt) * uni.G + g) * S + col] = acc;
    }
  }
}

fn sumState(lid: i32, b: i32, g: i32, c0: i32, k: i32) {
  sumColumns(lid, b, g, c0, R + k, R + N + k);
}
`;
}

/**
 * The serial sums' lines for d dt_low at the end of a chunk (after the state loop; its variables:
 * lid, seg, dl, b, g, c0, the chunk's dDelta and sg; W[d, r] as `wOf(r)` gives it): d dt W summed
 * over channels, two columns at a time.
 */
export function serialDtWgsl(wOf: (k: string) => string): string {
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
}

/**
 * The subgroup sums (`blocksSums: 'subgroup'`, devices with WGSL subgroups): per state, an invocation's
 * 2E values (dB and dC at its E steps) are summed over the Q channel lanes of its group of the segment
 * by a reduce-scatter (reduce-scatter.ts) over the low lane bits and shuffles over the rest, right after
 * the walk: no workgroup memory and no barrier per state. The WD / Q groups' sums of every state wait
 * in `sred`, d dt W's (E R values an invocation, once a chunk) in `sdt`; after one barrier at the
 * chunk's end every invocation adds a few columns' WD / Q group sums into the partials.
 */
export interface SubgroupSums {
  /** lanes a sum runs over: min(32, the device's smallest subgroup, WD) */
  q: number;
  /** groups of Q lanes in a segment's WD channels */
  subs: number;
  /** lanes between neighbouring channels: 1, or TL with the segments on neighbouring lanes */
  stride: number;
}

/** Floats of `sred` and `sdt`. */
export function subgroupSumsFloats(sg: SubgroupSums, n: number, r: number, t: number) {
  return { sred: 2 * n * t * sg.subs, sdt: t * r * sg.subs };
}

/** Bytes of workgroup memory the subgroup sums add. */
export function subgroupSumsBytes(sg: SubgroupSums, n: number, r: number, t: number): number {
  const f = subgroupSumsFloats(sg, n, r, t);
  return 4 * (f.sred + f.sdt);
}

/**
 * WGSL summing the values (WGSL expressions of an invocation's registers) over the Q lanes of its
 * group: a reduce-scatter over the lowest log2 QS lane bits (QS the largest power of two <= the
 * values, at most Q), then the sums shuffled over the lane bits above; lane λ (λ mod Q < QS) then
 * stores value v = k QS + λ of each group k as `store(v, sum)` says (a WGSL statement).
 */
function scatterOverLanes(
  values: string[],
  sg: SubgroupSums,
  store: (v: string, sum: string) => string,
  guard = '',
): string {
  const q = sg.q;
  let qs = 1;
  while (qs * 2 <= Math.min(q, values.length)) qs *= 2;
  const { code, live } = reduceScatter(values, qs, sg.stride);
  const lines = [...code];
  live.forEach((isLive, k) => {
    if (!isLive) return;
    for (let m = qs; m < q; m *= 2)
      lines.push(`      sv${k}_0 += subgroupShuffleXor(sv${k}_0, ${m * sg.stride}u);`);
  });
  const stores = live
    .map((isLive, k) =>
      isLive
        ? `        { let v = ${k * qs} + lq; if (v < ${values.length}) { ${store('v', `sv${k}_0`)} } }`
        : '',
    )
    .filter(Boolean);
  return `      {
${lines.join('\n')}
      if (lq < ${qs}${guard ? ` && ${guard}` : ''}) {
${stores.join('\n')}
      }
      }`;
}

/**
 * The declarations the subgroup sums need in main (after lid and seg, dl): lq (the lane in its group
 * of Q), sub (the group in the segment), bm<m> (lane bit m set) and bad (NaN on a device whose
 * subgroups do not follow the invocation index: loud, never wrong; sgl is the subgroup lane).
 */
export function subgroupSumsSetup(sg: SubgroupSums): string {
  const span = sg.q * sg.stride;
  return `  let lq = ${sg.stride > 1 ? `(lid / ${sg.stride}) % ${sg.q}` : `lid % ${sg.q}`};
  let sub = dl / ${sg.q};
${Array.from({ length: Math.log2(sg.q) }, (_, k) => `  let bm${1 << k} = (lid & ${(1 << k) * sg.stride}) != 0;`).join('\n')}
  let bad = select(bitcast<f32>(0x7fc00000u | (lidu & 0u)), 0.0, i32(sgl % ${span}u) == ${sg.stride > 1 ? `lid % ${span}` : 'lq'});`;
}

/** After state k's walk (values bv[j], cv[j] of its E steps): the sums over the group's lanes into sred. */
export function subgroupStateWgsl(sg: SubgroupSums, e: number): string {
  const values = [
    ...Array.from({ length: e }, (_, j) => `bv[${j}] + bad`),
    ...Array.from({ length: e }, (_, j) => `cv[${j}] + bad`),
  ];
  return scatterOverLanes(
    values,
    sg,
    (v, sum) =>
      `let which = ${v} / E; sred[((k * 2 + which) * T + seg * E + ${v} - which * E) * ${sg.subs} + sub] = ${sum};`,
  );
}

/**
 * At a chunk's end (after the state loop; dDelta, sg of its steps, W[d, r] as `wOf(r)` gives it): d dt W
 * over the group's lanes into sdt, one barrier, then every column of the chunk (dB and dC of each
 * state, d dt_low's R) summed over the segment's groups into the partials. With the states in parts
 * (every part holding the same dDelta), only `storeGuard`'s lanes store d dt W, and the columns are
 * shared out over `invocations` (the workgroup's invocations, a WGSL expression).
 */
export function subgroupChunkWgsl(
  sg: SubgroupSums,
  e: number,
  r: number,
  wOf: (k: string) => string,
  parts: { storeGuard: string; invocations: string } = { storeGuard: '', invocations: 'WD * TL' },
): string {
  const values: string[] = [];
  for (let j = 0; j < e; j++)
    for (let k = 0; k < r; k++) values.push(`dDelta[${j}] * sg[${j}] * ${wOf(`${k}`)} + bad`);
  const subs = sg.subs;
  return `${scatterOverLanes(values, sg, (v, sum) => `let j = ${v} / R; sdt[((seg * E + j) * R + ${v} - j * R) * ${subs} + sub] = ${sum};`, parts.storeGuard)}
    workgroupBarrier();
    for (var o = lid; o < (2 * N + R) * T; o += ${parts.invocations}) {
      let cc = o / T;
      let st = o - cc * T;
      var acc = 0.0;
      var col = cc - 2 * N;
      if (cc < 2 * N) {
        for (var i = 0; i < ${subs}; i++) { acc += sred[o * ${subs} + i]; }
        let kk = cc / 2;
        col = select(R + kk, R + N + kk, cc - 2 * kk == 1);
      } else {
        for (var i = 0; i < ${subs}; i++) { acc += sdt[(st * R + col) * ${subs} + i]; }
      }
      let tt = c0 + st;
      if (tt < uni.L && b < uni.B) { part[((b * uni.L + tt) * uni.G + g) * S + col] = acc; }
    }`;
}
