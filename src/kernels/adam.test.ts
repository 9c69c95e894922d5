/**
 * FusedAdam (clip + Adam in place, WebGPU) against src/train/adam.ts (plain ops, cpu): parameters
 * and both moments after three steps, with and without clipping, parameter sizes across the
 * workgroup size and the grouping of parameters per dispatch. The checks (testing/checks.ts) also
 * run in headless Chromium in a Web Worker (e2e/kernels.spec.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAllKernels } from './register';
import { adamSteps, kernelChecks, runCheck } from './testing/checks';
import { relErr } from './testing/helpers';
import { setupWebGpu } from './testing/webgpu';

let gpu = false;

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = r.info !== null;
  if (!gpu) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('FusedAdam', () => {
  for (const check of kernelChecks('clipAdam')) {
    it(`matches Adam (ops): ${check.case}`, async (ctx) => {
      if (!gpu) ctx.skip();
      const r = await runCheck(check);
      expect(r.gpuErrors, 'uncaptured WebGPU errors').toEqual([]);
      for (const e of r.entries) expect(e.maxRelErr, e.output).toBeLessThan(e.tolerance);
    });
  }

  it('runs the plain ops off WebGPU (cpu) with the same results', async () => {
    const ref = await adamSteps('cpu', false, 0.5);
    const got = await adamSteps('cpu', true, 0.5);
    got.out.forEach((a, i) => {
      expect(relErr(a, ref.out[i])).toBeLessThan(1e-6);
    });
  });
});
