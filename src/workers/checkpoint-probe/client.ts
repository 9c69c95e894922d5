/**
 * The page's side of the checkpoint-probe worker: every call resolves (a crashed or stopped worker answers
 * `{ ok: false }`); the bytes sent are copies (the page keeps its checkpoints). No tfjs here.
 */
import * as Comlink from 'comlink';
import type { Experiment } from '../../schema/experiment';
import type { BackendReport } from '../backend-types';
import type { Result } from '../training/protocol';
import { describeHang, heartbeatOf, Watchdog, type WatchdogOptions, type WatchdogTimers } from '../watchdog';
import type {
  CheckpointProbeAnswer,
  CheckpointProbeOptionsInput,
  CheckpointProbeRequest,
  CheckpointProbeWorkerApi,
} from './protocol';

export interface CheckpointProbeClient {
  configure(
    experiment: Experiment,
    options?: CheckpointProbeOptionsInput,
  ): Promise<Result<{ backend: BackendReport }>>;
  probe(request: CheckpointProbeRequest): Promise<Result<CheckpointProbeAnswer>>;
  /** Free the worker's tensors (waiting at most `timeoutMs`), then terminate it. */
  dispose(timeoutMs?: number): Promise<void>;
  readonly stopped: boolean;
}

export const spawnCheckpointProbeWorker = (): Worker =>
  new Worker(new URL('./checkpoint-probe.worker.ts', import.meta.url), {
    type: 'module',
    name: 'checkpoint-probe',
  });

export function createCheckpointProbeClient(
  spawn: () => Worker = spawnCheckpointProbeWorker,
  liveness: { watchdog?: Partial<WatchdogOptions>; timers?: WatchdogTimers; callDeadlineMs?: number } = {},
): CheckpointProbeClient {
  const worker = spawn();
  const remote = Comlink.wrap<CheckpointProbeWorkerApi>(worker);
  let stopped = false;
  let why = '';
  let signal!: () => void;
  const crashed = new Promise<void>((resolve) => {
    signal = resolve;
  });
  const stop = (message: string) => {
    if (stopped) return;
    stopped = true;
    why = message;
    try {
      remote[Comlink.releaseProxy]();
    } catch {
      // already released
    }
    watchdog.stop();
    worker.terminate();
    signal();
  };
  // a heartbeat (src/workers/watchdog.ts): a hung worker is stopped and its calls answered
  const watchdog = new Watchdog(
    (seq) => {
      if (!stopped) worker.postMessage({ iclHeartbeat: seq });
    },
    (report) => stop(`the checkpoint-probe worker ${describeHang(report)}`),
    liveness.watchdog,
    liveness.timers,
  );
  const callDeadlineMs = liveness.callDeadlineMs ?? 300_000;
  worker.addEventListener('message', (event: MessageEvent) => {
    const beat = heartbeatOf(event.data);
    if (beat !== null) watchdog.answer(beat);
  });
  watchdog.start('loading the worker');
  worker.addEventListener('error', (event: ErrorEvent) => {
    event.preventDefault();
    stop(`the checkpoint-probe worker failed: ${event.message || 'it did not load'}`);
  });
  worker.addEventListener('messageerror', () =>
    stop('a message from the checkpoint-probe worker could not be read'),
  );

  function call<T>(fn: () => Promise<Result<T>>, what: string): Promise<Result<T>> {
    if (stopped)
      return Promise.resolve({ ok: false, error: why || 'the checkpoint-probe worker was stopped' });
    const failed = crashed.then((): Result<T> => ({ ok: false, error: why }));
    const answer = fn().catch(
      (error: unknown): Result<T> => ({
        ok: false,
        error: `the checkpoint-probe worker failed: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
    // loading the backend, building models and compiling their programs block the worker a while
    watchdog.busy(what === 'configure' ? 'loading the backend' : 'building the model and probing');
    const answered = Promise.race([answer, failed]).then((r) => {
      watchdog.settled();
      return r;
    });
    return watchdog.deadline(answered, callDeadlineMs, what, (error) => ({ ok: false as const, error }));
  }

  return {
    configure: (experiment, options = {}) => call(() => remote.configure(experiment, options), 'configure'),
    probe: (request) =>
      call(() => {
        const model = request.model.slice();
        const prompt = request.prompt && {
          ...request.prompt,
          tokens: request.prompt.tokens.slice(),
          tokenKinds: request.prompt.tokenKinds?.slice(),
        };
        const buffers: Transferable[] = [model.buffer];
        if (prompt) buffers.push(prompt.tokens.buffer);
        return remote.probe(Comlink.transfer({ ...request, model, prompt }, buffers));
      }, 'probe'),
    async dispose(timeoutMs = 2000) {
      if (!stopped) {
        await Promise.race([
          remote.dispose().catch(() => undefined),
          crashed,
          new Promise((r) => setTimeout(r, timeoutMs)),
        ]);
      }
      stop('the checkpoint-probe worker was stopped');
    },
    get stopped() {
      return stopped;
    },
  };
}
