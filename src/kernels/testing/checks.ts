/**
 * The kernel correctness checks, shared by the Node tests (src/kernels/*.test.ts: Dawn on
 * SwiftShader) and the browser check worker (testing/browser-check.worker.ts: headless Chromium in
 * a DedicatedWorker). Each check runs one fused kernel on WebGPU and its reference path (the
 * unfused plain ops, autodiff; for Adam src/train/adam.ts) on the cpu backend from the same random
 * host arrays, and measures the relative error of the forward value and of every gradient.
 * Readback is `await data()` only (a synchronous read of a WebGPU tensor throws in Node and
 * corrupts the device in Chromium).
 *
 *   for (const check of kernelChecks('layerNorm')) { const r = await runCheck(check); ... }
 *   const { entries, failures, gpuErrors } = await runKernelChecks(kernelChecks(), onProgress);
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { Adam, clipByGlobalNorm } from '../../train/adam';
import { FusedAdam } from '../adam';
import { fusedAttention } from '../attention';
import { takeGpuErrors } from '../backend';
import { fusedCausalConvSilu } from '../conv';
import { fusedBiasGelu } from '../gelu';
import { fusedLayerNorm } from '../layer-norm';
import type { CheckEntry, CheckFailure, Dims, GpuErrorEntry, KernelId } from './check-report';
import {
  compareOnBackends,
  gradOutputs,
  KERNEL_BACKEND,
  type KernelCheck,
  type Measured,
  REFERENCE_BACKEND,
  TOLERANCE,
} from './compare';
import { convSiluLinearCheck } from './conv-silu-linear-checks';
import { Rng, randn, relErr, uniform } from './helpers';
import { layerNormLinearCheck, layerNormLinearRowsCheck } from './layer-norm-linear-checks';
import { scanChecks } from './scan-checks';

export { type KernelCheck, type Measured, TOLERANCE } from './compare';
export { SCAN_CASES, SCAN_INPUT_NAMES, type ScanCase, scanFunction, scanInputs } from './scan-checks';

/** the gradient norm of Adam's clipping is one reduction: tighter */
const NORM_TOLERANCE = 1e-5;

// ---------------------------------------------------------------------------- the other fused ops

function layerNormCheck(shape: number[]): KernelCheck {
  const names = ['x', 'weight', 'bias'];
  const c = shape[shape.length - 1];
  const dims: Dims = shape.length === 3 ? { b: shape[0], l: shape[1], c } : { b: shape[0], c };
  return {
    kernel: 'layerNorm',
    case: shape.join(' x '),
    dims,
    outputs: gradOutputs(names),
    run() {
      const rng = new Rng(shape.length * 100 + shape[0]);
      const inputs = [randn(rng, shape, 2, 0.5), randn(rng, [c], 0.5, 1), randn(rng, [c], 0.5)];
      return compareOnBackends(inputs, names, shape, (x, w, b) => fusedLayerNorm(x, w, b), 99);
    },
  };
}

function attentionCheck(c: { b: number; l: number; d: number; h: number }): KernelCheck {
  return {
    kernel: 'attention',
    case: `B ${c.b}, L ${c.l}, D ${c.d}, ${c.h} heads`,
    dims: c,
    outputs: gradOutputs(['qkv']),
    run() {
      const inputs = [randn(new Rng(c.l + c.d), [c.b, c.l, 3 * c.d])];
      return compareOnBackends(
        inputs,
        ['qkv'],
        [c.b, c.l, c.d],
        (qkv) => fusedAttention(qkv as tf.Tensor3D, c.h),
        99,
      );
    },
  };
}

function convCheck(c: { b: number; l: number; c: number; k: number; wide: boolean }): KernelCheck {
  const names = ['x', 'weight', 'bias'];
  return {
    kernel: 'causalConvSilu',
    case: `B ${c.b}, L ${c.l}, C ${c.c}, K ${c.k}${c.wide ? ', window of [B, L, 2C]' : ''}`,
    dims: { b: c.b, l: c.l, c: c.c, k: c.k, wide: c.wide ? 1 : 0 },
    outputs: gradOutputs(names),
    run() {
      const rng = new Rng(c.l * 7 + c.c);
      const cx = c.wide ? 2 * c.c : c.c;
      const inputs = [
        randn(rng, [c.b, c.l, cx]),
        uniform(rng, [c.c, 1, c.k], -0.5, 0.5),
        randn(rng, [c.c], 0.3),
      ];
      return compareOnBackends(
        inputs,
        names,
        [c.b, c.l, c.c],
        (x, w, b) => fusedCausalConvSilu(x as tf.Tensor3D, w, b, c.wide ? c.c : 0),
        99,
      );
    },
  };
}

