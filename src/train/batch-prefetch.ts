/**
 * Batches made ahead in another thread (src/train/batch-source.ts), over any message port: a Node
 * worker thread (src/cli/batch-thread.ts) or a Web Worker. `serveBatches` is the helper's side,
 * `PrefetchedBatches` the trainer's. Batches cross as structured clones with their arrays
 * transferred (no copy).
 */
import type { Experiment } from '../schema/experiment';
import { TASKS } from '../tasks';
import { trainingBatch } from '../tasks/stream';
import type { PromptBatch } from '../tasks/types';
import type { BatchSource } from './batch-source';

export interface BatchRequest {
  from: number;
  count: number;
}

export type BatchReply = { step: number; batch: PromptBatch } | { error: string };

/** The array buffers of a batch, each once (to transfer them). */
export function batchBuffers(batch: PromptBatch): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (v: unknown) => {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  };
  add(batch.tokens);
  add(batch.tokenKinds);
  for (const h of batch.heads) {
    add(h.positions);
    add(h.targets);
    add(h.mask);
    add(h.examplesBefore);
    if (h.recall) {
      add(h.recall.keyPositions);
      add(h.recall.valuePositions);
      add(h.recall.queriedPair);
    }
  }
  if (batch.examples) {
    add(batch.examples.xs);
    add(batch.examples.ys);
    add(batch.examples.clean);
  }
  return [...out];
}

/** The helper's side: answers each request with one reply per step. */
export function serveBatches(
  experiment: Experiment,
  post: (reply: BatchReply, transfer: ArrayBuffer[]) => void,
): (request: BatchRequest) => void {
  const task = TASKS.find((t) => t.name === experiment.task.name);
  return ({ from, count }) => {
    if (!task) {
      post({ error: `unknown task ${experiment.task.name}` }, []);
      return;
    }
    try {
      for (let step = from; step < from + count; step++) {
        const batch = trainingBatch(
          task,
          experiment.task.params as never,
          experiment.curriculum,
          experiment.seed,
          step,
          experiment.batchSize,
        );
        post({ step, batch }, batchBuffers(batch));
      }
    } catch (e) {
      post({ error: (e as Error).message }, []);
    }
  };
}

/** The trainer's side, over a port that posts requests and delivers replies. */
export class PrefetchedBatches implements BatchSource {
  private readonly ready = new Map<number, PromptBatch>();
  /** steps below this were asked for */
  private askedUpTo = 0;
  private hits = 0;
  private misses = 0;
  private error: string | null = null;
  private closed = false;

  /** the helpers' ports: each request is split among them in contiguous parts */
  private readonly posts: readonly ((request: BatchRequest) => void)[];

  constructor(
    post: ((request: BatchRequest) => void) | readonly ((request: BatchRequest) => void)[],
    private readonly close: () => void,
    /** batches kept at most (older ones are dropped) */
    private readonly capacity = 256,
  ) {
    this.posts = typeof post === 'function' ? [post] : post;
    if (this.posts.length === 0) throw new Error('PrefetchedBatches needs at least one helper');
  }

  /** Deliver a reply from a helper. */
  receive(reply: BatchReply): void {
    if (this.closed) return;
    if ('error' in reply) {
      this.error = reply.error;
      return;
    }
    this.ready.set(reply.step, reply.batch);
    if (this.ready.size > this.capacity) {
      const oldest = Math.min(...this.ready.keys());
      this.ready.delete(oldest);
    }
  }

  /** The helper failed to start or died: every batch is made by the trainer from now on. */
  fail(message: string): void {
    this.error ??= message;
  }

  /** Whether the batch of `step` has arrived (and was not taken yet). */
  has(step: number): boolean {
    return this.ready.has(step);
  }

  take(step: number): PromptBatch | null {
    const batch = this.ready.get(step) ?? null;
    for (const k of this.ready.keys()) if (k <= step) this.ready.delete(k);
    if (batch) this.hits++;
    else this.misses++;
    return batch;
  }

  ahead(from: number, count: number): void {
    if (this.closed || this.error !== null) return;
    // a jump back (a checkpoint restored) asks again from there
    if (from < this.askedUpTo - this.capacity) this.askedUpTo = from;
    const start = Math.max(from, this.askedUpTo);
    const end = from + count;
    if (start >= end) return;
    this.askedUpTo = end;
    const n = Math.min(this.posts.length, end - start);
    for (let k = 0; k < n; k++) {
      const a = start + Math.floor(((end - start) * k) / n);
      const b = start + Math.floor(((end - start) * (k + 1)) / n);
      this.posts[k]({ from: a, count: b - a });
    }
  }

  stats() {
    return { hits: this.hits, misses: this.misses, error: this.error };
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.ready.clear();
    this.close();
  }
}
