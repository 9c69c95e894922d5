/**
 * The one interface every in-context-learning task implements.
 *
 * A task turns a seeded random stream into a batch of prompts. A batch has two views of the same
 * prompts:
 *  - the model view: a token sequence per prompt, which read-in each token goes through, and the
 *    prediction heads (which token positions are read out, their targets and loss mask);
 *  - the example view (function-learning tasks only): the (x_i, y_i) pairs, for the classical
 *    baselines, which therefore see exactly the prompts the models see.
 *
 * Shapes are row-major; the comment on each field gives its shape.
 */
import type { z } from 'zod';
import type { Rng } from '../random/rng';
import type { TASK_REGISTRY } from './index';
import type { ProbeDraft } from './probe-draft';

/** A task's name: a key of the registry (src/tasks/index.ts). */
export type TaskName = keyof typeof TASK_REGISTRY;

/** How tokens enter the model. */
export type ReadIn =
  /** One Linear(tokenDim -> D) with bias for every token (x and y tokens share it). */
  | { kind: 'linear'; tokenDim: number }
  /** Chain-of-thought: one Linear per token kind (0 = x, 1 = s, 2 = y), each to D. */
  | { kind: 'linear-per-kind'; tokenDims: readonly number[] }
  /** Discrete tokens through an embedding table (tied with the read-out). */
  | { kind: 'embedding'; vocabSize: number };

export type LossKind = 'mse' | 'bce' | 'cross-entropy';

/** A mark of the paper's Table 1: "yes" = learns, "gap" = partial, "fails". */
export type TableMark = 'learns' | 'partial' | 'fails';

/** How a head's predictions are scored per position. */
export type MetricKind =
  /** squared error summed over the head's dims, divided by `normalisation` */
  | 'squared-error'
  /** sign(prediction) == target (targets are +-1) */
  | 'sign-accuracy'
  /** argmax over the vocabulary == target id */
  | 'token-accuracy'
  /** the nearest candidate value (by Euclidean distance) is the target */
  | 'nearest-value-accuracy'
  /**
   * The released code's vector-MQAR metric (Retrieval.classify), kept behind a switch for
   * comparison: the key with the largest inner product with the prediction is the key with the
   * largest inner product with the target value (it compares values with keys; paper.md section 7).
   * Needs `HeadBatch.recall`.
   */
  | 'key-match-accuracy';

/** One read-out: Linear(D -> dim) applied at `positions`, trained with `loss`. */
export interface HeadSpec {
  /** e.g. 'y' (scalar label), 's' (CoT hidden), 'value' (MQAR), 'token' (token MQAR) */
  name: string;
  /** output width of the read-out (the vocabulary size for cross-entropy heads) */
  dim: number;
  loss: LossKind;
  metric: MetricKind;
  /** the error of the task's metric is divided by this (d, k or 1 as in the paper) */
  normalisation: number;
  /**
   * 'mse' only: how the squared error of one target is reduced over the head's dims before the mean
   * over targets. 'mean' (default, Garg et al.'s mean_squared_error) or 'sum' (chain-of-thought's
   * s head, as Li et al.: `.sum(-1).mean()`).
   */
  lossOverDims?: 'mean' | 'sum';
}

export interface HeadBatch {
  spec: HeadSpec;
  /** [nTargets] token index (0-based) of each read-out position, same for every prompt */
  positions: Int32Array;
  /** [batch, nTargets, targetDim]; targetDim = spec.dim, or 1 (class id) for cross-entropy */
  targets: Float32Array;
  targetDim: number;
  /** [batch, nTargets] 1 where the target counts in loss and metric, 0 where masked (outliers) */
  mask: Float32Array;
  /**
   * [nTargets] the number of in-context examples before each target: the x axis of the ICL curve.
   */
  examplesBefore: Int32Array;
  /** Associative-recall heads only: where the pairs are and which pair each target asks for. */
  recall?: RecallTargets;
}

