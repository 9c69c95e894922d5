/**
 * Fused WebGPU kernels for ICL Lab's models and training step (see README.md in this folder).
 *
 *   import { initBackend, modelKernels, FusedAdam } from './kernels';
 *   const info = await initBackend();                 // webgpu -> webgl -> wasm -> cpu, with the reason
 *   const model = buildModel(config, readIn, heads, seed, { kernels: modelKernels() });
 *   const adam = new FusedAdam(settings);             // adam.applyClipped(model.variables, grads, clip)
 *
 * Every kernel is registered for webgpu (WGSL) and for cpu / webgl / wasm (the reference ops; the
 * selective scan runs as plain JavaScript loops on cpu and wasm), so a model built with
 * `modelKernels()` runs on every backend.
 */
import type { ModelKernels } from '../models/fused';
import { fusedAttention } from './attention';
import { fusedCausalConvSilu, fusedCausalConvSiluKeep } from './conv';
import { fusedConvSiluLinear } from './conv-silu-linear';
import { fusedBiasGelu } from './gelu';
import { fusedLayerNorm, fusedLayerNormKeep } from './layer-norm';
import { fusedLayerNormLinear, fusedLayerNormLinearRows } from './layer-norm-linear';
import { fusedLinear, fusedLinearKeep, fusedLinearRows } from './linear';
import { fusedMaskedMse } from './loss';
import { registerAllKernels } from './register';
import { fusedS4dConv, fusedS4dKernel } from './s4d';
import { fusedSelectiveScan } from './selective-scan/index';

export { FusedAdam } from './adam';
export { fusedAttention } from './attention';
export type { BackendAttempt, BackendInfo, BackendName, DeviceLostInfo, InitOptions } from './backend';
export {
  DEFAULT_BACKEND_ORDER,
  deviceLost,
  initBackend,
  installNodeWebGpu,
  onDeviceLost,
  onGpuError,
  takeGpuErrors,
  throwIfGpuError,
} from './backend';
export { fusedCausalConvSilu, fusedCausalConvSiluKeep } from './conv';
export { convSiluLinearTuning, fusedConvSiluLinear } from './conv-silu-linear';
export { fusedBiasGelu } from './gelu';
export { fusedLayerNorm, fusedLayerNormKeep } from './layer-norm';
export { fusedLayerNormLinear, fusedLayerNormLinearRows, layerNormLinearTuning } from './layer-norm-linear';
export { columnSum, fusedLinear, fusedLinearKeep, fusedLinearRows } from './linear';
export { fusedMaskedMse } from './loss';
export {
  countDispatches,
  type DispatchCount,
  type GpuTimeProfile,
  gpuTimeProfile,
  topEntries,
} from './profile';
export { installRecordCache, type RecordCacheStats, recordCacheStats } from './record-cache';
export { registerAllKernels } from './register';
export { fusedS4dConv, fusedS4dKernel } from './s4d';
export { fusedSelectiveScan, scanTuning, selectiveScanFusedReference } from './selective-scan/index';
export { createStepReplay } from './step-replay';

export type KernelName = keyof ModelKernels;

/**
 * The fused kernels for `buildModel(..., { kernels })`; `only` restricts to some of them (for
 * measuring each one's effect). Registers the kernels on first use.
 */
export function modelKernels(only?: readonly KernelName[]): ModelKernels {
  registerAllKernels();
  const all: ModelKernels = {
    selectiveScan: fusedSelectiveScan,
    causalConvSilu: fusedCausalConvSilu,
    causalConvSiluKeep: fusedCausalConvSiluKeep,
    convSiluLinear: fusedConvSiluLinear,
    layerNorm: fusedLayerNorm,
    layerNormKeep: fusedLayerNormKeep,
    layerNormLinear: fusedLayerNormLinear,
    layerNormLinearRows: fusedLayerNormLinearRows,
    attention: fusedAttention,
    biasGelu: fusedBiasGelu,
    s4dKernel: fusedS4dKernel,
    s4dConv: fusedS4dConv,
    linear: fusedLinear,
    linearKeep: fusedLinearKeep,
    linearRows: fusedLinearRows,
    maskedMse: fusedMaskedMse,
  };
  if (!only) return all;
  const out: ModelKernels = {};
  for (const k of only) (out as Record<string, unknown>)[k] = all[k];
  return out;
}
