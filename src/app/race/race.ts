/**
 * The race controller: one training worker per model of the experiment, driven together.
 *
 * Owns the workers (TrainingClient, one slot each: slots.ts) and follows the experiment store.
 * Its workers' events are actions of the live store's one reducer (src/app/stores/live-reducer.ts:
 * the pure `applyTrainingEvent` of training-events.ts), written only while the race holds the
 * store (src/app/stores/live-writer.ts: a recorded run may take it over; Train takes it back). The
 * run being trained is kept by the run recorder (src/app/runs/run-recorder.ts). The UI calls the
 * commands (train, pause, step, reset, ...); nothing here trains or blocks.
 *
 * Changes of the experiment restart only what they must (src/workers/training/reconfigure.ts): a new
 * learning rate, step budget or evaluation setting is applied in place; removing a model stops its
 * worker only; adding one starts one worker; a new data stream or architecture rebuilds the models
 * in the workers they already have.
 */
import type { StoreApi } from 'zustand/vanilla';
import type { Experiment } from '../../schema/experiment';
import type { BackendName } from '../../workers/backend-types';
import type { ClientEvent, CrashCause, TrainingClient } from '../../workers/training/client';
import type { ProbePrompt, ProbeResult, Result, SessionOptionsInput } from '../../workers/training/protocol';
import { planSlots, type SlotNow } from '../../workers/training/reconfigure';
import { wasmThreadsFor } from '../device/threads';
import type { RunDb } from '../runs/run-db';
import { RunRecorder } from '../runs/run-recorder';
import type { ExperimentState } from '../stores/experiment-store';
import { clearNotices, type LiveState, notify, patchModel } from '../stores/live-store';
import { type LiveOwner, LiveWriter } from '../stores/live-writer';
import type { RunsState } from '../stores/runs-store';
import type { UiState } from '../stores/ui-store';
import { AutoRestarts, restartMessage } from './recovery';
import { RedrawHold } from './redraw-hold';
import {
  CheckpointFeed,
  type CheckpointNotice,
  loadStoredModel,
  modelKey,
  randomId,
  restartFromCheckpoint,
  type Slot,
  slotCheckpoint,
  takeCheckpoint,
  takeOver,
} from './slots';
import { modelsPlaced } from './training-events';

export interface RaceDeps {
  experiment: StoreApi<ExperimentState>;
  live: StoreApi<LiveState>;
  runs: StoreApi<RunsState>;
  /** who writes the live store (the race, or a recorded run); one of its own when absent */
  writer?: LiveWriter;
  /** start a training worker whose events go to `onEvent` */
  spawn(onEvent: (event: ClientEvent) => void): TrainingClient;
  /** open the run database (rejecting with a StorageError falls back to memory, with a notice) */
  openDb(): Promise<RunDb>;
  sessionOptions?: SessionOptionsInput;
  /** the training pace the workers keep (the Speed control); full speed when absent */
  ui?: StoreApi<Pick<UiState, 'stepIntervalMs'>>;
  now?: () => number;
  newId?: () => string;
  /** the run record is written at most this often while training (ms) */
  saveEveryMs?: number;
  /** experiment changes are applied after this quiet time (ms) */
  settleMs?: number;
  /** CPU cores (navigator.hardwareConcurrency): each worker's share sets its wasm threads */
  cores?: number;
  /** awaited before the first workers start (the device probe's backend choice, a few seconds) */
  beforeStart?: () => Promise<void>;
}

export class RaceController {
  private readonly d: Required<
    Omit<RaceDeps, 'sessionOptions' | 'ui' | 'writer' | 'cores' | 'beforeStart'>
  > & {
    cores?: number;
    beforeStart?: () => Promise<void>;
    sessionOptions: SessionOptionsInput;
    ui?: RaceDeps['ui'];
  };
  private slots: Slot[] = [];
  private nextSlot = 1;
  private experiment: Experiment | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: () => void;
  private unsubscribePace: () => void;
  private disposed = false;
  /** the backend order each slot's worker was configured with */
  private readonly slotBackends = new Map<number, string>();
  /** automatic restarts per model (by checkpoint key) in this race */
  private readonly autoRestarts = new AutoRestarts();
  private readonly feed = new CheckpointFeed();
  /** the run being trained, in the run database */
  private readonly recorder: RunRecorder;
  private readonly writer: LiveWriter;
  /** the race as a writer of the live store: released when a recorded run takes it over */
  private readonly owner: LiveOwner = { name: 'race', release: () => this.standDown() };
  /** the workers that wait while the page redraws (redraw-hold.ts) */
  private readonly redrawHold: RedrawHold;

