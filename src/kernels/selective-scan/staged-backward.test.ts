/**
 * The staged scan backward (staged-backward-program.ts, after its starts pass) on WebGPU (Dawn +
 * SwiftShader) against the plain-ops reference on cpu: every gradient, relative error < 1e-4, on
 * layouts that exercise L = 1, L shorter than a chunk and not a multiple of it, channels not a
 * multiple of WC, odd N, R not a multiple of the lanes, one and several lanes a channel and channel
 * lanes (on SwiftShader's 4-lane subgroups: SP 4 with Q 1, SP 2 with Q 2, SP 1 with Q 4), the gate
 * read from in_proj's [B, L, 2Di] output and the parameters packed or not. And the layout rules.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeGpuErrors } from '../backend';
import { registerAllKernels } from '../register';
import { maxWorkgroupStorage, setRawDispatchHook, softwareAdapter, subgroupMinSize } from '../runner';
import { SCAN_INPUT_NAMES, type ScanCase, scanFunction, scanInputs } from '../testing/checks';
import { afterPoisonedPool, gradProblems, Rng, randn, relErr, valueAndGrads } from '../testing/helpers';
import { setupWebGpu } from '../testing/webgpu';
import { scanTuning, stagedBackwardFit, stagedBackwardPlanFor } from './index';
import { stagedBackwardBytes, stagedBackwardLayout } from './staged-backward-program';

let gpu = { ok: false, reason: '' };

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = { ok: r.info !== null, reason: r.reason };
  if (!gpu.ok) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('the staged backward layout', () => {
  it('splits the states over the lanes that divide N and fit a subgroup, and halves WC then K to fit', () => {
    // 32-lane subgroups: SP 4, Q 8 channel lanes; 64 channels in 8 groups, 16 steps of 40 columns
    expect(stagedBackwardLayout(16, 8, { wc: 64, sp: 4, k: 16, written: true }, 32, 49152)).toEqual({
      wc: 64,
      sp: 4,
      q: 8,
      k: 16,
      written: true,
    });
    expect(stagedBackwardBytes({ wc: 64, sp: 4, q: 8, k: 16, written: true }, 16, 8)).toBe(16 * 8 * 40 * 4);
    // N 6: 4 lanes do not divide it, 2 do; 4-lane subgroups: Q 2
    expect(stagedBackwardLayout(6, 2, { wc: 8, sp: 4, k: 8, written: false }, 4, 32768)).toEqual({
      wc: 8,
      sp: 2,
      q: 2,
      k: 8,
      written: false,
    });
    // no subgroups: one lane a channel, sums through workgroup memory only
    expect(stagedBackwardLayout(16, 8, { wc: 16, sp: 4, k: 8, written: true }, null, 32768)).toEqual({
      wc: 16,
      sp: 1,
      q: 1,
      k: 8,
      written: true,
    });
    // at most 256 invocations: WC 128 x SP 4 -> WC 64
    expect(stagedBackwardLayout(16, 8, { wc: 128, sp: 4, k: 16, written: true }, 32, 1 << 20)?.wc).toBe(64);
    // 16 KiB on 4-lane subgroups (Q 1): 64 x 16 x 40 floats -> WC 4 (10,240 bytes)
    expect(stagedBackwardLayout(16, 8, { wc: 64, sp: 4, k: 16, written: true }, 4, 16384)).toEqual({
      wc: 4,
      sp: 4,
      q: 1,
      k: 16,
      written: true,
    });
    // Δ and u shared only written out, over several lanes, with K a multiple of SP
    const shareAt = (sp: number, k: number, written: boolean) =>
      stagedBackwardLayout(16, 8, { wc: 16, sp, k, written, share: true }, 32, 49152)?.share === true;
    expect([shareAt(4, 8, true), shareAt(4, 6, true), shareAt(1, 8, true), shareAt(4, 8, false)]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    // nothing fits
    expect(stagedBackwardLayout(4096, 8, { wc: 64, sp: 4, k: 16, written: true }, 32, 1024)).toBeNull();
  });
  it("is taken where backwardMode asks for 'staged', and under 'auto' only on hardware GPUs as timed", () => {
    const dims = { n: 16, r: 8, b: 64, di: 256 };
    const at = (t: Partial<typeof scanTuning>, storage = 49152, hardware = true) =>
      stagedBackwardPlanFor(dims, 32, storage, { ...scanTuning, ...t }, hardware);
    expect(at({ backwardMode: 'auto', stagedBackward: false })).toBeNull();
    expect(at({ backwardMode: 'staged', stagedBackward: false })).not.toBeNull();
    // 'auto' with it on: the layout as wanted on a hardware GPU; never on a software adapter
    const want = {
      stagedBackwardChannels: 64,
      stagedBackwardLanes: 4,
      stagedBackwardSteps: 16,
      stagedBackwardFill: 0,
    };
    expect(at({ backwardMode: 'auto', stagedBackward: true, ...want })).toMatchObject({
      wc: 64,
      sp: 4,
      k: 16,
    });
    expect(at({ backwardMode: 'auto', stagedBackward: true, ...want }, 49152, false)).toBeNull();
    // a layout shrunk to fit (16 KiB: 32 channels) was not timed: not under 'auto'; asked for, it runs
    expect(at({ backwardMode: 'auto', stagedBackward: true, ...want }, 16384)).toBeNull();
    expect(at({ backwardMode: 'staged', ...want }, 16384)).toMatchObject({ wc: 32, sp: 4, k: 16 });
  });
  it('fits its layout to the problem: lanes for B x Di x lanes >= Fill, steps for 64 states a lane', () => {
    const t = {
      ...scanTuning,
      stagedBackwardFill: 32768,
      stagedBackwardLanes: 4,
      stagedBackwardWorkgroup: 128,
      stagedBackwardSteps: 8,
      stagedBackwardStates: 64,
    };
    // the shapes timed: B 64 x Di 256 wants 2 lanes (K 8), the paper's B 64 x Di 512 one (K 4)
    expect(stagedBackwardFit({ b: 64, di: 256, n: 16 }, t)).toEqual({ wc: 64, sp: 2, k: 8 });
    expect(stagedBackwardFit({ b: 64, di: 512, n: 16 }, t)).toEqual({ wc: 128, sp: 1, k: 4 });
    // small problems stop at stagedBackwardLanes and K at stagedBackwardSteps; just short of Fill
    // takes the next power of two; more states take fewer steps, never below one
    expect(stagedBackwardFit({ b: 2, di: 16, n: 16 }, t)).toEqual({ wc: 32, sp: 4, k: 8 });
    expect(stagedBackwardFit({ b: 64, di: 511, n: 16 }, t)).toEqual({ wc: 64, sp: 2, k: 8 });
    expect(stagedBackwardFit({ b: 64, di: 512, n: 32 }, t)).toEqual({ wc: 128, sp: 1, k: 2 });
    expect(stagedBackwardFit({ b: 64, di: 512, n: 256 }, t)).toEqual({ wc: 128, sp: 1, k: 1 });
    // Fill 0: the channels, lanes and steps as set
    expect(stagedBackwardFit({ b: 64, di: 512, n: 16 }, { ...t, stagedBackwardFill: 0 })).toEqual({
      wc: t.stagedBackwardChannels,
      sp: 4,
      k: 8,
    });
    // under 'auto' on a hardware GPU the fitted layout is the one taken
    const dims = { n: 16, r: 8, b: 64, di: 256 };
    const auto = { ...t, backwardMode: 'auto', stagedBackward: true } as const;
    expect(stagedBackwardPlanFor(dims, 32, 49152, auto)).toMatchObject({ wc: 64, sp: 2, k: 8 });
  });
  it('knows SwiftShader for a software adapter', (ctx) => {
    if (!gpu.ok) ctx.skip();
    expect(softwareAdapter(tf.findBackend('webgpu'))).toBe(true);
  });
});

/** a case, the WC, SP, K wanted, and the steps written out or loops (SwiftShader compiles the written
 * form only at small K x N / SP: its compiler took 18 GB at K 16 x 4 states a lane) */
