/**
 * The typed protocol between the page and a training worker (src/workers/training/training.worker.ts), one
 * worker per model of an experiment.
 *
 * Commands (comlink calls, each answered by a promise): configure, train, pause, resume, step,
 * reset, setLearningRate, setStepInterval, probe, saveCheckpoint, loadCheckpoint, stats, dispose.
 * Events (worker -> page, through the comlink-proxied callback given to `configure`): metrics,
 * curves, probe, status, checkpoint, diverged, warning, error. Every typed array in an event is
 * transferred (never copied): see `eventTransferables`.
 *
 * The worker validates everything it receives (experiment via src/schema, options and probe prompts
 * via the zod schemas below): a bad command is answered with `{ ok: false, error }`, never thrown.
 */
import { z } from 'zod';
import type { RecallBreakdown } from '../../eval/recall';
import type { IclCurveSet } from '../../eval/types';
import type { LayerProbe, ProbeResult } from '../../models/probes';
import { LIMITS } from '../../schema/limits';

/** The probe results the page draws (defined beside the models that make them). */
export type { AttentionProbe, LayerProbe, MambaProbe, ProbeResult, S4Probe } from '../../models/probes';

import type { MeasureResult } from '../backend-choice';
import { BACKEND_ORDER, type BackendName, type BackendReport } from '../backend-types';
import type { CommandList } from '../commands';
import type { ReloadLoss } from './live-checkpoint';

export type { MeasureRequest, MeasureResult } from '../backend-choice';
export type { ReloadLoss } from './live-checkpoint';
export type { BackendName, BackendReport };

/** Settings of a worker's session (all optional; defaults below). */
export const sessionOptionsSchema = z
  .object({
    /** losses are posted to the page at most this often (ms) */
    metricsIntervalMs: z.number().int().min(20).max(60_000).default(250),
    /** probe results (attention, Delta, ||h_t||, implicit attention) at most this often (ms); 0: off */
    probeIntervalMs: z.number().int().min(0).max(600_000).default(2000),
    /** ICL curves every this many steps (default: the experiment's evaluation.everySteps) */
    evalEverySteps: z.number().int().min(1).max(LIMITS.evaluation.everySteps.max).optional(),
    /** evaluation prompts (default: the experiment's evaluation.prompts) */
    evalPrompts: z.number().int().min(1).max(LIMITS.evaluation.prompts.max).optional(),
    /** a last-good checkpoint every this many steps (kept in the worker and posted to the page) */
    checkpointEverySteps: z.number().int().min(1).max(LIMITS.steps.max).default(250),
    /**
     * losses are read back from the GPU every this many steps (one `await data()`), or after
     * `metricsIntervalMs` when steps are slower than that
     */
    readEvery: z.number().int().min(1).max(1000).default(5),
    /**
     * checkpoints at the read-back when the model is small and they are cheap (live-checkpoint.ts),
     * so that a reload loses at most the steps since the last read-back; false: only the periodic ones
     */
    liveCheckpoints: z.boolean().default(true),
    /** a loss above this multiple of the first losses counts as exploding */
    explodeFactor: z.number().min(2).max(1e12).default(1e4),
    /** backends to try, in order (default webgpu, webgl, wasm, cpu) */
    backends: z.array(z.enum(BACKEND_ORDER)).min(1).max(4).optional(),
    /**
     * threads of the wasm backend (its SIMD + threads build, when the page is cross-origin
     * isolated); 1: the single-threaded SIMD build. The page gives each worker its share of the cores.
     */
    wasmThreads: z.number().int().min(1).max(64).optional(),
    /** compute Mamba's implicit attention in probes (O(L^2 Di N)) */
    implicitAttention: z.boolean().default(true),
  })
  .strict();

/** What the page asks of the device probe (the `measure` command). */
export const measureRequestSchema = z
  .object({
    preference: z.enum(['auto', ...BACKEND_ORDER]).optional(),
    candidates: z.array(z.enum(BACKEND_ORDER)).min(1).max(4).optional(),
    models: z.boolean().optional(),
    wasmThreads: z.number().int().min(1).max(64).optional(),
  })
  .strict();

