/**
 * A model on the shared evaluation prompts (src/tasks/stream.ts `evaluationBatches`, the prompts
 * the baselines are scored on): predictions per head, then the ICL curve per head.
 *
 * Prediction runs chunk by chunk (EVAL_CHUNK prompts, fixed shapes) and reads each chunk back with
 * `await data()`; scoring is src/eval's (scoreHead, CurveAccumulator), exactly as the baselines'.
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
