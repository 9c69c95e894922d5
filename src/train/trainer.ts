/**
 * Training one model of an experiment (paper.md sections 1-2): a fresh seeded batch every step
 * (`trainingBatch(seed, step)`, the same stream for every model of the experiment), masked losses
 * summed over the heads, global-norm clipping, Adam as PyTorch.
 *
 * Platform neutral (browser worker or Node). WebGPU-safe (webgpu.md): `step()` is synchronous and
 * reads nothing back; losses are kept as scalar tensors and read back together, every `readEvery`
 * steps, with one `await data()` (see `flush()` and `train()`). Nothing is ever read synchronously.
 *
 * Ownership: the trainer owns the model, the optimiser moments and the pending loss tensors;
 * `dispose()` frees them all. The tensor count is constant from step to step once the optimiser
 * moments exist (after the first step) and the pending losses are flushed.
 */
import * as tf from '@tensorflow/tfjs';
import type { IclCurveSet } from '../eval/types';
import { type BuildOptions, buildModel, type SequenceModel } from '../models/model';
import type { ProbeOptions, ProbeResult } from '../models/probes';
import { ARCHITECTURE_TITLES, type ModelSpec } from '../schema/architecture';
import type { Experiment } from '../schema/experiment';
import type { GenericTask } from '../tasks';
import { curriculumAt } from '../tasks/common';
import { probeBatch, trainingBatch } from '../tasks/stream';
import type { CurriculumState, PromptBatch } from '../tasks/types';
import { Adam, type AdamSettings, clipByGlobalNorm } from './adam';
import type { BatchSource } from './batch-source';
import { type ModelPredictions, predictEvaluation, scoreEvaluation } from './evaluate';
import { batchLoss, headTargets, type LossKernels } from './losses';
import { findTask, planModel } from './model-plan';
import { canClip, canReplay, replayKey, stepInputs } from './step-inputs';
import type { StepReplayer, StepReplayStats } from './step-replay';

export interface TrainerOptions extends BuildOptions {
  /** read the losses back every this many steps in `train()` (default 10) */
  readEvery?: number;
  /**
   * Rows of the learned position embedding (Transformer, standard hybrid), at least the longest
   * prompt (the default). The authors' configs use n_positions = 101: 202 rows for GPT-2 and 101
   * for the hybrid (see `paperPositionRows`), which a checkpoint must match to load in PyTorch.
   */
  positionRows?: number;
  /**
   * The optimiser (default: `new Adam(settings)`). A subclass with `applyClipped(params, grads,
   * maxNorm) -> gradNorm` (src/kernels FusedAdam) clips and updates in fused kernels.
   */
  optimizer?: (settings: AdamSettings) => Adam;
  /**
   * Replays recorded training steps on the GPU without tfjs (src/kernels `createStepReplay`); used
   * only with an optimiser that supports it (FusedAdam). Without it every step runs through tfjs.
   */
  stepReplay?: () => StepReplayer | null;
  /**
   * Batches made ahead in another thread (src/train/batch-source.ts); the trainer makes any batch
   * not ready itself. Without it every batch is made on the trainer's thread.
   */
  batchSource?: (experiment: Experiment) => BatchSource | null;
}

/** One recorded training step. */
export interface LossRecord {
  /** 0-based step index (the batch of `trainingBatch(seed, step)`) */
  step: number;
  loss: number;
  /** global gradient norm before clipping */
  gradNorm: number;
}

export interface Divergence {
  step: number;
  loss: number;
  message: string;
}

export interface TrainerState {
  /** steps done (the next step trains on batch `step`) */
  step: number;
  /** the experiment's step budget */
  totalSteps: number;
  lr: number;
  curriculum: CurriculumState;
  /** every step read back so far, in order */
  history: readonly LossRecord[];
  /** set when a non-finite loss was read back; `train()` stops there */
  diverged: Divergence | null;
  /** steps per second over the last `train()` call (0 before) */
  stepsPerSecond: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  /** mean loss over the steps read back this time */
  loss: number;
  stepsPerSecond: number;
  /** seconds left to totalSteps at the current speed (Infinity before it is known) */
  etaSeconds: number;
}

export interface TrainOptions {
  readEvery?: number;
  onProgress?: (p: TrainProgress) => void;
  /** checked after every readback; true stops the loop (pause) */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  steps: number;
  reason: 'done' | 'diverged' | 'stopped';
}

export interface EvaluateOptions {
  /** evaluation prompts (default: the experiment's evaluation.prompts) */
  prompts?: number;
  /** bootstrap resamples (default: the experiment's evaluation.bootstrap) */
  bootstrap?: number;
}

export { findTask, stepInputs };

