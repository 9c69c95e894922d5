/**
 * Shared pieces of the fused kernels: WGSL helpers, the "ops kernel" wrapper that lets a plain
 * tfjs-ops computation serve as the kernel of a backend (the reference path on cpu / webgl / wasm),
 * and idempotent registration helpers.
 */

import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';

/** Backends that run the reference (plain tfjs ops) implementation of every fused kernel. */
export const REFERENCE_BACKENDS = ['cpu', 'webgl', 'wasm', 'tensorflow'] as const;

/**
 * Stable softplus (as ops.ts: series below y = 1/16, since WebGPU has no log1p) and sigmoid;
 * softplusb is the same function without branches (max(x, 0) + log(1 + e^-|x|), both sides computed
 * and one selected), so the lanes of a subgroup whose x fall on different sides do not diverge.
 */
export const WGSL_MATH = /* wgsl */ `
fn softplusb(x: f32) -> f32 {
  let y = exp(-abs(x));
  let series = y * (1.0 - y * (0.5 - y * (0.33333334 - y * (0.25 - y * 0.2))));
  return max(x, 0.0) + select(log(1.0 + y), series, y < 0.0625);
}
fn softplusf(x: f32) -> f32 {
  if (x > 20.0) { return x; }
  let y = exp(x);
  if (y < 0.0625) {
    return y * (1.0 - y * (0.5 - y * (0.33333334 - y * (0.25 - y * 0.2))));
  }
  return log(1.0 + y);
}
fn sigmoidf(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}
`;

/** `@group(0) @binding(i)` declarations: outputs (read_write) then inputs (read), then the uniform. */
export function bindings(
  outputs: readonly string[],
  inputs: readonly string[],
  uniformStruct: string,
): string {
  const lines: string[] = [];
  let i = 0;
  for (const o of outputs)
    lines.push(`@group(0) @binding(${i++}) var<storage, read_write> ${o}: array<f32>;`);
  for (const x of inputs) lines.push(`@group(0) @binding(${i++}) var<storage, read> ${x}: array<f32>;`);
  lines.push(`struct U { ${uniformStruct} };`);
  lines.push(`@group(0) @binding(${i}) var<uniform> uni: U;`);
  return lines.join('\n');
}

/**
 * Run a tfjs-ops computation as a kernel's body and hand its results to the engine as the kernel's
 * outputs (each result's data is kept alive with `incRef`, then the wrapper tensor is released).
 * Ops run inside a kernel are not recorded on the gradient tape (tfjs: kernelDepth > 0).
 */
export function viaOps(backend: tf.KernelBackend, compute: () => tf.Tensor[]): TensorInfo[] {
  const outs = tf.tidy(compute);
  return outs.map((t) => {
    backend.incRef(t.dataId);
    const info: TensorInfo = { dataId: t.dataId, shape: t.shape.slice(), dtype: t.dtype };
    t.dispose();
    return info;
  });
}

/** Register a kernel, replacing an earlier registration of the same name and backend. */
export function registerKernelOnce(config: KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName)) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/**
 * Whether the fused kernel `kernelName` runs as one kernel on the current backend: WebGPU (WGSL),
 * or wasm where host-kernels.ts registered it; elsewhere the fused functions run their plain ops.
 */
export function fusedHere(kernelName: string): boolean {
  const backend = tf.getBackend();
  return backend === 'webgpu' || (backend === 'wasm' && tf.getKernel(kernelName, backend) !== undefined);
}

/** Register the same kernel function for every reference backend. */
export function registerReference(kernelName: string, kernelFunc: KernelFunc): void {
  for (const backendName of REFERENCE_BACKENDS) registerKernelOnce({ kernelName, backendName, kernelFunc });
}

export type Attrs = NamedAttrMap;

/** A tensor of `t`'s data as a tf.Tensor (kernel inputs are Tensors already; infos get wrapped). */
export function asTensor<T extends tf.Tensor = tf.Tensor>(t: TensorInfo): T {
  return t as unknown as T;
}

/** Number of workgroups along x when a flat dispatch was folded into y (see runner.dispatch1d). */
export const FLAT_INDEX = /* wgsl */ `
fn flatGroup(wid: vec3<u32>) -> i32 {
  return i32(wid.x + wid.y * u32(uni.nx));
}
`;