interface StagedCase {
  c: ScanCase;
  layout: [number, number, number];
  written: boolean;
  /** Δ and u of a step computed by one lane of the channel and shuffled (written out only) */
  share?: boolean;
  /** the chunk's x_dbl rows staged in workgroup memory */
  rows?: boolean;
}

const CASES: readonly StagedCase[] = [
  // L = 1: one chunk of one real step; one lane, N 3
  { c: { b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 }, layout: [4, 4, 4], written: true },
  // L 19 in chunks of 8 (the last 3 steps), Di 70 over 16 channels (the last group 6), gate from in_proj
  {
    c: { b: 2, l: 19, di: 70, n: 4, r: 2, gateWidth: 2 },
    layout: [16, 4, 8],
    written: true,
    share: true,
    rows: true,
  },
  // N 16 over 4 lanes, R 8: L 37 = 2 x 16 + 5, odd Di
  { c: { b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 }, layout: [8, 4, 16], written: false },
  // N 16 over 2 lanes (Q 2), R 3 (not a multiple of the lanes), L 45 over chunks of 4
  { c: { b: 2, l: 45, di: 40, n: 16, r: 3, gateWidth: 2 }, layout: [8, 2, 4], written: false, rows: true },
  // one lane a channel (Q 4), odd N, L shorter than a chunk
  { c: { b: 3, l: 5, di: 9, n: 5, r: 3, gateWidth: 1 }, layout: [8, 1, 8], written: false },
  // one lane, Q 4, several chunks, a large batch
  { c: { b: 16, l: 21, di: 8, n: 2, r: 1, gateWidth: 1 }, layout: [4, 1, 4], written: true, rows: true },
  // two lanes a channel sharing Δ and u (Q 2), L 13 over chunks of 4, R 3
  { c: { b: 2, l: 13, di: 12, n: 4, r: 3, gateWidth: 2 }, layout: [8, 2, 4], written: true, share: true },
];

