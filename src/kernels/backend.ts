/**
 * TensorFlow.js backend setup for ICL Lab, in one place, for a Web Worker, a page or Node.
 *
 *   const info = await initBackend();            // webgpu -> webgl -> wasm -> cpu
 *   info.name, info.reason, info.attempts         // what was picked and why the others were not
 *   const off = onDeviceLost((e) => ...);         // the WebGPU device was lost (driver reset, ...)
 *   const off2 = onGpuError((e) => ...);          // uncaptured WebGPU errors (validation, OOM)
 *   takeGpuErrors()                               // errors since the last call (tests, training loop)
 *
 * WebGPU: the 'webgpu' backend is (re-)registered with a device requested with the adapter's own
 * limits (tfjs's default device keeps 8 storage buffers per stage; the fused backward kernels need
 * more), with uncaptured errors and device loss reported. In Node, the Dawn bindings of the npm
 * package `webgpu` are installed as `navigator.gpu` first (without a GPU, run Node with
 * LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).
 * Every fused kernel (kernels/index.ts) is registered for every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { installRecordCache } from './record-cache';
import { registerAllKernels } from './register';
import { checkSubgroupLayout, type SubgroupLayout } from './subgroup-layout';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export const DEFAULT_BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** why it was not used (absent when ok) */
  error?: string;
}

export interface GpuAdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export interface BackendInfo {
  name: BackendName;
  /** one sentence: why this backend (and why not the ones before it) */
  reason: string;
  attempts: BackendAttempt[];
  /** WebGPU only */
  adapterInfo?: GpuAdapterDescription;
  /** WebGPU only: the limits the device was created with */
  limits?: Record<string, number>;
  /** WebGPU only, where the adapter has subgroups: whether the subgroup kernels run, and why */
  subgroups?: SubgroupLayout;
}

export interface DeviceLostInfo {
  reason: string;
  message: string;
}

export interface InitOptions {
  /** WebGPU power preference (default high-performance) */
  powerPreference?: 'high-performance' | 'low-power';
  /** Node only: Dawn toggles / options for `create()` of the `webgpu` package */
  dawnOptions?: string[];
  /**
   * WebGPU: keep uniform buffers, bind group layouts and bind groups across dispatches
   * (record-cache.ts; default true). Off only to measure what it saves.
   */
  recordCache?: boolean;
}

const lostListeners = new Set<(info: DeviceLostInfo) => void>();
const errorListeners = new Set<(error: Error) => void>();
let pendingErrors: Error[] = [];
let lastDeviceLost: DeviceLostInfo | null = null;

/**
 * Called when the WebGPU device is lost (later losses only: `deviceLost()` says whether one
 * happened already); returns an unsubscribe function.
 */
