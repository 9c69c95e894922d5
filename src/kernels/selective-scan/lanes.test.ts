/**
 * The lane-parallel scan forward (lanes-forward-program.ts) on WebGPU with WGSL subgroups (Dawn +
 * SwiftShader, whose subgroups have 4 lanes) against the plain-ops reference on cpu: the output,
 * relative error < 1e-5 (the backward it runs with is webgpu.test.ts's), on L = 1, L not a multiple of the
 * block of LPC steps, N below, equal to and not a multiple of the lanes per channel, channels not a
 * multiple of the workgroup's, a large batch and the gate read from in_proj's [B, L, 2Di] output.
 * Also the lanes-per-channel rule.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeGpuErrors } from '../backend';
import { registerAllKernels } from '../register';
import { setRawDispatchHook, subgroupMinSize } from '../runner';
import { type ScanCase, scanFunction, scanInputs } from '../testing/checks';
import { forwardValue, relErr } from '../testing/helpers';
import { setupWebGpu } from '../testing/webgpu';
import { scanTuning } from './index';
import { lanesPerChannel } from './lanes-forward-program';

let gpu = { ok: false, reason: '' };
let lanes: number | null = null;

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = { ok: r.info !== null, reason: r.reason };
  if (!gpu.ok) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
  else {
    await tf.setBackend('webgpu');
    lanes = subgroupMinSize(tf.backend());
    if (lanes === null) console.warn('lane-parallel scan tests skipped: the device has no WGSL subgroups');
  }
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('lane-parallel scan forward', () => {
  it('lanes per channel: a power of two, at most N and the smallest subgroup', () => {
    expect(lanesPerChannel(16, 32)).toBe(16);
    expect(lanesPerChannel(16, 4)).toBe(4);
    expect(lanesPerChannel(5, 32)).toBe(4);
    expect(lanesPerChannel(3, 4)).toBe(2);
    expect(lanesPerChannel(1, 64)).toBe(1);
    expect(lanesPerChannel(64, 64)).toBe(64);
    expect(lanesPerChannel(16, 32, 4)).toBe(4);
    expect(lanesPerChannel(16, 32, 5)).toBe(4);
  });

  const cases: ReadonlyArray<[ScanCase, number, number?]> = [
    // L = 1, N 3 (2 lanes, the second with one state)
    [{ b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 }, 128],
    // L 19 (blocks of 4: the last 3 steps), Di 70 over 32 channels a workgroup, gate from in_proj
    [{ b: 2, l: 19, di: 70, n: 4, r: 2, gateWidth: 2 }, 128],
    // N 16 (4 states a lane on 4-lane subgroups), odd Di
    [{ b: 1, l: 37, di: 17, n: 16, r: 8, gateWidth: 2 }, 64],
    // N 1 (one lane a channel), a large batch
    [{ b: 64, l: 3, di: 8, n: 1, r: 1, gateWidth: 1 }, 128],
    // N 5: 4 lanes, the first with two states; 256 invocations
    [{ b: 3, l: 64, di: 130, n: 5, r: 3, gateWidth: 2 }, 256],
    // at most 2 lanes a channel: N 16 is 8 states a lane, N 5 3 and 2
    [{ b: 2, l: 21, di: 33, n: 16, r: 8, gateWidth: 2 }, 64, 2],
    [{ b: 2, l: 9, di: 12, n: 5, r: 2, gateWidth: 1 }, 128, 2],
  ];
  const runs = cases.flatMap(([c, wg, lanesMax = 16]) =>
    [false, true].map((prefetch) => ({ c, wg, lanesMax, prefetch })),
  );
  for (const { c, wg, lanesMax, prefetch } of runs) {
    const name = `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate ${c.gateWidth} Di, workgroup ${wg}, at most ${lanesMax} lanes a channel${prefetch ? ', B and C read ahead' : ''}`;
    it(`matches the reference: ${name}`, async (ctx) => {
      if (!gpu.ok || lanes === null) ctx.skip();
      const zOffset = c.gateWidth === 2 ? c.di : 0;
      const inputs = scanInputs(c, 23 + c.l);
      const saved = { ...scanTuning };
      Object.assign(scanTuning, {
        forwardMode: 'lanes',
        lanesWorkgroup: wg,
        lanesPerChannelMax: lanesMax,
        lanesPrefetch: prefetch,
      });
      const programs = new Set<string>();
      try {
        const ref = await forwardValue('cpu', inputs, scanFunction(false, zOffset));
        setRawDispatchHook((p) => programs.add(p));
        const got = await forwardValue('webgpu', inputs, scanFunction(true, zOffset));
        setRawDispatchHook(null);
        expect([...programs].filter((p) => p.startsWith('ScanForward'))).toEqual(['ScanForwardLanes']);
        expect(relErr(got, ref), 'y').toBeLessThan(1e-5);
        expect(takeGpuErrors()).toEqual([]);
      } finally {
        setRawDispatchHook(null);
        Object.assign(scanTuning, saved);
      }
    });
  }
});
