/**
 * The page's stores and the race controller, wired together, and the hooks components read them
 * with: the composition root of the page. Ownership: experiment (settings UI writes), lab (gallery
 * + baselines), live (one writer at a time through `liveWriter`: the race controller with its
 * training workers' reports, or the recorded-run player), runs (the race's run recorder; IndexedDB),
 * ui (view choices). No tfjs here: training runs in the workers.
 */
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { BACKEND_ORDER, type BackendName, isBackendName } from '../workers/backend-types';
import { createBaselinesClient } from '../workers/baselines/client';
import { createTrainingClient } from '../workers/training/client';
import type { SessionOptionsInput } from '../workers/training/protocol';
import { createDeviceStore, DeviceController, type DeviceState } from './device/device';
import { createMemoryStore, type MemoryState, trainIfItFits } from './race/memory-guard';
import { RaceController } from './race/race';
import { openRunDb } from './runs/run-db';
import { createRunTrash, type TrashState } from './runs/run-trash';
import { createExperimentStore, type ExperimentState } from './stores/experiment-store';
import { baselinesRequestFor, createLabStore, type LabState } from './stores/lab-store';
import { createLiveStore, type LiveState, type ModelLive, notify } from './stores/live-store';
import { LiveWriter } from './stores/live-writer';
import { createRunsStore, type RunsState } from './stores/runs-store';
import { createUiStore, type UiState } from './stores/ui-store';

export type { BaselinesView, LabState } from './stores/lab-store';
export { createLabStore } from './stores/lab-store';

/**
 * `?backend=cpu` (or webgl, wasm, webgpu) starts the fallback order there: for comparing backends
 * and for benchmarks. Anything else keeps the full order webgpu, webgl, wasm, cpu.
 */
function backendsFromUrl(): BackendName[] | undefined {
  if (typeof location === 'undefined') return undefined;
  const wanted = new URLSearchParams(location.search).get('backend');
  if (!isBackendName(wanted)) return undefined;
  return BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(wanted));
}

/** Reporting intervals of the training workers (see SessionOptions). */
export const SESSION_OPTIONS: SessionOptionsInput = {
  metricsIntervalMs: 250,
  probeIntervalMs: 2000,
  checkpointEverySteps: 250,
  readEvery: 5,
  backends: backendsFromUrl(),
};

export const experimentStore = createExperimentStore();
export const labStore = createLabStore({ client: createBaselinesClient() });
export const liveStore = createLiveStore();
export const runsStore = createRunsStore();
export const uiStore = createUiStore();
/** One writer of the live store at a time: the race, or a recorded run played back. */
export const liveWriter = new LiveWriter(liveStore);

export const race: RaceController = new RaceController({
  experiment: experimentStore,
  live: liveStore,
  writer: liveWriter,
  runs: runsStore,
  spawn: (onEvent) => createTrainingClient(onEvent),
  openDb: () => openRunDb(),
  sessionOptions: SESSION_OPTIONS,
  ui: uiStore,
  cores: typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1,
  // the first Train waits (a few seconds at most) for the device probe's backend choice, and starts
  // the probe when the page has not yet (it waits for the page to settle, and for no recorded run)
  beforeStart: (): Promise<void> => {
    const e = experimentStore.getState().experiment;
    if (e) void device.probe(e);
    return device.ready();
  },
});

/** Hold the training workers that would keep a chart's redraw from a core; returns the release. */
export const holdForRedraw = (): (() => void) => race.holdForRedraw();

/** This device: the backend choice, the Backend control and the lesson estimate (app/device). */
export const deviceStore = createDeviceStore(backendsFromUrl()?.[0] ?? null);
export const device: DeviceController = new DeviceController({
  store: deviceStore,
  spawn: () => createTrainingClient(() => undefined),
  storage: typeof localStorage === 'undefined' ? null : localStorage,
  setBackends: (order): Promise<void> => race.setBackends(order),
  training: () => liveStore.getState().training,
  cores: typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1,
  loadTable1: async () => {
    const r = await fetch(new URL('table1.json', document.baseURI));
    if (!r.ok) throw new Error(`table1.json: ${r.status}`);
    return r.json();
  },
});
export const useDevice = <T>(selector: (s: DeviceState) => T): T => useStore(deviceStore, selector);
/** Will the settings fit in this device's memory? (before Train and on every change) */
export const memoryStore = createMemoryStore(experimentStore);
export const useMemory = <T>(selector: (s: MemoryState) => T): T => useStore(memoryStore, selector);

const refuseTraining = (message: string) => notify(liveStore, { id: 'memory', kind: 'error', message });
/** Train, or say why not (the settings do not fit this device): the Train button and shortcut. */
export const train = (): Promise<void> => trainIfItFits(memoryStore, () => race.train(), refuseTraining);
/** One step, or say why not (as `train`). */
export const step = (): Promise<void> => trainIfItFits(memoryStore, () => race.step(), refuseTraining);

/** Deleted runs wait a moment (for Undo) before the race controller deletes them for good. */
export const runTrash = createRunTrash({ commit: (id) => void race.deleteRun(id) });

/** Delete a run, with Undo; the run being trained pauses at once. */
export function deleteRunWithUndo(id: string, label: string): void {
  const live = liveStore.getState();
  if (live.runId === id && live.training) void race.pause();
  runTrash.remove(id, label);
}

/** Show the baselines of the current experiment (after the settings have been still a moment). */
export function followBaselines(delayMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const request = () => {
    const e = experimentStore.getState().experiment;
    if (e) labStore.getState().requestBaselines(baselinesRequestFor(e));
  };
  request();
  const unsubscribe = experimentStore.subscribe((s, prev) => {
    if (s.experiment === prev.experiment || !s.experiment) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(request, delayMs);
  });
  return () => {
    if (timer) clearTimeout(timer);
    unsubscribe();
  };
}

export const useExperiment = <T>(selector: (s: ExperimentState) => T): T =>
  useStore(experimentStore, selector);
export const useLab = <T>(selector: (s: LabState) => T): T => useStore(labStore, selector);
export const useLive = <T>(selector: (s: LiveState) => T): T => useStore(liveStore, selector);
export const useRuns = <T>(selector: (s: RunsState) => T): T => useStore(runsStore, selector);
export const useUi = <T>(selector: (s: UiState) => T): T => useStore(uiStore, selector);
export const useTrash = <T>(selector: (s: TrashState) => T): T => useStore(runTrash.store, selector);

/**
 * One field of every model, in model order; the component re-renders only when one of them changes
 * (not on every status or loss update of any model).
 */
export function useModelField<K extends keyof ModelLive>(key: K): Array<ModelLive[K]> {
  return useStore(
    liveStore,
    useShallow((s: LiveState) => s.models.map((m) => m[key])),
  );
}
