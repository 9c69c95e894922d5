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

/**
 * Chain-of-thought at test time (Li et al.'s `predict`): for query i the model sees the true
 * x_j, s_j, y_j of the examples before it, predicts s_i at x_i, that prediction is put in the s
 * token in place of the true s_i, and y_i is read at that token. The s head is read from the
 * teacher-forced pass (its output at x_i sees only true earlier tokens); y_i needs one pass per
 * query, over the first 3 i + 2 tokens (a causal model's output there ignores later tokens).
 * Returns the outputs per head in batch.heads order, [B, nTargets, dim].
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
  for (let i = 0; i < n; i++) {
    const sTok = yHead.positions[i];
    const len = sTok + 1;
    if (sHead.positions[i] !== sTok - 1 || batch.tokenKinds[sTok] !== 1) {
      throw new Error(`chain-of-thought: target ${i} is not read at the s token after its x token`);
    }
    const tokens = new Float32Array(B * len * D);
    for (let b = 0; b < B; b++) {
      tokens.set(batch.tokens.subarray(b * L * D, (b * L + len) * D), b * len * D);
      const at = (b * len + sTok) * D;
      for (let j = 0; j < k; j++) tokens[at + j] = sPred[(b * n + i) * k + j];
    }
    const outs = tf.tidy(() =>
      model.forward(
        tf.tensor3d(tokens, [B, len, D]),
        batch.tokenKinds.subarray(0, len),
        batch.heads.map((_h, hi) => (hi === yIndex ? Int32Array.of(sTok) : Int32Array.of(sTok - 1))),
      ),
    );
    try {
      const y = (await outs[yIndex].data()) as Float32Array;
      for (let b = 0; b < B; b++) yPred[b * n + i] = y[b];
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
