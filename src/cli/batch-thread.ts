/**
 * Training batches made ahead in a Node worker thread for `npm run cli -- train` (src/train/
 * batch-source.ts). The thread runs this same module (as a .ts file under tsx, or inside the
 * bundled CLI), told apart by its `workerData.role`; main.ts starts nothing else in such a thread.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Experiment } from '../schema/experiment';
import { type BatchReply, type BatchRequest, PrefetchedBatches, serveBatches } from '../train/batch-prefetch';
import type { BatchSource } from '../train/batch-source';

export const BATCH_THREAD_ROLE = 'icl-lab-batches';

/** True in a batch thread (main.ts then serves batches instead of running a command). */
export function isBatchThread(): boolean {
  return !isMainThread && (workerData as { role?: string } | null)?.role === BATCH_THREAD_ROLE;
}

let serving = false;

/** In a batch thread: answer the trainer's requests until it goes (once per thread). */
export function serveBatchThread(): void {
  const port = parentPort;
  if (!port || serving) return;
  serving = true;
  const experiment = (workerData as { experiment: Experiment }).experiment;
  const handle = serveBatches(experiment, (reply: BatchReply, transfer: ArrayBuffer[]) =>
    port.postMessage(reply, transfer),
  );
  port.on('message', (request: BatchRequest) => handle(request));
}

// the thread's entry is this module itself under tsx, the whole bundle once bundled
if (isBatchThread()) serveBatchThread();

/**
 * A batch source backed by `threads` worker threads running `entry` (default: this module's own
 * file, which is the bundle itself once bundled), each asked for its part of every request. Null if
 * no thread can start; a failure later is reported in `stats().error` and the trainer makes the
 * batches from then on.
 */
export function startBatchThread(
  experiment: Experiment,
  options: { entry?: URL; threads?: number } = {},
): BatchSource | null {
  const entry = options.entry ?? new URL(import.meta.url);
  const workers: Worker[] = [];
  for (let k = 0; k < Math.max(1, options.threads ?? 1); k++) {
    try {
      const settings = { workerData: { role: BATCH_THREAD_ROLE, experiment } };
      // a .ts entry (the CLI run through tsx): Node 20 gives a thread's entry no loader, so the
      // thread registers tsx's first, then imports the module
      workers.push(
        entry.pathname.endsWith('.ts')
          ? new Worker(
              `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`,
              { ...settings, eval: true },
            )
          : new Worker(entry, settings),
      );
    } catch {
      break;
    }
  }
  if (workers.length === 0) return null;
  const source = new PrefetchedBatches(
    workers.map((worker) => (request: BatchRequest) => worker.postMessage(request)),
    () => {
      for (const worker of workers) void worker.terminate();
    },
  );
  workers.forEach((worker, k) => {
    worker.unref();
    worker.on('message', (reply: BatchReply) => source.receive(reply));
    worker.on('error', (e) => source.fail(`batch thread ${k + 1}: ${e.message}`));
    worker.on('exit', (code) => {
      if (code !== 0) source.fail(`batch thread ${k + 1} exited with code ${code}`);
    });
  });
  return source;
}