export type SessionOptions = z.output<typeof sessionOptionsSchema>;
export type SessionOptionsInput = z.input<typeof sessionOptionsSchema>;

/** A probe prompt edited on the page: tokens [1, seqLen, tokenDim] and the read-in kind per token. */
export interface ProbePrompt {
  tokens: Float32Array;
  seqLen: number;
  tokenDim: number;
  /** [seqLen]; zeros when absent */
  tokenKinds?: Uint8Array;
}

export const probePromptSchema = z
  .object({
    tokens: z.instanceof(Float32Array),
    seqLen: z.number().int().min(1).max(4096),
    tokenDim: z.number().int().min(1).max(1024),
    tokenKinds: z.instanceof(Uint8Array).optional(),
  })
  .strict()
  .refine((p) => p.tokens.length === p.seqLen * p.tokenDim, {
    message: 'tokens must hold seqLen x tokenDim numbers',
    path: ['tokens'],
  })
  .refine((p) => !p.tokenKinds || p.tokenKinds.length === p.seqLen, {
    message: 'tokenKinds must hold seqLen entries',
    path: ['tokenKinds'],
  })
  .refine((p) => p.tokens.every(Number.isFinite), { message: 'tokens must be finite', path: ['tokens'] });

export type SessionState =
  /** configured, never trained */
  | 'ready'
  | 'training'
  | 'paused'
  /** stopped by a NaN/Inf or exploding loss; the last good checkpoint is restored */
  | 'diverged'
  /** reached the experiment's step budget */
  | 'done'
  /** the session cannot continue (see the error event) */
  | 'failed';

export interface StatusEvent {
  type: 'status';
  state: SessionState;
  step: number;
  totalSteps: number;
  lr: number;
  stepsPerSecond: number;
  /** seconds to totalSteps at the current speed (null when unknown) */
  etaSeconds: number | null;
  backend: BackendReport | null;
  /** live tensors in the worker (tf.memory().numTensors): constant while training */
  tensors: number;
}

/** Losses of the steps since the last metrics event, in order. */
export interface MetricsEvent {
  type: 'metrics';
  /** [n] step index of each loss (0-based: the batch it trained on) */
  steps: Int32Array;
  /** [n] */
  losses: Float32Array;
  /** [n] global gradient norm before clipping */
  gradNorms: Float32Array;
  /** steps done */
  step: number;
  totalSteps: number;
  lr: number;
  stepsPerSecond: number;
  /**
   * the longest synchronous training step since the last metrics (ms): the worker answers no
   * heartbeat during one, so the page's watchdog waits at least a few of these (0: none measured)
   */
  slowestStepMs?: number;
  etaSeconds: number | null;
  tensors: number;
  /** bytes held by the backend (GPU buffers for webgpu/webgl) */
  bytes: number;
  /** how many steps a reload can lose now (checkpoints at the read-back, or the page's periodic ones) */
  reloadLoss: ReloadLoss;
}

export interface CurvesEvent {
  type: 'curves';
  step: number;
  /** one set per head (heads[0] first), each holding this model's curve on the shared eval prompts */
  sets: IclCurveSet[];
  recall: RecallBreakdown | null;
}

export interface ProbeEvent {
  type: 'probe';
  step: number;
  /** true when the page asked with its own prompt */
  custom: boolean;
  result: ProbeResult;
}

export interface CheckpointBytes {
  /** safetensors: the model's state_dict */
  model: Uint8Array;
  /** safetensors: Adam's moments */
  optimizer?: Uint8Array;
}

export interface CheckpointEvent extends CheckpointBytes {
  type: 'checkpoint';
  step: number;
  /**
   * periodic: the last-good checkpoint of every `checkpointEverySteps` (kept in the worker, shown by
   * the probe scrubber); live: taken at a read-back only so that a reload loses little (stored,
   * replacing the previous one); paused, done: where training stopped
   */
  reason: 'periodic' | 'live' | 'paused' | 'done';
}