function geluCheck(shape: [number, number, number]): KernelCheck {
  const names = ['x', 'bias'];
  return {
    kernel: 'biasGelu',
    case: `${shape.join(' x ')} (incl. the tanh clamp)`,
    dims: { b: shape[0], l: shape[1], c: shape[2] },
    outputs: gradOutputs(names),
    run() {
      const rng = new Rng(shape[2]);
      const inputs = [randn(rng, shape, 3), randn(rng, [shape[2]], 0.5)];
      return compareOnBackends(inputs, names, shape, (x, b) => fusedBiasGelu(x, b), 99);
    },
  };
}

// ---------------------------------------------------------------------------- clip + Adam

/** parameter shapes across the workgroup size (256) and the grouping of parameters per dispatch */
export const ADAM_SHAPES: readonly number[][] = [
  [1],
  [3, 5],
  [257],
  [64, 33],
  [7],
  [2, 2, 2],
  [600],
  [5, 1],
  [4],
  [9, 9],
  [13],
  [1, 300],
];
const ADAM_SETTINGS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const ADAM_STEPS = 3;

/**
 * Three (or `steps`) clipped Adam steps on ADAM_SHAPES from the same random start and gradients, fused
 * (FusedAdam) or plain ops (clipByGlobalNorm + Adam), on `backend`: every parameter and both of
 * its moments after the steps (p0, m0, v0, p1, ...) and the gradient norm of each step.
 */
export async function adamSteps(
  backend: string,
  fused: boolean,
  clip: number | null,
  steps = ADAM_STEPS,
): Promise<{ out: Float32Array[]; norms: number[] }> {
  await tf.setBackend(backend);
  const rng = new Rng(4);
  const params = new Map<string, tf.Variable>();
  ADAM_SHAPES.forEach((s, i) => {
    params.set(`p${i}`, tf.variable(tf.tensor(randn(rng, s).values, s)));
  });
  const gradSteps = Array.from({ length: steps }, () => ADAM_SHAPES.map((s) => randn(rng, s, 0.5)));
  const fusedAdam = new FusedAdam(ADAM_SETTINGS);
  const adam = new Adam(ADAM_SETTINGS);
  const norms: number[] = [];
  for (const step of gradSteps) {
    const norm = tf.tidy(() => {
      const grads = new Map<string, tf.Tensor>();
      step.forEach((g, i) => {
        grads.set(`p${i}`, tf.tensor(g.values, g.shape));
      });
      if (fused) return fusedAdam.applyClipped(params, grads, clip);
      const names = [...grads.keys()];
      const c = clipByGlobalNorm(
        names.map((n) => grads.get(n)!),
        clip,
      );
      adam.apply(params, new Map(names.map((n, i) => [n, c.grads[i]])));
      return c.norm;
    });
    norms.push(((await norm.data()) as Float32Array)[0]);
    norm.dispose();
  }
  const state = await (fused ? fusedAdam : adam).readState();
  const out: Float32Array[] = [];
  for (const [name, p] of params) {
    out.push((await p.data()) as Float32Array);
    const m = state.get(name)!;
    out.push(m.expAvg, m.expAvgSq);
  }
  for (const p of params.values()) p.dispose();
  fusedAdam.dispose();
  adam.dispose();
  return { out, norms };
}

function adamCheck(clip: number | null): KernelCheck {
  const sizes = ADAM_SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
  const outputs: string[] = [];
  ADAM_SHAPES.forEach((s, i) => {
    const tag = `${i} [${s.join(', ')}]`;
    outputs.push(`param ${tag}`, `exp_avg ${tag}`, `exp_avg_sq ${tag}`);
  });
  for (let k = 1; k <= ADAM_STEPS; k++) outputs.push(`grad norm step ${k}`);
  return {
    kernel: 'clipAdam',
    case: `${ADAM_SHAPES.length} parameters, ${ADAM_STEPS} steps, ${clip === null ? 'no clipping' : `clip ${clip}`}`,
    dims: {
      clip: clip === null ? 0 : 1,
      parameters: ADAM_SHAPES.length,
      minSize: Math.min(...sizes),
      ragged: sizes.filter((n) => n > 256 && n % 256 !== 0).length,
    },
    outputs,
    async run() {
      const ref = await adamSteps(REFERENCE_BACKEND, false, clip);
      const got = await adamSteps(KERNEL_BACKEND, true, clip);
      const measured: Measured[] = got.out.map((a, i) => ({
        output: outputs[i],
        maxRelErr: relErr(a, ref.out[i]),
      }));
      got.norms.forEach((n, k) => {
        const err = Number.isFinite(n) ? Math.abs(n - ref.norms[k]) / ref.norms[k] : Number.POSITIVE_INFINITY;
        measured.push({ output: `grad norm step ${k + 1}`, maxRelErr: err, tolerance: NORM_TOLERANCE });
      });
      return measured;
    },
  };
}

// ---------------------------------------------------------------------------- all checks

