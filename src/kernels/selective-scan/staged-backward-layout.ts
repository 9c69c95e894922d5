/**
 * Layout of the row-staged backward (staged-backward-program.ts): channels per workgroup, steps per
 * tile, and where the per-step sums over channels go (workgroup memory, or subgroup shuffles over Q
 * lanes), fitted to a device's workgroup memory.
 */
import { stagedRowVecs } from './staged-forward-program';

export interface StagedBackwardLayout {
  /** channels per workgroup */
  wc: number;
  /** steps per tile (at least N) */
  t: number;
  /**
   * subgroup sums: the lanes of a subgroup the per-step sums over channels are shuffled across (a
   * power of two, at most the device's smallest subgroup; WC a multiple of it); absent: the sums go
   * through workgroup memory
   */
  q?: number;
  /**
   * with subgroup sums: the vec4 blocks of a channel's states whose order each lane permutes (block b
   * of lane λ's registers holds the states of block b ^ (λ mod NB)), so that the first levels of the
   * reduce-scatter need no selects; N / 4 where N is 4 times a power of two, absent otherwise
   */
  nb?: number;
  /**
   * with subgroup sums: a channel's states over 2 neighbouring lanes (N / 2 each, N a multiple of 8),
   * twice the invocations (and warps) for the same channels; absent: one lane a channel
   */
  lanes?: number;
}

/**
 * Workgroup memory, bytes: two tiles of rows and of u, z, dy; then either the per-step sums over
 * channels (WC rows of S, padded) or, with subgroup sums over Q lanes, the tile's states ((T - 1) x
 * N x WC) and, with several subgroups a workgroup, their sums of a tile (T x S x WC / Q).
 */
export function stagedBackwardBytes(
  t: number,
  r: number,
  n: number,
  wc: number,
  q?: number,
  lanes = 1,
): number {
  const s = r + 2 * n;
  const staging = 2 * t * (stagedRowVecs(r, n) * 16 + 3 * wc * 4);
  if (q === undefined) return staging + wc * (s | 1) * 4;
  const subgroups = (wc * lanes) / q;
  return staging + 4 * Math.max(1, (t - 1) * n * wc) + (subgroups > 1 ? 4 * t * s * subgroups : 0);
}

/**
 * The layout for wanted channels per workgroup and T within `storage` bytes: T is raised to N (the
 * state checkpoints live in du's rows), then the channels halve, then T (not below N), until it
 * fits. With subgroup sums wanted over `q` lanes (a device with subgroups of at least that many; at
 * most 32, the most values a lane's reduce-scatter is written for), the channels stay a multiple of
 * Q (at least Q). With `aligned` and N / 4 a power of two above 1, the states are permuted by lane
 * in N / 4 blocks (`nb`). With `lanes` 2, subgroups of at least 2 lanes and N a multiple of 8, a
 * channel's states go over 2 lanes (no permutation then), the channels a multiple of Q / 2.
 */
export function stagedBackwardLayout(
  n: number,
  r: number,
  wanted: { wc: number; t: number; q?: number; aligned?: boolean; lanes?: number },
  storage: number,
): StagedBackwardLayout | null {
  const pow2 = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(x))));
  const q = wanted.q !== undefined && wanted.q > 1 ? Math.min(32, pow2(wanted.q)) : undefined;
  const lanes = q !== undefined && wanted.lanes === 2 && n % 8 === 0 ? 2 : 1;
  const least = (q ?? 1) / lanes;
  let wc = Math.min(256 / lanes, Math.max(least, pow2(wanted.wc)));
  let t = Math.max(n, Math.floor(wanted.t));
  while (stagedBackwardBytes(t, r, n, wc, q, lanes) > storage) {
    if (wc > Math.max(32, least)) wc >>= 1;
    else if (t > n) t = Math.max(n, t >> 1);
    else if (wc > least) wc >>= 1;
    else return null;
  }
  if (q === undefined) return { wc, t };
  if (lanes > 1) return { wc, t, q, lanes };
  const blocks = n / 4;
  const nb = wanted.aligned && n % 4 === 0 && blocks > 1 && pow2(blocks) === blocks ? blocks : undefined;
  return nb === undefined ? { wc, t, q } : { wc, t, q, nb };
}
