/**
 * Picking the TensorFlow.js backend for the command line (Node).
 *  - cpu: always there (plain JavaScript, slow);
 *  - wasm: @tensorflow/tfjs-backend-wasm (a dependency; the check below still reports a broken install);
 *  - webgpu: Dawn through the npm package `webgpu`. `navigator.gpu` must exist before the tfjs
 *    WebGPU backend is imported (it registers itself only then), so both are imported here,
 *    dynamically, after installing the globals. Without a GPU, run with Chromium's SwiftShader:
 *      LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 *    (LD_LIBRARY_PATH is read when the process starts, so it must be set by the caller).
 */
import * as tf from '@tensorflow/tfjs';
import { UsageError } from './task-args';

export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function requireBackendName(name: string | undefined): BackendName {
  const b = name ?? 'cpu';
  if (!(BACKENDS as readonly string[]).includes(b)) {
    throw new UsageError(`unknown backend "${b}"; one of: ${BACKENDS.join(', ')}`);
  }
  return b as BackendName;
}

/** Import a module by a name TypeScript does not resolve (optional dependencies). */
function importOptional(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

async function installWebGpu(): Promise<string> {
  let gpuModule: { create: (options: string[]) => unknown; globals: object };
  try {
    gpuModule = await import('webgpu');
  } catch (e) {
    throw new Error(`the 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}`);
  }
  Object.assign(globalThis, gpuModule.globals);
  const gpu = gpuModule.create([]);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const adapter = await (gpu as { requestAdapter(): Promise<unknown> }).requestAdapter();
  if (!adapter) {
    throw new Error(
      "WebGPU has no adapter here. Without a GPU run with Chromium's SwiftShader: " +
        'LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json',
    );
  }
  const info = (adapter as { info?: { vendor?: string; architecture?: string; description?: string } }).info;
  await import('@tensorflow/tfjs-backend-webgpu');
  return [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
}

/**
 * WebGPU through src/kernels' `initBackend` (a device with the adapter's limits, which the fused
 * kernels need, and the fused kernels registered). Refuses to fall back silently.
 */
async function setupFusedWebGpu(): Promise<string> {
  const { initBackend } = await import('../kernels');
  const info = await initBackend(['webgpu']);
  if (info.name !== 'webgpu') {
    throw new Error(
      `WebGPU did not start (${info.reason}). Without a GPU run with Chromium's SwiftShader: ` +
        'LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json',
    );
  }
  const a = info.adapterInfo;
  const adapter = a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') : '';
  return `webgpu (${adapter || 'unknown adapter'}; fused kernels)`;
}

/**
 * Select and initialise a backend; returns a description for the log. Throws with a clear message.
 * `fused` (WebGPU only): set the device up for src/kernels' fused kernels.
 */
export async function setupBackend(name: BackendName, options: { fused?: boolean } = {}): Promise<string> {
  if (name === 'webgpu' && options.fused) return setupFusedWebGpu();
  if (name === 'wasm') {
    try {
      await importOptional('@tensorflow/tfjs-backend-wasm');
    } catch {
      throw new UsageError(
        'the wasm backend is not installed (npm install @tensorflow/tfjs-backend-wasm); use --backend cpu or webgpu',
      );
    }
  }
  let detail = '';
  if (name === 'webgpu') detail = await installWebGpu();
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new Error(`backend ${name} failed to start: ${(e as Error).message}`);
  }
  if (!ok) throw new Error(`backend ${name} failed to start`);
  await tf.ready();
  return detail ? `${name} (${detail})` : name;
}