/** Key and legend of a model's curves, e.g. 'model:0:mamba' / 'Mamba'. */
export function modelCurveKey(index: number, spec: ModelSpec): string {
  return `model:${index}:${spec.arch}`;
}

export class Trainer {
  readonly experiment: Experiment;
  readonly modelIndex: number;
  readonly modelSpec: ModelSpec;
  readonly model: SequenceModel;
  readonly task: GenericTask;
  readonly optimizer: Adam;
  /** the fused loss, when the model was built with the fused kernels */
  private readonly lossKernels: LossKernels | undefined;
  /** the learning rate after warm-up; the optimizer's rate is this times `warmupFactor` */
  private baseLr: number;
  /** tokens of the longest prompt (the end of the curriculum) */
  readonly maxSeqLen: number;
  /** rows of the learned position embedding (when the model has one) */
  readonly positionRows: number;
  private readonly varNames = new Map<string, string>();
  private pending: Array<{ step: number; loss: tf.Scalar; gradNorm: tf.Scalar }> = [];
  private readonly records: LossRecord[] = [];
  private stepIndex = 0;
  /** replays recorded steps on the GPU (null: every step through tfjs) */
  private readonly replay: StepReplayer | null;
  /** batches made ahead (null: made here) */
  private readonly batches: BatchSource | null;
  private divergence: Divergence | null = null;
  private speed = 0;
  private disposed = false;
  readonly readEvery: number;

  /**
   * `model`: the index into `experiment.models`, or a model spec of its own (index -1).
   * The model is initialised from the experiment's seed; every model sees the same data stream.
   */
  constructor(experiment: Experiment, model: number | ModelSpec = 0, options: TrainerOptions = {}) {
    this.experiment = experiment;
    const plan = planModel(experiment, model, options.positionRows);
    this.modelIndex = plan.modelIndex;
    this.modelSpec = plan.modelSpec;
    this.task = plan.task;
    this.maxSeqLen = plan.maxSeqLen;
    this.positionRows = plan.positionRows;
    this.model = buildModel(plan.config, plan.readIn, plan.heads, experiment.seed, {
      ...(options.selectiveScan ? { selectiveScan: options.selectiveScan } : {}),
      ...(options.kernels ? { kernels: options.kernels } : {}),
    });
    for (const [name, v] of this.model.variables) this.varNames.set(v.name, name);
    this.lossKernels = options.kernels;
    const settings: AdamSettings = {
      lr: experiment.optimizer.lr,
      beta1: experiment.optimizer.beta1,
      beta2: experiment.optimizer.beta2,
      eps: experiment.optimizer.eps,
    };
    this.baseLr = settings.lr;
    settings.lr *= warmupFactor(0, experiment.optimizer.warmupSteps);
    this.optimizer = options.optimizer ? options.optimizer(settings) : new Adam(settings);
    this.readEvery = Math.max(1, options.readEvery ?? 10);
    this.replay = canReplay(this.optimizer) ? (options.stepReplay?.() ?? null) : null;
    this.batches = options.batchSource?.(experiment) ?? null;
  }

  /** How the batches made ahead are doing (null: none are). */
  batchStats(): ReturnType<BatchSource['stats']> | null {
    return this.batches?.stats() ?? null;
  }

  /** How the GPU step replay is doing (null: no replayer). */
  replayStats(): StepReplayStats | null {
    return this.replay?.stats() ?? null;
  }

  /** Forget a recorded step (weights, moments or step count were replaced from outside). */
  invalidateReplay(reason: string): void {
    this.replay?.invalidate(reason);
  }

  /** Steps done. */
  get stepCount(): number {
    return this.stepIndex;
  }

  /** The learning rate after warm-up (the experiment's, or the last `setLearningRate`). */
  get learningRate(): number {
    return this.baseLr;
  }

  /**
   * Change the learning rate from the next step on (moments and step count are kept). During the
   * experiment's warm-up the step's rate is this one scaled by `warmupFactor`.
   */
  setLearningRate(lr: number): void {
    this.baseLr = lr;
    this.optimizer.learningRate = lr * warmupFactor(this.stepIndex, this.experiment.optimizer.warmupSteps);
  }

  get diverged(): Divergence | null {
    return this.divergence;
  }

  private alive(): void {
    if (this.disposed) throw new Error('trainer was disposed');
  }

  /** The training batch of step `step` (default: the next one). */
  batchAt(step = this.stepIndex): PromptBatch {
    const e = this.experiment;
    return trainingBatch(this.task, e.task.params as never, e.curriculum, e.seed, step, e.batchSize);
  }