/**
 * The key-value structure behind a recall head (vector and token MQAR). With it an evaluator can
 * score 'nearest-value-accuracy' / 'key-match-accuracy' (candidates are the tokens at
 * `valuePositions` / `keyPositions` of the same prompt) and plot accuracy against the position of
 * the queried pair (`queriedPair`, 0 = the first pair of the prompt, nPairs - 1 = the most recent).
 */
export interface RecallTargets {
  /** number of key-value pairs per prompt */
  nPairs: number;
  /** [nPairs] token index of each key, same for every prompt */
  keyPositions: Int32Array;
  /** [nPairs] token index of each value, same for every prompt */
  valuePositions: Int32Array;
  /** [batch, nTargets] 0-based index of the pair whose value is each target */
  queriedPair: Int32Array;
}

/** (x_i, y_i) pairs of each prompt, in the order they appear in the prompt. */
export interface ExampleView {
  /** number of examples per prompt */
  nPoints: number;
  /** dimension of x */
  dim: number;
  /** [batch, nPoints, dim] */
  xs: Float32Array;
  /** [batch, nPoints] */
  ys: Float32Array;
  /** [batch, nPoints] 1 for a clean example, 0 for an outlier (baselines fit clean ones only) */
  clean: Uint8Array;
}

export interface PromptBatch {
  task: TaskName;
  batchSize: number;
  /** tokens per prompt */
  seqLen: number;
  /** features per token (1 for token-id tasks) */
  tokenDim: number;
  /** [batch, seqLen, tokenDim]; for 'embedding' read-in the token id as a float */
  tokens: Float32Array;
  /** [seqLen] read-in index of each position (0 unless read-in is 'linear-per-kind') */
  tokenKinds: Uint8Array;
  heads: HeadBatch[];
  examples?: ExampleView;
}

/** Curriculum state: how many leading coordinates of x are live, and how many examples. */
export interface CurriculumState {
  dims: number;
  points: number;
}

/** One linear schedule of the curriculum: value(step) = min(end, start + inc * floor(step / interval)). */
export interface Schedule {
  start: number;
  end: number;
  inc: number;
  interval: number;
}

export interface CurriculumSpec {
  dims: Schedule;
  points: Schedule;
}

/** A baseline name, as listed in src/baselines. */
export type BaselineName =
  | 'least-squares'
  | 'ridge'
  | 'lasso'
  | 'knn'
  | 'averaging'
  | 'tree'
  | 'tree-unlimited'
  | 'boosted-trees'
  | 'nn-gd'
  | 'zero';

/**
 * The paper's training of a task (paper.md section 2 and the authors' per-task configs): constant
 * learning rate, steps, global-norm clip (null = none), and the model size. Batch 64 and
 * Adam(0.9, 0.999, 1e-8) everywhere; the curriculum is the task's own `curriculum(params)`.
 */
export interface PaperTraining {
  lr: number;
  steps: number;
  clip: number | null;
  /** model width D */
  dModel: number;
  /**
   * depth in GPT-2 layers (attention + MLP); the other architectures count each attention or
   * Mamba block as a layer, two per GPT-2 layer (Mamba n_layer 4 ~ a 2-layer Transformer)
   */
  gpt2Layers: number;
}

/** The classroom (laptop) sizes of a task: its phenomenon in the fewest steps (docs/PRESETS.md). */
export interface ClassroomSettings<P = Record<string, unknown>> {
  /** task parameters (the rest keep the paper's defaults) */
  params: Partial<P>;
  /** training steps in which the phenomenon shows */
  steps: number;
  lr: number;
  /**
   * prompts per step (default 64). On a GPU a larger batch costs about what 64 costs (the step is
   * bound by dispatches, not arithmetic), and it shortens the Transformer's plateau before it learns
   * in context (bench/results/2026-12-03-run3, docs/TABLE1.md).
   */
  batchSize?: number;
  /** linear learning-rate warm-up over the first steps (default 0: none) */
  warmupSteps?: number;
  /** steps between curriculum increments (the paper: 2000) */
  interval: number;
  /** width D */
  dModel: number;
  /**
   * depth in GPT-2 layers (default 2): the Transformer gets this many, the Mamba family and the
   * hybrids two blocks per layer (paper.md's counting)
   */
  gpt2Layers?: number;
  /** what to look at when the run is done */
  phenomenon: string;
}

