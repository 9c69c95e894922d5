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
import { registerAllKernels } from '../register';
import { maxWorkgroupStorage, setRawDispatchHook, subgroupMinSize } from '../runner';
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
import { blocksLayout } from './blocks-layout';
import { registerHostScanKernels } from './host';
import {
  referenceScanKernels,
  SELECTIVE_SCAN,
  SELECTIVE_SCAN_GRAD,
  scanTuning,
  stagedStartsPlanFor,
} from './index';
import { stagedForwardBytes } from './staged-layout';

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

describe("the scan under 'auto' (the product's path)", () => {
  // what 'auto' runs on this device, from its limits: the staged forward where its timed layout (64
  // channels, T 16: stagedForwardBytes) fits the workgroup memory, else the lane-parallel one where
  // there are subgroups, else chunked from L 128 (sequential below); the block-parallel backward
  // where its layout fits (slim, B_t and C_t once a state), with the starts pass from 32 chunks of 16
  // steps on: the staged forward's walk where its layout fits, else the one-lane walk
  for (const l of [37, 16 * 32]) {
    it(`runs the programs its rules name for this device: L ${l}`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      const c: ScanCase = { b: 1, l, di: 16, n: 16, r: 8, gateWidth: 2 };
      const inputs = scanInputs(c, 5);
      const weights = randn(new Rng(3), [c.b, c.l, c.di]);
      await tf.setBackend('webgpu');
      const backend = tf.backend();
      const storage = maxWorkgroupStorage(backend);
      const subgroups = subgroupMinSize(backend) !== null;
      const forward =
        storage >= stagedForwardBytes(16, 8, 16, 64)
          ? 'ScanForwardStaged'
          : subgroups
            ? 'ScanForwardLanes'
            : l >= 128
              ? 'ScanForwardChunked'
              : 'ScanForward';
      const blocks = blocksLayout(c.n, { wd: 64, tl: 4, e: 4 }, storage) !== null;
      const programs: string[] = [];
      setRawDispatchHook((name) => programs.push(name));
      try {
        const got = await valueAndGrads('webgpu', inputs, weights, scanFunction(true, c.di));
        const ref = await valueAndGrads('cpu', inputs, weights, scanFunction(false, c.di));
        expect(relErr(got.value, ref.value), 'y').toBeLessThan(1e-5);
        got.grads.forEach((g, i) => {
          expect(relErr(g, ref.grads[i]), `d${SCAN_INPUT_NAMES[i]}`).toBeLessThan(1e-4);
        });
      } finally {
        setRawDispatchHook(null);
      }
      const scans = programs.filter((p) => p.startsWith('Scan'));
      expect(scans[0]).toBe(forward);
      const backward = scans.filter((p) => p.startsWith('ScanBackward') || p.startsWith('ScanStarts'));
      const stagedStarts = stagedStartsPlanFor(c, 16, subgroupMinSize(backend), storage) !== null;
      if (!blocks) expect(backward).toEqual(['ScanBackward']);
      else if (l >= 16 * 32) {
        expect(backward[0]).toBe(stagedStarts ? 'ScanStartsStaged' : 'ScanBackwardStarts');
        expect(backward[1]).toMatch(/^ScanBackwardBlocks(Subgroup)?SlimStartsRows$/);
      } else expect(backward).toEqual([expect.stringMatching(/^ScanBackwardBlocks(Subgroup)?SlimRows$/)]);
      console.info(
        `'auto' at L ${l} (workgroup memory ${storage} B, subgroups ${subgroups}): ${scans.join(', ')}`,
      );
    });
  }
});
