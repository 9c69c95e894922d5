/**
 * Fakes for the race controller's tests (race.test.ts): training clients that record the calls
 * they get and emit what a test tells them, and a race wired to in-memory stores.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { Experiment } from '../../schema/experiment';
import type { ClientEvent, TrainingClient } from '../../workers/training/client';
import type { BackendReport, Result, StatusEvent } from '../../workers/training/protocol';
import { memoryRunDb, type RunDb } from '../runs/run-db';
import { createExperimentStore, defaultDraft } from '../stores/experiment-store';
import { createLiveStore } from '../stores/live-store';
import { LiveWriter } from '../stores/live-writer';
import { createRunsStore } from '../stores/runs-store';
import type { UiState } from '../stores/ui-store';
import { RaceController } from './race';

export interface Fake extends TrainingClient {
  calls: string[];
  emit(e: ClientEvent): void;
  configuredWith: Array<{ experiment: Experiment; index: number }>;
  loaded: Array<{ step: number }>;
}

export const WEBGPU: BackendReport = {
  name: 'webgpu',
  attempts: [{ name: 'webgpu', ok: true }],
  fallback: false,
  detail: '',
  summary: 'webgpu',
};

export function fakeClient(onEvent: (e: ClientEvent) => void, backend: BackendReport): Fake {
  let step = 0;
  let crashed = false;
  const calls: string[] = [];
  const configuredWith: Fake['configuredWith'] = [];
  const loaded: Fake['loaded'] = [];
  const ok = <T extends object>(v: T) => Promise.resolve({ ok: true as const, ...v });
  const fake: Fake = {
    calls,
    configuredWith,
    loaded,
    emit: onEvent,
    measure: () => Promise.resolve({ ok: false as const, error: 'no device probe here' }),
    configure(experiment, index) {
      calls.push(`configure:${index}`);
      const kept = configuredWith.length > 0;
      configuredWith.push({ experiment, index });
      return ok({
        backend,
        kept,
        step,
        totalSteps: experiment.steps,
        parameterCount: 10,
        arch: experiment.models[index].arch,
      });
    },
    train() {
      calls.push('train');
      return ok({ step, state: 'training' as const });
    },
    pause() {
      calls.push('pause');
      return ok({ step, state: 'paused' as const });
    },
    resume() {
      calls.push('resume');
      return ok({ step, state: 'training' as const });
    },
    step(n = 1) {
      calls.push(`step:${n}`);
      step += n;
      return ok({ step, state: 'paused' as const });
    },
    reset() {
      calls.push('reset');
      step = 0;
      return ok({ step, state: 'ready' as const });
    },
    setLearningRate(lr) {
      calls.push(`lr:${lr}`);
      return ok({ lr });
    },
    setStepInterval(ms) {
      calls.push(`pace:${ms}`);
      return ok({ ms });
    },
    probe: () => Promise.resolve({ ok: false, error: 'no' }),
    saveCheckpoint: () => Promise.resolve({ ok: false, error: 'no' } as Result<never>),
    loadCheckpoint(bytes) {
      calls.push('load');
      const s = bytes.model[0];
      loaded.push({ step: s });
      step = s;
      return ok({ step: s, warnings: [] });
    },
    stats: () => Promise.resolve(null),
    dispose() {
      calls.push('dispose');
      return Promise.resolve();
    },
    terminate() {
      calls.push('terminate');
    },
    hold(ms) {
      calls.push(`hold:${ms}`);
    },
    get crashed() {
      return crashed;
    },
    received: { bytes: 0, events: 0 },
  };
  // a crash is reported by the client itself
  const emit = fake.emit;
  fake.emit = (e) => {
    if (e.type === 'crashed') crashed = true;
    emit(e);
  };
  return fake;
}

export function setup(
  options: {
    db?: RunDb | (() => Promise<RunDb>);
    backend?: BackendReport;
    saveEveryMs?: number;
    ui?: StoreApi<UiState>;
    cores?: number;
  } = {},
) {
  const experiment = createExperimentStore(defaultDraft('linear-regression'));
  const live = createLiveStore();
  const runs = createRunsStore();
  const clients: Fake[] = [];
  const db = options.db ?? memoryRunDb();
  const writer = new LiveWriter(live);
  let n = 0;
  const race = new RaceController({
    experiment,
    live,
    writer,
    runs,
    spawn: (onEvent) => {
      const c = fakeClient(onEvent, options.backend ?? WEBGPU);
      clients.push(c);
      return c;
    },
    openDb: typeof db === 'function' ? db : async () => db,
    settleMs: 5,
    saveEveryMs: options.saveEveryMs ?? 0,
    newId: () => `run-${++n}`,
    ui: options.ui,
    cores: options.cores,
  });
  return { experiment, live, runs, clients, race, writer };
}

export const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

export function status(partial: Partial<StatusEvent>): StatusEvent {
  return {
    type: 'status',
    state: 'training',
    step: 0,
    totalSteps: 100,
    lr: 1e-3,
    stepsPerSecond: 0,
    etaSeconds: null,
    backend: WEBGPU,
    tensors: 10,
    ...partial,
  };
}
