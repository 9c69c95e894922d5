/**
 * The fused selective scan on WebGPU (Dawn + SwiftShader) against the unfused reference path
 * (plain tfjs ops, autodiff) on the cpu backend: forward and every gradient, relative error < 1e-4,
 * on shapes with L = 1, L not a multiple of the chunk or workgroup, batch 1 and a large batch,
 * channels not a multiple of the workgroup, and the gate read from in_proj's [B, L, 2Di] output.
 * Also: the reference kernels (webgl's, and the WebGPU backward's fallback) run under the same
 * kernel names with the same gradient (on cpu, registered there for the test). The cpu / wasm
 * kernels have their own tests: host.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeGpuErrors } from '../backend';
import { registerAllKernels } from '../register';
import {
  kernelChecks,
  runCheck,
  SCAN_INPUT_NAMES,
  type ScanCase,
  scanFunction,
  scanInputs,
} from '../testing/checks';
import { Rng, randn, relErr, valueAndGrads } from '../testing/helpers';
import { setupWebGpu } from '../testing/webgpu';
import { registerHostScanKernels } from './host';
import { referenceScanKernels, SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD, scanTuning } from './index';
import { statesBackwardLayout } from './states-backward-program';

let gpu = { ok: false, reason: '' };

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = { ok: r.info !== null, reason: r.reason };
  if (!gpu.ok) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  scanTuning.forwardMode = 'auto';
  scanTuning.backwardPack = 'auto';
  scanTuning.backwardMode = 'auto';
  await tf.setBackend('cpu');
});

describe('fused selective scan', () => {
  it('the device binds enough storage buffers for the fused backward', async (ctx) => {
    if (!gpu.ok) ctx.skip();
    const r = await setupWebGpu();
    expect(r.info!.limits!.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(9);
  });

  // the cases (testing/checks.ts) also run in headless Chromium in a Web Worker (e2e/kernels.spec.ts);
  // here also with the backward's parameters packed (the path of devices with 9 to 11 buffers)
  for (const pack of ['auto', 'always'] as const) {
    for (const check of kernelChecks('selectiveScan')) {
      it(`webgpu matches the reference (backward pack ${pack}): ${check.case}`, async (ctx) => {
        if (!gpu.ok) ctx.skip();
        scanTuning.backwardPack = pack;
        const r = await runCheck(check);
        scanTuning.backwardPack = 'auto';
        expect(r.gpuErrors, 'uncaptured WebGPU errors').toEqual([]);
        for (const e of r.entries) expect(e.maxRelErr, e.output).toBeLessThan(e.tolerance);
      });
    }
  }

  it('the reference kernels (plain-ops forward + explicit backward) match autodiff of the reference', async () => {
    // the reference kernels serve webgl and the WebGPU backward's fallback: run them on cpu here
    const webglKernel = tf.getKernel(SELECTIVE_SCAN, 'webgl');
    expect(webglKernel?.kernelFunc).toBe(referenceScanKernels.forward);
    for (const [kernelName, kernelFunc] of [
      [SELECTIVE_SCAN, referenceScanKernels.forward],
      [SELECTIVE_SCAN_GRAD, referenceScanKernels.backward],
    ] as const) {
      tf.unregisterKernel(kernelName, 'cpu');
      tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
    }
    try {
      const c: ScanCase = { b: 2, l: 21, di: 6, n: 3, r: 2, gateWidth: 2 };
      const inputs = scanInputs(c, 3);
      const weights = randn(new Rng(9), [c.b, c.l, c.di]);
      const ref = await valueAndGrads('cpu', inputs, weights, scanFunction(false, c.di));
      const got = await valueAndGrads('cpu', inputs, weights, scanFunction(true, c.di));
      expect(relErr(got.value, ref.value)).toBeLessThan(1e-5);
      got.grads.forEach((g, i) => {
        expect(relErr(g, ref.grads[i]), `d${SCAN_INPUT_NAMES[i]}`).toBeLessThan(1e-4);
      });
    } finally {
      registerHostScanKernels();
    }
  });
});

/** a scan case with the state-parallel backward's wanted layout (invocations, tile, rounds) */
interface StatesCase {
  c: ScanCase;
  /** invocations wanted, tile, rounds (and workgroup memory allowed, default 16 KiB) */
  layout: [number, number, number] | [number, number, number, number];
  /** channel groups and channels in the last group that the layout gives (checked) */
  groups: number;
  lastGroup: number;
}

const STATES_CASES: readonly StatesCase[] = [
  // L = 1: one tile, no checkpoint
  { c: { b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 }, layout: [64, 16, 1], groups: 1, lastGroup: 4 },
  // L 19 in tiles of 4 (last tile 3 steps), 3 rounds of 4 lanes, Di 70: 6 groups, the last with 10 channels
  { c: { b: 3, l: 19, di: 70, n: 4, r: 2, gateWidth: 2 }, layout: [16, 4, 3], groups: 6, lastGroup: 10 },
  // N 16, the benchmark's layout (4 lanes, T 16): L 37 = 16 + 16 + 5, odd Di 17: the last group one channel
  { c: { b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 }, layout: [64, 16, 1], groups: 5, lastGroup: 1 },
  // N 1, tiles of 2 (last 1 step), 2 rounds of 4 lanes: Di 9 in 2 groups, the last one channel
  { c: { b: 3, l: 21, di: 9, n: 1, r: 3, gateWidth: 1 }, layout: [4, 2, 2], groups: 2, lastGroup: 1 },
  // N 16 with 4 rounds (the layout for fewer partials), odd Di and L
  { c: { b: 2, l: 45, di: 35, n: 16, r: 8, gateWidth: 1 }, layout: [64, 16, 4], groups: 3, lastGroup: 3 },
  // 32 KiB of workgroup memory: 8 lanes x 16 states (128 invocations), 2 rounds
  {
    c: { b: 2, l: 33, di: 21, n: 16, r: 8, gateWidth: 2 },
    layout: [128, 16, 2, 32768],
    groups: 2,
    lastGroup: 5,
  },
];

