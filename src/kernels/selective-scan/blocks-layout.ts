/**
 * Layout of the block-parallel scan programs (blocks-forward-program.ts, blocks-backward-program.ts).
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
  /** forward: states whose segment maps meet at one barrier (default 1) */
  ns?: number;
  /** each chunk's x_dbl rows staged in workgroup memory (default false) */
  stage?: boolean;
}

/**
 * Workgroup memory of the forward, bytes: (P, H) per segment, channel and state of a group of NS
 * twice, the carry twice.
 */
export function blocksForwardBytes(wd: number, tl: number, n: number, ns = 1, stagedRows = 0): number {
  return 4 * (2 * 2 * tl * wd * ns + 2 * wd * n + 2 * stagedRows);
}

/**
 * Workgroup memory of the backward, bytes: (P, H forward, H reverse) per segment and channel twice,
 * the carried adjoint twice, and the per-step sums over channels of two columns (padded rows); the
 * parallel sums and the 'together' first pass add theirs (blocks-backward-*.ts).
 */
export function blocksBackwardBytes(wd: number, tl: number, e: number, n: number, stagedRows = 0): number {
  return 4 * (3 * 2 * tl * wd + 2 * wd * n + 2 * tl * e * (wd + 1) + 2 * stagedRows);
}

/**
 * The layout for wanted WD, TL, E (and the forward's NS) within `storage` bytes of workgroup memory
 * and 256 invocations: E is raised so that a chunk holds at least N steps (the backward keeps each
 * chunk's starting state in the rows of the chunk before it), then NS, WD, TL and E halve in turn
 * until it fits; null where nothing does (N too large for the memory).
 */
export function blocksLayout(
  n: number,
  wanted: { wd: number; tl: number; e: number; ns?: number; stage?: boolean; s?: number },
  storage: number,
  backward: boolean,
): BlocksLayout | null {
  let ns = Math.max(1, Math.min(n, Math.floor(wanted.ns ?? 1)));
  const pow2 = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(x))));
  let wd = pow2(wanted.wd);
  let tl = pow2(wanted.tl);
  let e = Math.max(1, Math.floor(wanted.e));
  while (wd * tl > 256) {
    if (wd >= tl) wd >>= 1;
    else tl >>= 1;
  }
  // the staged rows of a chunk: T x S floats (S = R + 2N, given with `stage`)
  const staged = () => (wanted.stage ? tl * e * (wanted.s ?? 2 * n) : 0);
  const bytes = () =>
    backward ? blocksBackwardBytes(wd, tl, e, n, staged()) : blocksForwardBytes(wd, tl, n, ns, staged());
  for (;;) {
    if (backward) e = Math.max(e, Math.ceil(n / tl));
    if (bytes() <= storage) {
      const base = backward ? { wd, tl, e, t: tl * e } : { wd, tl, e, t: tl * e, ns };
      return wanted.stage ? { ...base, stage: true } : base;
    }
    if (!backward && ns > 1) ns >>= 1;
    else if (wd > 1) wd >>= 1;
    else if (tl > 1) tl >>= 1;
    else if (!backward && e > 1) e >>= 1;
    else return null;
  }
}
