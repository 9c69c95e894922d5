/**
 * WGSL of a reduce-scatter over the lanes of a subgroup: each lane holds the same list of values (its
 * own numbers), and afterwards lane λ holds, for each group k of Q values, the sum over the Q lanes
 * of value kQ + λ, in Q - 1 shuffles a group (a sum over lanes of every value would take
 * log2 Q shuffles a value, and leave every lane holding every sum). Used by the row-staged backward
 * (staged-backward-program.ts) for its per-step sums over channels.
 */

/**
 * WGSL of a reduce-scatter over the Q lanes of a subgroup: values[i] (a WGSL expression, or null for
 * a known zero) for i < K Q, in groups of Q; at the level of mask m a lane keeps the half of each
 * pair (i, i + m) whose bit m matches its own (`bm<m>`) and adds the other half from lane λ ^ m.
 * After log2 Q levels, `sv<k>_0` holds the sum over the Q lanes of value k Q + λ (or is absent: zero).
 */
export function reduceScatter(
  values: ReadonlyArray<string | null>,
  q: number,
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
    for (let m = q >> 1; m >= 1; m >>= 1) {
      for (let i = 0; i < m; i++) {
        const lo = nonzero[i] ? `sv${k}_${i}` : null;
        const hi = nonzero[i + m] ? `sv${k}_${i + m}` : null;
        if (lo === null && hi === null) continue;
        const send = `select(${hi ?? '0.0'}, ${lo ?? '0.0'}, bm${m})`;
        const keep = `select(${lo ?? '0.0'}, ${hi ?? '0.0'}, bm${m})`;
        if (lo === null) code.push(`      var sv${k}_${i} = ${keep} + subgroupShuffleXor(${send}, ${m}u);`);
        else code.push(`      sv${k}_${i} = ${keep} + subgroupShuffleXor(${send}, ${m}u);`);
        nonzero[i] = true;
      }
    }
    live.push(nonzero[0] === true);
  }
  return { code, live };
}
