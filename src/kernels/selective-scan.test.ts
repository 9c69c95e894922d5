/**
 * The fused selective scan on WebGPU (Dawn + SwiftShader) against the unfused reference path
 * (plain tfjs ops, autodiff) on the cpu backend: forward and every gradient, relative error < 1e-4,
 * on shapes with L = 1, L not a multiple of the chunk or workgroup, batch 1 and a large batch,
 * channels not a multiple of the workgroup, and the gate read from in_proj's [B, L, 2Di] output.
 * Also: the reference kernels (webgl's, and the WebGPU backward's fallback) run under the same
 * kernel names with the same gradient (on cpu, registered there for the test). The cpu / wasm
 * kernels have their own tests: selective-scan-cpu.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAllKernels } from './register';
import {
  fusedSelectiveScan,
  referenceScanKernels,
  SELECTIVE_SCAN,
  SELECTIVE_SCAN_GRAD,
  scanTuning,
  selectiveScanFusedReference,
} from './selective-scan';
import { registerHostScanKernels } from './selective-scan-cpu';
import { type HostTensor, Rng, randn, relErr, uniform, valueAndGrads } from './testing/helpers';
import { expectNoGpuErrors, setupWebGpu } from './testing/webgpu';

interface Case {
  b: number;
  l: number;
  di: number;
  n: number;
  r: number;
  gateWidth: 1 | 2;
}

const CASES: Case[] = [
  { b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 },
  { b: 2, l: 19, di: 70, n: 4, r: 2, gateWidth: 2 },
  { b: 1, l: 37, di: 16, n: 16, r: 8, gateWidth: 2 },
  { b: 64, l: 3, di: 8, n: 2, r: 1, gateWidth: 1 },
  { b: 3, l: 64, di: 130, n: 5, r: 3, gateWidth: 2 },
];

function inputsOf(c: Case, seed: number): HostTensor[] {
  const rng = new Rng(seed);
  const s = c.r + 2 * c.n;
  const aLog = uniform(rng, [c.di, c.n], 0, 1);
  for (let i = 0; i < aLog.values.length; i++) aLog.values[i] += Math.log((i % c.n) + 1);
  return [
    randn(rng, [c.b, c.l, c.di]), // u
    randn(rng, [c.b, c.l, s], 0.7), // xdbl
    randn(rng, [c.b, c.l, c.gateWidth * c.di]), // z (or xz)
    uniform(rng, [c.di, c.r], -1 / Math.sqrt(c.r), 1 / Math.sqrt(c.r)), // dtW
    uniform(rng, [c.di], -5, 1.5), // dtBias: softplus series, log and near-linear regions
    aLog,
    randn(rng, [c.di]), // D
  ];
}

const scanOf =
  (useFused: boolean, zOffset: number) =>
  (...xs: tf.Tensor[]): tf.Tensor => {
    const [u, xdbl, z, dtW, dtBias, ALog, D] = xs;
    const args = {
      u: u as tf.Tensor3D,
      xdbl: xdbl as tf.Tensor3D,
      z: z as tf.Tensor3D,
      zOffset,
      dtW: dtW as tf.Tensor2D,
      dtBias: dtBias as tf.Tensor1D,
      ALog: ALog as tf.Tensor2D,
      D: D as tf.Tensor1D,
    };
    if (useFused) return fusedSelectiveScan(args);
    // at L = 1 the reference never touches A (h_{-1} = 0): keep A_log on the tape (gradient 0)
    return selectiveScanFusedReference(args).add(ALog.sum().mul(0));
  };

const NAMES = ['u', 'xdbl', 'z', 'dtW', 'dtBias', 'ALog', 'D'];

let gpu = { ok: false, reason: '' };

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = { ok: r.info !== null, reason: r.reason };
  if (!gpu.ok) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  scanTuning.forwardMode = 'auto';
  await tf.setBackend('cpu');
});

describe('fused selective scan', () => {
  it('the device binds enough storage buffers for the fused backward', async (ctx) => {
    if (!gpu.ok) ctx.skip();
    const r = await setupWebGpu();
    expect(r.info!.limits!.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(9);
  });

  const runs = [
    ...CASES.map((c) => ({ c, mode: 'sequential' as const })),
    ...[CASES[0], CASES[1], CASES[4]].map((c) => ({ c, mode: 'chunked' as const })),
  ];
  for (const { c, mode } of runs) {
    const label = `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate width ${c.gateWidth} Di, ${mode} forward`;
    it(`webgpu matches the reference: ${label}`, async (ctx) => {
      if (!gpu.ok) ctx.skip();
      scanTuning.forwardMode = mode;
      const inputs = inputsOf(c, 11 + c.l);
      const zOffset = c.gateWidth === 2 ? c.di : 0;
      const weights = randn(new Rng(5), [c.b, c.l, c.di]);
      const ref = await valueAndGrads('cpu', inputs, weights, scanOf(false, zOffset));
      const got = await valueAndGrads('webgpu', inputs, weights, scanOf(true, zOffset));
      expectNoGpuErrors();
      expect(relErr(got.value, ref.value), 'forward').toBeLessThan(1e-4);
      got.grads.forEach((g, i) => {
        expect(relErr(g, ref.grads[i]), `d${NAMES[i]}`).toBeLessThan(1e-4);
      });
    });
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
      const c: Case = { b: 2, l: 21, di: 6, n: 3, r: 2, gateWidth: 2 };
      const inputs = inputsOf(c, 3);
      const weights = randn(new Rng(9), [c.b, c.l, c.di]);
      const ref = await valueAndGrads('cpu', inputs, weights, scanOf(false, c.di));
      const got = await valueAndGrads('cpu', inputs, weights, scanOf(true, c.di));
      expect(relErr(got.value, ref.value)).toBeLessThan(1e-5);
      got.grads.forEach((g, i) => {
        expect(relErr(g, ref.grads[i]), `d${NAMES[i]}`).toBeLessThan(1e-4);
      });
    } finally {
      registerHostScanKernels();
    }
  });
});