/** Every check (or those of one kernel), in a fixed order. */
export function kernelChecks(kernel?: KernelId): KernelCheck[] {
  const all: KernelCheck[] = [
    ...scanChecks(),
    ...[
      [1, 1, 4],
      [2, 5, 7],
      [70, 33],
      [3, 37, 128],
    ].map(layerNormCheck),
    ...[
      { m: 1, k: 5, n: 3, transposed: true },
      { m: 300, k: 33, n: 129, transposed: true },
      { m: 300, k: 33, n: 129, transposed: false },
      { m: 82, k: 128, n: 384, transposed: true },
    ].map(layerNormLinearCheck),
    ...[
      { b: 1, l: 5, k: 33, n: 3, start: 4, stride: 1, count: 1 },
      { b: 3, l: 22, k: 20, n: 1, start: 0, stride: 2, count: 11 },
      { b: 64, l: 9, k: 128, n: 5, start: 0, stride: 1, count: 9 },
    ].map(layerNormLinearRowsCheck),
    ...[
      { b: 1, l: 1, d: 8, h: 2 },
      { b: 2, l: 19, d: 32, h: 4 },
      { b: 64, l: 3, d: 16, h: 4 },
      { b: 3, l: 70, d: 128, h: 8 },
    ].map(attentionCheck),
    ...[
      { b: 1, l: 1, c: 4, wide: false, k: 4 },
      { b: 2, l: 19, c: 70, wide: true, k: 4 },
      { b: 3, l: 70, c: 8, wide: false, k: 3 },
      { b: 64, l: 5, c: 6, wide: true, k: 4 },
      { b: 4, l: 250, c: 37, wide: true, k: 4 },
    ].map(convCheck),
    ...[
      { b: 1, l: 1, c: 4, k: 4, n: 3, wide: false },
      { b: 2, l: 19, c: 70, k: 4, n: 40, wide: true },
      { b: 3, l: 50, c: 33, k: 3, n: 70, wide: false },
      { b: 64, l: 5, c: 16, k: 4, n: 9, wide: true },
    ].map(convSiluLinearCheck),
    ...(
      [
        [1, 1, 3],
        [5, 7, 12],
        [2, 70, 130],
        [64, 3, 12],
        [4, 250, 37],
      ] as [number, number, number][]
    ).map(geluCheck),
    adamCheck(null),
    adamCheck(1.0),
  ];
  return kernel ? all.filter((c) => c.kernel === kernel) : all;
}

/** Let the WebGPU queue drain and its uncaptured-error events arrive. */
async function settleGpu(): Promise<void> {
  const backend = tf.findBackend(KERNEL_BACKEND) as WebGPUBackend | null;
  if (backend?.device) await backend.device.queue.onSubmittedWorkDone();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Run one check: an entry per output, and the uncaptured GPU errors taken once its GPU work is done
 * (raised while it ran, or still pending from before). Throws if the check throws or measures
 * other outputs than it declares.
 */
export async function runCheck(check: KernelCheck): Promise<{ entries: CheckEntry[]; gpuErrors: string[] }> {
  const measured = await check.run();
  await settleGpu();
  const gpuErrors = takeGpuErrors().map((e) => e.message);
  const names = measured.map((m) => m.output);
  if (names.join('|') !== check.outputs.join('|')) {
    throw new Error(`measured outputs [${names.join(', ')}], declared [${check.outputs.join(', ')}]`);
  }
  const entries = measured.map((m): CheckEntry => {
    const tolerance = m.tolerance ?? TOLERANCE;
    return {
      kernel: check.kernel,
      case: check.case,
      dims: check.dims,
      output: m.output,
      maxRelErr: m.maxRelErr,
      tolerance,
      ok: m.maxRelErr < tolerance,
    };
  });
  return { entries, gpuErrors };
}

/** Run checks in turn; one that throws is recorded and the others still run. */
export async function runKernelChecks(
  checks: readonly KernelCheck[],
  onProgress?: (done: number, total: number, current: string) => void,
): Promise<{ entries: CheckEntry[]; failures: CheckFailure[]; gpuErrors: GpuErrorEntry[] }> {
  const entries: CheckEntry[] = [];
  const failures: CheckFailure[] = [];
  const gpuErrors: GpuErrorEntry[] = [];
  for (const e of takeGpuErrors()) gpuErrors.push({ kernel: null, case: null, message: e.message });
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i];
    onProgress?.(i, checks.length, `${check.kernel} (${check.case})`);
    try {
      const r = await runCheck(check);
      entries.push(...r.entries);
      for (const message of r.gpuErrors) gpuErrors.push({ kernel: check.kernel, case: check.case, message });
    } catch (e) {
      failures.push({ kernel: check.kernel, case: check.case, message: (e as Error).message ?? String(e) });
      await settleGpu().catch(() => undefined);
      for (const err of takeGpuErrors()) {
        gpuErrors.push({ kernel: check.kernel, case: check.case, message: err.message });
      }
    }
  }
  onProgress?.(checks.length, checks.length, '');
  return { entries, failures, gpuErrors };
}
