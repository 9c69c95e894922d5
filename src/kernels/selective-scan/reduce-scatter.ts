/**
 * WGSL of a reduce-scatter over the lanes of a subgroup: each lane holds the same list of values (its
 * own numbers), and afterwards lane λ holds, for each group k of Q values, the sum over the Q lanes
 * of value kQ + λ, in Q - 1 shuffles a group (a sum over lanes of every value would take log2 Q
 * shuffles a value, and leave every lane holding every sum). Used by the block-parallel backward
 * (blocks-backward-sums.ts) for its sums over channels.
 *
 * At the level of lane bit m, a lane keeps one half of each pair of values (i, i + m) and adds the
 * other half from lane λ ^ m: which half it keeps depends on its bit m, so each pair costs two
 * selects beside the shuffle.
 */

/**
 * WGSL of a reduce-scatter over the Q lanes of a subgroup: values[r] (a WGSL expression, or null for
 * a zero on every lane) for r < K Q, in groups of Q. After the log2 Q levels, `sv<k>_0` holds the sum
 * over the Q lanes of value k Q + λ (or is absent, `live[k]` false: zero). The levels use the
 * booleans `bm<m>` (lane bit m set), which the caller declares. With `stride` s, the Q lanes are s
 * apart (λ s + a fixed offset): the shuffles go to the lane m s away, and `bm<m>` tests lane bit m s.
 */
export function reduceScatter(
  values: ReadonlyArray<string | null>,
  q: number,
  stride = 1,
): { code: string[]; live: boolean[] } {
  const code: string[] = [];
  const groups = Math.ceil(values.length / q);
  const live: boolean[] = [];
  for (let k = 0; k < groups; k++) {
    const nonzero: boolean[] = [];
    for (let i = 0; i < q; i++) {
      const v = values[k * q + i] ?? null;
      nonzero.push(v !== null);
      if (v !== null) code.push(`      var sv${k}_${i} = ${v};`);
    }
    // the highest lane bit first: register i pairs with i + m, lane bit m picks the half kept
    for (let m = q >> 1; m >= 1; m >>= 1) {
      for (let i = 0; i < m; i++) {
        const lo = nonzero[i] ? `sv${k}_${i}` : null;
        const hi = nonzero[i + m] ? `sv${k}_${i + m}` : null;
        if (lo === null && hi === null) continue;
        const send = `select(${hi ?? '0.0'}, ${lo ?? '0.0'}, bm${m})`;
        const keep = `select(${lo ?? '0.0'}, ${hi ?? '0.0'}, bm${m})`;
        code.push(
          `      ${lo === null ? 'var ' : ''}sv${k}_${i} = ${keep} + subgroupShuffleXor(${send}, ${m * stride}u);`,
        );
        nonzero[i] = true;
      }
    }
    live.push(nonzero[0] === true);
  }
  return { code, live };
}