describe('staged scan backward', () => {
  const ran = new Set<string>();
  CASES.forEach(({ c, layout, written, share = false, rows = false }, index) => {
    // every other case with the backward's parameters packed (devices binding 9 to 11 buffers)
    const pack = index % 2 === 1 ? 'always' : 'auto';
    // cases 0, 1, 4, 5: the chunk starts written by the backward itself; 2, 3, 6: by a pass of their own
    const inline = Math.floor(index / 2) % 2 === 0;
    const name = `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate ${c.gateWidth} Di, WC ${layout[0]} SP ${layout[1]} K ${layout[2]}${written ? ' written out' : ' in loops'}${share ? ', Δ and u shared' : ''}${rows ? ', rows staged' : ''}, pack ${pack}${inline ? ', starts inline' : ''}`;
    it(`gradients match the reference: ${name}`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      const zOffset = c.gateWidth === 2 ? c.di : 0;
      const inputs = scanInputs(c, 29 + c.l);
      const weights = randn(new Rng(6), [c.b, c.l, c.di]);
      const saved = { ...scanTuning };
      Object.assign(scanTuning, {
        // the forward is not under test here: the cheapest to compile
        forwardMode: 'sequential',
        backwardMode: 'staged',
        backwardPack: pack,
        stagedBackwardChannels: layout[0],
        stagedBackwardLanes: layout[1],
        stagedBackwardSteps: layout[2],
        stagedBackwardWritten: written,
        stagedBackwardShare: share,
        // the layout asked for, not the one fitted to the problem
        stagedBackwardFill: 0,
        stagedBackwardInlineChunks: inline ? Number.POSITIVE_INFINITY : 0,
        stagedBackwardRows: rows,
      });
      try {
        const ref = await valueAndGrads('cpu', inputs, weights, scanFunction(false, zOffset));
        const programs = new Set<string>();
        setRawDispatchHook((p) => programs.add(p));
        const got = await valueAndGrads('webgpu', inputs, weights, scanFunction(true, zOffset));
        setRawDispatchHook(null);
        const backend = tf.findBackend('webgpu');
        const lay = stagedBackwardPlanFor(c, subgroupMinSize(backend), maxWorkgroupStorage(backend));
        expect(lay).not.toBeNull();
        // the staged backward ran after its starts pass, not a fallback
        const names = [...programs].filter((p) => p.startsWith('ScanBackward') || p.startsWith('ScanStarts'));
        const shared = lay?.share === true;
        expect(shared, 'shared where asked for and the lanes allow').toBe(share && (lay?.sp ?? 1) > 1);
        const suffix = `${written ? '' : 'Loops'}${shared ? 'Shared' : ''}${inline ? 'Inline' : ''}${rows ? 'Rows' : ''}`;
        expect(names.at(-1)).toBe(`ScanBackwardStaged${suffix}`);
        // a starts pass before it, or none where the backward writes the starts itself
        expect(names).toHaveLength(inline ? 1 : 2);
        ran.add(`SP ${lay?.sp} Q ${lay?.q}${written ? ' written' : ''}${shared ? ' shared' : ''}`);
        expect(relErr(got.value, ref.value), 'y').toBeLessThan(1e-5);
        // NaN left in pooled buffers of the partials' sizes: a partial left unwritten shows; a fixed
        // summation order: bit for bit the same on a second run
        const g = Math.ceil(c.di / (lay?.wc ?? 1));
        const slots = Math.max(1, Math.ceil(c.l / (lay?.k ?? 1)) - 1);
        const stale = [
          c.b * c.l * g * (c.r + 2 * c.n),
          c.b * c.di * (c.r + c.n + 2),
          c.b * c.l * c.di,
          c.b * slots * c.n * c.di,
        ];
        const again = await afterPoisonedPool(stale, () =>
          valueAndGrads('webgpu', inputs, weights, scanFunction(true, zOffset)),
        );
        expect(gradProblems(SCAN_INPUT_NAMES, got.grads, again.grads, ref.grads)).toEqual([]);
        expect(takeGpuErrors()).toEqual([]);
      } finally {
        setRawDispatchHook(null);
        Object.assign(scanTuning, saved);
      }
    });
  });
  it('compiles and runs each timing diagnostic, each changing the gradients', async (ctx) => {
    if (!gpu.ok) ctx.skip();
    const c: ScanCase = { b: 2, l: 9, di: 8, n: 4, r: 2, gateWidth: 1 };
    const inputs = scanInputs(c, 5);
    const weights = randn(new Rng(8), [c.b, c.l, c.di]);
    const saved = { ...scanTuning };
    const base = {
      forwardMode: 'sequential',
      backwardMode: 'staged',
      stagedBackwardFill: 0,
      stagedBackwardChannels: 8,
      stagedBackwardLanes: 2,
      stagedBackwardSteps: 4,
      stagedBackwardWritten: true,
    } as const;
    try {
      Object.assign(scanTuning, base);
      const exact = await valueAndGrads('webgpu', inputs, weights, scanFunction(true, 0));
      for (const diag of [
        'no-channel-sums',
        'no-chunk-sums',
        'no-exp',
        'no-recompute',
        'no-stores',
      ] as const) {
        Object.assign(scanTuning, saved, base, { stagedBackwardDiagnostic: diag });
        const programs = new Set<string>();
        setRawDispatchHook((p) => programs.add(p));
        const got = await valueAndGrads('webgpu', inputs, weights, scanFunction(true, 0));
        setRawDispatchHook(null);
        expect(
          [...programs].some((p) => p.endsWith(`_${diag}`)),
          diag,
        ).toBe(true);
        expect(takeGpuErrors(), diag).toEqual([]);
        const changed = got.grads.some((g, i) => relErr(g, exact.grads[i]) > 1e-3);
        expect(changed, `${diag} leaves something out`).toBe(true);
      }
    } finally {
      setRawDispatchHook(null);
      Object.assign(scanTuning, saved);
    }
  });
  it('ran with several lanes a channel and with several channel lanes', (ctx) => {
    if (!gpu.ok) ctx.skip();
    const sg = subgroupMinSize(tf.findBackend('webgpu'));
    if (sg === null) {
      expect([...ran]).toEqual(['SP 1 Q 1']);
      return;
    }
    const forms = [...ran];
    expect(
      forms.some((f) => !f.startsWith('SP 1 ')),
      'several lanes a channel',
    ).toBe(true);
    expect(
      forms.some((f) => !f.includes(' Q 1')),
      'several channel lanes',
    ).toBe(true);
    expect(forms.filter((f) => f.endsWith(' shared')).length, 'shared at SP 4 and SP 2').toBe(2);
  });
});
