/**
 * What a training worker does, free of worker plumbing (so it runs under vitest on the cpu backend):
 * one model of an experiment, trained step by step with the controls of the page.
 *
 * The loop (`run`) takes one synchronous `Trainer.step()`, then yields to the event loop, so a
 * pause, a learning-rate change or a probe request is handled before the next step. Losses are read
 * back every `readEvery` steps with one `await data()` (never synchronously), buffered, and posted
 * at most every `metricsIntervalMs` as transferable typed arrays; ICL curves every `evalEverySteps`
 * steps; probes every `probeIntervalMs`; a last-good checkpoint every `checkpointEverySteps`; and,
 * while the model is small and it is cheap, a checkpoint with the read-backs it posts, for the page
 * to store at once (live-checkpoint.ts: a reload loses at most the steps since the last one shown).
 *
 * Commands that touch the model while the loop runs (probe, saveCheckpoint) hold the loop at its
 * next step boundary (`exclusive`), so they never see a model half way through an update.
 * Commands that replace or reload the model (configure, reset, loadCheckpoint, dispose) stop the
 * loop first.
 */
import * as tf from '@tensorflow/tfjs';
import { recallBreakdown } from '../../eval/recall';
import type { ProbeResult } from '../../models/probes';
import { type Experiment, parseExperiment } from '../../schema/experiment';
import type { PromptBatch } from '../../tasks/types';
import { describeLoadReport, loadCheckpoint, saveCheckpoint } from '../../train/checkpoint';
import { scoreEvaluation } from '../../train/evaluate';
import {
  type LossRecord,
  modelCurveKey,
  modelLabel,
  Trainer,
  type TrainerOptions,
} from '../../train/trainer';
import type { MeasureRequest, MeasureResult } from '../backend-choice';
import type { BackendName, BackendReport } from '../backend-types';
import { MAX_HOLD_MS } from '../page-hold';
import { LiveCheckpoints } from './live-checkpoint';
import {
  type CheckpointBytes,
  type ConfigureInfo,
  describeError,
  eventTransferables,
  type LoadInfo,
  MAX_STEP_INTERVAL_MS,
  type MetricsEvent,
  measureRequestSchema,
  type ProbePrompt,
  probeArrays,
  probePromptSchema,
  type Result,
  type SessionOptions,
  type SessionState,
  type StepInfo,
  saferLearningRate,
  sessionOptionsSchema,
  type TrainingEvent,
  type TrainingEventHandler,
  type TrainingWorkerApi,
  type WorkerStats,
} from './protocol';
import { canKeepModel } from './reconfigure';

export interface SessionDeps {
  pickBackend(order?: readonly BackendName[], hints?: { wasmThreads?: number }): Promise<BackendReport>;
  /** Comlink.transfer in the worker; identity in tests */
  transfer<T>(value: T, transferables: Transferable[]): T;
  now(): number;
  /** give the event loop a turn (a macrotask, so queued messages are handled) */
  yieldToEvents(): Promise<void>;
  /** wait about `ms` (the pace between steps); setTimeout when absent */
  sleep?(ms: number): Promise<void>;
  /** extra options for every Trainer built (e.g. fused kernels for the chosen backend) */
  trainerOptions?: (backend: BackendReport | null) => TrainerOptions;
  /** the device probe (measure.ts), in a worker started for it */
  measure?(experiment: Experiment, request: MeasureRequest): Promise<MeasureResult>;
}

/** A macrotask without setTimeout's clamping: a message to ourselves. */
export function messageChannelYield(): () => Promise<void> {
  if (typeof MessageChannel === 'undefined') return () => new Promise((r) => setTimeout(r, 0));
  const channel = new MessageChannel();
  const waiting: Array<() => void> = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(0);
    });
}

interface Snapshot extends CheckpointBytes {
  step: number;
}

/** Steps per second over the readbacks of the last few seconds. */
class SpeedMeter {
  private samples: Array<{ t: number; step: number }> = [];
  constructor(private readonly windowMs = 3000) {}
  reset(): void {
    this.samples = [];
  }
  add(t: number, step: number): void {
    this.samples.push({ t, step });
    while (this.samples.length > 2 && t - this.samples[1].t > this.windowMs) this.samples.shift();
  }
  get value(): number {
    if (this.samples.length < 2) return 0;
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    return b.t > a.t ? ((b.step - a.step) * 1000) / (b.t - a.t) : 0;
  }
}

