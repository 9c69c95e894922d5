/**
 * This device: which backend the training workers use and how long the lesson will take here.
 *
 * A worker started for it runs the device probe (the `measure` command: a small training step timed
 * on each backend, the pure choice of src/workers/backend-choice.ts, then one step of each model of
 * the experiment on the chosen backend). What it found is remembered per device (localStorage: the
 * choice, the Backend control, each model's step time; never in share links), so a later visit
 * probes only models it has not timed. The choice goes to the race (`setBackends`: the workers
 * restart from their current weights, the run is kept); `?backend=NAME` in the page address (for
 * benchmarks) wins over both. No tfjs here.
 */
import { z } from 'zod';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { type Table1, table1Schema } from '../../formats/table1';
import type { Experiment } from '../../schema/experiment';
import {
  type BackendChoice,
  type BackendPreference,
  backendOrder,
  type CandidateMeasure,
  chooseBackend,
  type MeasureRequest,
  type MeasureResult,
} from '../../workers/backend-choice';
import { BACKEND_ORDER, type BackendName } from '../../workers/backend-types';
import type { Result } from '../../workers/training/protocol';
import { wasmThreadsFor } from './threads';

export interface DeviceState {
  /** the Backend control */
  preference: BackendPreference;
  /** ?backend= of the page address, when given (wins over the control) */
  urlBackend: BackendName | null;
  status: 'idle' | 'measuring' | 'ready' | 'failed';
  choice: BackendChoice | null;
  measures: CandidateMeasure[];
  /** ms of one training step by model key (modelTimeKey) */
  modelMs: Record<string, number>;
  error: string | null;
  /** public/table1.json, when the site has it */
  table1: Table1 | null;
  /** how long the last backend probe took (ms) */
  probeMs: number | null;
}

/** What the controller needs of a worker started for the probe. */
export interface ProbeWorker {
  measure(experiment: Experiment, request: MeasureRequest): Promise<Result<MeasureResult>>;
  terminate(): void;
}

export interface DeviceDeps {
  store: StoreApi<DeviceState>;
  spawn(): ProbeWorker;
  /** localStorage (null: nothing remembered) */
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** the race's Backend switch */
  setBackends(order: BackendName[]): Promise<void> | void;
  /** true while the race trains (no probing then: it would slow the models and time them badly) */
  training(): boolean;
  cores: number;
  /** public/table1.json (null when absent) */
  loadTable1?(): Promise<unknown>;
}

export const DEVICE_STORAGE_KEY = 'icl-lab:device:v1';

const backendEnum = z.enum(BACKEND_ORDER);
const rememberedSchema = z.object({
  preference: z.enum(['auto', ...BACKEND_ORDER]),
  measures: z
    .array(
      z.object({
        name: backendEnum,
        ok: z.boolean(),
        reason: z.string().max(2000).optional(),
        software: z.string().max(200).nullable().optional(),
        msPerStep: z.number().positive().nullable(),
        overMs: z.number().optional(),
        skipped: z.boolean().optional(),
      }),
    )
    .max(4),
  modelMs: z.record(z.string().max(2000), z.number().positive()),
});
type Remembered = z.infer<typeof rememberedSchema>;

export function createDeviceStore(urlBackend: BackendName | null = null): StoreApi<DeviceState> {
  return createStore<DeviceState>()(() => ({
    preference: 'auto',
    urlBackend,
    status: 'idle',
    choice: null,
    measures: [],
    modelMs: {},
    error: null,
    table1: null,
    probeMs: null,
  }));
}

/** A model's step time depends on the backend, the task, the model and the batch. */
export function modelTimeKey(
  backend: BackendName,
  e: Experiment,
  index: number,
  wasmThreads: number,
): string {
  return JSON.stringify([
    backend,
    backend === 'wasm' ? wasmThreads : 0,
    e.task,
    e.models[index],
    e.batchSize,
  ]);
}

/** The backend in force: the address's, else the choice. */
function backendInForce(s: DeviceState): BackendName | null {
  return s.urlBackend ?? s.choice?.name ?? null;
}

export function modelTimes(s: DeviceState, e: Experiment, cores: number): Array<number | null> {
  const backend = backendInForce(s);
  const threads = wasmThreadsFor(cores, e.models.length);
  return e.models.map((_, i) => (backend ? (s.modelMs[modelTimeKey(backend, e, i, threads)] ?? null) : null));
}

/** Train waits at most this long for the device probe's choice (ms). */
export const READY_WAIT_MS = 20_000;

export class DeviceController {
  private pending: Experiment | null = null;
  private running = false;
  /** Train was asked for: the models are not timed from now on (until the next probe request) */
  private starting = false;
  private cancelTiming: (() => void) | null = null;
  private settle!: () => void;
  private readonly decided = new Promise<void>((resolve) => {
    this.settle = resolve;
  });
  constructor(private readonly d: DeviceDeps) {}

  /**
   * Resolves once the backend is decided (remembered, set by the address, measured, or the probe
   * failed), or after `maxMs`: the race's first Train waits for it, so the models do not start on a
   * software GPU a moment before the probe says so.
   */
  ready(maxMs = READY_WAIT_MS): Promise<void> {
    // training starts: timing the models now would slow them and time them badly
    this.starting = true;
    this.cancelTiming?.();
    const s = this.store.getState();
    if (s.urlBackend || s.choice || s.status === 'failed') return Promise.resolve();
    return Promise.race([this.decided, new Promise<void>((r) => setTimeout(r, maxMs))]);
  }