  /**
   * One training step, synchronous and without readback: batch `stepCount`, forward, masked
   * losses, gradients, clip, Adam. Returns the loss and the gradient norm as scalar tensors that
   * stay owned by the trainer until the next `flush()` (read them with `await t.data()` before).
   */
  step(): { step: number; loss: tf.Scalar; gradNorm: tf.Scalar } {
    this.alive();
    const step = this.stepIndex;
    // the next read-backs' batches are made while these steps run (whoever drives the steps)
    if (step % this.readEvery === 0) this.batches?.ahead(step, 4 * this.readEvery);
    const batch = this.batches?.take(step) ?? this.batchAt(step);
    const warmup = this.experiment.optimizer.warmupSteps;
    if (warmup > 0) this.optimizer.learningRate = this.baseLr * warmupFactor(step, warmup);
    const clip = this.experiment.clip ?? null;
    const optimizer = this.optimizer;
    let loss: tf.Scalar;
    let gradNorm: tf.Scalar;
    if (this.replay && canReplay(optimizer)) {
      const key = replayKey(batch, curriculumAt(this.experiment.curriculum, step), clip);
      const { inputs, denoms } = stepInputs(batch, optimizer.nextStepScalars());
      const r = this.replay.run(
        key,
        inputs,
        () => this.tfjsStep(batch, step, clip, denoms),
        this.pending.length === 0,
      );
      if (r.replayed) optimizer.countReplayedStep();
      loss = r.loss;
      gradNorm = r.gradNorm;
    } else {
      [loss, gradNorm] = this.tfjsStep(batch, step, clip);
    }
    this.stepIndex += 1;
    this.pending.push({ step, loss, gradNorm });
    return { step, loss, gradNorm };
  }

  /** One step through tfjs: forward, losses, gradients, clip, Adam. */
  private tfjsStep(
    batch: PromptBatch,
    step: number,
    clip: number | null,
    denoms?: readonly Float32Array[],
  ): [tf.Scalar, tf.Scalar] {
    return tf.tidy(() => {
      const tokens = tf.tensor3d(batch.tokens, [batch.batchSize, batch.seqLen, batch.tokenDim]);
      const targets = batch.heads.map((h, i) => headTargets(h, batch.batchSize, denoms?.[i]));
      const positions = batch.heads.map((h) => h.positions);
      const vars = [...this.model.variables.values()];
      const { value, grads } = tf.variableGrads(
        () =>
          batchLoss(
            this.model.forward(tokens, batch.tokenKinds, positions, {
              training: { seed: this.experiment.seed, step },
            }),
            targets,
            this.lossKernels,
            // the sum is what is differentiated here: each loss's upstream gradient is 1
            true,
          ),
        vars,
      );
      const byName = new Map<string, tf.Tensor>();
      for (const [varName, g] of Object.entries(grads)) {
        const name = this.varNames.get(varName);
        if (name) byName.set(name, g);
      }
      const optimizer = this.optimizer;
      if (canClip(optimizer)) {
        const norm = optimizer.applyClipped(this.model.variables, byName, clip);
        return [value, norm] as [tf.Scalar, tf.Scalar];
      }
      const names = [...byName.keys()];
      const clipped = clipByGlobalNorm(
        names.map((n) => byName.get(n)!),
        clip,
      );
      optimizer.apply(this.model.variables, new Map(names.map((n, i) => [n, clipped.grads[i]])));
      return [value, clipped.norm] as [tf.Scalar, tf.Scalar];
    });
  }

  /**
   * Read the pending losses back (one `await data()`), append them to the history and free them.
   * Returns the records read. A non-finite loss sets `diverged`.
   */
  async flush(): Promise<LossRecord[]> {
    if (this.pending.length === 0) return [];
    const pending = this.pending;
    this.pending = [];
    const stacked = tf.tidy(() => tf.stack(pending.flatMap((p) => [p.loss, p.gradNorm])));
    for (const p of pending) {
      p.loss.dispose();
      p.gradNorm.dispose();
    }
    let values: Float32Array;
    try {
      values = (await stacked.data()) as Float32Array;
    } finally {
      stacked.dispose();
    }
    const out: LossRecord[] = pending.map((p, i) => ({
      step: p.step,
      loss: values[2 * i],
      gradNorm: values[2 * i + 1],
    }));
    for (const r of out) {
      this.records.push(r);
      if (!Number.isFinite(r.loss) && this.divergence === null) {
        this.divergence = {
          step: r.step,
          loss: r.loss,
          message:
            `the loss became ${r.loss} at step ${r.step}: training diverged. ` +
            `Try a lower learning rate (now ${this.learningRate}) or gradient clipping.`,
        };
      }
    }
    return out;
  }