export interface DivergedEvent {
  type: 'diverged';
  /** the step whose loss was bad */
  step: number;
  loss: number;
  /** what happened and what to do, for the page's alert */
  message: string;
  lr: number;
  suggestedLr: number;
  /** the model was put back to this step (its last good checkpoint; 0: its initialisation) */
  restoredStep: number;
}

export interface WarningEvent {
  type: 'warning';
  message: string;
}

export interface ErrorEvent {
  type: 'error';
  message: string;
  /** the worker cannot go on (device lost, out of memory): restart it from its last checkpoint */
  fatal: boolean;
}

export type TrainingEvent =
  | StatusEvent
  | MetricsEvent
  | CurvesEvent
  | ProbeEvent
  | CheckpointEvent
  | DivergedEvent
  | WarningEvent
  | ErrorEvent;

export type TrainingEventHandler = (event: TrainingEvent) => void;

export type Result<T = object> = ({ ok: true } & T) | { ok: false; error: string };

export interface ConfigureInfo {
  backend: BackendReport;
  /** true when the worker kept its model (same data stream and architecture; only settings changed) */
  kept: boolean;
  step: number;
  totalSteps: number;
  parameterCount: number;
  arch: string;
}

export interface StepInfo {
  step: number;
  state: SessionState;
}

export interface LoadInfo {
  step: number;
  /** problems that did not stop loading */
  warnings: string[];
}

export interface WorkerStats {
  backend: BackendName | null;
  step: number;
  tensors: number;
  bytes: number;
  state: SessionState | null;
}

/** What a training worker exposes through comlink. No method rejects on bad input. */
export interface TrainingWorkerApi {
  /**
   * Validate the experiment, pick the backend (first call only), build model `modelIndex` from the
   * seed. A second call with the same data stream (task, parameters, curriculum, seed, batch, clip,
   * Adam settings) and the same architecture keeps the trained model and only updates the settings
   * (learning rate, steps, evaluation): `kept: true`. `onEvent` receives every event from now on.
   */
  configure(
    experiment: unknown,
    modelIndex: number,
    options?: unknown,
    onEvent?: TrainingEventHandler,
  ): Promise<Result<ConfigureInfo>>;
  /** Start (or continue) training toward the step budget; resolves once started. */
  train(): Promise<Result<StepInfo>>;
  /** Stop after the step in flight (at most one step); resolves when stopped. */
  pause(): Promise<Result<StepInfo>>;
  /** Continue after a pause (same as train). */
  resume(): Promise<Result<StepInfo>>;
  /** Pause, then train exactly `n` steps (default 1), then post metrics, curves and a probe. */
  step(n?: number): Promise<Result<StepInfo>>;
  /** Stop, then rebuild the model and optimiser from the seed (step 0). */
  reset(): Promise<Result<StepInfo>>;
  /** Takes effect at the next step (Adam's moments are kept). */
  setLearningRate(lr: number): Promise<Result<{ lr: number }>>;
  /**
   * The least time between the starts of two steps (ms; 0: full speed), for watching the curves
   * move. Takes effect at the next step, is kept across configure and reset, and a pause still
   * stops within one step (a wait between steps ends at once).
   */
  setStepInterval(ms: number): Promise<Result<{ ms: number }>>;
  /**
   * Probe the model on its probe prompt or on `prompt` (a page-edited one, validated); also posted
   * as a probe event (`custom: true` for an edited prompt). `step`: the weights' step.
   */
  probe(prompt?: ProbePrompt): Promise<Result<{ result: ProbeResult; step: number }>>;
  /** The model (and Adam's moments) as safetensors bytes. */
  saveCheckpoint(): Promise<Result<CheckpointBytes & { step: number }>>;
  /** Stop, then load a checkpoint (strict: all or nothing); the step counter continues from it. */
  loadCheckpoint(bytes: CheckpointBytes): Promise<Result<LoadInfo>>;
  stats(): Promise<WorkerStats>;
  /**
   * The device probe, in a worker started for it (never configured): a small training step timed on
   * each candidate backend, the choice (src/workers/backend-choice.ts), then one step of each model
   * of `experiment` timed on it (src/workers/training/measure.ts).
   */
  measure(experiment: unknown, request?: unknown): Promise<Result<MeasureResult>>;
  /** Stop and free every tensor (the page terminates the worker afterwards). */
  dispose(): Promise<void>;
}

