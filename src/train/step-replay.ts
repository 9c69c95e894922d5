/**
 * What the trainer asks of a step replayer (implemented on WebGPU by src/kernels/step-replay.ts):
 * run one training step through tfjs, recording the GPU work it enqueues, and once two recorded
 * steps agree, run later steps by enqueueing that same work again with the new step's inputs,
 * without tfjs (no tape, no kernel lookups, no tensors). The numbers are those of the tfjs step:
 * the same programs over the same buffers, in the same order.
 *
 * A step can be replayed only when everything it uploads from the host that changes from step to
 * step is among its declared `inputs` (the batch, the loss denominators, Adam's step scalars);
 * anything else that changes (a seeded dropout, a new shape) makes two recordings differ, and the
 * step keeps running through tfjs. `key` names what the recording depends on besides the inputs
 * (shapes, curriculum state, clipping): a new key records afresh.
 */
import type * as tf from '@tensorflow/tfjs';

export interface ReplayedStep {
  loss: tf.Scalar;
  gradNorm: tf.Scalar;
  /** true: enqueued from the recording; false: ran through tfjs (maybe recorded) */
  replayed: boolean;
}

export interface StepReplayStats {
  /** 'replaying': steps run from a recording; 'recording': waiting for two steps that agree; 'off': given up */
  state: 'recording' | 'replaying' | 'off';
  /** why the replayer is recording again or gave up (empty when replaying) */
  reason: string;
  /** steps run from a recording so far */
  replayed: number;
  /** steps recorded so far */
  recorded: number;
  /** GPU dispatches of one replayed step (0 before a recording agrees) */
  dispatches: number;
  /** queue submits of one replayed step */
  submits: number;
}

export interface StepReplayer {
  /**
   * One training step. `step` runs it through tfjs (it returns the loss and the gradient norm);
   * `mayRecord`: no output of an earlier step is still waiting to be read (a recording needs the
   * buffer pool as it is between steps).
   */
  run(
    key: string,
    inputs: readonly ArrayBufferView[],
    step: () => [tf.Scalar, tf.Scalar],
    mayRecord: boolean,
  ): ReplayedStep;
  /** Forget the recording (weights or optimiser state replaced, settings changed). */
  invalidate(reason: string): void;
  stats(): StepReplayStats;
  dispose(): void;
}

/** An optimiser whose step a replayer can stand in for (src/kernels FusedAdam). */
export interface ReplayableOptimizer {
  /** the host values the next update uploads ([step size, sqrt(1 - beta2^t)]) */
  nextStepScalars(): Float32Array;
  /** count a step that was replayed instead of applied */
  countReplayedStep(): void;
}
