/**
 * Will these settings fit? Before Train and on every settings change, the experiment's memory
 * estimate (src/train/memory-estimate.ts: every model's parameters, gradients, Adam state and the
 * peak of a step) is held against what this device can give: `navigator.deviceMemory` (Chrome
 * reports at most 8 GB), a conservative 4 GB when the browser does not say, and WebGPU's largest
 * buffer (the adapter's maxBufferSize / maxStorageBufferBindingSize) for the largest tensor. Too
 * much: the page says so, suggests smaller settings, and Train is refused with that reason.
 * Pure verdicts here; `detectBudget` reads the browser once.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Experiment } from '../../schema/experiment';
import {
  type ExperimentMemory,
  estimateExperimentMemory,
  type MemoryBackend,
} from '../../train/memory-estimate';
import type { ExperimentState } from '../stores/experiment-store';

export interface DeviceBudget {
  /** bytes the models may use together */
  memoryBytes: number;
  /** the largest single buffer (null: no known limit) */
  maxBufferBytes: number | null;
  /** where the numbers come from, for the message */
  source: string;
  /**
   * whose memory to estimate: 'webgpu' when a hardware WebGPU adapter is there (training runs on it
   * with the fused kernels, which keep far less), else 'cpu' (wasm, WebGL and cpu hold about as much)
   */
  estimateFor: MemoryBackend;
}

const GiB = 1024 ** 3;

/** When the browser says nothing: 4 GB, no buffer limit known. */
export const DEFAULT_BUDGET: DeviceBudget = {
  memoryBytes: 4 * GiB,
  maxBufferBytes: null,
  source: 'a conservative default (the browser does not say)',
  estimateFor: 'cpu',
};

interface GpuLike {
  requestAdapter(): Promise<{
    limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
    isFallbackAdapter?: boolean;
    info?: { architecture?: string; description?: string };
  } | null>;
}

/** The budget of this browser (deviceMemory, WebGPU adapter limits), the default otherwise. */
export async function detectBudget(
  nav: { deviceMemory?: number; gpu?: GpuLike } | undefined = typeof navigator !== 'undefined'
    ? (navigator as unknown as { deviceMemory?: number; gpu?: GpuLike })
    : undefined,
): Promise<DeviceBudget> {
  const gb = nav?.deviceMemory;
  const memory: Pick<DeviceBudget, 'memoryBytes' | 'source'> =
    typeof gb === 'number' && gb > 0
      ? { memoryBytes: gb * GiB, source: `this device's memory (about ${gb} GB)` }
      : DEFAULT_BUDGET;
  let maxBufferBytes: number | null = null;
  let estimateFor: MemoryBackend = 'cpu';
  try {
    const adapter = await nav?.gpu?.requestAdapter();
    if (adapter) {
      maxBufferBytes = Math.min(adapter.limits.maxBufferSize, adapter.limits.maxStorageBufferBindingSize);
      const name = `${adapter.info?.architecture ?? ''} ${adapter.info?.description ?? ''}`;
      // a software adapter (SwiftShader) is skipped for wasm by the device probe
      if (!adapter.isFallbackAdapter && !/swiftshader/i.test(name)) estimateFor = 'webgpu';
    }
  } catch {
    // no WebGPU: no buffer limit known
  }
  return { ...memory, maxBufferBytes, estimateFor };
}

export type MemoryVerdict =
  | { ok: true; estimate: ExperimentMemory }
  | { ok: false; estimate: ExperimentMemory; message: string; suggestion: string };

/** "1.2 GB", "350 MB", "3.1 TB" */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : Number(v.toPrecision(2))} ${units[i]}`;
}

function fits(m: ExperimentMemory, budget: DeviceBudget): boolean {
  return (
    m.totalBytes <= budget.memoryBytes &&
    (budget.maxBufferBytes === null || m.largestBufferBytes <= budget.maxBufferBytes)
  );
}

/** The largest batch (halving) that fits, or null when even batch 1 does not. */
function batchThatFits(e: Experiment, budget: DeviceBudget): number | null {
  for (let b = Math.floor(e.batchSize / 2); b >= 1; b = Math.floor(b / 2)) {
    if (fits(estimateExperimentMemory({ ...e, batchSize: b }, budget.estimateFor), budget)) return b;
  }
  return null;
}

/** Whether experiment `e` fits `budget`; if not, what to say and what to try. */
export function memoryVerdict(e: Experiment, budget: DeviceBudget): MemoryVerdict {
  const estimate = estimateExperimentMemory(e, budget.estimateFor);
  if (fits(estimate, budget)) return { ok: true, estimate };
  const tooBig = estimate.totalBytes > budget.memoryBytes;
  const message = tooBig
    ? `These settings need about ${formatBytes(estimate.totalBytes)} of memory to train ${
        e.models.length === 1 ? 'the model' : `the ${e.models.length} models`
      }; the limit here is about ${formatBytes(budget.memoryBytes)}, from ${budget.source}.`
    : `These settings need a single GPU buffer of about ${formatBytes(estimate.largestBufferBytes)}; this GPU allows at most ${formatBytes(budget.maxBufferBytes ?? 0)}.`;
  const batch = batchThatFits(e, budget);
  const smaller = 'fewer in-context examples, a smaller width D, fewer layers or fewer models';
  const suggestion =
    batch !== null
      ? `Try a batch size of ${batch} or less (now ${e.batchSize}), or ${smaller}.`
      : `Try ${smaller}, and a smaller batch size (now ${e.batchSize}).`;
  return { ok: false, estimate, message, suggestion };
}

export interface MemoryState {
  budget: DeviceBudget;
  /** the verdict on the current experiment (null: no valid experiment) */
  verdict: MemoryVerdict | null;
}

/** The verdict, following the experiment store (and the budget once the browser told it). */
export function createMemoryStore(
  experiment: StoreApi<Pick<ExperimentState, 'experiment'>>,
  budget: Promise<DeviceBudget> = detectBudget(),
): StoreApi<MemoryState> {
  const judge = (e: Experiment | null, b: DeviceBudget) => (e ? memoryVerdict(e, b) : null);
  const store = createStore<MemoryState>(() => ({
    budget: DEFAULT_BUDGET,
    verdict: judge(experiment.getState().experiment, DEFAULT_BUDGET),
  }));
  experiment.subscribe((s, prev) => {
    if (s.experiment !== prev.experiment)
      store.setState({ verdict: judge(s.experiment, store.getState().budget) });
  });
  void budget.then((b) => store.setState({ budget: b, verdict: judge(experiment.getState().experiment, b) }));
  return store;
}

/** Train, unless the settings do not fit: then the reason, as an alert (the race is not started). */
export function trainIfItFits(
  memory: StoreApi<MemoryState>,
  train: () => Promise<void>,
  refuse: (reason: string) => void,
): Promise<void> {
  const v = memory.getState().verdict;
  if (v && !v.ok) {
    refuse(`Train refused: ${v.message} ${v.suggestion}`);
    return Promise.resolve();
  }
  return train();
}
