/**
 * WGSL of a reduce-scatter over the lanes of a subgroup: each lane holds the same list of values (its
 * own numbers), and afterwards lane λ holds, for each group k of Q values, the sum over the Q lanes
 * of value kQ + λ, in Q - 1 shuffles a group (a sum over lanes of every value would take
 * log2 Q shuffles a value, and leave every lane holding every sum). Used by the row-staged backward
 * (staged-backward-program.ts) for its per-step sums over channels.
 *
 * At the level of lane bit m, a lane keeps one half of each pair of values (i, i + m) and adds the
 * other half from lane λ ^ m. Which half a lane keeps depends on its bit m, so each pair costs two
 * selects beside the shuffle, unless the caller already placed the values by lane: with bit m in
 * `aligned`, register r of lane λ holds value r ^ (λ & aligned) (the caller's own permutation, e.g.
 * of a channel's states, done once outside the loop), every lane keeps register r (bit m clear) and
 * sends register r + m, and the level is one shuffle and one add a pair. Aligned levels go first, so
 * the levels that need selects see the fewest pairs.
 */

/**
 * WGSL of a reduce-scatter over the Q lanes of a subgroup: values[r] (a WGSL expression, or null for
 * a zero on every lane) for r < K Q, in groups of Q; with lane bits in `aligned`, values[r] on lane λ
 * must hold value r ^ (λ & aligned). After the log2 Q levels, `sv<k>_0` holds the sum over the Q
 * lanes of value k Q + λ (or is absent, `live[k]` false: zero). Levels not in `aligned` use the
 * booleans `bm<m>` (lane bit m set), which the caller declares.
 */
export function reduceScatter(
  values: ReadonlyArray<string | null>,
  q: number,
  aligned = 0,
): { code: string[]; live: boolean[] } {
  const code: string[] = [];
  const groups = Math.ceil(values.length / q);
  const masks: number[] = [];
  for (let m = q >> 1; m >= 1; m >>= 1) if (aligned & m) masks.push(m);
  for (let m = q >> 1; m >= 1; m >>= 1) if (!(aligned & m)) masks.push(m);
  const live: boolean[] = [];
  for (let k = 0; k < groups; k++) {
    const nonzero: boolean[] = [];
    for (let i = 0; i < q; i++) {
      const v = values[k * q + i] ?? null;
      nonzero.push(v !== null);
      if (v !== null) code.push(`      var sv${k}_${i} = ${v};`);
    }
    let done = 0;
    for (const m of masks) {
      for (let i = 0; i < q; i++) {
        if (i & (m | done)) continue;
        const lo = nonzero[i] ? `sv${k}_${i}` : null;
        const hi = nonzero[i + m] ? `sv${k}_${i + m}` : null;
        if (lo === null && hi === null) continue;
        if (aligned & m) {
          // every lane keeps register i, its partner's register i + m holds the same value
          if (hi === null) continue;
          code.push(
            lo === null
              ? `      var sv${k}_${i} = subgroupShuffleXor(${hi}, ${m}u);`
              : `      sv${k}_${i} = ${lo} + subgroupShuffleXor(${hi}, ${m}u);`,
          );
        } else {
          const send = `select(${hi ?? '0.0'}, ${lo ?? '0.0'}, bm${m})`;
          const keep = `select(${lo ?? '0.0'}, ${hi ?? '0.0'}, bm${m})`;
          code.push(
            `      ${lo === null ? 'var ' : ''}sv${k}_${i} = ${keep} + subgroupShuffleXor(${send}, ${m}u);`,
          );
        }
        nonzero[i] = true;
      }
      done |= m;
    }
    live.push(nonzero[0] === true);
  }
  return { code, live };
}
