/**
 * Choosing the TensorFlow.js backend inside a training worker (webgpu.md): try WebGPU, WebGL, WASM
 * and CPU in turn, explicitly, and report which one was chosen and why each earlier one was not.
 *
 * Why explicit: when `navigator.gpu` exists but no adapter does, `setBackend('webgpu')` resolves
 * false and leaves tfjs without a usable backend until another one is set. So each candidate is
 * checked first (adapter present, package installed), then set, then proven with one tiny op read
 * back asynchronously (never `dataSync`).
 *
 * WebGPU is started through src/kernels `initBackend(['webgpu'])`: it registers the tfjs WebGPU
 * backend with a device that has the adapter's limits (the fused kernels bind more than tfjs's
 * default 8 storage buffers), reports device loss and uncaptured GPU errors, and registers every
 * fused kernel for every backend (`registerAllKernels`, also done here for the others). The WASM backend is an optional package that this build may not
 * contain: `import.meta.glob` finds it at build time when it is installed, and it is skipped (with
 * that reason) when it is not.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, registerAllKernels } from '../kernels';
import type { BackendAttempt, BackendName, BackendReport } from './backend-types';
import { BACKEND_ORDER } from './backend-types';

export {
  BACKEND_ORDER,
  type BackendAttempt,
  type BackendName,
  type BackendReport,
  isBackendName,
} from './backend-types';

/** What backend selection needs from its surroundings (replaced in unit tests). */
export interface BackendEnvironment {
  /** once, before the first candidate (registers the fused kernels for every backend) */
  prepare?(): void;
  /** navigator.gpu, when the browser has WebGPU */
  gpu(): { requestAdapter(): Promise<unknown> } | undefined;
  /**
   * register and start the tfjs WebGPU backend; throws with the reason when it cannot start. May
   * return a note for the report (why the device's subgroups are not used).
   */
  loadWebGpu(): Promise<string | undefined>;
  /** import the tfjs WASM backend; null when the package is not part of this build */
  loadWasm: (() => Promise<void>) | null;
  /** tf.setBackend */
  setBackend(name: BackendName): Promise<boolean>;
  /** run one tiny op on the current backend and read it back asynchronously */
  check(): Promise<void>;
  /** which wasm build runs (SIMD, threads), for the report */
  wasmDetail?(): Promise<string>;
}

interface WasmModule {
  setWasmPaths(paths: Record<string, string>): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}
const wasmModules = import.meta.glob<WasmModule>('/node_modules/@tensorflow/tfjs-backend-wasm/dist/index.js');
/**
 * The backend's three .wasm binaries (plain, SIMD, threaded SIMD), emitted by the build as assets
 * of this origin (the CSP allows only 'self'); the backend picks the one the browser supports.
 */
const wasmBinaries = import.meta.glob<string>('/node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm', {
  query: '?url',
  import: 'default',
  eager: true,
});

function wasmPaths(): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [path, url] of Object.entries(wasmBinaries)) {
    const file = path.slice(path.lastIndexOf('/') + 1);
    paths[file] = new URL(url, self.location.href).href;
  }
  return paths;
}

let wasmModule: WasmModule | null = null;

/**
 * Which wasm build runs: SIMD + threads needs cross-origin isolation (SharedArrayBuffer; the
 * servers send COOP + COEP, docs/DEPLOY.md); without it, SIMD on one thread.
 */
