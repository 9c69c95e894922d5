/**
 * The worker-crash path end to end on the page's side, without tfjs: the race controller with the
 * real training client (comlink over a MessageChannel) and fake workers whose other end is a fake
 * training API. A worker that throws (an uncaught error event), one that reports a fatal error
 * (device lost), and one that dies while loading are reported to the page as an alert-level
 * notice for that model only; the model restarts in a new worker from its last checkpoint.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../schema/experiment';
import { createTrainingClient } from '../../workers/training/client';
import type {
  BackendReport,
  CheckpointBytes,
  TrainingEventHandler,
  TrainingWorkerApi,
} from '../../workers/training/protocol';
import { memoryRunDb } from '../runs/run-db';
import { createExperimentStore, defaultDraft } from '../stores/experiment-store';
import { createLiveStore } from '../stores/live-store';
import { createRunsStore } from '../stores/runs-store';
import { RaceController } from './race';

const CPU: BackendReport = { name: 'cpu', attempts: [], fallback: false, detail: '', summary: 'cpu' };

/** A fake training worker's API: records calls, answers at once, emits events on request. */
class FakeApi implements TrainingWorkerApi {
  calls: string[] = [];
  loaded: number[][] = [];
  onEvent: TrainingEventHandler | null = null;
  at = 0;
  /** configure never answers (a worker that dies while loading) */
  hang = false;
  /** saveCheckpoint answers with the weights at `at` */
  savable = false;
  options: unknown = null;
  async configure(experiment: unknown, modelIndex: number, o?: unknown, onEvent?: TrainingEventHandler) {
    this.calls.push(`configure:${modelIndex}`);
    this.options = o;
    this.onEvent = onEvent ?? null;
    if (this.hang) return new Promise<never>(() => undefined);
    const e = experiment as Experiment;
    return {
      ok: true as const,
      backend: CPU,
      kept: false,
      step: this.at,
      totalSteps: e.steps,
      parameterCount: 10,
      arch: e.models[modelIndex].arch,
    };
  }
  private info(state: 'training' | 'paused' | 'ready') {
    return Promise.resolve({ ok: true as const, step: this.at, state });
  }
  train() {
    this.calls.push('train');
    return this.info('training');
  }
  pause() {
    this.calls.push('pause');
    return this.info('paused');
  }
  resume() {
    return this.info('training');
  }
  step(n = 1) {
    this.at += n;
    return this.info('paused');
  }
  reset() {
    this.at = 0;
    return this.info('ready');
  }
  async setLearningRate(lr: number) {
    return { ok: true as const, lr };
  }
  async setStepInterval(ms: number) {
    return { ok: true as const, ms };
  }
  async probe() {
    return { ok: false as const, error: 'no probe here' };
  }
  async saveCheckpoint() {
    if (this.savable) return { ok: true as const, model: Uint8Array.of(this.at, 9), step: this.at };
    return { ok: false as const, error: 'not here' };
  }
  async loadCheckpoint(bytes: CheckpointBytes) {
    this.calls.push('load');
    this.loaded.push([...bytes.model]);
    this.at = bytes.model[0];
    return { ok: true as const, step: this.at, warnings: [] };
  }
  async measure() {
    return { ok: false as const, error: 'not in this test' };
  }
  async stats() {
    return { backend: 'cpu' as const, step: this.at, tensors: 1, bytes: 1, state: null };
  }
  async dispose() {
    this.calls.push('dispose');
  }
}

interface FakeWorker {
  api: FakeApi;
  /** an uncaught error inside the worker */
  throwError(message: string): void;
  terminated: boolean;
}

/** A Worker-shaped object whose other end is `api`, exposed with comlink over a MessageChannel. */
function fakeWorker(api: FakeApi): { worker: Worker; handle: FakeWorker } {
  const channel = new MessageChannel();
  Comlink.expose(api, channel.port2 as unknown as Comlink.Endpoint);
  const target = new EventTarget();
  const port = channel.port1;
  const handle: FakeWorker = {
    api,
    terminated: false,
    throwError(message) {
      target.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message }));
    },
  };
  const worker = Object.assign(target, {
    postMessage: (m: unknown, t?: Transferable[]) => port.postMessage(m, t as never),
    terminate: () => {
      handle.terminated = true;
      port.close();
      channel.port2.close();
    },
    onmessage: null,
    onmessageerror: null,
    onerror: null,
  });
  port.addEventListener('message', (e) =>
    target.dispatchEvent(new MessageEvent('message', { data: (e as MessageEvent).data })),
  );
  port.start();
  return { worker: worker as unknown as Worker, handle };
}

