/**
 * The row-staged scan backward (staged-backward-program.ts) on WebGPU (Dawn + SwiftShader) against
 * the plain-ops reference on cpu: every gradient, relative error < 1e-4, on L = 1, L shorter than a
 * tile, L not a multiple of the tile, odd R and N (rows padded to whole vec4s), channels not a
 * multiple of the workgroup's, a large batch, the gate read from in_proj's [B, L, 2Di] output
 * (dz's other half zero), the parameters packed and not, and pooled buffers poisoned with NaN (a
 * partial left unwritten shows); with the per-step sums through workgroup memory and by subgroup
 * shuffles (one and several subgroups a workgroup; the forward walks 1, 2 and 4 steps a turn). Also
 * the layout rules and the reduce-scatter's arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeGpuErrors } from '../backend';
import { registerAllKernels } from '../register';
import { setRawDispatchHook, subgroupMinSize } from '../runner';
import { SCAN_INPUT_NAMES, type ScanCase, scanFunction, scanInputs } from '../testing/checks';
import { Rng, randn, relErr, valueAndGrads } from '../testing/helpers';
import { setupWebGpu } from '../testing/webgpu';
import { scanTuning } from './index';
import { reduceScatter } from './reduce-scatter';
import { stagedBackwardBytes, stagedBackwardLayout } from './staged-backward-layout';

let gpu = { ok: false, reason: '' };

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = { ok: r.info !== null, reason: r.reason };
  if (!gpu.ok) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
  else await tf.setBackend('webgpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('row-staged scan backward', () => {
  it('layout: T at least N, then the channels and T halve until the staging fits', () => {
    // rows of 2 + 4 + 4 vec4s and u, z, dy of 64 channels, twice; 64 x 41 sums
    expect(stagedBackwardBytes(16, 8, 16, 64)).toBe(2 * 16 * (160 + 768) + 64 * 41 * 4);
    expect(stagedBackwardLayout(16, 8, { wc: 64, t: 16 }, 49152)).toEqual({ wc: 64, t: 16 });
    expect(stagedBackwardLayout(16, 8, { wc: 64, t: 8 }, 49152)).toEqual({ wc: 64, t: 16 });
    expect(stagedBackwardLayout(16, 8, { wc: 64, t: 16 }, 32768)).toEqual({ wc: 32, t: 16 });
    expect(stagedBackwardLayout(4, 8, { wc: 64, t: 32 }, 16384)).toEqual({ wc: 32, t: 8 });
    expect(stagedBackwardLayout(64, 8, { wc: 64, t: 16 }, 1024)).toBeNull();
  });

  it("layout with subgroup sums: WC a multiple of Q, the tile states and the subgroups' sums counted", () => {
    // the H200's: 32 channels, one subgroup, T 16: 15 x 16 x 32 states, no sums of several subgroups
    expect(stagedBackwardBytes(16, 8, 16, 32, 32)).toBe(2 * 16 * (160 + 384) + 4 * 15 * 16 * 32);
    expect(stagedBackwardLayout(16, 8, { wc: 64, t: 16, q: 32 }, 49152)).toEqual({ wc: 32, t: 16, q: 32 });
    // SwiftShader's 4 lanes: 8 subgroups of a 32-channel workgroup add T x S sums each
    expect(stagedBackwardBytes(16, 8, 16, 32, 4)).toBe(
      2 * 16 * (160 + 384) + 4 * 15 * 16 * 32 + 4 * 16 * 40 * 8,
    );
    expect(stagedBackwardLayout(16, 8, { wc: 64, t: 16, q: 4 }, 32768)).toEqual({ wc: 8, t: 16, q: 4 });
    // never fewer channels than Q; Q at most 32 and a power of two
    expect(stagedBackwardLayout(4, 2, { wc: 2, t: 4, q: 8 }, 1 << 20)).toEqual({ wc: 8, t: 4, q: 8 });
    expect(stagedBackwardLayout(4, 2, { wc: 64, t: 4, q: 64 }, 1 << 20)?.q).toBe(32);
    expect(stagedBackwardLayout(4, 2, { wc: 64, t: 4, q: 6 }, 1 << 20)?.q).toBe(4);
    expect(stagedBackwardLayout(16, 8, { wc: 64, t: 16, q: 32 }, 40000)).toBeNull();
    // states permuted by lane in N / 4 blocks where that is a power of two above 1
    const aligned = (n: number) =>
      stagedBackwardLayout(n, 8, { wc: 32, t: 16, q: 32, aligned: true }, 1 << 20);
    expect(aligned(16)).toEqual({ wc: 32, t: 16, q: 32, nb: 4 });
    expect(aligned(32)?.nb).toBe(8);
    expect([aligned(4)?.nb, aligned(12)?.nb, aligned(5)?.nb]).toEqual([undefined, undefined, undefined]);
    expect(stagedBackwardLayout(16, 8, { wc: 32, t: 16, aligned: true }, 1 << 20)).toEqual({ wc: 32, t: 16 });
    // a channel's states over 2 lanes: N a multiple of 8, at least Q / 2 channels, the subgroups'
    // sums counted over twice the invocations
    const pairs = (n: number, wc: number) =>
      stagedBackwardLayout(n, 8, { wc, t: 16, q: 32, lanes: 2 }, 49152);
    expect(pairs(16, 16)).toEqual({ wc: 16, t: 16, q: 32, lanes: 2 });
    expect(pairs(16, 2)?.wc).toBe(16);
    expect(pairs(12, 16)?.lanes).toBeUndefined();
    expect(stagedBackwardBytes(16, 8, 16, 8, 4, 2)).toBe(
      2 * 16 * (160 + 96) + 4 * 15 * 16 * 8 + 4 * 16 * 40 * 4,
    );
  });

  /**
   * The generated WGSL run as JavaScript over Q simulated lanes: each statement's right side is
   * evaluated on every lane from the values before it (subgroupShuffleXor reads the partner's value),
   * then assigned; register r of lane λ starts as value r ^ (λ & aligned) of that lane's list.
   */
  function simulateScatter(
    count: number,
    zero: (i: number) => boolean,
    q: number,
    aligned: number,
    exclude = 0,
  ) {
    const values = Array.from({ length: count }, (_, i) => (zero(i) ? null : `x[${i}]`));
    const { code, live } = reduceScatter(values, q, aligned, exclude);
    const lanesIn = Array.from({ length: q }, (_, lane) =>
      Array.from({ length: count }, (_, i) => (zero(i) ? 0 : (i + 1) * 10 ** lane)),
    );
    const vars = lanesIn.map(() => new Map<string, number>());
    const split = (e: string): string[] => {
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
    };
    const evaluate = (e: string, lane: number): number => {
      const shuffle = /^subgroupShuffleXor\((.*), (\d+)u\)$/.exec(e);
      if (shuffle) return evaluate(shuffle[1] as string, lane ^ Number(shuffle[2]));
      const sel = /^select\((\S+), (\S+), bm(\d+)\)$/.exec(e);
      if (sel) return evaluate((lane & Number(sel[3])) !== 0 ? (sel[2] as string) : (sel[1] as string), lane);
      if (e === '0.0') return 0;
      const x = /^x\[(\d+)\]$/.exec(e);
      if (x) return lanesIn[lane]?.[Number(x[1]) ^ (lane & aligned)] ?? Number.NaN;
      if (/^\w+$/.test(e)) return vars[lane]?.get(e) ?? Number.NaN;
      const sum = split(e);
      if (sum.length < 2) throw new Error(`unparsed: ${e}`);
      return sum.reduce((acc, t) => acc + evaluate(t, lane), 0);
    };
    let selects = 0;
    for (const line of code) {
      const m = /^\s*(?:var )?(\w+) = (.*);$/.exec(line);
      if (!m) throw new Error(`unparsed: ${line}`);
      selects += (line.match(/select\(/g) ?? []).length;
      const next = lanesIn.map((_, lane) => evaluate(m[2] as string, lane));
      next.forEach((v, lane) => {
        vars[lane]?.set(m[1] as string, v);
      });
    }
    // lane λ's index over the lane bits summed over (the excluded bits squeezed out)
    const squeeze = (lane: number) => {
      let out = 0;
      let j = 0;
      for (let m = 1; m < q; m <<= 1) {
        if (exclude & m) continue;
        if (lane & m) out |= 1 << j;
        j++;
      }
      return out;
    };
    const group = squeeze(q - 1) + 1;
    for (let k = 0; k < Math.ceil(count / group); k++)
      for (let lane = 0; lane < q; lane++) {
        const i = k * group + squeeze(lane);
        const same = lanesIn.filter((_, l) => (l & exclude) === (lane & exclude));
        const want = i < count ? same.reduce((acc, l) => acc + (l[i] ?? 0), 0) : 0;
        const got = live[k] ? (vars[lane]?.get(`sv${k}_0`) ?? Number.NaN) : 0;
        expect(got, `value ${i} on lane ${lane}`).toBe(want);
      }
    return { live, selects };
  }

  it('reduce-scatter: lane λ ends with the sum over the lanes of value kQ + λ', () => {
    // S = 11 values in groups of Q = 4, one known zero: 2 selects an exchange
    const { live, selects } = simulateScatter(11, (i) => i === 6, 4, 0);
    expect(live).toEqual([true, true, true]);
    expect(selects).toBeGreaterThan(0);
  });

  it('reduce-scatter with aligned levels: values placed by lane, no selects on those levels', () => {
    // Q 8, lane bits 1 and 2 aligned (register r of lane λ holds value r ^ (λ & 3)), bit 4 by
    // selects; 24 values, the last 4 (a whole aligned block) known zero
    const mixed = simulateScatter(24, (i) => i >= 20, 8, 3);
    expect(mixed.live).toEqual([true, true, true]);
    // all levels aligned: no select at all
    expect(simulateScatter(16, () => false, 4, 3).selects).toBe(0);
    // selects only at lane bit 4, where one pair a group is left: 3 exchanges of 2 selects
    expect(mixed.selects).toBe(6);
  });

  it('reduce-scatter over some lane bits: lanes that differ in an excluded bit are not summed', () => {
    // Q 8 with lane bit 1 excluded (a channel's states over 2 lanes): groups of 4 values, summed over
    // the 4 lanes of each parity; 11 values, one known zero
    expect(simulateScatter(11, (i) => i === 5, 8, 0, 1).live).toEqual([true, true, true]);
    // and with bit 2 excluded
    simulateScatter(6, () => false, 8, 0, 2);
  });

  type Want = { wc: number; t: number; subgroup?: boolean; aligned?: boolean; lanes?: 2 };
  const cases: ReadonlyArray<[ScanCase, Want, boolean]> = [
    // L = 1
    [{ b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 }, { wc: 64, t: 4 }, false],
    // L 19 over tiles of 8 (the last 3 steps), Di 70 over 32 channels, gate from in_proj, odd R
    [{ b: 2, l: 19, di: 70, n: 4, r: 3, gateWidth: 2 }, { wc: 32, t: 8 }, true],
    // N 16, R 8 as the paper; L 37 over tiles of 16; odd Di
    [{ b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 }, { wc: 16, t: 16 }, false],
    // N 1, a large batch, tiles of one step
    [{ b: 64, l: 3, di: 8, n: 1, r: 1, gateWidth: 1 }, { wc: 64, t: 1 }, true],
    // N 5, R 5 (both padded), L 64 = 4 tiles exactly
    [{ b: 3, l: 64, di: 130, n: 5, r: 5, gateWidth: 2 }, { wc: 64, t: 16 }, false],
    // subgroup sums (SwiftShader: Q 4). L = 1; one subgroup a workgroup (sums written directly)
    [{ b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 }, { wc: 4, t: 4, subgroup: true }, false],
    // N 16, R 8 (S 40: 10 groups of 4), L 37 over tiles of 16, Di 17 over 8 channels (2 subgroups)
    [{ b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 }, { wc: 8, t: 16, subgroup: true }, true],
    // L 19 over tiles of 8 (the last 3 steps), odd R and S (S 11: the last group partly zero), 4 subgroups
    [{ b: 2, l: 19, di: 70, n: 4, r: 3, gateWidth: 2 }, { wc: 16, t: 8, subgroup: true }, false],
    // N 1, tiles of one step (no states kept in workgroup memory), a large batch
    [{ b: 64, l: 3, di: 8, n: 1, r: 1, gateWidth: 1 }, { wc: 4, t: 1, subgroup: true }, true],
    // T 6: the forward walks go 2 steps a turn; L 13 = tiles of 6, 6 and 1
    [{ b: 2, l: 13, di: 9, n: 3, r: 2, gateWidth: 1 }, { wc: 8, t: 6, subgroup: true }, false],
    // N 5, R 5, L 64 = 4 tiles exactly, one subgroup a workgroup
    [{ b: 3, l: 64, di: 130, n: 5, r: 5, gateWidth: 2 }, { wc: 4, t: 16, subgroup: true }, false],
    // states permuted by lane: N 16 in 4 blocks (Q 4: every level aligned), 2 subgroups, packed
    [{ b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 }, { wc: 8, t: 16, aligned: true }, true],
    // N 8 in 2 blocks (lane bit 1 aligned, bit 2 by selects), R 3 scattered as 4 (w past R zero)
    [{ b: 2, l: 19, di: 70, n: 8, r: 3, gateWidth: 2 }, { wc: 16, t: 8, aligned: true }, false],
    // L = 1, one subgroup a workgroup, R 5 scattered as 6
    [{ b: 1, l: 1, di: 4, n: 8, r: 5, gateWidth: 1 }, { wc: 4, t: 8, aligned: true }, false],
    // N 12: 3 blocks cannot be permuted (the unpermuted layout over 3 blocks), T 12
    [{ b: 2, l: 13, di: 9, n: 12, r: 2, gateWidth: 1 }, { wc: 8, t: 12, aligned: true }, true],
    // a channel's states over 2 lanes: N 16, R 8 (4 values of d dt_low a lane), L 37 over tiles of
    // 16, Di 17 over 8 channels (16 invocations: 4 subgroups of 2 channels), packed
    [{ b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 }, { wc: 8, t: 16, subgroup: true, lanes: 2 }, true],
    // N 8, R 3 (2 a lane, the last zero), L 19 over tiles of 8, Di 70 over 16 channels
    [{ b: 2, l: 19, di: 70, n: 8, r: 3, gateWidth: 2 }, { wc: 16, t: 8, subgroup: true, lanes: 2 }, false],
    // L = 1, 2 channels a workgroup (one subgroup), R 5; odd T (the columns' last share partly past)
    [{ b: 3, l: 1, di: 4, n: 8, r: 5, gateWidth: 1 }, { wc: 2, t: 9, subgroup: true, lanes: 2 }, false],
  ];
  for (const [c, want, pack] of cases) {
    const sums = want.aligned ? 'aligned' : want.subgroup ? 'subgroup' : 'workgroup';
    const name = `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate ${c.gateWidth} Di, ${want.wc} channels${want.lanes ? ' x 2 lanes' : ''}, T ${want.t}${sums === 'workgroup' ? '' : `, ${sums} subgroup sums`}${pack ? ', parameters packed' : ''}`;
    it(`matches the reference: ${name}`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      if (sums !== 'workgroup' && subgroupMinSize(tf.backend()) === null) ctx.skip();
      const zOffset = c.gateWidth === 2 ? c.di : 0;
      const inputs = scanInputs(c, 41 + c.l);
      const weights = randn(new Rng(10), [c.b, c.l, c.di]);
      const saved = { ...scanTuning };
      Object.assign(scanTuning, {
        backwardMode: 'staged',
        backwardPack: pack ? 'always' : 'auto',
        stagedBackwardChannels: want.wc,
        stagedBackwardSteps: want.t,
        stagedBackwardSums: sums,
        stagedBackwardLanes: want.lanes ?? 1,
      });
      const programs = new Set<string>();
      try {
        const ref = await valueAndGrads('cpu', inputs, weights, scanFunction(false, zOffset));
        // NaN left in pooled buffers of the partials' and du's sizes: anything left unwritten shows
        await tf.setBackend('webgpu');
        const q = sums !== 'workgroup' ? (subgroupMinSize(tf.backend()) ?? undefined) : undefined;
        const layout = stagedBackwardLayout(c.n, c.r, { ...want, q }, 32768);
        if (sums !== 'workgroup') expect(layout?.wc).toBe(want.wc);
        if (want.aligned) expect(layout?.nb).toBe(c.n === 12 ? undefined : c.n / 4);
        expect(layout?.lanes).toBe(want.lanes);
        const g = Math.ceil(c.di / (layout?.wc ?? 1));
        const stale = [c.b * c.l * g * (c.r + 2 * c.n), c.b * c.di * (c.r + c.n + 2), c.b * c.l * c.di];
        const poison = stale.flatMap((k) => [0, 1].map(() => tf.fill([k], Number.NaN)));
        await Promise.all(poison.map((p) => p.data()));
        tf.dispose(poison);
        setRawDispatchHook((p) => programs.add(p));
        const got = await valueAndGrads('webgpu', inputs, weights, scanFunction(true, zOffset));
        setRawDispatchHook(null);
        expect([...programs].filter((p) => p.startsWith('ScanBackward'))).toEqual(['ScanBackwardStaged']);
        expect(relErr(got.value, ref.value), 'y').toBeLessThan(1e-5);
        got.grads.forEach((gr, i) => {
          expect(relErr(gr, ref.grads[i]), `d${SCAN_INPUT_NAMES[i]}`).toBeLessThan(1e-4);
        });
        expect(takeGpuErrors()).toEqual([]);
      } finally {
        setRawDispatchHook(null);
        Object.assign(scanTuning, saved);
      }
    });
  }
});