/**
 * The commands the page's client passes on as they are, each answered with a Result (the others:
 * configure carries the event handler, loadCheckpoint transfers copies, stats and dispose).
 */
export const FORWARDED_COMMANDS = {
  train: true,
  pause: true,
  resume: true,
  step: true,
  reset: true,
  setLearningRate: true,
  setStepInterval: true,
  probe: true,
  saveCheckpoint: true,
  measure: true,
} as const satisfies Partial<CommandList<TrainingWorkerApi>>;

export type ForwardedCommand = keyof typeof FORWARDED_COMMANDS;

/** Every command of TrainingWorkerApi at run time (complete: the type checker says so). */
export const TRAINING_COMMANDS = {
  ...FORWARDED_COMMANDS,
  configure: true,
  loadCheckpoint: true,
  stats: true,
  dispose: true,
} as const satisfies CommandList<TrainingWorkerApi>;

/** The slowest pace a session accepts: one step a minute. */
export const MAX_STEP_INTERVAL_MS = 60_000;

/** The distinct ArrayBuffers behind the typed arrays of an event (for Comlink.transfer). */
export function eventTransferables(event: TrainingEvent): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | null | undefined) => {
    if (a && a.buffer instanceof ArrayBuffer) buffers.add(a.buffer);
  };
  switch (event.type) {
    case 'metrics':
      add(event.steps);
      add(event.losses);
      add(event.gradNorms);
      break;
    case 'curves':
      for (const set of event.sets) {
        for (const c of set.curves) for (const a of [c.examples, c.mean, c.lo, c.hi, c.count]) add(a);
      }
      if (event.recall)
        for (const a of [event.recall.pair, event.recall.accuracy, event.recall.count]) add(a);
      break;
    case 'probe':
      for (const a of probeArrays(event.result)) add(a);
      break;
    case 'checkpoint':
      add(event.model);
      add(event.optimizer);
      break;
  }
  return [...buffers];
}

/** Every typed array of a probe result. */
export function probeArrays(result: ProbeResult): ArrayBufferView[] {
  const out: ArrayBufferView[] = [...result.outputs];
  for (const layer of result.layers) out.push(...layerArrays(layer));
  return out;
}

function layerArrays(layer: LayerProbe): ArrayBufferView[] {
  switch (layer.kind) {
    case 'attention':
      return [layer.weights];
    case 'mamba':
      return [layer.delta, layer.stateNorm, layer.stateNormPerChannel, layer.implicitAttention].filter(
        (a): a is Float32Array => a !== null,
      );
    case 's4':
      return [layer.kernel, layer.implicitAttention];
  }
}

/** Bytes of typed-array payload in an event (what crosses the boundary by transfer). */
export function eventPayloadBytes(event: TrainingEvent): number {
  return eventTransferables(event).reduce((n, b) => n + b.byteLength, 0);
}

/** Turn anything thrown into one readable line. */
export function describeError(error: unknown): string {
  if (error instanceof z.ZodError) {
    return error.issues
      .map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
      .join('; ');
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** A learning rate a step safer than `lr` (a third, rounded to 1, 2 or 5 x 10^k). */
export function saferLearningRate(lr: number): number {
  const target = lr / 3;
  if (!(target > 0) || !Number.isFinite(target)) return 1e-4;
  const p = 10 ** Math.floor(Math.log10(target));
  const m = target / p;
  const nice = m >= 5 ? 5 : m >= 2 ? 2 : 1;
  return Math.max(1e-7, Number((nice * p).toPrecision(1)));
}
