/**
 * Batches made ahead in a Web Worker started by the training worker (browser; the CLI has its own
 * thread, src/cli/batch-thread.ts). Null where workers cannot start one; a worker that fails later
 * leaves the trainer making its batches (`stats().error`).
 */
import type { Experiment } from '../../schema/experiment';
import { type BatchReply, PrefetchedBatches } from '../../train/batch-prefetch';
import type { BatchSource } from '../../train/batch-source';

export function startBatchWorker(experiment: Experiment): BatchSource | null {
  if (typeof Worker === 'undefined') return null;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./batches.worker.ts', import.meta.url), { type: 'module', name: 'batches' });
  } catch {
    return null;
  }
  const source = new PrefetchedBatches(
    (request) => worker.postMessage(request),
    () => worker.terminate(),
  );
  worker.onmessage = (e: MessageEvent<BatchReply>) => source.receive(e.data);
  worker.onerror = (e) => source.fail(`batch worker: ${e.message || 'failed to start'}`);
  worker.postMessage({ experiment });
  return source;
}
