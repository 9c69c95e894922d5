/**
 * Recall accuracy by the position of the queried pair (associative-recall style tasks): which pair
 * of the prompt the model still remembers. Pure: works on the model's evaluation outputs, scored by
 * the same `scoreHead` as every curve.
 */
import type { PromptBatch } from '../tasks/types';
import { scoreHead } from './score';

/** The model's evaluation outputs, chunk by chunk: the prompts and the output per head. */
export interface RecallPredictions {
  chunks: readonly { batch: PromptBatch; outputs: readonly Float32Array[] }[];
}

/** Accuracy against the position of the queried pair (recall tasks): shows a fixed state forgetting. */
export interface RecallBreakdown {
  /** [nPairs] 0 = the first pair of the prompt, nPairs - 1 = the one just before the query */
  pair: Int32Array;
  /** [nPairs] accuracy over the evaluation prompts that asked for that pair (NaN: none did) */
  accuracy: Float64Array;
  /** [nPairs] how many prompts asked for it */
  count: Int32Array;
}

/** Accuracy against the position of the queried pair, for heads with recall targets. */
export function recallBreakdown(predictions: RecallPredictions): RecallBreakdown | null {
  const first = predictions.chunks[0]?.batch.heads[0]?.recall;
  if (!first) return null;
  const n = first.nPairs;
  const correct = new Float64Array(n);
  const count = new Int32Array(n);
  for (const chunk of predictions.chunks) {
    const head = chunk.batch.heads[0];
    if (!head.recall) continue;
    const scores = scoreHead(chunk.batch, 0, chunk.outputs[0]);
    for (let i = 0; i < scores.values.length; i++) {
      if (!scores.scored[i]) continue;
      const pair = head.recall.queriedPair[i];
      if (pair < 0 || pair >= n) continue;
      correct[pair] += scores.values[i];
      count[pair] += 1;
    }
  }
  const accuracy = new Float64Array(n);
  for (let j = 0; j < n; j++) accuracy[j] = count[j] > 0 ? correct[j] / count[j] : Number.NaN;
  return { pair: Int32Array.from({ length: n }, (_, j) => j), accuracy, count };
}