export function onDeviceLost(listener: (info: DeviceLostInfo) => void): () => void {
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

/** Called for every uncaptured WebGPU error; returns an unsubscribe function. */
export function onGpuError(listener: (error: Error) => void): () => void {
  errorListeners.add(listener);
  return () => errorListeners.delete(listener);
}

/** The uncaptured WebGPU errors since the last call (and forget them). */
export function takeGpuErrors(): Error[] {
  const out = pendingErrors;
  pendingErrors = [];
  return out;
}

/** Throw the first uncaptured WebGPU error since the last check, if any. */
export function throwIfGpuError(): void {
  const errors = takeGpuErrors();
  if (errors.length > 0) {
    throw new Error(`WebGPU error(s): ${errors.map((e) => e.message).join(' | ')}`);
  }
}

/** The device loss seen, if any (the backend is unusable afterwards; call initBackend again). */
export function deviceLost(): DeviceLostInfo | null {
  return lastDeviceLost;
}

function reportError(error: Error): void {
  pendingErrors.push(error);
  if (pendingErrors.length > 100) pendingErrors.shift();
  for (const l of errorListeners) l(error);
}

const isNode = (): boolean =>
  typeof process !== 'undefined' && !!(process as { versions?: { node?: string } }).versions?.node;

/** Import by a name bundlers leave alone (optional / platform-specific packages). */
function importDynamic(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

interface GpuNavigator {
  gpu?: GPU;
}

function navigatorGpu(): GPU | undefined {
  return (globalThis as { navigator?: GpuNavigator }).navigator?.gpu;
}

/** Node: install Dawn's `navigator.gpu` (npm package `webgpu`). No-op where navigator.gpu exists. */
export async function installNodeWebGpu(dawnOptions: string[] = []): Promise<void> {
  if (navigatorGpu() || !isNode()) return;
  let mod: { create: (options: string[]) => GPU; globals: object };
  try {
    mod = (await importDynamic('webgpu')) as typeof mod;
  } catch (e) {
    throw new Error(`the 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}`);
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create(dawnOptions);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

/** Limits raised to the adapter's (those that matter to tfjs and the fused kernels). */
const RAISED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

/** The adapter's smallest subgroup, where its info says (null otherwise). */
function adapterSubgroupMin(adapter: GPUAdapter): number | null {
  const min = (adapter as { info?: { subgroupMinSize?: number } }).info?.subgroupMinSize;
  return typeof min === 'number' && min >= 1 ? min : null;
}

function describeAdapter(adapter: GPUAdapter): GpuAdapterDescription {
  const info = (adapter as { info?: Partial<GpuAdapterDescription> }).info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
}

let webgpuDetails: {
  adapterInfo: GpuAdapterDescription;
  limits: Record<string, number>;
  subgroups?: SubgroupLayout;
} | null = null;
let webgpuFailure: string | null = null;

/** (Re-)register 'webgpu' with a device that has the adapter's limits, errors and loss reported. */
async function registerWebGpu(options: InitOptions): Promise<void> {
  await installNodeWebGpu(options.dawnOptions);
  const gpu = navigatorGpu();
  if (!gpu) throw new Error('navigator.gpu is missing (no WebGPU in this browser / context)');
  const mod = (await import(
    '@tensorflow/tfjs-backend-webgpu'
  )) as typeof import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  webgpuFailure = null;
  tf.registerBackend(
    'webgpu',
    async () => {
      try {
        const adapter = await gpu.requestAdapter({
          powerPreference: options.powerPreference ?? 'high-performance',
        });
        if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null (no usable GPU adapter)');
        const requiredLimits: Record<string, number> = {};
        for (const k of RAISED_LIMITS) {
          const v = (adapter.limits as unknown as Record<string, number>)[k];
          if (typeof v === 'number') requiredLimits[k] = v;
        }
        const requiredFeatures: GPUFeatureName[] = [];
        if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
        // WGSL subgroups: the lane-parallel scan forward uses them where present
        if (adapter.features.has('subgroups' as GPUFeatureName))
          requiredFeatures.push('subgroups' as GPUFeatureName);
        const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
        device.addEventListener('uncapturederror', (event) => {
          const err = (event as GPUUncapturedErrorEvent).error;
          reportError(new Error(`${err.constructor?.name ?? 'GPUError'}: ${err.message}`));
        });
        device.lost.then((info) => {
          lastDeviceLost = { reason: String(info.reason), message: info.message };
          for (const l of lostListeners) l(lastDeviceLost);
        });
        const limits: Record<string, number> = {};
        for (const k of RAISED_LIMITS) limits[k] = (device.limits as unknown as Record<string, number>)[k];
        const adapterInfo = describeAdapter(adapter);
        // the subgroup programs pair lanes by invocation index: asked once, before any kernel runs
        const subgroups = requiredFeatures.includes('subgroups' as GPUFeatureName)
          ? await checkSubgroupLayout(device, adapterSubgroupMin(adapter))
          : undefined;
        webgpuDetails = { adapterInfo, limits, ...(subgroups ? { subgroups } : {}) };
        lastDeviceLost = null;
        const backend = new mod.WebGPUBackend(device, (adapter as { info?: GPUAdapterInfo }).info);
        if (options.recordCache ?? true) installRecordCache(backend);
        // tfjs runs an op on the CPU when its inputs are small and not yet on the GPU, then
        // uploads the result: a step would upload values derived from its batch, which a recorded
        // step cannot replay (step-replay.ts). The GPU runs them as well.
        tf.env().set('WEBGPU_CPU_FORWARD', false);
        return backend;
      } catch (e) {
        webgpuFailure = (e as Error).message;
        throw e;
      }
    },
    3,
  );
}

async function tryBackend(name: BackendName, options: InitOptions): Promise<string | null> {
  try {
    if (name === 'webgpu') await registerWebGpu(options);
    if (name === 'wasm') {
      try {
        await importDynamic('@tensorflow/tfjs-backend-wasm');
        registerAllKernels(); // wraps the wasm matmuls (matmul-wasm.ts), now that they exist
      } catch {
        return 'the package @tensorflow/tfjs-backend-wasm is not installed';
      }
    }
    if (name === 'webgl' && isNode() && typeof OffscreenCanvas === 'undefined') {
      return 'no WebGL in Node';
    }
    if (!tf.findBackendFactory(name)) return `no '${name}' backend is registered here`;
    const ok = await tf.setBackend(name);
    if (!ok) {
      return name === 'webgpu' && webgpuFailure ? webgpuFailure : `tf.setBackend('${name}') failed`;
    }
    await tf.ready();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Pick the first backend of `preferred` that starts (default webgpu, webgl, wasm, cpu), register
 * every fused kernel, and say why. Never leaves tfjs without a backend: cpu is always the last
 * resort, even when not listed. Safe to call again (e.g. after a device loss).
 */
export async function initBackend(
  preferred: readonly BackendName[] = DEFAULT_BACKEND_ORDER,
  options: InitOptions = {},
): Promise<BackendInfo> {
  registerAllKernels();
  const order = [...preferred];
  if (!order.includes('cpu')) order.push('cpu');
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    const error = await tryBackend(name, options);
    if (error === null) {
      attempts.push({ name, ok: true });
      const skipped = attempts.filter((a) => !a.ok);
      const why =
        skipped.length === 0
          ? `${name}: first choice`
          : `${name}, because ${skipped.map((a) => `${a.name} failed (${a.error})`).join('; ')}`;
      const info: BackendInfo = { name, reason: why, attempts };
      if (name === 'webgpu' && webgpuDetails) {
        info.adapterInfo = webgpuDetails.adapterInfo;
        info.limits = webgpuDetails.limits;
        if (webgpuDetails.subgroups) info.subgroups = webgpuDetails.subgroups;
      }
      return info;
    }
    attempts.push({ name, ok: false, error });
  }
  throw new Error(
    `no TensorFlow.js backend could start: ${attempts.map((a) => `${a.name}: ${a.error}`).join('; ')}`,
  );
}
