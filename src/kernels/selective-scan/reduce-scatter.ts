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
 * With lane bits in `exclude` (e.g. bit 1 where a channel's states are over 2 lanes), the sums run
 * only over lanes that agree on those bits: groups are of Q / 2^(excluded bits) values, register
 * bit j standing for the j-th lane bit not excluded, and lane λ ends with value k G + λ' (λ' its
 * lane index with the excluded bits squeezed out; `aligned` then permutes register bits as the lane
 * bits they stand for).
 */
export function reduceScatter(
  values: ReadonlyArray<string | null>,
  q: number,
  aligned = 0,
  exclude = 0,
): { code: string[]; live: boolean[] } {
  const code: string[] = [];
  // the lane bits summed over; register bit j of a group stands for lane bit laneBits[j]
  const laneBits: number[] = [];
  for (let m = 1; m < q; m <<= 1) if (!(exclude & m)) laneBits.push(m);
  const size = 1 << laneBits.length;
  const groups = Math.ceil(values.length / size);
  const order = laneBits.map((m, j) => ({ m, bit: 1 << j })).reverse();
  const levels = [...order.filter((x) => aligned & x.m), ...order.filter((x) => !(aligned & x.m))];
  const live: boolean[] = [];
  for (let k = 0; k < groups; k++) {
    const nonzero: boolean[] = [];
    for (let i = 0; i < size; i++) {
      const v = values[k * size + i] ?? null;
      nonzero.push(v !== null);
      if (v !== null) code.push(`      var sv${k}_${i} = ${v};`);
    }
    let done = 0;
    for (const { m, bit } of levels) {
      for (let i = 0; i < size; i++) {
        if (i & (bit | done)) continue;
        const lo = nonzero[i] ? `sv${k}_${i}` : null;
        const hi = nonzero[i + bit] ? `sv${k}_${i + bit}` : null;
        if (lo === null && hi === null) continue;
        if (aligned & m) {
          // every lane keeps register i, its partner's register i + bit holds the same value
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
      done |= bit;
    }
    live.push(nonzero[0] === true);
  }
  return { code, live };
}
