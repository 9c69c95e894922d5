/**
 * The reduce-scatter's WGSL (reduce-scatter.ts) run as arithmetic: each generated statement evaluated
 * over Q simulated lanes, subgroupShuffleXor reading the partner lane's value. Its use on a real
 * device (SwiftShader's 4-lane subgroups) is in blocks.test.ts, the subgroup sums of the backward.
 */
import { describe, expect, it } from 'vitest';
import { reduceScatter } from './reduce-scatter';

/** split a WGSL sum at its top-level ' + ' */
function terms(e: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < e.length; i++) {
    if (e[i] === '(') depth++;
    else if (e[i] === ')') depth--;
    else if (depth === 0 && e.startsWith(' + ', i)) {
      parts.push(e.slice(from, i));
      from = i + 3;
    }
  }
  return [...parts, e.slice(from)];
}

/**
 * `count` values (those where `zero` holds known zeros, passed as null) over Q lanes, lane λ's value i
 * being (i + 1) 2^λ (exact in doubles), so every sum says which lanes went into it. Checks that lane λ ends
 * with the sum over the lanes of value kQ + λ for every group k; returns the groups' liveness and the
 * shuffles written.
 */
function simulate(count: number, zero: (i: number) => boolean, q: number, stride = 1) {
  const values = Array.from({ length: count }, (_, i) => (zero(i) ? null : `x[${i}]`));
  const { code, live } = reduceScatter(values, q, stride);
  const lanesIn = Array.from({ length: q * stride }, (_, lane) =>
    Array.from({ length: count }, (_, i) => (zero(i) ? 0 : (i + 1) * 2 ** lane)),
  );
  const vars = lanesIn.map(() => new Map<string, number>());
  const evaluate = (e: string, lane: number): number => {
    const shuffle = /^subgroupShuffleXor\((.*), (\d+)u\)$/.exec(e);
    if (shuffle) return evaluate(shuffle[1] as string, lane ^ Number(shuffle[2]));
    const sel = /^select\((\S+), (\S+), bm(\d+)\)$/.exec(e);
    if (sel)
      return evaluate(
        (lane & (Number(sel[3]) * stride)) !== 0 ? (sel[2] as string) : (sel[1] as string),
        lane,
      );
    if (e === '0.0') return 0;
    const x = /^x\[(\d+)\]$/.exec(e);
    if (x) return lanesIn[lane]?.[Number(x[1])] ?? Number.NaN;
    if (/^\w+$/.test(e)) return vars[lane]?.get(e) ?? Number.NaN;
    const sum = terms(e);
    if (sum.length < 2) throw new Error(`unparsed: ${e}`);
    return sum.reduce((acc, t) => acc + evaluate(t, lane), 0);
  };
  let shuffles = 0;
  for (const line of code) {
    const m = /^\s*(?:var )?(\w+) = (.*);$/.exec(line);
    if (!m) throw new Error(`unparsed: ${line}`);
    shuffles += (line.match(/subgroupShuffleXor\(/g) ?? []).length;
    // every lane's right side from the values before the statement, then assigned
    const next = lanesIn.map((_, lane) => evaluate(m[2] as string, lane));
    next.forEach((v, lane) => {
      vars[lane]?.set(m[1] as string, v);
    });
  }
  // with a stride, lane λ is lane λ / stride of the group of lanes λ mod stride apart
  for (let k = 0; k < Math.ceil(count / q); k++)
    for (let lane = 0; lane < q * stride; lane++) {
      const i = k * q + Math.floor(lane / stride);
      const want =
        i < count
          ? lanesIn.reduce((acc, l, from) => acc + (from % stride === lane % stride ? (l[i] ?? 0) : 0), 0)
          : 0;
      const got = live[k] ? (vars[lane]?.get(`sv${k}_0`) ?? Number.NaN) : 0;
      expect(got, `value ${i} on lane ${lane}`).toBe(want);
    }
  return { live, shuffles };
}

describe('reduce-scatter over the lanes of a subgroup', () => {
  it('lane λ ends with the sum over the lanes of value kQ + λ, in Q - 1 shuffles a group', () => {
    // 11 values in groups of 4 (the last group partly past the list), one known zero
    const { live, shuffles } = simulate(11, (i) => i === 6, 4);
    expect(live).toEqual([true, true, true]);
    // 3 a group: a known zero, or a value past the list, still leaves its partner to shuffle
    expect(shuffles).toBe(9);
    // 32 lanes: 31 shuffles a group of 32 values; 8 values alone take 8 + 8 + 4 + 2 + 1
    expect(simulate(64, () => false, 32).shuffles).toBe(2 * 31);
    expect(simulate(8, () => false, 32).shuffles).toBe(23);
  });

  it('groups of known zeros write nothing and are not live; two lanes and one lane', () => {
    const { live, shuffles } = simulate(12, (i) => i >= 4 && i < 8, 4);
    expect(live).toEqual([true, false, true]);
    expect(shuffles).toBe(6);
    expect(simulate(3, () => false, 2).live).toEqual([true, true]);
    // one lane: no level, each value its own sum
    expect(simulate(3, () => false, 1)).toEqual({ live: [true, true, true], shuffles: 0 });
  });

  it("over lanes a stride apart (a channel's segments on neighbouring lanes): each offset its own sums", () => {
    // 8 values over 8 channel lanes 4 apart (32 lanes): 7 shuffles, each to the lane 4, 8 or 16 away
    const { shuffles } = simulate(8, () => false, 8, 4);
    expect(shuffles).toBe(7);
    expect(reduceScatter(['a', 'b'], 2, 4).code.join('\n')).toContain(
      'subgroupShuffleXor(select(sv0_1, sv0_0, bm1), 4u)',
    );
    simulate(11, (i) => i === 3, 4, 2);
    simulate(5, () => false, 2, 8);
  });
});
