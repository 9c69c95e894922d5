/**
 * A Web Worker that makes training batches ahead for the training worker (src/train/batch-prefetch.ts): the first
 * message is the experiment, every later one a request for steps.
 */
import type { Experiment } from '../../schema/experiment';
import { type BatchReply, type BatchRequest, serveBatches } from '../../train/batch-prefetch';

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<{ experiment: Experiment } | BatchRequest>) => void) | null;
  postMessage(message: BatchReply, transfer: Transferable[]): void;
};
let handle: ((request: BatchRequest) => void) | null = null;
scope.onmessage = (e) => {
  const m = e.data;
  if ('experiment' in m) {
    handle = serveBatches(m.experiment, (reply, transfer) => scope.postMessage(reply, transfer));
    return;
  }
  handle?.(m);
};
