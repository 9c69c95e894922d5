/**
 * The page's side of one training worker. Wraps the comlink remote so that:
 *  - every call resolves (never rejects, never hangs): a crashed worker answers `{ ok: false }`;
 *  - a crash (an uncaught error in the worker, a message that cannot be read, a fatal error event)
 *    is reported once as a `crashed` event, and the worker is terminated;
 *  - the typed-array bytes received are counted (for the benchmark and the diagnostics).
 * No tfjs here: the page never loads it.
 */
import * as Comlink from 'comlink';
import type { Experiment } from '../../schema/experiment';
import { describeGpuFailure } from '../gpu-lost';
import { holdMessage } from '../page-hold';
import { describeHang, heartbeatOf, Watchdog, type WatchdogOptions, type WatchdogTimers } from '../watchdog';
import {
  type ConfigureInfo,
  FORWARDED_COMMANDS,
  type ForwardedCommand,
  type Result,
  type SessionOptionsInput,
  type TrainingEvent,
  type TrainingWorkerApi,
  type WorkerStats,
} from './protocol';

/** Why a worker was given up: an error in it, its GPU device lost, or it stopped answering. */
export type CrashCause = 'error' | 'gpu-lost' | 'hung';

export type ClientEvent =
  | TrainingEvent
  | { type: 'crashed'; message: string; cause?: CrashCause }
  /** the worker is slow to start: what it is waiting for (cleared by its next status or metrics) */
  | { type: 'waiting'; message: string };

/** Liveness settings of a client (the heartbeat, the call deadlines, when a slow start is told). */
export interface ClientLiveness {
  watchdog?: Partial<WatchdogOptions>;
  timers?: WatchdogTimers;
  /** configure (backend, model build) answers within this (ms) */
  configureDeadlineMs?: number;
  /** every other call answers within this (ms) */
  callDeadlineMs?: number;
  /** a start still waiting after this (ms) is told (a `waiting` event) */
  slowStartMs?: number;
}

/**
 * The page's side of the protocol (TrainingWorkerApi): the forwarded commands as they are, configure
 * typed with the page's Experiment (the handler is the client's), and the client's own lifecycle.
 */
export interface TrainingClient extends Pick<TrainingWorkerApi, ForwardedCommand | 'loadCheckpoint'> {
  configure(
    experiment: Experiment,
    modelIndex: number,
    options?: SessionOptionsInput,
  ): Promise<Result<ConfigureInfo>>;
  stats(): Promise<WorkerStats | null>;
  /** Free the worker's tensors (waiting at most `timeoutMs`), then terminate it. */
  dispose(timeoutMs?: number): Promise<void>;
  /** Terminate at once. */
  terminate(): void;
  readonly crashed: boolean;
  /** Test pages only (ICL_TEST_PAGES builds): make the worker hang (`busy`) or close itself. */
  testHang?(mode: 'busy' | 'close'): void;
  /** Start no new step for `ms` (0: go on), while the page redraws (src/workers/page-hold.ts). */
  hold?(ms: number): void;
  /** typed-array payload bytes and events received so far */
  readonly received: { bytes: number; events: number };
}

export type Spawn = () => Worker;

/** What the worker does after Train / Step until its first losses arrive. */
const FIRST_STEPS = 'compiling shaders and running the first steps';
/** Commands after which the worker compiles its programs and takes its first steps. */
const COMPILING_COMMANDS: ReadonlySet<string> = new Set(['train', 'resume', 'step', 'reset']);

export const spawnTrainingWorker: Spawn = () =>
  new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module', name: 'training' });

/** Rough size of an event as posted: typed arrays by their bytes, the rest as JSON text. */
export function approximateEventBytes(event: TrainingEvent): number {
  let bytes = 0;
  const text = JSON.stringify(event, (_k, v) => {
    if (ArrayBuffer.isView(v)) {
      bytes += v.byteLength;
      return 0;
    }
    return v;
  });
  return bytes + (text?.length ?? 0);
}

