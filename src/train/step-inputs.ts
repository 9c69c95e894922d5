/**
 * What one training step needs besides the model: whether the optimiser clips (and can be stood in
 * for by a step replayer), the host arrays it uploads that change from step to step, and the key of
 * everything else a recorded step depends on (src/train/step-replay.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import type { CurriculumState, PromptBatch } from '../tasks/types';
import type { Adam } from './adam';
import { headDenominator } from './losses';
import type { ReplayableOptimizer } from './step-replay';

/** An Adam that clips and updates in one call (src/kernels FusedAdam). */
export type ClippingAdam = Adam & {
  applyClipped(
    params: ReadonlyMap<string, tf.Variable>,
    grads: ReadonlyMap<string, tf.Tensor>,
    maxNorm: number | null,
  ): tf.Scalar;
};

export function canClip(adam: Adam): adam is ClippingAdam {
  return typeof (adam as Partial<ClippingAdam>).applyClipped === 'function';
}

export function canReplay(adam: Adam): adam is ClippingAdam & ReplayableOptimizer {
  const r = adam as Partial<ReplayableOptimizer>;
  return (
    canClip(adam) && typeof r.nextStepScalars === 'function' && typeof r.countReplayedStep === 'function'
  );
}

/**
 * Every host array a training step uploads that may change from step to step, in a fixed order:
 * the tokens, then per head its targets, mask and loss denominator (`denoms`, which the step's
 * loss must upload), then the optimiser's step scalars: what a step replayer writes before
 * enqueueing a recorded step. It recognises each upload by the array itself, not its bytes.
 */
export function stepInputs(
  batch: PromptBatch,
  optimizerScalars: Float32Array,
): { inputs: ArrayBufferView[]; denoms: Float32Array[] } {
  const inputs: ArrayBufferView[] = [batch.tokens];
  const denoms = batch.heads.map(headDenominator);
  batch.heads.forEach((h, i) => {
    inputs.push(h.targets, h.mask, denoms[i]);
  });
  inputs.push(optimizerScalars);
  return { inputs, denoms };
}

/** What a recorded step depends on besides its inputs: shapes, curriculum state, clipping. */
export function replayKey(batch: PromptBatch, curriculum: CurriculumState, clip: number | null): string {
  const heads = batch.heads.map((h) => `${h.positions.join(',')}/${h.targetDim}`).join(';');
  return [
    batch.batchSize,
    batch.seqLen,
    batch.tokenDim,
    Array.from(batch.tokenKinds).join(''),
    heads,
    `${curriculum.dims}x${curriculum.points}`,
    clip ?? 'none',
  ].join('|');
}
