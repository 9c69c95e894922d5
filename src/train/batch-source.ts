/**
 * Training batches made ahead of the trainer, off its thread (issue 12: the batch of a paper-size
 * step takes ~2.5 ms of JavaScript, as long as the replayed GPU step itself). The stream is a pure
 * function of (experiment, seed, step) (`trainingBatch`), so any thread can make any step's batch;
 * a batch not ready in time is made by the trainer itself, so a slow or failed helper costs speed,
 * never correctness.
 */
import type { PromptBatch } from '../tasks/types';

export interface BatchSource {
  /** the batch of `step` if it was made ahead (it is then forgotten), else null */
  take(step: number): PromptBatch | null;
  /** make the batches of steps [from, from + count) ahead */
  ahead(from: number, count: number): void;
  /** batches taken ready / asked for and not ready */
  stats(): { hits: number; misses: number; error: string | null };
  dispose(): void;
}