export function createTrainingClient(
  onEvent: (event: ClientEvent) => void,
  spawn: Spawn = spawnTrainingWorker,
  liveness: ClientLiveness = {},
): TrainingClient {
  const worker = spawn();
  const remote = Comlink.wrap<TrainingWorkerApi>(worker);
  const received = { bytes: 0, events: 0 };
  let crashed = false;
  let terminated = false;
  let crashMessage = '';
  let signalCrash!: () => void;
  const crashedPromise = new Promise<void>((resolve) => {
    signalCrash = resolve;
  });

  const terminate = () => {
    if (terminated) return;
    terminated = true;
    watchdog.stop();
    stopSlowTimer();
    try {
      remote[Comlink.releaseProxy]();
    } catch {
      // already released
    }
    worker.terminate();
  };

  const crash = (message: string, cause: CrashCause = 'error') => {
    if (crashed || terminated) return;
    // a lost GPU device often surfaces as a failed buffer mapping: say what happened
    const gpu = describeGpuFailure(message);
    crashed = true;
    crashMessage = gpu ?? message;
    watchdog.stop();
    stopSlowTimer();
    terminate();
    signalCrash();
    onEvent({ type: 'crashed', message: crashMessage, cause: gpu ? 'gpu-lost' : cause });
  };

  const timers = liveness.timers;
  const watchdog = new Watchdog(
    (seq) => {
      if (!terminated) worker.postMessage({ iclHeartbeat: seq });
    },
    (report) => crash(describeHang(report), 'hung'),
    liveness.watchdog,
    timers,
  );
  const configureDeadlineMs = liveness.configureDeadlineMs ?? 300_000;
  const callDeadlineMs = liveness.callDeadlineMs ?? 300_000;
  const slowStartMs = liveness.slowStartMs ?? 8000;

  // a start (configure, or the first steps after Train) that takes long says what it waits for
  let slowTimer: unknown = null;
  let slowSince = 0;
  const now = () => (timers ? timers.now() : performance.now());
  const stopSlowTimer = () => {
    if (slowTimer !== null) (timers?.clearInterval ?? clearInterval)(slowTimer as never);
    slowTimer = null;
  };
  const waitingFor = (what: string) => {
    watchdog.busy(what);
    stopSlowTimer();
    slowSince = now();
    const tell = () => {
      if (crashed || terminated || watchdog.activity !== what) return stopSlowTimer();
      const secs = Math.round((now() - slowSince) / 1000);
      onEvent({ type: 'waiting', message: `still ${what} (${secs} s)` });
    };
    slowTimer = (timers?.setInterval ?? setInterval)(tell, slowStartMs);
  };
  const started = (what: string | null) => {
    watchdog.settled(what);
    stopSlowTimer();
  };

  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault();
    crash(event.message || 'the worker failed to load');
  });
  worker.addEventListener('messageerror', () => crash('a message from the worker could not be read'));
  worker.addEventListener('message', (event: MessageEvent) => {
    const beat = heartbeatOf(event.data);
    if (beat !== null) watchdog.answer(beat);
  });
  watchdog.start('loading the worker');

  const handler = Comlink.proxy((event: TrainingEvent) => {
    if (terminated) return;
    received.events += 1;
    received.bytes += approximateEventBytes(event);
    watchdog.answer(0);
    if (event.type === 'metrics') {
      // the slowest step the worker measured, or the mean one when it did not say
      const stepMs = Math.max(
        event.slowestStepMs ?? 0,
        event.stepsPerSecond > 0 ? 1000 / event.stepsPerSecond : 0,
      );
      watchdog.stepTook(stepMs);
      // the first steps' long timeout ends once the steps' own time is known (a slow host backend's
      // step blocks the worker for seconds: the short timeout alone would call it hung)
      if (watchdog.activity === FIRST_STEPS && watchdog.knowsSteps) started('training');
    }
    if (event.type === 'status' && event.state !== 'training' && watchdog.activity === FIRST_STEPS)
      started(event.state);
    onEvent(event);
    // a fatal error, or a GPU device lost whatever the worker thought of it: restart elsewhere
    if (event.type === 'error' && (event.fatal || describeGpuFailure(event.message))) crash(event.message);
  });

  function call<T>(
    fn: () => Promise<Result<T>>,
    deadlineMs = callDeadlineMs,
    what = 'a command',
  ): Promise<Result<T>> {
    if (crashed || terminated) {
      return Promise.resolve({
        ok: false,
        error: crashed ? `the worker crashed: ${crashMessage}` : 'the worker was stopped',
      });
    }
    const failed = crashedPromise.then(
      (): Result<T> => ({ ok: false, error: `the worker crashed: ${crashMessage}` }),
    );
    const answer = fn().catch(
      (error: unknown): Result<T> => ({
        ok: false,
        error: `the worker failed: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
    return watchdog.deadline(Promise.race([answer, failed]), deadlineMs, what, (error) => ({
      ok: false as const,
      error,
    }));
  }

  // every forwarded command of the protocol, as it is, through `call`
  const forwarded = {} as Pick<TrainingWorkerApi, ForwardedCommand>;
  for (const name of Object.keys(FORWARDED_COMMANDS) as ForwardedCommand[]) {
    const send = remote[name] as unknown as (...args: unknown[]) => Promise<Result<unknown>>;
    (forwarded as Record<ForwardedCommand, unknown>)[name] = (...args: unknown[]) => {
      if (COMPILING_COMMANDS.has(name) && !crashed && !terminated) waitingFor(FIRST_STEPS);
      return call(() => send(...args), callDeadlineMs, name);
    };
  }

  return {
    configure: async (experiment, modelIndex, options = {}) => {
      if (!crashed && !terminated) waitingFor('loading the backend and building the model');
      const r = await call(
        () => remote.configure(experiment, modelIndex, options, handler),
        configureDeadlineMs,
        'configure',
      );
      started(null);
      return r;
    },
    ...forwarded,
    loadCheckpoint: (bytes) => {
      // copies: the page keeps its own bytes (they are also in IndexedDB)
      const model = bytes.model.slice();
      const optimizer = bytes.optimizer?.slice();
      const buffers: Transferable[] = [model.buffer];
      if (optimizer) buffers.push(optimizer.buffer);
      if (!crashed && !terminated) waitingFor('loading the checkpoint');
      return call(
        () => remote.loadCheckpoint(Comlink.transfer({ model, optimizer }, buffers)),
        callDeadlineMs,
        'loadCheckpoint',
      ).then((r) => {
        started(null);
        return r;
      });
    },
    async stats() {
      const r = await call(async () => ({ ok: true as const, stats: await remote.stats() }));
      return r.ok ? r.stats : null;
    },
    async dispose(timeoutMs = 2000) {
      if (!crashed && !terminated) {
        await Promise.race([
          remote.dispose().catch(() => undefined),
          crashedPromise,
          new Promise((r) => setTimeout(r, timeoutMs)),
        ]);
      }
      terminate();
    },
    terminate,
    testHang(mode) {
      if (!terminated) worker.postMessage({ iclTestHang: mode });
    },
    hold(ms) {
      if (!crashed && !terminated) worker.postMessage(holdMessage(ms));
    },
    get crashed() {
      return crashed;
    },
    received,
  };
}