/** An array that owns its whole buffer (a transfer moves the whole buffer, not just the view). */
function own<T extends Float32Array | Float64Array | Int32Array | Uint8Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

/** A probe result whose typed arrays own their buffers (so they can be transferred). */
export function ownProbe(result: ProbeResult): ProbeResult {
  return {
    ...result,
    outputs: result.outputs.map(own),
    layers: result.layers.map((l) => {
      switch (l.kind) {
        case 'attention':
          return { ...l, weights: own(l.weights) };
        case 'mamba':
          return {
            ...l,
            delta: own(l.delta),
            stateNorm: own(l.stateNorm),
            stateNormPerChannel: own(l.stateNormPerChannel),
            implicitAttention: l.implicitAttention ? own(l.implicitAttention) : null,
          };
        default:
          return { ...l, kernel: own(l.kernel), implicitAttention: own(l.implicitAttention) };
      }
    }),
  };
}

/**
 * A page-edited probe prompt (untrusted) as a batch of one for `trainer`: validated by the schema,
 * the task's token width and the longest prompt the model was built for.
 */
export function probePromptBatch(prompt: unknown, trainer: Trainer): Result<{ batch: PromptBatch }> {
  const parsed = probePromptSchema.safeParse(prompt);
  if (!parsed.success) return { ok: false, error: `Bad probe prompt: ${describeError(parsed.error)}` };
  const p = parsed.data;
  const expectedDim = trainer.batchAt(0).tokenDim;
  if (p.tokenDim !== expectedDim) {
    return {
      ok: false,
      error: `Bad probe prompt: tokens of ${p.tokenDim} numbers, the task has ${expectedDim}`,
    };
  }
  if (p.seqLen > trainer.maxSeqLen) {
    return { ok: false, error: `Bad probe prompt: ${p.seqLen} tokens, at most ${trainer.maxSeqLen}` };
  }
  const batch: PromptBatch = {
    task: trainer.experiment.task.name,
    batchSize: 1,
    seqLen: p.seqLen,
    tokenDim: p.tokenDim,
    tokens: p.tokens,
    tokenKinds: p.tokenKinds ?? new Uint8Array(p.seqLen),
    heads: [],
  };
  return { ok: true, batch };
}

const LOSS_SCALE_STEPS = 10;

export class TrainingSession implements TrainingWorkerApi {
  private readonly deps: SessionDeps;
  private backendPromise: Promise<BackendReport> | null = null;
  private backend: BackendReport | null = null;
  private onEvent: TrainingEventHandler | null = null;
  private experiment: Experiment | null = null;
  private modelIndex = 0;
  private options: SessionOptions = sessionOptionsSchema.parse({});
  private trainer: Trainer | null = null;
  private state: SessionState = 'ready';
  private loop: Promise<void> | null = null;
  private stopRequested = false;
  private gate: Promise<void> | null = null;
  private unsent: LossRecord[] = [];
  private lastMetricsAt = Number.NEGATIVE_INFINITY;
  /** the longest synchronous step since the last metrics (ms) */
  private slowestStepMs = 0;
  private lastReadAt = Number.NEGATIVE_INFINITY;
  private lastProbeAt = Number.NEGATIVE_INFINITY;
  private lastEvalStep = -1;
  private lastGood: Snapshot | null = null;
  private live: LiveCheckpoints | null = null;
  private lossScaleSamples: number[] = [];
  private readonly speed = new SpeedMeter();
  private disposed = false;
  /** least time between the starts of two steps (ms; 0: full speed) */
  private stepIntervalMs = 0;
  /** ends the wait between two steps early (a stop request, a new pace, a hold's release) */
  private wakeWait: (() => void) | null = null;
  /** no new step before this time (deps.now's clock): the page redraws (hold; 0 when none) */
  private holdUntil = 0;

  constructor(deps: SessionDeps) {
    this.deps = deps;
  }

  // ---------------------------------------------------------------------------- events

