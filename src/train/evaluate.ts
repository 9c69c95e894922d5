/**
 * A model on the shared evaluation prompts (src/tasks/stream.ts `evaluationBatches`, the prompts
 * the baselines are scored on): predictions per head, then the ICL curve per head.
 *
 * Prediction runs chunk by chunk (EVAL_CHUNK prompts, fixed shapes) and reads each chunk back with
 * `await data()`; scoring is src/eval's (scoreHead, CurveAccumulator), exactly as the baselines'.
 * Chain-of-thought is predicted as Li et al. do it: the query's s is predicted and fed back before
 * y is read (predictChainOfThought).
 */
import * as tf from '@tensorflow/tfjs';
import { CurveAccumulator, metricLabel, scoreHead } from '../eval';
import type { IclCurveSet } from '../eval/types';
import type { SequenceModel } from '../models/model';
import { evaluationBatches } from '../tasks/stream';
import type { CurriculumSpec, HeadSpec, PromptBatch, TaskDefinition, TaskName } from '../tasks/types';

/** One evaluation chunk: the prompts and the model's output per head, [B, nTargets, dim]. */
export interface PredictedChunk {
  batch: PromptBatch;
  outputs: Float32Array[];
}

export interface ModelPredictions {
  task: TaskName;
  heads: HeadSpec[];
  chance: number;
  prompts: number;
  chunks: PredictedChunk[];
}

export async function predictEvaluation<P>(
  model: SequenceModel,
  task: TaskDefinition<P>,
  params: P,
  curriculum: CurriculumSpec,
  options: { seed: number; prompts: number },
): Promise<ModelPredictions> {
  const chunks: PredictedChunk[] = [];
  let prompts = 0;
  for (const batch of evaluationBatches(task, params, curriculum, options.seed, options.prompts)) {
    if (batch.task === 'chain-of-thought') {
      chunks.push({ batch, outputs: await predictChainOfThought(model, batch) });
      prompts += batch.batchSize;
      continue;
    }
    const outs = tf.tidy(() => {
      const tokens = tf.tensor3d(batch.tokens, [batch.batchSize, batch.seqLen, batch.tokenDim]);
      return model.forward(
        tokens,
        batch.tokenKinds,
        batch.heads.map((h) => h.positions),
      );
    });
    try {
      const data = await Promise.all(outs.map((o) => o.data()));
      chunks.push({ batch, outputs: data.map((d) => Float32Array.from(d as Float32Array)) });
    } finally {
      for (const o of outs) o.dispose();
    }
    prompts += batch.batchSize;
  }
  return {
    task: task.name,
    heads: task.heads(params),
    chance: task.chanceLevel(params),
    prompts,
    chunks,
  };
}

/** Rows (prompt x query) of one chain-of-thought forward pass at evaluation: a training batch's worth. */
export const COT_EVAL_ROWS = 256;

/**
 * Chain-of-thought at test time (Li et al.'s `predict`): for query i the model sees the true
 * x_j, s_j, y_j of the examples before it, predicts s_i at x_i, that prediction is put in the s
 * token in place of the true s_i, and y_i is read at that token. The s head is read from the
 * teacher-forced pass (its output at x_i sees only true earlier tokens).
 *
 * The y_i are read in groups of queries, one forward pass a group: row (b, i) of a group's batch is
 * prompt b with only query i's s token replaced, cut after the group's last query, and y_i is read at
 * row (b, i)'s own s token. A causal model's output at a token ignores every later token, so this is
 * the same number as one pass per query over the first 3 i + 2 tokens, with ~n / group passes and
 * read-backs instead of n. Returns the outputs per head in batch.heads order, [B, nTargets, dim].
 */
async function predictChainOfThought(model: SequenceModel, batch: PromptBatch): Promise<Float32Array[]> {
  const yIndex = batch.heads.findIndex((h) => h.spec.name === 'y');
  const sIndex = batch.heads.findIndex((h) => h.spec.name === 's');
  if (yIndex < 0 || sIndex < 0) throw new Error("chain-of-thought batch needs heads 'y' and 's'");
  const B = batch.batchSize;
  const L = batch.seqLen;
  const D = batch.tokenDim;
  const sHead = batch.heads[sIndex];
  const yHead = batch.heads[yIndex];
  const k = sHead.spec.dim;
  const n = sHead.positions.length;
  for (let i = 0; i < n; i++) {
    const sTok = yHead.positions[i];
    if (sHead.positions[i] !== sTok - 1 || batch.tokenKinds[sTok] !== 1) {
      throw new Error(`chain-of-thought: target ${i} is not read at the s token after its x token`);
    }
  }
  const all = tf.tidy(() => {
    const tokens = tf.tensor3d(batch.tokens, [B, L, D]);
    return model.forward(
      tokens,
      batch.tokenKinds,
      batch.heads.map((h) => h.positions),
    );
  });
  let sPred: Float32Array;
  try {
    sPred = Float32Array.from((await all[sIndex].data()) as Float32Array);
  } finally {
    for (const o of all) o.dispose();
  }
  const yPred = new Float32Array(B * n);
  const group = Math.max(1, Math.floor(COT_EVAL_ROWS / B));
  for (let first = 0; first < n; first += group) {
    const queries = Math.min(group, n - first);
    const sToks = yHead.positions.subarray(first, first + queries);
    const len = sToks[queries - 1] + 1;
    const rows = B * queries;
    const tokens = new Float32Array(rows * len * D);
    for (let b = 0; b < B; b++) {
      const prompt = batch.tokens.subarray(b * L * D, (b * L + len) * D);
      for (let q = 0; q < queries; q++) {
        const row = b * queries + q;
        tokens.set(prompt, row * len * D);
        const at = (row * len + sToks[q]) * D;
        for (let j = 0; j < k; j++) tokens[at + j] = sPred[(b * n + first + q) * k + j];
      }
    }
    const outs = tf.tidy(() =>
      model.forward(
        tf.tensor3d(tokens, [rows, len, D]),
        batch.tokenKinds.subarray(0, len),
        batch.heads.map((_h, hi) => (hi === yIndex ? sToks : Int32Array.of(sToks[0] - 1))),
      ),
    );
    try {
      // [rows, queries, 1]: row (b, q) at its own query q
      const y = (await outs[yIndex].data()) as Float32Array;
      for (let b = 0; b < B; b++) {
        for (let q = 0; q < queries; q++) yPred[b * n + first + q] = y[(b * queries + q) * queries + q];
      }
    } finally {
      for (const o of outs) o.dispose();
    }
  }
  return batch.heads.map((_, h) => (h === yIndex ? yPred : h === sIndex ? sPred : new Float32Array(0)));
}

/** One curve set per head, each holding this model's curve. */
export function scoreEvaluation(
  predictions: ModelPredictions,
  options: { key: string; label: string; seed: number; bootstrap: number },
): IclCurveSet[] {
  return predictions.heads.map((spec, h) => {
    const acc = new CurveAccumulator();
    for (const chunk of predictions.chunks) acc.add(scoreHead(chunk.batch, h, chunk.outputs[h]));
    const curve = acc.summarise({
      key: options.key,
      label: options.label,
      seed: options.seed,
      resamples: options.bootstrap,
    });
    return {
      task: predictions.task,
      head: spec.name,
      metric: spec.metric,
      yLabel: metricLabel(spec.metric, spec.normalisation),
      // the task's chance level is that of its primary head; other heads are errors (zero predictor ~1)
      chance: h === 0 ? predictions.chance : 1,
      prompts: predictions.prompts,
      seed: options.seed,
      curves: [curve],
    };
  });
}
