import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../schema/experiment';
import type { CandidateMeasure, MeasureRequest, MeasureResult } from '../../workers/backend-choice';
import type { BackendName } from '../../workers/backend-types';
import type { Result } from '../../workers/training/protocol';
import { createExperimentStore, defaultDraft } from '../stores/experiment-store';
import { createDeviceStore, DEVICE_STORAGE_KEY, DeviceController, modelTimes } from './device';
import { lessonEstimate } from './lesson-view';

const experiment = createExperimentStore(defaultDraft('linear-regression')).getState()
  .experiment as Experiment;

const SWIFTSHADER: CandidateMeasure[] = [
  { name: 'webgpu', ok: true, software: 'SwiftShader', msPerStep: null, skipped: true },
  { name: 'webgl', ok: true, software: 'SwiftShader', msPerStep: null, skipped: true },
  { name: 'wasm', ok: true, software: null, msPerStep: 20 },
  { name: 'cpu', ok: true, software: null, msPerStep: 200 },
];

function setup(options: { storage?: Map<string, string>; training?: boolean; url?: BackendName } = {}) {
  const store = createDeviceStore(options.url ?? null);
  const storage = options.storage ?? new Map<string, string>();
  const requests: MeasureRequest[] = [];
  const orders: BackendName[][] = [];
  let terminated = 0;
  const controller = new DeviceController({
    store,
    spawn: () => ({
      measure: async (e: Experiment, request: MeasureRequest): Promise<Result<MeasureResult>> => {
        requests.push(request);
        const name = request.candidates?.[0] ?? 'wasm';
        return {
          ok: true,
          measures: request.candidates ? [{ name, ok: true, msPerStep: 25 }] : SWIFTSHADER,
          choice: { name, reason: 'from the worker', msPerStep: 20 },
          modelMs: e.models.map((_, i) => (request.models === false ? null : 100 * (i + 1))),
          probeMs: 1500,
        };
      },
      terminate: () => {
        terminated += 1;
      },
    }),
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
    setBackends: (order) => void orders.push(order),
    training: () => options.training === true,
    cores: 2,
  });
  return { store, storage, requests, orders, controller, terminated: () => terminated };
}

describe('DeviceController', () => {
  it('probes every backend once, chooses, tells the race, and remembers it all', async () => {
    const { store, storage, requests, orders, controller, terminated } = setup();
    controller.start();
    expect(controller.needsProbe(experiment)).toBe(true);
    let ready = false;
    void controller.ready().then(() => {
      ready = true;
    });
    await controller.probe(experiment);
    // first the backend (the race is told at once), then the models on it, in one worker
    expect(requests).toEqual([
      { preference: 'auto', wasmThreads: 1, models: false },
      { candidates: ['wasm'], preference: 'wasm', wasmThreads: 1 },
    ]);
    expect(terminated()).toBe(1);
    expect(ready).toBe(true);
    const s = store.getState();
    expect(s.choice?.name).toBe('wasm');
    expect(s.choice?.reason).toMatch(/^wasm: software GPU found \(SwiftShader\)/);
    expect(orders).toEqual([['wasm', 'cpu']]);
    expect(modelTimes(s, experiment, 2)).toEqual([100, 200, 300]);
    expect(controller.needsProbe(experiment)).toBe(false);
    // 100, 200, 300 ms on 2 cores: a two-thirds share each until the first stops (150 ms of wall time
    // a step), then a core each (100 ms more for the second), then the third alone (100 ms more)
    expect(lessonEstimate(s, experiment, 2)?.minutes).toBeCloseTo((experiment.steps * 350) / 60_000, 9);
    expect(JSON.parse(storage.get(DEVICE_STORAGE_KEY)!).preference).toBe('auto');

    // a later visit: the remembered choice goes to the race at once, nothing is probed
    const again = setup({ storage });
    again.controller.start();
    await again.controller.ready(60_000);
    expect(again.store.getState().choice?.name).toBe('wasm');
    expect(again.orders).toEqual([['wasm', 'cpu']]);
    await again.controller.probe(experiment);
    expect(again.requests).toEqual([]);
  });

  it('the Backend control decides from what was measured; a new backend times only the models', async () => {
    const { store, requests, orders, controller } = setup();
    await controller.probe(experiment);
    await controller.setPreference('cpu');
    expect(store.getState().choice).toEqual({
      name: 'cpu',
      reason: 'cpu: chosen in the Backend control',
      msPerStep: 200,
    });
    expect(orders.at(-1)).toEqual(['cpu']);
    expect(modelTimes(store.getState(), experiment, 2)).toEqual([null, null, null]);
    await controller.probe(experiment);
    expect(requests.at(-1)).toEqual({ candidates: ['cpu'], preference: 'cpu', wasmThreads: 1 });
    expect(store.getState().choice?.reason).toBe('cpu: chosen in the Backend control');
    expect(modelTimes(store.getState(), experiment, 2)).toEqual([100, 200, 300]);
  });

  it('does not probe while the race trains, and forgets a broken record', async () => {
    const storage = new Map([[DEVICE_STORAGE_KEY, '{"preference":"quantum"}']]);
    const { store, requests, controller } = setup({ storage, training: true });
    controller.start();
    expect(store.getState().choice).toBeNull();
    await controller.probe(experiment);
    expect(requests).toEqual([]);
    // Train does not wait for ever for a probe that does not come
    const t0 = Date.now();
    await controller.ready(30);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('the page address fixes the backend: only the models are timed, the race is not told', async () => {
    const { store, requests, orders, controller } = setup({ url: 'wasm' });
    controller.start();
    await controller.probe(experiment);
    expect(requests).toEqual([{ candidates: ['wasm'], preference: 'wasm', wasmThreads: 1 }]);
    expect(orders).toEqual([]);
    expect(modelTimes(store.getState(), experiment, 2)).toEqual([100, 200, 300]);
  });
});

describe('DeviceController and Train', () => {
  it('stops timing the models when Train is asked for (the worker is let go)', async () => {
    const store = createDeviceStore('wasm');
    let release!: () => void;
    let terminated = 0;
    const controller = new DeviceController({
      store,
      spawn: () => ({
        measure: () =>
          new Promise<Result<MeasureResult>>((resolve) => {
            release = () => resolve({ ok: false, error: 'never asked' });
          }),
        terminate: () => {
          terminated += 1;
        },
      }),
      storage: null,
      setBackends: () => undefined,
      training: () => false,
      cores: 2,
    });
    const probing = controller.probe(experiment);
    await new Promise((r) => setTimeout(r, 5));
    expect(store.getState().status).toBe('measuring');
    await controller.ready();
    await probing;
    expect(terminated).toBe(1);
    expect(store.getState().status).toBe('ready');
    expect(modelTimes(store.getState(), experiment, 2)).toEqual([null, null, null]);
    release();
  });
});