  private get store() {
    return this.d.store;
  }

  /** What this device remembers; the remembered choice goes to the race at once. */
  start(): void {
    const raw = this.d.storage?.getItem(DEVICE_STORAGE_KEY);
    if (raw) {
      try {
        const r = rememberedSchema.parse(JSON.parse(raw));
        const measures = r.measures as CandidateMeasure[];
        const choice = measures.length ? chooseBackend(measures, r.preference) : null;
        this.store.setState({ preference: r.preference, measures, modelMs: r.modelMs, choice });
        if (choice && !this.store.getState().urlBackend) void this.d.setBackends(backendOrder(choice.name));
        if (choice) this.settle();
      } catch {
        // a broken record is forgotten: the probe runs again
      }
    }
    void this.d.loadTable1?.().then(
      (json) => {
        const t = table1Schema.safeParse(json);
        if (t.success) this.store.setState({ table1: t.data });
      },
      () => undefined,
    );
  }

  private remember(): void {
    const s = this.store.getState();
    const r: Remembered = { preference: s.preference, measures: s.measures, modelMs: s.modelMs };
    try {
      this.d.storage?.setItem(DEVICE_STORAGE_KEY, JSON.stringify(r));
    } catch {
      // storage full or refused: the choice holds for this visit
    }
  }

  /** The Backend control: decided from what was measured (no new probe of the backends). */
  setPreference(preference: BackendPreference): Promise<void> {
    const s = this.store.getState();
    const choice = s.measures.length ? chooseBackend(s.measures, preference) : null;
    this.store.setState({ preference, ...(choice ? { choice } : {}) });
    this.remember();
    const order = choice
      ? backendOrder(choice.name)
      : preference === 'auto'
        ? [...BACKEND_ORDER]
        : backendOrder(preference);
    return Promise.resolve(this.d.setBackends(order));
  }

  /**
   * Probe whenever the experiment settles (after `delayMs`) with something unknown; the returned
   * function stops following.
   */
  follow(
    experiment: () => Experiment | null,
    subscribe: (onChange: () => void) => () => void,
    delayMs = 1000,
  ): () => void {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const schedule = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        const e = experiment();
        if (e) void this.probe(e);
      }, delayMs);
    };
    schedule();
    const unsubscribe = subscribe(schedule);
    return () => {
      if (timer) clearTimeout(timer);
      unsubscribe();
    };
  }

  /** Probe when something is unknown: the backends (never probed here) or a model's step time. */
  needsProbe(e: Experiment): boolean {
    const s = this.store.getState();
    if (!s.urlBackend && s.measures.length === 0) return true;
    return modelTimes(s, e, this.d.cores).some((ms) => ms === null);
  }

  /** Probe for `e` (after the one running, if any; skipped while training). */
  async probe(e: Experiment): Promise<void> {
    this.pending = e;
    if (!this.d.training()) this.starting = false;
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending) {
        const next = this.pending;
        this.pending = null;
        if (this.d.training() || !this.needsProbe(next)) continue;
        await this.measure(next);
      }
    } finally {
      this.running = false;
      if (this.store.getState().status === 'failed') this.settle();
    }
  }

  /**
   * Two questions to one worker: which backend (when not yet known; the race is told at once),
   * then each model's step time on it.
   */
  private async measure(e: Experiment): Promise<void> {
    const wasmThreads = wasmThreadsFor(this.d.cores, e.models.length);
    this.store.setState({ status: 'measuring', error: null });
    const worker = this.d.spawn();
    try {
      const s = this.store.getState();
      let known = s.urlBackend ?? (s.measures.length ? s.choice?.name : undefined);
      if (!known) {
        const r = await worker.measure(e, { preference: s.preference, wasmThreads, models: false });
        if (!r.ok) return this.fail(r.error);
        const choice = chooseBackend(r.measures, this.store.getState().preference);
        this.store.setState({ measures: r.measures, choice, probeMs: r.probeMs });
        this.remember();
        void this.d.setBackends(backendOrder(choice.name));
        this.settle();
        known = choice.name;
      }
      if (this.starting || this.d.training()) return void this.store.setState({ status: 'ready' });
      const cancelled = new Promise<null>((resolve) => {
        this.cancelTiming = () => resolve(null);
      });
      const r = await Promise.race([
        worker.measure(e, { candidates: [known], preference: known, wasmThreads }),
        cancelled,
      ]);
      this.cancelTiming = null;
      if (r === null) return void this.store.setState({ status: 'ready' });
      if (!r.ok) return this.fail(r.error);
      const modelMs = { ...this.store.getState().modelMs };
      e.models.forEach((_, i) => {
        const ms = r.modelMs[i];
        if (ms !== null && ms > 0) modelMs[modelTimeKey(r.choice.name, e, i, wasmThreads)] = ms;
      });
      this.store.setState({ status: 'ready', modelMs });
      this.remember();
    } finally {
      worker.terminate();
    }
  }

  private fail(error: string): void {
    this.store.setState({ status: 'failed', error });
    this.settle();
  }
}
