/**
 * WebGPU for the kernel tests, in Node: Dawn (npm `webgpu`) on Chromium's SwiftShader Vulkan
 * driver when there is no GPU. The Vulkan loader is found through LD_LIBRARY_PATH, which the
 * dynamic linker reads at process start: vitest's global setup (testing/global-setup.ts) sets it
 * before the test workers start. `setupWebGpu()` returns the backend info, or the reason WebGPU
 * is unavailable (then the WebGPU tests skip with that message).
 */
import * as tf from '@tensorflow/tfjs';
import { type BackendInfo, initBackend, takeGpuErrors } from '../backend';

let result: Promise<{ info: BackendInfo | null; reason: string }> | null = null;

export function setupWebGpu(): Promise<{ info: BackendInfo | null; reason: string }> {
  if (!result) {
    result = (async () => {
      const info = await initBackend(['webgpu'], {}).catch(() => null);
      if (info?.name !== 'webgpu') {
        const why = info?.attempts.find((a) => a.name === 'webgpu')?.error ?? 'unknown';
        await tf.setBackend('cpu');
        return { info: null, reason: `no Dawn WebGPU adapter: ${why}` };
      }
      return { info, reason: '' };
    })();
  }
  return result;
}

/** Throws if WebGPU reported an uncaptured error since the last call. */
export function expectNoGpuErrors(): void {
  const errors = takeGpuErrors();
  if (errors.length > 0) throw new Error(`WebGPU errors: ${errors.map((e) => e.message).join(' | ')}`);
}