export async function wasmDetail(): Promise<string> {
  const [simd, threads] = await Promise.all([
    tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  ]);
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const simdText = simd ? 'SIMD' : 'no SIMD';
  if (threads) {
    let count = 0;
    try {
      count = wasmModule?.getThreadsCount() ?? 0;
    } catch {
      count = 0;
    }
    return `${simdText} + threads${count > 0 ? ` (${count} in tfjs's pool)` : ''}`;
  }
  return `${simdText}, one thread${isolated ? '' : ' (the page is not cross-origin isolated)'}`;
}

/**
 * The GPU behind a GPU backend, for spotting software renderers: WebGPU's adapter info (and
 * isFallbackAdapter), WebGL's unmasked renderer.
 */
export async function describeGpu(
  name: BackendName,
  env: BackendEnvironment = browserEnvironment,
): Promise<{ text: string; fallback: boolean }> {
  if (name === 'webgpu') {
    const adapter = (await env.gpu()?.requestAdapter()) as
      | {
          info?: { vendor?: string; architecture?: string; description?: string };
          isFallbackAdapter?: boolean;
        }
      | null
      | undefined;
    const info = adapter?.info;
    return {
      text: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' '),
      fallback:
        adapter?.isFallbackAdapter === true ||
        (adapter?.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true,
    };
  }
  if (name === 'webgl') {
    try {
      const canvas = new OffscreenCanvas(1, 1);
      const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
      if (!gl) return { text: '', fallback: false };
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      const text = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
      gl.getExtension('WEBGL_lose_context')?.loseContext();
      return { text, fallback: false };
    } catch {
      return { text: '', fallback: false };
    }
  }
  return { text: '', fallback: false };
}

function adapterDetail(adapter: unknown): string {
  const info = (adapter as { info?: { vendor?: string; architecture?: string; description?: string } })?.info;
  return [info?.vendor, info?.architecture].filter(Boolean).join(' ') || info?.description || '';
}

/**
 * The browser environment with the wasm backend's threads set before it starts: `threads` > 1 uses
 * the SIMD + threads build (when the page is cross-origin isolated) with that many threads; 1 the
 * single-threaded SIMD build (several workers on few cores: threads only compete for them).
 */
export function wasmEnvironment(threads: number | undefined): BackendEnvironment {
  const load = browserEnvironment.loadWasm;
  if (threads === undefined || !load) return browserEnvironment;
  return {
    ...browserEnvironment,
    loadWasm: async () => {
      await load();
      if (threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      else wasmModule?.setThreadsCount(threads);
    },
  };
}

export const browserEnvironment: BackendEnvironment = {
  gpu: () => (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu,
  prepare: () => registerAllKernels(),
  loadWebGpu: async () => {
    const info = await initBackend(['webgpu']);
    if (info.name !== 'webgpu') {
      throw new Error(
        info.attempts.find((a) => a.name === 'webgpu')?.error ?? 'the WebGPU backend did not start',
      );
    }
    // subgroups that failed the layout check (kernels/subgroup-layout.ts): the kernels run without
    return info.subgroups && !info.subgroups.usable ? info.subgroups.why : undefined;
  },
  loadWasm: (() => {
    const load = Object.values(wasmModules)[0];
    return load
      ? async () => {
          const wasm = await load();
          wasmModule = wasm;
          const paths = wasmPaths();
          if (Object.keys(paths).length === 0) throw new Error('the build holds no .wasm binaries');
          wasm.setWasmPaths(paths);
          registerAllKernels(); // wraps the wasm matmuls (kernels/matmul-wasm.ts), now that they exist
        }
      : null;
  })(),
  setBackend: (name) => tf.setBackend(name),
  wasmDetail: () => wasmDetail(),
  check: async () => {
    const t = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
    try {
      const [v] = await t.data();
      if (v !== 3) throw new Error(`a test addition gave ${v} instead of 3`);
    } finally {
      t.dispose();
    }
  },
};

function message(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * Select the first backend of `order` that works. Never throws while a later candidate is left;
 * throws only when none works (cpu always does in practice).
 */
export async function pickBackend(
  order: readonly BackendName[] = BACKEND_ORDER,
  env: BackendEnvironment = browserEnvironment,
): Promise<BackendReport> {
  const attempts: BackendAttempt[] = [];
  let detail = '';
  env.prepare?.();
  const candidates = order.length > 0 ? order : BACKEND_ORDER;
  for (const name of candidates) {
    try {
      if (name === 'webgpu') {
        const gpu = env.gpu();
        if (!gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
        const adapter = await gpu.requestAdapter();
        if (!adapter) throw new Error('no WebGPU adapter (WebGPU disabled or no supported GPU)');
        detail = adapterDetail(adapter);
        const note = await env.loadWebGpu();
        if (note) detail = detail ? `${detail}; ${note}` : note;
      }
      if (name === 'wasm') {
        if (!env.loadWasm) throw new Error('not installed in this build (@tensorflow/tfjs-backend-wasm)');
        await env.loadWasm();
      }
      const ok = await env.setBackend(name);
      if (!ok) throw new Error(`tf.setBackend('${name}') failed`);
      await env.check();
      attempts.push({ name, ok: true });
      const fallback = attempts.length > 1;
      const failed = attempts.filter((a) => !a.ok).map((a) => `${a.name}: ${a.reason}`);
      if (name === 'wasm') detail = env.wasmDetail ? await env.wasmDetail() : '';
      const shown = (name === 'webgpu' || name === 'wasm') && detail ? `${name} (${detail})` : name;
      return {
        name,
        attempts,
        fallback,
        detail: name === 'webgpu' || name === 'wasm' ? detail : '',
        summary: failed.length ? `${shown}; not used: ${failed.join('; ')}` : shown,
      };
    } catch (error) {
      attempts.push({ name, ok: false, reason: message(error) });
    }
  }
  throw new Error(
    `no TensorFlow.js backend works here: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`,
  );
}