/** Leave NaN in the WebGPU buffer pool at these sizes (floats): unwritten outputs then read NaN. */
async function poisonPool(sizes: number[]): Promise<void> {
  await tf.setBackend('webgpu');
  // several of each: the pack dispatch or a same-sized output may take one first
  const ts = sizes.flatMap((n) => [0, 1, 2, 3].map(() => tf.fill([n], Number.NaN)));
  await Promise.all(ts.map((t) => t.data()));
  tf.dispose(ts);
}

describe('state-parallel scan backward', () => {
  it('layout: lanes x N invocations, T >= N, within 16 KiB; none past N 256 or where nothing fits', () => {
    expect(statesBackwardLayout(16, 8, 64, 16, 1)).toEqual({ cp: 4, t: 16, m: 1 });
    expect(statesBackwardLayout(16, 8, 64, 16, 4)).toEqual({ cp: 4, t: 16, m: 4 });
    // 8 lanes of 16 states with T 16 need 27 KiB: halved to 4
    expect(statesBackwardLayout(16, 8, 128, 16, 1)).toEqual({ cp: 4, t: 16, m: 1 });
    expect(statesBackwardLayout(16, 8, 128, 16, 1, 32768)).toEqual({ cp: 8, t: 16, m: 1 });
    expect(statesBackwardLayout(16, 8, 128, 16, 8, 32768)).toEqual({ cp: 8, t: 16, m: 8 });
    // rounds give way to memory last, at one lane: T 64 x N 64 needs 52,224 bytes with 4 rounds,
    // 51,968 with 3, 51,712 with 2
    expect(statesBackwardLayout(64, 8, 64, 64, 4, 51900)).toEqual({ cp: 1, t: 64, m: 2 });
    expect(statesBackwardLayout(4, 2, 16, 1, 1)).toEqual({ cp: 4, t: 4, m: 1 });
    expect(statesBackwardLayout(300, 8, 64, 16, 1)).toBeNull();
    expect(statesBackwardLayout(64, 8, 64, 16, 1)).toBeNull();
  });

  for (const pack of ['auto', 'always'] as const) {
    for (const sc of STATES_CASES) {
      const { c } = sc;
      const name = `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate ${c.gateWidth} Di, layout ${sc.layout.join(' / ')}`;
      it(`matches the reference and the channel-parallel backward (pack ${pack}): ${name}`, async (ctx) => {
        if (!gpu.ok) ctx.skip();
        const [inv, chunk, rounds, storage = 16384] = sc.layout;
        const layout = statesBackwardLayout(c.n, c.r, inv, chunk, rounds, storage);
        expect(layout).not.toBeNull();
        const cw = layout!.cp * layout!.m;
        // the case exercises what it says: several groups, a short last group, several tiles
        expect(Math.ceil(c.di / cw)).toBe(sc.groups);
        expect(c.di - (sc.groups - 1) * cw).toBe(sc.lastGroup);
        const zOffset = c.gateWidth === 2 ? c.di : 0;
        const inputs = scanInputs(c, 31 + c.l);
        const weights = randn(new Rng(6), [c.b, c.l, c.di]);
        const saved = { ...scanTuning };
        Object.assign(scanTuning, {
          backwardPack: pack,
          statesBackwardInvocations: inv,
          statesBackwardChunk: chunk,
          statesBackwardRounds: rounds,
          statesBackwardStorage: storage,
        });
        try {
          const ref = await valueAndGrads('cpu', inputs, weights, scanFunction(false, zOffset));
          // NaN in the pooled buffers of the partials' sizes: a partial left unwritten shows
          const s = c.r + 2 * c.n;
          const stale = [c.b * c.l * sc.groups * s, c.b * c.di * (c.r + c.n + 2)];
          const run = async (mode: 'channels' | 'states') => {
            scanTuning.backwardMode = mode;
            await poisonPool(stale);
            return valueAndGrads('webgpu', inputs, weights, scanFunction(true, zOffset));
          };
          const got = await run('states');
          const old = await run('channels');
          const again = await run('states');
          got.grads.forEach((g, i) => {
            const label = `d${SCAN_INPUT_NAMES[i]}`;
            expect(relErr(g, ref.grads[i]), `${label} vs reference`).toBeLessThan(1e-4);
            expect(relErr(g, old.grads[i]), `${label} vs channel-parallel`).toBeLessThan(1e-5);
            // a fixed summation order: bit for bit the same on a second run
            expect(Array.from(again.grads[i]), `${label} deterministic`).toEqual(Array.from(g));
          });
          expect(takeGpuErrors()).toEqual([]);
        } finally {
          Object.assign(scanTuning, saved);
        }
      });
    }
  }
});