  constructor(deps: RaceDeps) {
    this.d = {
      now: () => performance.now(),
      newId: randomId,
      saveEveryMs: 3000,
      settleMs: 250,
      sessionOptions: {},
      ...deps,
    } as RaceController['d'];
    this.writer = deps.writer ?? new LiveWriter(deps.live);
    this.redrawHold = new RedrawHold({
      targets: () => this.slots.filter((s) => !s.client.crashed).map((s) => s.client),
      cores: deps.cores ?? 1,
    });
    this.recorder = new RunRecorder({
      live: this.d.live,
      runs: this.d.runs,
      openDb: this.d.openDb,
      now: this.d.now,
      newId: this.d.newId,
      saveEveryMs: this.d.saveEveryMs,
      slots: () => this.slots,
      experiment: () => this.experiment,
    });
    // follow the experiment once a race exists (before that, nothing is started)
    this.unsubscribe = this.d.experiment.subscribe((s, prev) => {
      if (s.experiment !== prev.experiment && this.slots.length > 0) this.scheduleSync();
    });
    // a new pace goes to every worker at once (not queued: it restarts nothing)
    this.unsubscribePace =
      this.d.ui?.subscribe((s, prev) => {
        if (s.stepIntervalMs === prev.stepIntervalMs) return;
        for (const slot of this.slots)
          if (!slot.client.crashed) void slot.client.setStepInterval(s.stepIntervalMs);
      }) ?? (() => {});
  }

  private get stepIntervalMs(): number {
    return this.d.ui?.getState().stepIntervalMs ?? 0;
  }

  /** A worker just configured keeps the chosen pace (workers start at full speed and keep theirs). */
  private async applyPace(slot: Slot): Promise<void> {
    const ms = this.stepIntervalMs;
    if (ms > 0) await slot.client.setStepInterval(ms);
  }

  // ------------------------------------------------------------------------------ plumbing

  /** Run commands one after another (a command sees the state its predecessor left). */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private get live() {
    return this.d.live;
  }

  private get runId(): string | null {
    return this.recorder.runId;
  }