  private emit(event: TrainingEvent): void {
    const handler = this.onEvent;
    if (!handler || this.disposed) return;
    try {
      const r = handler(this.deps.transfer(event, eventTransferables(event))) as unknown;
      // a comlink proxy answers with a promise: a page that went away must not stop training
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(() => {});
    } catch {
      // the page side is gone; nothing to tell
    }
  }

  private get totalSteps(): number {
    return this.experiment?.steps ?? 0;
  }

  private eta(): number | null {
    const v = this.speed.value;
    if (!this.trainer || v <= 0) return null;
    return Math.max(0, this.totalSteps - this.trainer.stepCount) / v;
  }

  private memory(): { tensors: number; bytes: number } {
    const m = tf.memory();
    return { tensors: m.numTensors, bytes: m.numBytes };
  }

  private emitStatus(): void {
    const t = this.trainer;
    this.emit({
      type: 'status',
      state: this.state,
      step: t?.stepCount ?? 0,
      totalSteps: this.totalSteps,
      lr: t?.learningRate ?? this.experiment?.optimizer.lr ?? 0,
      stepsPerSecond: this.state === 'training' ? this.speed.value : 0,
      etaSeconds: this.state === 'training' ? this.eta() : null,
      backend: this.backend,
      tensors: this.memory().tensors,
    });
  }

  private setState(state: SessionState): void {
    this.state = state;
    this.emitStatus();
  }

  private postMetrics(): void {
    const t = this.trainer;
    if (!t || this.unsent.length === 0) return;
    const records = this.unsent;
    this.unsent = [];
    const n = records.length;
    const steps = new Int32Array(n);
    const losses = new Float32Array(n);
    const gradNorms = new Float32Array(n);
    records.forEach((r, i) => {
      steps[i] = r.step;
      losses[i] = r.loss;
      gradNorms[i] = r.gradNorm;
    });
    const m = this.memory();
    this.lastMetricsAt = this.deps.now();
    const slowest = this.slowestStepMs;
    this.slowestStepMs = 0;
    this.emit({
      type: 'metrics',
      steps,
      losses,
      gradNorms,
      step: t.stepCount,
      totalSteps: this.totalSteps,
      lr: t.learningRate,
      stepsPerSecond: this.speed.value,
      slowestStepMs: slowest,
      etaSeconds: this.eta(),
      tensors: m.tensors,
      bytes: m.bytes,
      reloadLoss: this.reloadLoss(),
    });
  }

  private reloadLoss(): MetricsEvent['reloadLoss'] {
    return this.live?.reloadLoss(this.speed.value) ?? { steps: 0, cadence: 'periodic' };
  }

  // ---------------------------------------------------------------------------- building

  private ensureBackend(): Promise<BackendReport> {
    if (!this.backendPromise) {
      this.backendPromise = this.deps
        .pickBackend(this.options.backends, { wasmThreads: this.options.wasmThreads })
        .then((report) => {
          this.backend = report;
          return report;
        });
      // a failed selection may be retried by the next configure
      this.backendPromise.catch(() => {
        this.backendPromise = null;
      });
    }
    return this.backendPromise;
  }

  private build(experiment: Experiment, modelIndex: number): Trainer {
    const extra = this.deps.trainerOptions?.(this.backend) ?? {};
    const trainer = new Trainer(experiment, modelIndex, { ...extra, readEvery: this.options.readEvery });
    this.live = new LiveCheckpoints(
      trainer.model.parameterCount,
      this.options.liveCheckpoints,
      this.options.readEvery,
    );
    this.lossScaleSamples = [];
    this.lastGood = null;
    this.unsent = [];
    this.lastEvalStep = -1;
    this.speed.reset();
    return trainer;
  }

  private label(): string {
    return this.trainer ? modelLabel(this.trainer.modelSpec) : 'the model';
  }

  // ---------------------------------------------------------------------------- the loop

  /** Hold the loop at its next step boundary while `fn` runs. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    let release!: () => void;
    this.gate = new Promise<void>((r) => {
      release = r;
    });
    try {
      return await fn();
    } finally {
      this.gate = null;
      release();
    }
  }

  /** Read pending losses back; returns the first bad record (NaN, Inf, exploding), if any. */
  private async readBack(): Promise<LossRecord | null> {
    const t = this.trainer;
    if (!t) return null;
    const records = await t.flush();
    this.lastReadAt = this.deps.now();
    if (records.length === 0) return null;
    this.speed.add(this.deps.now(), t.stepCount);
    for (const r of records) {
      const bad = this.isBad(r);
      this.unsent.push(r);
      if (bad) return r;
    }
    return null;
  }

