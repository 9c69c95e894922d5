/**
 * The device probe, run in a training worker before the race: (1) one small training step timed on
 * each candidate backend (a one-layer Transformer, width 16, batch 8, on the experiment's task),
 * software GPUs detected by name, within about two seconds in all; the pure decision is
 * src/workers/backend-choice.ts. (2) On the chosen backend, one training step of each model of the
 * experiment timed after a warm-up step (for the page's estimate "about M minutes on this device").
 *
 * Every readback is `await data()` (through Trainer.flush); a step that does not finish within its
 * cap is given up (the candidate counts as "over N ms"), the probe goes on.
 */
import type { Experiment } from '../../schema/experiment';
import { Trainer, type TrainerOptions } from '../../train/trainer';
import {
  type CandidateMeasure,
  chooseBackend,
  type MeasureRequest,
  type MeasureResult,
  softwareRenderer,
} from '../backend-choice';
import { BACKEND_ORDER, type BackendName } from '../backend-types';

export interface MeasureEnvironment {
  /** start backend `name` and make it current; throws with the reason when it cannot */
  start(name: BackendName): Promise<void>;
  /** the GPU behind a GPU backend: adapter info or WebGL's unmasked renderer ('' when unknown) */
  describe(name: BackendName): Promise<{ text: string; fallback: boolean }>;
  now(): number;
  trainerOptions(): TrainerOptions;
}

/** Cap on a probe step on a backend without a software GPU (ms), and on a software GPU. */
const CAP_MS = 1500;
const SOFTWARE_CAP_MS = 400;
/** Time per candidate spent on timed steps after the warm-up. */
const TIMED_MS = 100;

const TIMEOUT = Symbol('timeout');

function withCap<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  return Promise.race([p, cap]).finally(() => clearTimeout(timer));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** The experiment shrunk to the probe's model: the task kept, one small Transformer. */
export function probeExperiment(e: Experiment): Experiment {
  return {
    ...e,
    batchSize: 8,
    models: [{ ...e.models[0], arch: 'transformer', dModel: 16, nLayer: 1, nHead: 2 }],
  } as Experiment;
}

/**
 * One warm-up step, then steps for about `timedMs`: ms per step, or null when the warm-up (or the
 * first timed step) took longer than `capMs`. The trainer is disposed when its steps finish.
 */
async function timeSteps(
  build: () => Trainer,
  env: MeasureEnvironment,
  capMs: number,
  timedMs: number,
  maxSteps: number,
): Promise<number | null> {
  const trainer = build();
  let abandoned = false;
  const run = async (): Promise<number> => {
    trainer.step();
    await trainer.flush();
    const t0 = env.now();
    let n = 0;
    do {
      if (abandoned) break;
      trainer.step();
      await trainer.flush();
      n += 1;
    } while (n < maxSteps && env.now() - t0 < timedMs);
    return (env.now() - t0) / Math.max(1, n);
  };
  const work = run().finally(() => trainer.dispose());
  const r = await withCap(work, capMs);
  if (r === TIMEOUT) {
    abandoned = true;
    return null;
  }
  return r;
}

export async function measureDevice(
  experiment: Experiment,
  request: MeasureRequest,
  env: MeasureEnvironment,
): Promise<MeasureResult> {
  const candidates = request.candidates?.length ? request.candidates : BACKEND_ORDER;
  // CPU backends first: their time bounds how long a software GPU may take
  const order = [...candidates].sort(
    (a, b) => Number(a === 'webgpu' || a === 'webgl') - Number(b === 'webgpu' || b === 'webgl'),
  );
  const small = probeExperiment(experiment);
  const measures: CandidateMeasure[] = [];
  const t0 = env.now();
  for (const name of order) {
    try {
      const isGpu = name === 'webgpu' || name === 'webgl';
      const gpu = isGpu ? await env.describe(name) : null;
      const software = gpu ? softwareRenderer(gpu.text, gpu.fallback) : null;
      // a software GPU (a CPU emulating one) is not started when a CPU backend already works: it
      // is far slower, and its shader compiles would hold this worker for seconds
      if (software && measures.some((m) => m.ok && m.msPerStep !== null)) {
        measures.push({ name, ok: true, software, msPerStep: null, skipped: true });
        continue;
      }
      await env.start(name);
      const cap = software ? SOFTWARE_CAP_MS : CAP_MS;
      const ms = await timeSteps(
        () => new Trainer(small, 0, { ...env.trainerOptions(), readEvery: 1 }),
        env,
        cap,
        TIMED_MS,
        10,
      );
      measures.push({ name, ok: true, software, msPerStep: ms, ...(ms === null ? { overMs: cap } : {}) });
    } catch (error) {
      measures.push({ name, ok: false, reason: message(error), msPerStep: null });
    }
  }
  const probeMs = env.now() - t0;
  measures.sort((a, b) => BACKEND_ORDER.indexOf(a.name) - BACKEND_ORDER.indexOf(b.name));
  const choice = chooseBackend(measures, request.preference ?? 'auto');
  const modelMs: Array<number | null> = experiment.models.map(() => null);
  if (request.models !== false) {
    await env.start(choice.name);
    for (let i = 0; i < experiment.models.length; i++) {
      try {
        modelMs[i] = await timeSteps(
          () => new Trainer(experiment, i, { ...env.trainerOptions(), readEvery: 1 }),
          env,
          20_000,
          0,
          2,
        );
      } catch {
        modelMs[i] = null;
      }
    }
  }
  return { measures, choice, modelMs, probeMs };
}
