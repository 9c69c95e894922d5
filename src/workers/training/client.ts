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

export type ClientEvent = TrainingEvent | { type: 'crashed'; message: string };

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
  /** typed-array payload bytes and events received so far */
  readonly received: { bytes: number; events: number };
}

export type Spawn = () => Worker;

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
    try {
      remote[Comlink.releaseProxy]();
    } catch {
      // already released
    }
    worker.terminate();
  };

  const crash = (message: string) => {
    if (crashed || terminated) return;
    crashed = true;
    crashMessage = message;
    terminate();
    signalCrash();
    onEvent({ type: 'crashed', message });
  };

  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault();
    crash(event.message || 'the worker failed to load');
  });
  worker.addEventListener('messageerror', () => crash('a message from the worker could not be read'));

  const handler = Comlink.proxy((event: TrainingEvent) => {
    if (terminated) return;
    received.events += 1;
    received.bytes += approximateEventBytes(event);
    onEvent(event);
    if (event.type === 'error' && event.fatal) crash(event.message);
  });

  function call<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
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
    return Promise.race([answer, failed]);
  }

  // every forwarded command of the protocol, as it is, through `call`
  const forwarded = {} as Pick<TrainingWorkerApi, ForwardedCommand>;
  for (const name of Object.keys(FORWARDED_COMMANDS) as ForwardedCommand[]) {
    const send = remote[name] as unknown as (...args: unknown[]) => Promise<Result<unknown>>;
    (forwarded as Record<ForwardedCommand, unknown>)[name] = (...args: unknown[]) =>
      call(() => send(...args));
  }

  return {
    configure: (experiment, modelIndex, options = {}) =>
      call(() => remote.configure(experiment, modelIndex, options, handler)),
    ...forwarded,
    loadCheckpoint: (bytes) => {
      // copies: the page keeps its own bytes (they are also in IndexedDB)
      const model = bytes.model.slice();
      const optimizer = bytes.optimizer?.slice();
      const buffers: Transferable[] = [model.buffer];
      if (optimizer) buffers.push(optimizer.buffer);
      return call(() => remote.loadCheckpoint(Comlink.transfer({ model, optimizer }, buffers)));
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
    get crashed() {
      return crashed;
    },
    received,
  };
}