function setup(options: { hangFirst?: boolean; beforeStart?: () => Promise<void> } = {}) {
  const experiment = createExperimentStore(defaultDraft('linear-regression'));
  const live = createLiveStore();
  const runs = createRunsStore();
  const workers: FakeWorker[] = [];
  let n = 0;
  const race = new RaceController({
    experiment,
    live,
    runs,
    spawn: (onEvent) =>
      createTrainingClient(onEvent, () => {
        const api = new FakeApi();
        api.hang = options.hangFirst === true && workers.length === 0;
        const { worker, handle } = fakeWorker(api);
        workers.push(handle);
        return worker;
      }),
    openDb: async () => memoryRunDb(),
    settleMs: 5,
    saveEveryMs: 0,
    newId: () => `run-${++n}`,
    beforeStart: options.beforeStart,
  });
  return { race, live, workers };
}

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
const until = async (ok: () => boolean, what: string) => {
  for (let i = 0; i < 100 && !ok(); i++) await tick(10);
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe('a crashed training worker', () => {
  it('is reported for that model only and restarts from its last checkpoint', async () => {
    const { race, live, workers } = setup();
    await race.train();
    expect(workers).toHaveLength(3);
    const [slot] = race.slotIds;
    // the worker posts a checkpoint (through the comlink proxy), then throws
    workers[0].api.onEvent!({
      type: 'checkpoint',
      step: 7,
      reason: 'periodic',
      model: Uint8Array.of(7, 1, 2),
    });
    await until(() => live.getState().models[0].checkpointStep === 7, 'the checkpoint');
    workers[0].throwError('Uncaught RangeError: Array buffer allocation failed');
    const models = live.getState().models;
    expect(models.map((m) => m.state)).toEqual(['crashed', 'starting', 'starting']);
    expect(models[0].error).toMatch(/allocation failed/);
    expect(workers[0].terminated).toBe(true);
    // the race goes on for the others
    expect(live.getState().training).toBe(true);
    const notice = live.getState().notices.find((x) => x.kind === 'crashed')!;
    expect(notice.slot).toBe(slot);
    expect(notice.message).toMatch(
      /Transformer's worker stopped: .*allocation failed.*other models are not affected/,
    );
    expect(notice.action).toEqual({
      label: 'Restart Transformer from its last checkpoint (step 7)',
      kind: 'restart',
    });
    // a later command to it answers (never hangs) and the others still get theirs
    await race.pause();
    expect(workers[1].api.calls).toContain('pause');
    expect(workers[0].api.calls).not.toContain('pause');
    // Restart: a fresh worker, configured for the same model, loaded with the page's copy of the
    // checkpoint bytes
    await race.train();
    await race.restartModel(slot);
    expect(workers).toHaveLength(4);
    expect(workers[3].api.calls).toEqual(['configure:0', 'load', 'train']);
    expect(workers[3].api.loaded).toEqual([[7, 1, 2]]);
    const restarted = live.getState().models[0];
    expect(restarted.slot).not.toBe(slot);
    expect(restarted.step).toBe(7);
    expect(restarted.state).not.toBe('crashed');
    expect(live.getState().notices.some((x) => x.kind === 'crashed')).toBe(false);
    race.dispose();
    expect(workers.every((w) => w.terminated)).toBe(true);
  });

  it('restarts a worker whose GPU device was lost by itself, with an alert naming the model', async () => {
    const { race, live, workers } = setup();
    await race.train();
    // tfjs's WebGPU backend often fails on a buffer mapping first: not fatal to the worker, but lost
    workers[2].api.onEvent!({ type: 'error', message: 'mapAsync: buffer is unmapped', fatal: false });
    await until(() => workers.length === 4 && workers[3].api.calls.includes('train'), 'the restart');
    expect(workers[2].terminated).toBe(true);
    // no checkpoint yet: the restart starts from the initialisation
    expect(workers[3].api.calls).toEqual(['configure:2', 'train']);
    const notices = live.getState().notices.filter((x) => x.kind === 'crashed');
    expect(notices).toHaveLength(1);
    expect(notices[0].message).toMatch(
      /^MambaFormer: the GPU device was lost \(the browser reported: mapAsync.*\)\. Its worker was restarted from its initialisation\.$/,
    );
    expect(notices[0].slot).toBe(race.slotIds[2]);
    expect(live.getState().models[2].state).not.toBe('crashed');
    race.dispose();
  });

  it('a fatal error from the worker is a crash; after three automatic restarts the button remains', async () => {
    const { race, live, workers } = setup();
    await race.train();
    for (let n = 0; n < 4; n++) {
      const current = workers.length - 1;
      workers[current].api.onEvent!({ type: 'error', message: 'the GPU device was lost', fatal: true });
      await until(() => workers[current].terminated, 'the crash');
      if (n < 3)
        await until(
          () => workers.length === current + 2 && workers.at(-1)!.api.calls.includes('train'),
          'a restart',
        );
    }
    await race.pause();
    expect(workers).toHaveLength(6);
    const m = live.getState().models[2];
    expect(m.state).toBe('crashed');
    const notice = live.getState().notices.find((x) => x.id === `crashed:${m.slot}`);
    expect(notice?.action?.label).toBe('Restart MambaFormer from its initialisation');
    race.dispose();
  });

  it('does not hang the race when a worker dies while loading', async () => {
    const { race, live, workers } = setup({ hangFirst: true });
    const training = race.train();
    await until(() => workers.length === 3 && workers[0].api.calls.length > 0, 'the workers');
    workers[0].throwError('Failed to fetch the worker script');
    await training;
    expect(workers[1].api.calls).toEqual(['configure:1', 'train']);
    const m = live.getState().models[0];
    expect(m.state).toBe('crashed');
    // one notice for the one problem, with the restart action
    const mine = live.getState().notices.filter((x) => x.slot === m.slot);
    expect(mine.map((x) => x.kind)).toEqual(['crashed']);
    await race.restartModel(m.slot);
    expect(workers[3].api.calls).toEqual(['configure:0', 'train']);
    race.dispose();
  });
});

describe('the Backend switch', () => {
  it('restarts every worker on the new backends from its current weights; the run and its step kept', async () => {
    const { race, live, workers } = setup();
    await race.train();
    for (const w of workers) {
      w.api.at = 12;
      w.api.savable = true;
    }
    const runId = live.getState().runId;
    await race.setBackends(['cpu']);
    expect(workers).toHaveLength(6);
    for (const w of workers.slice(0, 3)) {
      expect(w.terminated).toBe(true);
      expect(w.api.calls).toContain('pause');
    }
    workers.slice(3).forEach((w, i) => {
      expect(w.api.calls).toEqual([`configure:${i}`, 'load', 'train']);
      expect((w.api.options as { backends?: string[] }).backends).toEqual(['cpu']);
      expect(w.api.loaded).toEqual([[12, 9]]);
    });
    expect(live.getState().models.map((m) => m.step)).toEqual([12, 12, 12]);
    expect(live.getState().runId).toBe(runId);
    expect(live.getState().training).toBe(true);
    race.dispose();
  });

  it('the first Train waits for the device choice and starts on it, restarting nothing', async () => {
    let decide!: () => void;
    const decided = new Promise<void>((r) => {
      decide = r;
    });
    const { race, workers } = setup({ beforeStart: () => decided });
    const training = race.train();
    await tick();
    expect(workers).toHaveLength(0);
    // the device probe's choice arrives: the race is told, then the wait ends
    const switched = race.setBackends(['wasm', 'cpu']);
    decide();
    await training;
    await switched;
    expect(workers).toHaveLength(3);
    for (const w of workers) {
      expect((w.api.options as { backends?: string[] }).backends).toEqual(['wasm', 'cpu']);
      expect(w.api.calls).toEqual([expect.stringMatching(/^configure:/), 'train']);
    }
    race.dispose();
  });
});
