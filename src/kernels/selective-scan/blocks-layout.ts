/**
 * Layout of the block-parallel scan backward (blocks-backward-program.ts).
 *
 * A workgroup holds WD channels x TL segments of time; each invocation walks E consecutive steps of
 * one channel, so a chunk of T = TL x E steps is in flight at once, and chunks follow one another
 * carrying the state. Invocation `lid` = segment * WD + channel lane: the lanes of a hardware
 * subgroup are neighbouring channels at the same time steps (the B_t / C_t rows they read are the
 * same address; u, z, y are contiguous).
 */

export interface BlocksLayout {
  /** channels per workgroup */
  wd: number;
  /** segments of time per workgroup */
  tl: number;
  /** steps per invocation and chunk */
  e: number;
  /** steps per chunk, TL x E */
  t: number;
}

/**
 * Workgroup memory of the backward, bytes: (P, H forward, H reverse) per segment and channel twice,
 * the carried adjoint twice, and the per-step sums over channels of two columns (padded rows; the
 * serial sums, which every device can run: the subgroup sums' arrays are blocks-backward-forms.ts's).
 */
export function blocksBackwardBytes(wd: number, tl: number, e: number, n: number): number {
  return 4 * (3 * 2 * tl * wd + 2 * wd * n + 2 * tl * e * (wd + 1));
}

/**
 * The layout for wanted WD, TL, E within `storage` bytes of workgroup memory and 256 invocations: E
 * is raised so that a chunk holds at least N steps (the backward keeps each chunk's starting state in
 * the rows of the chunk before it), then WD and TL halve in turn until it fits; null where nothing
 * does (N too large for the memory).
 */
export function blocksLayout(
  n: number,
  wanted: { wd: number; tl: number; e: number },
  storage: number,
): BlocksLayout | null {
  const pow2 = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(x))));
  let wd = pow2(wanted.wd);
  let tl = pow2(wanted.tl);
  let e = Math.max(1, Math.floor(wanted.e));
  while (wd * tl > 256) {
    if (wd >= tl) wd >>= 1;
    else tl >>= 1;
  }
  for (;;) {
    e = Math.max(e, Math.ceil(n / tl));
    if (blocksBackwardBytes(wd, tl, e, n) <= storage) return { wd, tl, e, t: tl * e };
    if (wd > 1) wd >>= 1;
    else if (tl > 1) tl >>= 1;
    else return null;
  }
}
