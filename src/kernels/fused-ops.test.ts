/**
 * The fused LayerNorm, attention, causal conv + SiLU and bias + GELU kernels on WebGPU (Dawn +
 * SwiftShader) against the unfused plain-ops path on the cpu backend (the same wrapper functions
 * run the ops off WebGPU): forward and every gradient, relative error < 1e-4, on shapes with a
 * single row / L = 1, sizes not multiples of the workgroups, batch 1 and a large batch. The cases
 * (testing/checks.ts) also run in headless Chromium in a Web Worker (e2e/kernels.spec.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAllKernels } from './register';
import type { KernelId } from './testing/check-report';
import { kernelChecks, runCheck } from './testing/checks';
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

const KERNELS: [KernelId, string][] = [
  ['layerNorm', 'fused LayerNorm'],
  ['layerNormLinear', 'fused LayerNorm + the next linear'],
  ['layerNormLinearRows', 'fused final LayerNorm + read-out'],
  ['attention', 'fused causal attention'],
  ['causalConvSilu', 'fused causal conv + SiLU'],
  ['convSiluLinear', 'fused conv + SiLU inside x_proj'],
  ['biasGelu', 'fused bias + GELU'],
];

for (const [kernel, title] of KERNELS) {
  describe(title, () => {
    for (const check of kernelChecks(kernel)) {
      it(`matches the reference: ${check.case}`, async (ctx) => {
        if (!gpu) ctx.skip();
        const r = await runCheck(check);
        expect(r.gpuErrors, 'uncaptured WebGPU errors').toEqual([]);
        for (const e of r.entries) expect(e.maxRelErr, e.output).toBeLessThan(e.tolerance);
      });
    }
  });
}