  /**
   * Train `n` steps (default: up to the experiment's step budget), reading the losses back every
   * `readEvery` steps and yielding to the event loop there (so a worker can take a pause message).
   * Stops early on divergence or when `shouldStop()` says so.
   */
  async train(n = this.experiment.steps - this.stepIndex, options: TrainOptions = {}): Promise<TrainResult> {
    this.alive();
    const readEvery = Math.max(1, options.readEvery ?? this.readEvery);
    const target = this.stepIndex + Math.max(0, n);
    const start = now();
    const firstStep = this.stepIndex;
    let reason: TrainResult['reason'] = 'done';
    if (this.divergence) return { steps: 0, reason: 'diverged' };
    while (this.stepIndex < target) {
      const chunk = Math.min(readEvery, target - this.stepIndex);
      for (let i = 0; i < chunk; i++) this.step();
      const records = await this.flush();
      const elapsed = (now() - start) / 1000;
      this.speed = elapsed > 0 ? (this.stepIndex - firstStep) / elapsed : 0;
      if (options.onProgress && records.length) {
        const mean = records.reduce((a, r) => a + r.loss, 0) / records.length;
        const left = this.experiment.steps - this.stepIndex;
        options.onProgress({
          step: this.stepIndex,
          totalSteps: this.experiment.steps,
          loss: mean,
          stepsPerSecond: this.speed,
          etaSeconds: this.speed > 0 ? Math.max(0, left) / this.speed : Number.POSITIVE_INFINITY,
        });
      }
      if (this.divergence) {
        reason = 'diverged';
        break;
      }
      if (options.shouldStop?.()) {
        reason = 'stopped';
        break;
      }
      await yieldToEventLoop();
    }
    return { steps: this.stepIndex - firstStep, reason };
  }

  /** Step count, learning rate, curriculum, loss history, divergence, speed. */
  state(): TrainerState {
    return {
      step: this.stepIndex,
      totalSteps: this.experiment.steps,
      lr: this.learningRate,
      curriculum: curriculumAt(this.experiment.curriculum, this.stepIndex),
      history: this.records,
      diverged: this.divergence,
      stepsPerSecond: this.speed,
    };
  }

  /** Predictions on the shared evaluation prompts (the prompts the baselines are scored on). */
  async predict(options: EvaluateOptions = {}): Promise<ModelPredictions> {
    this.alive();
    const e = this.experiment;
    return predictEvaluation(this.model, this.task, e.task.params as never, e.curriculum, {
      seed: e.seed,
      prompts: options.prompts ?? e.evaluation.prompts,
    });
  }

  /**
   * The ICL curves of this model: one curve set per head (heads[0] first, the task's headline),
   * each with a single curve keyed `model:<index>:<arch>`, on the shared evaluation prompts.
   */
  async evaluate(options: EvaluateOptions = {}): Promise<IclCurveSet[]> {
    const predictions = await this.predict(options);
    const e = this.experiment;
    return scoreEvaluation(predictions, {
      key: modelCurveKey(this.modelIndex, this.modelSpec),
      label: modelLabel(this.modelSpec),
      seed: e.seed,
      bootstrap: options.bootstrap ?? e.evaluation.bootstrap,
    });
  }

  /**
   * Attention maps per layer and head, Mamba Delta, ||h_t|| and implicit attention, S4 kernels on
   * one prompt (default: the experiment's probe prompt, `probeBatch(seed)`).
   */
  async probe(prompt?: PromptBatch, options: ProbeOptions = {}): Promise<ProbeResult> {
    this.alive();
    const e = this.experiment;
    const batch = prompt ?? probeBatch(this.task, e.task.params as never, e.curriculum, e.seed);
    const tokens = tf.tensor3d(batch.tokens, [batch.batchSize, batch.seqLen, batch.tokenDim]);
    try {
      return await this.model.probe(tokens, batch.tokenKinds, options);
    } finally {
      tokens.dispose();
    }
  }

  /** Restore the step counter and history (used when loading a checkpoint). */
  restoreProgress(step: number, history: readonly LossRecord[] = []): void {
    this.replay?.invalidate('progress restored from a checkpoint');
    this.stepIndex = step;
    this.records.length = 0;
    this.records.push(...history);
    this.divergence = null;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.pending) {
      p.loss.dispose();
      p.gradNorm.dispose();
    }
    this.pending = [];
    this.replay?.dispose();
    this.batches?.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

export function modelLabel(spec: ModelSpec): string {
  return ARCHITECTURE_TITLES[spec.arch] ?? spec.arch;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Linear learning-rate warm-up: step s (0-based) of a warm-up over `warmupSteps` steps runs at
 * (s + 1) / warmupSteps of the rate, from step `warmupSteps - 1` on at the full rate.
 */
export function warmupFactor(step: number, warmupSteps: number): number {
  if (warmupSteps <= 0) return 1;
  return Math.min(1, (step + 1) / warmupSteps);
}