  private scheduleSync(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      void this.enqueue(() => this.sync());
    }, this.d.settleMs);
  }

  private cancelSync(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
  }

  private flushSync(): Promise<unknown> {
    this.cancelSync();
    return this.sync();
  }

  private slotBy(id: number): Slot | undefined {
    return this.slots.find((s) => s.id === id);
  }

  private spawnSlot(): Slot {
    const id = this.nextSlot++;
    const client = this.d.spawn((event) => this.onEvent(id, event));
    return { id, client, experiment: null, index: 0, modelKey: '', checkpoint: null };
  }

  /**
   * Every worker stops and the race is forgotten (its run stays stored and resumable): the live
   * store keeps no model of it and no notice about one. `pauseFirst`: each worker pauses and the
   * run is saved before the workers go.
   */
  private async dropSlots(pauseFirst: boolean): Promise<void> {
    if (pauseFirst) {
      await Promise.all(this.slots.map((s) => s.client.pause()));
      if (this.runId) await this.recorder.saveNow();
    }
    for (const s of this.slots) void s.client.dispose();
    this.slots = [];
    this.experiment = null;
    this.live.setState((s) => ({
      models: [],
      training: false,
      notices: s.notices.filter((n) => n.slot === undefined),
    }));
  }

  // ------------------------------------------------------------------------------ events

  private onEvent(id: number, e: ClientEvent): void {
    const slot = this.slotBy(id);
    if (!slot || this.disposed) return;
    if (e.type === 'checkpoint') slot.checkpoint = { step: e.step, model: e.model, optimizer: e.optimizer };
    // read before the event: a crash of the last model training ends the race's training state
    if (e.type === 'crashed') slot.trainOnRestart = this.live.getState().training;
    const checkpointStep = slot.checkpoint?.step ?? null;
    this.writer.dispatch(this.owner, { type: 'worker-event', slot: id, event: e, checkpointStep });
    if (e.type === 'crashed') this.autoRestart(slot, e.cause, e.message);
    // what the event asks of the run record and the probe scrubber
    switch (e.type) {
      case 'status':
        if (e.state === 'done' || e.state === 'paused' || e.state === 'diverged')
          this.recorder.scheduleSave();
        break;
      case 'curves':
        this.recorder.scheduleSave();
        break;
      case 'checkpoint':
        // one taken at a read-back (issue 14: a reload loses little) is stored, not archived
        if (e.reason === 'live') {
          void this.recorder.storeCheckpoint(slot, { archive: false });
          break;
        }
        this.feed.tell(slot, e.step, e.model);
        void this.recorder.storeCheckpoint(slot);
        break;
    }
  }

  // ------------------------------------------------------------------------------ sync

  /** Bring the workers in line with the experiment store (see the file comment). */
  private async sync(target?: Experiment): Promise<boolean> {
    const next = target ?? this.d.experiment.getState().experiment;
    if (!next) return false;
    if (this.experiment === next && this.slots.every((s) => s.experiment === next)) return true;
    const current: SlotNow[] = this.slots
      .filter((s) => s.experiment && !s.client.crashed)
      .map((s) => ({ slot: s.id, experiment: s.experiment!, index: s.index }));
    const plan = planSlots(current, next);
    // a fresh run follows: the finished one is saved as it is now (its save may still be pending)
    if (plan.freshRun && this.runId && this.experiment && this.slots.length > 0)
      await this.recorder.saveNow();
    const byId = new Map(this.slots.map((s) => [s.id, s]));
    const released = this.slots.filter((s) => !plan.assign.some((a) => a.slot === s.id));
    const slots: Slot[] = plan.assign.map((a) => {
      const existing = a.slot !== null ? byId.get(a.slot) : undefined;
      const slot = existing ?? this.spawnSlot();
      slot.index = a.index;
      slot.modelKey = modelKey(next.models[a.index]);
      if (!a.keep) slot.checkpoint = null;
      return slot;
    });
    for (const s of released) void s.client.dispose();
    this.slots = slots;
    this.experiment = next;
    // the live list follows the experiment's order; kept models keep their curves
    const placed = plan.assign.map((a, i) => ({ slot: slots[i].id, index: a.index, keep: a.keep }));
    this.live.setState((s) => modelsPlaced(s, placed, next));
    if (plan.freshRun) {
      this.recorder.runId = null;
      this.live.setState({ runId: null, training: false });
    }
    const results = await Promise.all(slots.map((slot) => this.configure(slot, next)));
    if (!plan.freshRun && this.runId) this.recorder.scheduleSave();
    // a model added to (or rebuilt in) a running race joins it
    if (!plan.freshRun && this.live.getState().training) {
      await Promise.all(
        slots.map((slot, i) => (!plan.assign[i].keep && results[i] ? slot.client.train() : null)),
      );
    }
    return results.every(Boolean);
  }

  /** Configure one worker with the experiment; a refusal marks its model failed, with a notice. */
  private async configure(slot: Slot, e: Experiment): Promise<boolean> {
    const wasmThreads = wasmThreadsFor(this.d.cores ?? 1, e.models.length);
    const options = { wasmThreads, ...this.d.sessionOptions };
    this.slotBackends.set(slot.id, String(options.backends));
    const r = await slot.client.configure(e, slot.index, options);
    if (r.ok) {
      slot.experiment = e;
      await this.applyPace(slot);
      patchModel(this.live, slot.id, { totalSteps: r.totalSteps, backend: r.backend });
    } else if (!slot.client.crashed) {
      // (a worker that crashed meanwhile already has its notice, with the restart action)
      patchModel(this.live, slot.id, { state: 'failed', error: r.error });
      notify(this.live, { id: `error:${slot.id}`, kind: 'error', slot: slot.id, message: r.error });
    }
    return r.ok;
  }

  // ------------------------------------------------------------------------------ commands

  /** Start or continue every model (configuring workers first when needed). */
  train(): Promise<void> {
    return this.enqueue(async () => {
      await this.writer.claim(this.owner);
      if (this.slots.length === 0) await this.d.beforeStart?.();
      await this.flushSync();
      if (this.slots.length === 0) return;
      if (!this.runId) await this.recorder.start();
      this.live.setState({ training: true, pausing: false });
      await Promise.all(
        this.slots.map(async (slot) => {
          if (slot.client.crashed || !slot.experiment) return;
          const r = await slot.client.train();
          if (r.ok) clearNotices(this.live, (n) => n.id === `diverged:${slot.id}`);
        }),
      );
    });
  }

  /** Pause every model (each stops within one step). */
  pause(): Promise<void> {
    // "pausing" at once in the status lines; each worker stops after the step in flight
    if (this.writer.holds(this.owner)) this.live.setState({ training: false, pausing: true });
    for (const s of this.slots) s.trainOnRestart = false;
    return this.enqueue(async () => {
      const paused = Promise.all(this.slots.map((s) => s.client.pause()));
      await paused.finally(() => this.live.setState({ pausing: false }));
      await this.recorder.saveRun();
    });
  }

  /** One step of every model (pausing first). */
  step(n = 1): Promise<void> {
    if (this.writer.holds(this.owner)) this.live.setState({ training: false, pausing: false });
    return this.enqueue(async () => {
      await this.writer.claim(this.owner);
      if (this.slots.length === 0) await this.d.beforeStart?.();
      await this.flushSync();
      if (this.slots.length === 0) return;
      if (!this.runId) await this.recorder.start();
      await Promise.all(this.slots.map((s) => (s.client.crashed ? null : s.client.step(n))));
    });
  }

  /** Every model back to its initialisation from the seed (a fresh run). */
  reset(): Promise<void> {
    if (this.writer.holds(this.owner)) this.live.setState({ training: false });
    return this.enqueue(async () => {
      await Promise.all(this.slots.map((s) => s.client.pause()));
      const oldRun = this.runId;
      await Promise.all(this.slots.map((s) => s.client.reset()));
      for (const slot of this.slots) slot.checkpoint = null;
      this.writer.dispatch(this.owner, { type: 'back-to-start' });
      if (oldRun) await this.recorder.reset(oldRun);
    });
  }

  /** The learning rate of every model (applied at each one's next step). */
  setLearningRate(lr: number): void {
    this.d.experiment.getState().setLearningRate(lr);
  }

  /** One model's learning rate (the divergence notice's suggestion). */
  setModelLearningRate(slotId: number, lr: number): Promise<void> {
    return this.enqueue(async () => {
      const slot = this.slotBy(slotId);
      if (!slot) return;
      const r = await slot.client.setLearningRate(lr);
      if (r.ok) clearNotices(this.live, (n) => n.id === `diverged:${slotId}`);
    });
  }

  /** A hung worker or a lost GPU: restarted at once from its last checkpoint (recovery.ts). */
  private autoRestart(slot: Slot, cause: CrashCause | undefined, message: string): void {
    if (!this.autoRestarts.allow(slot.modelKey, cause)) return;
    const title = this.live.getState().models.find((m) => m.slot === slot.id)?.label ?? 'The model';
    void this.restartModel(slot.id, restartMessage(title, cause, message, slot.checkpoint?.step ?? null));
  }

  /** Every model's weights now, kept and stored (checkpoint-keeper.ts: timer, page hidden). */
  async checkpointNow(): Promise<void> {
    if (!this.runId) return;
    await Promise.all(this.slots.map((slot) => takeCheckpoint(slot, this.recorder, this.live)));
    await this.recorder.saveNow();
  }

  /** Test builds only: model `index`'s worker hangs (e2e/alive.spec.ts). */
  testHang(index: number, mode: 'busy' | 'close'): void {
    this.slots.find((s) => s.index === index)?.client.testHang?.(mode);
  }

  /** A crashed model's worker, started again from its last checkpoint (`why`: an alert to keep). */
  restartModel(slotId: number, why?: string): Promise<void> {
    return this.enqueue(() => this.respawn(slotId, why));
  }

  /**
   * The Backend control: every worker paused, its weights and Adam's moments saved, then started
   * again on `backends` from them (as after a crash); the run, its curves and its step are kept.
   */
  setBackends(backends: BackendName[] | undefined): Promise<void> {
    // at once: a Train waiting for the device probe configures its workers with these
    this.d.sessionOptions = { ...this.d.sessionOptions, backends };
    return this.enqueue(async () => {
      for (const slot of [...this.slots]) {
        if (this.slotBackends.get(slot.id) === String(backends)) continue;
        await slot.client.pause();
        const now = slot.client.crashed ? null : await slot.client.saveCheckpoint();
        if (now?.ok) slot.checkpoint = { step: now.step, model: now.model, optimizer: now.optimizer };
        await this.respawn(slot.id);
      }
    });
  }

  /** A slot's worker replaced by a fresh one, back at the slot's last checkpoint (`why`: an alert). */
  private async respawn(slotId: number, why?: string): Promise<void> {
    const i = this.slots.findIndex((s) => s.id === slotId);
    if (i < 0 || !this.experiment) return;
    const old = this.slots[i];
    old.client.terminate();
    const fresh = takeOver(old, this.spawnSlot(), this.live, why);
    this.slots[i] = fresh;
    if (!(await this.configure(fresh, this.experiment))) return;
    await restartFromCheckpoint(fresh, this.runId, this.recorder, this.live);
    // it trains on when the race trains, or when it was training as it crashed (and no Pause since)
    if (this.live.getState().training || old.trainOnRestart) {
      if (this.writer.holds(this.owner)) this.live.setState({ training: true, pausing: false });
      await fresh.client.train();
    }
  }

  /** Continue a stored run from its last checkpoints (paused; Train goes on). */
  resumeRun(id: string): Promise<void> {
    return this.enqueue(async () => {
      const run = await this.recorder.findRun(id);
      if (!run) return;
      await this.writer.claim(this.owner);
      await Promise.all(this.slots.map((s) => s.client.pause()));
      await this.dropSlots(false);
      // the experiment store shows the run's settings; the subscription must not re-sync meanwhile
      this.d.experiment.getState().load(run.experiment);
      this.cancelSync();
      this.recorder.runId = run.id;
      this.recorder.createdAt = run.createdAt;
      const ok = await this.syncKeepingRun(run.experiment);
      this.live.setState({ runId: run.id });
      if (!ok) return;
      await Promise.all(this.slots.map((slot) => loadStoredModel(slot, run, this.recorder, this.live)));
      const history = await this.recorder.history(run.id);
      if (this.runId === run.id) this.feed.retell(this.slots, history);
    });
  }

  private async syncKeepingRun(e: Experiment): Promise<boolean> {
    const { runId, createdAt } = this.recorder;
    const ok = await this.sync(e);
    this.recorder.runId = runId;
    this.recorder.createdAt = createdAt;
    return ok;
  }

  /**
   * Another writer (a recorded run) took the live store: every worker stops and the race is
   * forgotten (its run is saved first, and stays resumable). Train starts afresh.
   */
  private standDown(): Promise<void> {
    return this.enqueue(async () => {
      this.cancelSync();
      if (this.slots.length === 0) return;
      await this.dropSlots(true);
      this.recorder.runId = null;
      this.live.setState({ runId: null });
    });
  }

  /** Delete a stored run; its workers stop (and free their GPU memory) if it is the one shown. */
  deleteRun(id: string): Promise<void> {
    return this.enqueue(async () => {
      if (id === this.runId) {
        await this.dropSlots(false);
        this.recorder.runId = null;
        this.live.setState({ runId: null });
      }
      await this.recorder.deleteRun(id);
    });
  }

  /**
   * One model's current weights as safetensors (for download): asked of its worker (which answers at
   * a step boundary, also while training); a crashed worker's last checkpoint otherwise.
   */
  exportCheckpoint(slotId: number): Promise<Result<{ model: Uint8Array; step: number }>> {
    return slotCheckpoint(this.slotBy(slotId));
  }

  // ------------------------------------------------------------------------------ probe lab

  /** Called with every checkpoint a model reports (the probe scrubber keeps them). */
  onCheckpoint(listener: (c: CheckpointNotice) => void): () => void {
    return this.feed.add(listener);
  }

  /** The experiment the workers were last configured with (null before the first race). */
  get raceExperiment(): Experiment | null {
    return this.experiment;
  }

  /** Each worker: its slot, model index and checkpoint key. */
  probeTargets(): Array<{ slot: number; index: number; modelKey: string }> {
    return this.slots
      .filter((s) => s.experiment && !s.client.crashed)
      .map((s) => ({ slot: s.id, index: s.index, modelKey: s.modelKey }));
  }

  /**
   * Probe one model on an edited prompt with its current weights (not queued behind other
   * commands: the worker holds its loop for the probe only).
   */
  async probeModel(
    slotId: number,
    prompt: ProbePrompt,
  ): Promise<{ ok: true; result: ProbeResult; step: number } | { ok: false; error: string }> {
    const slot = this.slotBy(slotId);
    if (!slot?.experiment) return { ok: false, error: 'no such model' };
    return slot.client.probe(prompt);
  }

  /**
   * A chart is about to redraw: hold the workers that would keep it from a core (redraw-hold.ts).
   * Returns the release, for once the redraw is painted.
   */
  holdForRedraw(): () => void {
    return this.redrawHold.begin();
  }

  /** The latest state of every worker (for diagnostics and the benchmark). */
  async stats() {
    return Promise.all(this.slots.map(async (s) => ({ slot: s.id, stats: await s.client.stats() })));
  }

  /** Stop every worker now (page closing). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    this.unsubscribePace();
    this.cancelSync();
    this.recorder.dispose();
    for (const s of this.slots) s.client.terminate();
    this.slots = [];
    this.writer.leave(this.owner);
  }

  /** For tests: the workers' ids in model order. */
  get slotIds(): number[] {
    return this.slots.map((s) => s.id);
  }
}