/** `N` (optional) narrows `name` to the task's literal name, so a union of tasks discriminates on it. */
export interface TaskDefinition<P, N extends string = TaskName> {
  name: N;
  /** Display name (the option name of the "Task" picker), e.g. "Linear regression". */
  title: string;
  /** One line a student understands. */
  summary: string;
  /**
   * The task's parameters: each field with the paper's value as default, bounds, and a
   * `.meta({ label, description })`: the settings panel's name and explanation of the field.
   * The single source of defaults, limits and texts.
   */
  paramsSchema: z.ZodType<P, Partial<P>>;
  /** Parameter defaults: the paper's values (= paramsSchema.parse({})). */
  defaults: P;
  /** The paper's curriculum for these parameters (fixed tasks have start == end). */
  curriculum(params: P): CurriculumSpec;
  readIn(params: P): ReadIn;
  /** The read-outs; heads[0] is the primary one (its ICL curve is the task's headline plot). */
  heads(params: P): HeadSpec[];
  /** Baselines that apply to this task, in the order they are listed in the paper's plots. */
  baselines: readonly BaselineName[];
  /**
   * The classical method a model's in-context curve is judged against (src/eval/verdict.ts,
   * docs/VERDICTS.md); null: the perfect predictor (0 error, or accuracy 1).
   */
  referenceBaseline: BaselineName | null;
  /** The paper's Table 1 row of the task by architecture name; absent: the paper gives no mark. */
  paperTable1?: Readonly<Partial<Record<string, TableMark>>>;
  /** Level of a trivial predictor on the task's metric (zero predictor ~1 for regression, 0.5 for parity). */
  chanceLevel(params: P): number;
  /**
   * Draw `batchSize` fresh prompts. Same rng state + same arguments => bit-identical batch.
   * `state` is the curriculum state (full size when evaluating).
   */
  sample(rng: Rng, params: P, batchSize: number, state: CurriculumState): PromptBatch;
  /** A picture of prompt `index` of a batch this task sampled (for the gallery and the probe). */
  sketch(batch: PromptBatch, index: number, params: P): PromptSketch;
  /** The paper's training of the task (learning rate, steps, clip, model size). */
  paper: PaperTraining;
  /** The classroom preset's sizes. */
  classroom: ClassroomSettings<P>;
  /**
   * One prompt (batch of 1) drawn with `rng` at curriculum `state`, with its hidden function, as
   * the probe editor's draft (src/tasks/probe-draft.ts has the draft kinds and their builders).
   */
  probeDraft(rng: Rng, params: P, state: CurriculumState): ProbeDraft;
}

/** What the task gallery draws for one prompt: plain data, rendered as SVG by the UI. */
export type PromptSketch =
  /** examples as points: x = a 1-D summary of the input (named by xLabel), y = the label */
  | {
      kind: 'scatter';
      xLabel: string;
      yLabel: string;
      points: Array<{ x: number; y: number; outlier: boolean }>;
      caption: string;
    }
  /** parity-like prompts: each row an input of +-1 bits and its label; `highlight` = hidden subset */
  | { kind: 'bits'; rows: Array<{ bits: number[]; label: number }>; highlight: number[]; caption: string }
  /** recall prompts: key/value vectors (or token ids as 1-vectors), the query, and which pair answers it */
  | {
      kind: 'pairs';
      pairs: Array<{ key: number[]; value: number[] }>;
      query: number[];
      answerIndex: number;
      caption: string;
    };
