/**
 * The page's side of the baselines worker: one worker, started on first use. A new request while
 * one is running cancels the old one (the worker is terminated and a fresh one started on demand),
 * so switching tasks never waits for a computation nobody wants any more.
 */
import * as Comlink from 'comlink';
import type { ProgressCallback } from '../../eval/types';
import { describeHang, heartbeatOf, Watchdog, type WatchdogOptions, type WatchdogTimers } from '../watchdog';
import type { BaselinesRequest, BaselinesResult, BaselinesWorkerApi } from './protocol';

export interface BaselinesClient {
  /** Compute; resolves (never rejects) with the curves, an error, or `cancelled: true`. */
  compute(request: BaselinesRequest, onProgress?: ProgressCallback): Promise<BaselinesResult>;
  /** Stop the running computation, if any. */
  cancel(): void;
  /** Stop and release the worker. */
  dispose(): void;
}

interface Running {
  settle: (result: BaselinesResult) => void;
}

export function createBaselinesClient(
  spawn: () => Worker = () =>
    new Worker(new URL('./baselines.worker.ts', import.meta.url), { type: 'module', name: 'baselines' }),
  liveness: { watchdog?: Partial<WatchdogOptions>; timers?: WatchdogTimers } = {},
): BaselinesClient {
  let worker: Worker | null = null;
  let remote: Comlink.Remote<BaselinesWorkerApi> | null = null;
  let running: Running | null = null;
  /** the running worker's heartbeat: a computation whose worker stops answering ends in an error */
  let watchdog: Watchdog | null = null;

  const stopWorker = () => {
    watchdog?.stop();
    watchdog = null;
    remote?.[Comlink.releaseProxy]();
    worker?.terminate();
    worker = null;
    remote = null;
  };

  const cancel = () => {
    if (!running) return;
    const { settle } = running;
    running = null;
    stopWorker();
    settle({ ok: false, error: 'Cancelled.', cancelled: true });
  };

  const compute = (request: BaselinesRequest, onProgress?: ProgressCallback) => {
    cancel();
    if (!worker || !remote) {
      const spawned = spawn();
      worker = spawned;
      remote = Comlink.wrap<BaselinesWorkerApi>(spawned);
      const dog = new Watchdog(
        (seq) => spawned.postMessage({ iclHeartbeat: seq }),
        (report) => {
          if (worker !== spawned) return;
          const settle = running?.settle;
          stopWorker();
          settle?.({ ok: false, error: `The baselines worker ${describeHang(report)}.` });
        },
        liveness.watchdog,
        liveness.timers,
      );
      spawned.addEventListener('message', (event: MessageEvent) => {
        const beat = heartbeatOf(event.data);
        if (beat !== null) dog.answer(beat);
      });
      dog.start('loading the worker');
      watchdog = dog;
    }
    const current = worker;
    const api = remote;
    const dog = watchdog;
    return new Promise<BaselinesResult>((resolve) => {
      let settled = false;
      const me: Running = {
        settle: (result) => {
          if (settled) return;
          settled = true;
          current.removeEventListener('error', onError);
          if (running === me) running = null;
          resolve(result);
        },
      };
      function onError(event: ErrorEvent) {
        event.preventDefault();
        if (worker === current) stopWorker();
        me.settle({
          ok: false,
          error: `The baselines worker stopped: ${event.message || 'it failed to load'}.`,
        });
      }
      current.addEventListener('error', onError);
      running = me;
      // the baselines run in chunks between which the worker answers; a long chunk is not a hang
      dog?.busy('computing the baselines');
      const heard: ProgressCallback = (...args) => {
        dog?.answer(0);
        onProgress?.(...args);
      };
      const progress = Comlink.proxy(heard);
      api.compute(request, progress).then(
        (result) => {
          dog?.settled();
          me.settle(result);
        },
        (error: unknown) =>
          me.settle({
            ok: false,
            error: `The baselines worker failed: ${error instanceof Error ? error.message : String(error)}`,
          }),
      );
    });
  };

  return {
    compute,
    cancel,
    dispose() {
      cancel();
      stopWorker();
    },
  };
}