  private isBad(r: LossRecord): boolean {
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) return true;
    if (this.lossScaleSamples.length < LOSS_SCALE_STEPS) {
      this.lossScaleSamples.push(Math.abs(r.loss));
      return false;
    }
    const scale = this.lossScaleSamples.reduce((a, b) => a + b, 0) / this.lossScaleSamples.length;
    return Math.abs(r.loss) > this.options.explodeFactor * Math.max(scale, 1e-2);
  }

  private sleep(ms: number): Promise<void> {
    return this.deps.sleep ? this.deps.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  /**
   * Wait until `stepIntervalMs` has passed since `since` (the start of the previous step). A stop
   * request or a new pace ends the wait at once; the pace is read again after every wake-up.
   */
  private async pace(since: number): Promise<void> {
    for (;;) {
      const left = since + this.stepIntervalMs - this.deps.now();
      if (left <= 0 || this.stopRequested || this.disposed) return;
      await new Promise<void>((resolve) => {
        this.wakeWait = resolve;
        void this.sleep(left).then(resolve);
      });
      this.wakeWait = null;
    }
  }

  private wake(): void {
    this.wakeWait?.();
  }

  /**
   * The page is about to redraw (src/workers/page-hold.ts): start no new step for `ms` (at most
   * MAX_HOLD_MS), or until a hold of 0 ends it. The step in progress finishes; a stop request ends
   * the wait at once. A longer hold already running is kept.
   */
  hold(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) {
      this.holdUntil = 0;
      this.wake();
      return;
    }
    this.holdUntil = Math.max(this.holdUntil, this.deps.now() + Math.min(ms, MAX_HOLD_MS));
  }

  /** Wait while a hold lasts (before a step). */
  private async held(): Promise<void> {
    for (;;) {
      const left = this.holdUntil - this.deps.now();
      if (left <= 0 || this.stopRequested || this.disposed) return;
      await new Promise<void>((resolve) => {
        this.wakeWait = resolve;
        void this.sleep(left).then(resolve);
      });
      this.wakeWait = null;
    }
  }

  /**
   * Train until step `limit()` or a stop request. Returns the bad record on divergence. The limit
   * and the settings are read at every step: a kept reconfiguration (new step budget, evaluation
   * interval) applies to the running loop.
   */
  private async run(limit: () => number): Promise<LossRecord | null> {
    const t = this.trainer;
    if (!t) return null;
    let sinceRead = 0;
    let lastStepAt: number | null = null;
    while (t.stepCount < limit() && !this.stopRequested) {
      if (lastStepAt !== null && this.stepIntervalMs > 0) {
        await this.pace(lastStepAt);
        if (this.stopRequested) break;
      }
      const o = this.options;
      const evalEvery = o.evalEverySteps ?? this.experiment!.evaluation.everySteps;
      while (this.gate) await this.gate;
      if (this.holdUntil > 0) await this.held();
      if (this.stopRequested) break;
      lastStepAt = this.deps.now();
      t.step();
      this.slowestStepMs = Math.max(this.slowestStepMs, this.deps.now() - lastStepAt);
      sinceRead += 1;
      const s = t.stepCount;
      const checkpointDue = s % o.checkpointEverySteps === 0;
      const evalDue = s % evalEvery === 0;
      // read back every `readEvery` steps, or sooner when steps are slow (a live status line); a
      // paced step (the Speed control) is shown before the wait for the next one
      const paced = this.stepIntervalMs >= o.metricsIntervalMs;
      const slow = paced || this.deps.now() - this.lastReadAt >= o.metricsIntervalMs;
      if (sinceRead >= o.readEvery || slow || checkpointDue || evalDue || s >= limit()) {
        sinceRead = 0;
        const bad = await this.readBack();
        if (bad) return bad;
        let liveDue = false;
        if (paced || this.deps.now() - this.lastMetricsAt >= o.metricsIntervalMs) {
          this.postMetrics();
          // the page is shown this step: its checkpoint follows when cheap (live-checkpoint.ts);
          // at the last step the stopping point's own checkpoint follows instead
          liveDue = !!this.live?.posted(this.deps.now(), s) && s < limit();
        }
        // a stop asked during the step: the stopping point's checkpoint, evaluation and probe
        // follow at once (startLoop), so none is made twice and the pause is not held up
        if (!this.stopRequested && (checkpointDue || liveDue)) {
          const start = this.deps.now();
          await this.snapshot(checkpointDue ? 'periodic' : 'live');
          this.live?.took(this.deps.now() - start);
        }
        if (evalDue && !this.stopRequested) await this.evaluateAndPost();
      }
      if (this.stopRequested) break;
      if (o.probeIntervalMs > 0 && this.deps.now() - this.lastProbeAt >= o.probeIntervalMs) {
        await this.probeAndPost();
      }
      await this.deps.yieldToEvents();
    }
    if (sinceRead > 0) {
      const bad = await this.readBack();
      if (bad) return bad;
    }
    this.postMetrics();
    return null;
  }

  /** Start the loop toward `limit` in the background; the returned promise ends with it. */
  private startLoop(limit: () => number, after: 'continue' | 'step'): Promise<void> {
    this.stopRequested = false;
    this.live?.restart();
    this.setState('training');
    const loop = (async () => {
      try {
        const bad = await this.run(limit);
        if (bad) {
          await this.handleDivergence(bad);
          return;
        }
        const t = this.trainer!;
        const finished = t.stepCount >= this.totalSteps && after === 'continue';
        this.speed.reset();
        // say so at once; the curves, checkpoint and probe of the stopping point follow
        this.setState(finished ? 'done' : 'paused');
        await this.evaluateIfStale();
        await this.snapshot(finished ? 'done' : 'paused');
        await this.probeAndPost();
        this.emitStatus();
      } catch (error) {
        this.fail(error);
      }
    })();
    this.loop = loop;
    loop.finally(() => {
      if (this.loop === loop) this.loop = null;
    });
    return loop;
  }

  private fail(error: unknown): void {
    this.state = 'failed';
    this.emit({ type: 'error', message: `${this.label()} stopped: ${describeError(error)}`, fatal: true });
    this.emitStatus();
  }

  private async stopLoop(): Promise<void> {
    while (this.loop) {
      this.stopRequested = true;
      this.wake();
      await this.loop;
    }
    this.stopRequested = false;
  }

  private async snapshot(reason: 'periodic' | 'live' | 'paused' | 'done'): Promise<void> {
    const t = this.trainer;
    if (!t) return;
    const files = await saveCheckpoint(t);
    if (reason === 'live') {
      // only for the page to store: the bytes are transferred, not copied (the last good one, the
      // divergence's way back, stays the periodic one)
      this.emit({ type: 'checkpoint', step: t.stepCount, reason, ...files });
      return;
    }
    this.lastGood = { ...files, step: t.stepCount };
    this.emit({
      type: 'checkpoint',
      step: t.stepCount,
      reason,
      model: files.model.slice(),
      optimizer: files.optimizer?.slice(),
    });
  }

  private async evaluateIfStale(): Promise<void> {
    if (this.trainer && this.trainer.stepCount !== this.lastEvalStep) await this.evaluateAndPost();
  }

  private async evaluateAndPost(): Promise<void> {
    const t = this.trainer;
    const e = this.experiment;
    if (!t || !e) return;
    const step = t.stepCount;
    const predictions = await t.predict({ prompts: this.options.evalPrompts ?? e.evaluation.prompts });
    const sets = scoreEvaluation(predictions, {
      key: modelCurveKey(this.modelIndex, t.modelSpec),
      label: modelLabel(t.modelSpec),
      seed: e.seed,
      bootstrap: e.evaluation.bootstrap,
    });
    this.lastEvalStep = step;
    this.emit({ type: 'curves', step, sets, recall: recallBreakdown(predictions) });
  }

  /** Probe the model (its probe prompt, or `prompt`); the result owns its buffers. */
  private async runProbe(prompt?: PromptBatch): Promise<ProbeResult | null> {
    const t = this.trainer;
    if (!t) return null;
    this.lastProbeAt = this.deps.now();
    const result = await t.probe(prompt, { implicitAttention: this.options.implicitAttention });
    this.lastProbeAt = this.deps.now();
    return ownProbe(result);
  }

  private async probeAndPost(): Promise<void> {
    const result = await this.runProbe();
    if (result) this.emit({ type: 'probe', step: this.trainer!.stepCount, custom: false, result });
  }

  private async handleDivergence(bad: LossRecord): Promise<void> {
    const t = this.trainer!;
    const lr = t.learningRate;
    const suggestedLr = saferLearningRate(lr);
    const what = Number.isFinite(bad.loss)
      ? `the loss jumped to ${bad.loss.toPrecision(3)}`
      : Number.isFinite(bad.gradNorm)
        ? `the loss became ${bad.loss}`
        : `the gradient became ${bad.gradNorm}`;
    this.postMetrics();
    let restoredStep = 0;
    const good = this.lastGood;
    if (good) {
      const report = await loadCheckpoint(t, good);
      if (report.ok) restoredStep = good.step;
      else this.trainer = this.rebuildKeepingLr(t, lr);
    } else {
      this.trainer = this.rebuildKeepingLr(t, lr);
    }
    this.trainer!.setLearningRate(lr);
    this.lossScaleSamples = [];
    this.speed.reset();
    const back = restoredStep > 0 ? `its last good checkpoint (step ${restoredStep})` : 'its initialisation';
    const message =
      `${this.label()} diverged at step ${bad.step}: ${what}. It is paused and put back to ${back}; ` +
      `the other models keep training. Try a lower learning rate, e.g. ${suggestedLr} (now ${lr}), then Train.`;
    this.state = 'diverged';
    this.emit({ type: 'diverged', step: bad.step, loss: bad.loss, message, lr, suggestedLr, restoredStep });
    this.emitStatus();
    await this.probeAndPost();
  }

  private rebuildKeepingLr(old: Trainer, lr: number): Trainer {
    old.dispose();
    const t = this.build(this.experiment!, this.modelIndex);
    t.setLearningRate(lr);
    return t;
  }

  // ---------------------------------------------------------------------------- commands

  async configure(
    experimentInput: unknown,
    modelIndex: number,
    optionsInput?: unknown,
    onEvent?: TrainingEventHandler,
  ): Promise<Result<ConfigureInfo>> {
    if (this.disposed) return { ok: false, error: 'this worker was disposed' };
    const parsed = parseExperiment(experimentInput);
    if (!parsed.ok) return { ok: false, error: `Bad experiment: ${parsed.errors.join('; ')}` };
    const experiment = parsed.experiment;
    if (!Number.isInteger(modelIndex) || modelIndex < 0 || modelIndex >= experiment.models.length) {
      return {
        ok: false,
        error: `Bad model index ${modelIndex}: the experiment has ${experiment.models.length}`,
      };
    }
    const options = sessionOptionsSchema.safeParse(optionsInput ?? {});
    if (!options.success) return { ok: false, error: `Bad options: ${describeError(options.error)}` };
    const willKeep =
      !!this.trainer &&
      !!this.experiment &&
      canKeepModel(this.experiment, this.modelIndex, experiment, modelIndex);
    // a kept model keeps training through the change (the loop reads the new settings next step)
    if (!willKeep) await this.stopLoop();
    if (onEvent) this.onEvent = onEvent;
    this.options = options.data;
    let backend: BackendReport;
    try {
      backend = await this.ensureBackend();
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
    const old = this.experiment;
    const kept = !!(this.trainer && old && canKeepModel(old, this.modelIndex, experiment, modelIndex));
    try {
      if (kept) {
        this.trainer!.setLearningRate(experiment.optimizer.lr!);
        this.live = new LiveCheckpoints(
          this.trainer!.model.parameterCount,
          this.options.liveCheckpoints,
          this.options.readEvery,
        );
      } else {
        this.trainer?.dispose();
        this.trainer = null;
        this.trainer = this.build(experiment, modelIndex);
        this.state = 'ready';
      }
    } catch (error) {
      this.state = 'failed';
      return { ok: false, error: `Cannot build the model: ${describeError(error)}` };
    }
    this.experiment = experiment;
    this.modelIndex = modelIndex;
    const t = this.trainer!;
    if (kept && this.state === 'done' && t.stepCount < experiment.steps) this.state = 'paused';
    this.emitStatus();
    if (!kept) await this.probeAndPost().catch(() => null);
    return {
      ok: true,
      backend,
      kept,
      step: t.stepCount,
      totalSteps: experiment.steps,
      parameterCount: t.model.parameterCount,
      arch: t.modelSpec.arch,
    };
  }

  private info(): StepInfo {
    return { step: this.trainer?.stepCount ?? 0, state: this.state };
  }

  async train(): Promise<Result<StepInfo>> {
    const t = this.trainer;
    if (!t || this.disposed) return { ok: false, error: 'not configured' };
    if (this.state === 'failed') return { ok: false, error: 'this worker failed; restart it' };
    if (this.loop && this.state === 'training' && !this.stopRequested) return { ok: true, ...this.info() };
    await this.stopLoop();
    if (t.stepCount >= this.totalSteps) {
      this.state = 'done';
      this.emitStatus();
      return { ok: true, ...this.info() };
    }
    void this.startLoop(() => this.totalSteps, 'continue');
    return { ok: true, ...this.info() };
  }

  resume(): Promise<Result<StepInfo>> {
    return this.train();
  }

  async pause(): Promise<Result<StepInfo>> {
    if (!this.trainer) return { ok: false, error: 'not configured' };
    await this.stopLoop();
    return { ok: true, ...this.info() };
  }

  async step(n = 1): Promise<Result<StepInfo>> {
    const t = this.trainer;
    if (!t || this.disposed) return { ok: false, error: 'not configured' };
    if (this.state === 'failed') return { ok: false, error: 'this worker failed; restart it' };
    if (!Number.isInteger(n) || n < 1 || n > 100_000) return { ok: false, error: `Bad step count ${n}` };
    await this.stopLoop();
    const target = t.stepCount + n;
    await this.startLoop(() => target, 'step');
    return { ok: true, ...this.info() };
  }

  async reset(): Promise<Result<StepInfo>> {
    if (!this.trainer || !this.experiment) return { ok: false, error: 'not configured' };
    await this.stopLoop();
    const lr = this.experiment.optimizer.lr!;
    this.trainer.dispose();
    this.trainer = null;
    try {
      this.trainer = this.build(this.experiment, this.modelIndex);
      this.trainer.setLearningRate(lr);
    } catch (error) {
      this.fail(error);
      return { ok: false, error: describeError(error) };
    }
    this.setState('ready');
    await this.probeAndPost().catch(() => null);
    return { ok: true, ...this.info() };
  }

  async setLearningRate(lr: number): Promise<Result<{ lr: number }>> {
    if (!this.trainer) return { ok: false, error: 'not configured' };
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 1e-7 || lr > 1) {
      return { ok: false, error: `Bad learning rate ${lr}: between 1e-7 and 1` };
    }
    this.trainer.setLearningRate(lr);
    this.emitStatus();
    return { ok: true, lr };
  }

  async setStepInterval(ms: number): Promise<Result<{ ms: number }>> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_STEP_INTERVAL_MS) {
      return { ok: false, error: `Bad step interval ${ms}: between 0 and ${MAX_STEP_INTERVAL_MS} ms` };
    }
    this.stepIntervalMs = ms;
    // a wait in progress is measured again against the new pace
    this.wake();
    return { ok: true, ms };
  }

  async probe(prompt?: ProbePrompt): Promise<Result<{ result: ProbeResult; step: number }>> {
    const t = this.trainer;
    if (!t || !this.experiment) return { ok: false, error: 'not configured' };
    let batch: PromptBatch | undefined;
    if (prompt !== undefined) {
      const checked = probePromptBatch(prompt, t);
      if (!checked.ok) return checked;
      batch = checked.batch;
    }
    try {
      const result = await this.exclusive(() => this.runProbe(batch));
      if (!result) return { ok: false, error: 'not configured' };
      // the event takes a copy; the answer transfers the original
      const step = t.stepCount;
      this.emit({ type: 'probe', step, custom: !!batch, result: structuredClone(result) });
      const buffers = probeArrays(result).map((a) => a.buffer as ArrayBuffer);
      return this.deps.transfer({ ok: true as const, result, step }, [...new Set(buffers)]);
    } catch (error) {
      return { ok: false, error: `Probe failed: ${describeError(error)}` };
    }
  }

  async saveCheckpoint(): Promise<Result<CheckpointBytes & { step: number }>> {
    const t = this.trainer;
    if (!t) return { ok: false, error: 'not configured' };
    try {
      return await this.exclusive(async () => {
        const files = await saveCheckpoint(t);
        const out = { ok: true as const, step: t.stepCount, ...files };
        const buffers: Transferable[] = [files.model.buffer as ArrayBuffer];
        if (files.optimizer) buffers.push(files.optimizer.buffer as ArrayBuffer);
        return this.deps.transfer(out, buffers);
      });
    } catch (error) {
      return { ok: false, error: `Saving failed: ${describeError(error)}` };
    }
  }

  async loadCheckpoint(bytes: CheckpointBytes): Promise<Result<LoadInfo>> {
    const t = this.trainer;
    if (!t) return { ok: false, error: 'not configured' };
    if (!bytes || !(bytes.model instanceof Uint8Array)) {
      return { ok: false, error: 'Bad checkpoint: no model bytes' };
    }
    if (bytes.optimizer !== undefined && !(bytes.optimizer instanceof Uint8Array)) {
      return { ok: false, error: 'Bad checkpoint: optimiser bytes are not a byte array' };
    }
    await this.stopLoop();
    const lr = t.learningRate;
    try {
      const report = await loadCheckpoint(t, { model: bytes.model, optimizer: bytes.optimizer });
      if (!report.ok)
        return { ok: false, error: `Checkpoint not loaded: ${describeLoadReport(report).join('; ')}` };
      t.setLearningRate(lr);
      this.lastGood = { model: bytes.model.slice(), optimizer: bytes.optimizer?.slice(), step: t.stepCount };
      this.lossScaleSamples = [];
      this.unsent = [];
      this.lastEvalStep = -1;
      this.speed.reset();
      this.state = t.stepCount >= this.totalSteps ? 'done' : t.stepCount > 0 ? 'paused' : 'ready';
      this.emitStatus();
      await this.evaluateAndPost().catch(() => undefined);
      await this.probeAndPost().catch(() => null);
      return { ok: true, step: t.stepCount, warnings: report.warnings };
    } catch (error) {
      return { ok: false, error: `Checkpoint not loaded: ${describeError(error)}` };
    }
  }

  /**
   * The device probe (backends timed, then the experiment's models on the chosen one), in a fresh
   * worker only: it switches backends, so a configured session refuses it.
   */
  async measure(experimentInput: unknown, request?: unknown): Promise<Result<MeasureResult>> {
    if (!this.deps.measure) return { ok: false, error: 'this worker cannot measure the device' };
    if (this.trainer || this.backendPromise)
      return { ok: false, error: 'the device probe runs in a worker of its own' };
    const parsed = parseExperiment(experimentInput);
    if (!parsed.ok) return { ok: false, error: parsed.errors.join('; ') };
    const req = measureRequestSchema.safeParse(request ?? {});
    if (!req.success) return { ok: false, error: describeError(req.error) };
    try {
      return { ok: true, ...(await this.deps.measure(parsed.experiment, req.data)) };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  }

  async stats(): Promise<WorkerStats> {
    const m = this.memory();
    return {
      backend: this.backend?.name ?? null,
      step: this.trainer?.stepCount ?? 0,
      tensors: m.tensors,
      bytes: m.bytes,
      state: this.trainer ? this.state : null,
    };
  }

  async dispose(): Promise<void> {
    await this.stopLoop();
    this.trainer?.dispose();
    this.trainer = null;
    this.lastGood = null;
    this.disposed = true;
    this.onEvent = null;
  }

  /** Something the page should know that does not stop training (an uncaptured GPU error). */
  reportWarning(message: string): void {
    this.emit({ type: 'warning', message });
  }

  /** Something outside the session broke it (GPU device lost, unhandled rejection). */
  reportFatal(message: string): void {
    this.stopRequested = true;
    this.wake();
    this.fail(new Error(message));
  }

  /** For tests: the trainer behind the session. */
  get currentTrainer(): Trainer | null {
    return this.trainer;
  }
}
