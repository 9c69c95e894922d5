/**
 * The page's side of the baselines worker: one worker, started on first use. A new request while
 * one is running cancels the old one (the worker is terminated and a fresh one started on demand),
 * so switching tasks never waits for a computation nobody wants any more.
 */
import * as Comlink from 'comlink';
import type { ProgressCallback } from '../../eval/types';
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
): BaselinesClient {
  let worker: Worker | null = null;
  let remote: Comlink.Remote<BaselinesWorkerApi> | null = null;
  let running: Running | null = null;

  const stopWorker = () => {
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
      worker = spawn();
      remote = Comlink.wrap<BaselinesWorkerApi>(worker);
    }
    const current = worker;
    const api = remote;
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
      const progress = onProgress ? Comlink.proxy(onProgress) : undefined;
      api.compute(request, progress).then(me.settle, (error: unknown) =>
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
