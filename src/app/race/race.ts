/**
 * The race controller: one training worker per model of the experiment, driven together.
 *
 * Owns the workers (TrainingClient), the run database and the run being trained; writes the live
 * store (statuses, losses, curves, probes, notices) and the runs store; follows the experiment
 * store. The UI calls its commands (train, pause, step, reset, ...). Nothing here trains or blocks:
 * the work is in the workers, and every command only sends messages and awaits answers.
 *
 * Changes of the experiment restart only what they must (src/workers/training/reconfigure.ts): a new
 * learning rate, step budget or evaluation setting is applied in place; removing a model stops its
 * worker only; adding one starts one worker; a new data stream or architecture rebuilds the models
 * in the workers they already have.
 */
import type { StoreApi } from 'zustand/vanilla';
import { appendLosses, emptySeries, seriesFromStored, truncateSeries } from '../../eval/loss-series';
import { ARCHITECTURE_TITLES, type Architecture } from '../../schema/architecture';
import type { Experiment } from '../../schema/experiment';
import { getTask } from '../../tasks';
import { approximateEventBytes, type ClientEvent, type TrainingClient } from '../../workers/training/client';
import type { ProbePrompt, ProbeResult, Result, SessionOptionsInput } from '../../workers/training/protocol';
import { modelSignature, planSlots, type SlotNow } from '../../workers/training/reconfigure';
import { CheckpointArchive } from '../runs/checkpoint-archive';
import {
  checkpointId,
  memoryRunDb,
  type RunDb,
  type StorageError,
  type StoredRun,
  storageError,
  type ValidRun,
  withMemoryFallback,
} from '../runs/run-db';
import type { ExperimentState } from '../stores/experiment-store';
import {
  clearNotices,
  type LiveState,
  type ModelLive,
  newModelLive,
  notify,
  patchModel,
} from '../stores/live-store';
import { type RunsState, summariseRun } from '../stores/runs-store';
import type { UiState } from '../stores/ui-store';

export interface RaceDeps {
  experiment: StoreApi<ExperimentState>;
  live: StoreApi<LiveState>;
  runs: StoreApi<RunsState>;
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
}

/** A checkpoint a model reported (model bytes only), for the probe scrubber. */
export interface CheckpointNotice {
  slot: number;
  index: number;
  modelKey: string;
  step: number;
  model: Uint8Array;
}

interface Checkpoint {
  step: number;
  model: Uint8Array;
  optimizer?: Uint8Array;
}

interface Slot {
  id: number;
  client: TrainingClient;
  /** what the worker was last configured with (null: not yet) */
  experiment: Experiment | null;
  index: number;
  modelKey: string;
  checkpoint: Checkpoint | null;
}

/** A short stable key for a model spec (checkpoint names in storage). */
export function modelKey(spec: Experiment['models'][number]): string {
  const text = modelSignature(spec);
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return `${spec.arch}-${h.toString(36)}`;
}

export function runLabel(e: Experiment): string {
  const archs = e.models.map((m) => ARCHITECTURE_TITLES[m.arch] ?? m.arch).join(', ');
  return `${getTask(e.task.name).title} · ${archs} · seed ${e.seed}`;
}

function randomId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `run-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

export class RaceController {
  private readonly d: Required<Omit<RaceDeps, 'sessionOptions' | 'ui'>> & {
    sessionOptions: SessionOptionsInput;
    ui?: RaceDeps['ui'];
  };
  private slots: Slot[] = [];
  private nextSlot = 1;
  private experiment: Experiment | null = null;
  private runId: string | null = null;
  private createdAt = 0;
  private db: Promise<RunDb>;
  private queue: Promise<unknown> = Promise.resolve();
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSave = 0;
  private storageWarned = false;
  private unsubscribe: () => void;
  private unsubscribePace: () => void;
  private disposed = false;
  private readonly checkpointListeners = new Set<(c: CheckpointNotice) => void>();
  /** the probe scrubber's checkpoints in the run database (they outlive a reload) */
  private readonly archive = new CheckpointArchive(() => this.db);

  constructor(deps: RaceDeps) {
    this.d = {
      now: () => performance.now(),
      newId: randomId,
      saveEveryMs: 3000,
      settleMs: 250,
      sessionOptions: {},
      ...deps,
    } as RaceController['d'];
    // what the database cannot store (storage full) is kept in memory: the runs live on this page
    this.db = this.d.openDb().then(withMemoryFallback, (error: unknown) => {
      const e = storageError(error, 'Opening storage');
      this.storageProblem(e, 'Runs are kept in memory only and will be lost when this page closes.');
      return memoryRunDb();
    });
    this.db.then((db) => this.refreshRuns(db));
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

  private scheduleSync(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      void this.enqueue(() => this.sync());
    }, this.d.settleMs);
  }

  private flushSync(): Promise<unknown> {
    if (this.settleTimer) {
      clearTimeout(this.settleTimer);
      this.settleTimer = null;
    }
    return this.sync();
  }

  private storageProblem(error: StorageError, consequence: string): void {
    if (this.storageWarned && error.kind !== 'blocked') return;
    this.storageWarned = true;
    notify(this.live, {
      id: 'storage',
      kind: 'storage',
      message: `${error.message}. ${consequence}`,
    });
  }

  private async refreshRuns(db?: RunDb): Promise<void> {
    const store = db ?? (await this.db);
    try {
      const { runs, skipped } = await store.listRuns();
      this.d.runs.setState({ status: store.persistent ? 'ready' : 'memory', runs: runs.map(summariseRun) });
      if (skipped > 0) {
        notify(this.live, {
          id: 'storage-skipped',
          kind: 'warning',
          message: `${skipped} stored run${skipped === 1 ? ' was' : 's were'} unreadable and skipped.`,
        });
      }
    } catch (error) {
      this.d.runs.setState({ status: 'memory', runs: [] });
      this.storageProblem(storageError(error, 'Reading the runs'), 'Runs will not be kept.');
    }
  }

  private slotBy(id: number): Slot | undefined {
    return this.slots.find((s) => s.id === id);
  }

  private spawnSlot(): Slot {
    const id = this.nextSlot++;
    const client = this.d.spawn((event) => this.onEvent(id, event));
    return { id, client, experiment: null, index: 0, modelKey: '', checkpoint: null };
  }

  // ------------------------------------------------------------------------------ events

  private onEvent(id: number, e: ClientEvent): void {
    const slot = this.slotBy(id);
    if (!slot || this.disposed) return;
    const live = this.live;
    if (e.type !== 'crashed') {
      const bytes = approximateEventBytes(e);
      live.setState((s) => ({
        traffic: { ...s.traffic, bytes: s.traffic.bytes + bytes, events: s.traffic.events + 1 },
      }));
    }
    switch (e.type) {
      case 'status':
        patchModel(live, id, (m) => ({
          state: m.state === 'crashed' ? m.state : e.state,
          step: e.step,
          totalSteps: e.totalSteps,
          lr: e.lr,
          stepsPerSecond: e.stepsPerSecond,
          etaSeconds: e.etaSeconds,
          backend: e.backend,
          tensors: e.tensors,
        }));
        if (e.backend?.fallback) this.noticeFallback(e.backend);
        if (e.state === 'done' || e.state === 'paused' || e.state === 'diverged') this.scheduleSave();
        if (e.state === 'done' || e.state === 'diverged' || e.state === 'failed') this.settleTraining();
        break;
      case 'metrics':
        patchModel(live, id, (m) => ({
          loss: appendLosses(m.loss, e.steps, e.losses),
          lastLoss: e.losses.length ? e.losses[e.losses.length - 1] : m.lastLoss,
          step: e.step,
          totalSteps: e.totalSteps,
          lr: e.lr,
          stepsPerSecond: e.stepsPerSecond,
          etaSeconds: e.etaSeconds,
          tensors: e.tensors,
          bytes: e.bytes,
        }));
        break;
      case 'curves':
        patchModel(live, id, { curves: e.sets, curvesStep: e.step, recall: e.recall });
        this.scheduleSave();
        break;
      case 'probe':
        // the live store holds the seeded probe prompt's maps; edited prompts are the probe lab's
        if (!e.custom) patchModel(live, id, { probe: e.result, probeStep: e.step });
        break;
      case 'checkpoint':
        slot.checkpoint = { step: e.step, model: e.model, optimizer: e.optimizer };
        for (const listener of this.checkpointListeners) {
          listener({ slot: id, index: slot.index, modelKey: slot.modelKey, step: e.step, model: e.model });
        }
        patchModel(live, id, { checkpointStep: e.step });
        void this.storeCheckpoint(slot);
        break;
      case 'diverged': {
        const title = this.titleOf(id);
        patchModel(live, id, (m) => ({
          state: 'diverged',
          loss: truncateSeries(m.loss, e.restoredStep),
          step: e.restoredStep,
        }));
        notify(live, {
          id: `diverged:${id}`,
          kind: 'diverged',
          slot: id,
          message: e.message,
          action: {
            label: `Use learning rate ${e.suggestedLr} for ${title}`,
            kind: 'lower-lr',
            lr: e.suggestedLr,
          },
        });
        break;
      }
      case 'warning':
        notify(live, { id: `warning:${id}:${e.message}`, kind: 'warning', slot: id, message: e.message });
        break;
      case 'error':
        if (!e.fatal) notify(live, { id: `error:${id}`, kind: 'error', slot: id, message: e.message });
        break;
      case 'crashed':
        this.onCrash(slot, e.message);
        break;
    }
  }

  /** The race stops counting as training once no model can go on by itself. */
  private settleTraining(): void {
    const models = this.live.getState().models;
    if (models.every((m) => m.state !== 'training' && m.state !== 'starting')) {
      this.live.setState({ training: false });
    }
  }

  private titleOf(id: number): string {
    const m = this.live.getState().models.find((x) => x.slot === id);
    return m ? (ARCHITECTURE_TITLES[m.arch] ?? m.label) : 'the model';
  }

  private noticeFallback(report: NonNullable<ModelLive['backend']>): void {
    if (this.live.getState().notices.some((n) => n.id === 'backend')) return;
    const why = report.attempts
      .filter((a) => !a.ok)
      .map((a) => `${a.name}: ${a.reason}`)
      .join('; ');
    notify(this.live, {
      id: 'backend',
      kind: 'backend',
      message: `WebGPU is not available here, so the models train on ${report.name} (slower). Why: ${why}.`,
    });
  }

  private onCrash(slot: Slot, message: string): void {
    const title = this.titleOf(slot.id);
    patchModel(this.live, slot.id, { state: 'crashed', error: message, stepsPerSecond: 0, etaSeconds: null });
    this.settleTraining();
    const from = slot.checkpoint
      ? `its last checkpoint (step ${slot.checkpoint.step})`
      : 'its initialisation';
    notify(this.live, {
      id: `crashed:${slot.id}`,
      kind: 'crashed',
      slot: slot.id,
      message: `${title}'s worker stopped: ${message}. The other models are not affected.`,
      action: { label: `Restart ${title} from ${from}`, kind: 'restart' },
    });
  }

  // ------------------------------------------------------------------------------ persistence

  private async storeCheckpoint(slot: Slot): Promise<void> {
    const c = slot.checkpoint;
    if (!c || !this.runId) return;
    const db = await this.db;
    try {
      await db.putCheckpoint({
        id: checkpointId(this.runId, slot.modelKey),
        runId: this.runId,
        modelKey: slot.modelKey,
        step: c.step,
        model: c.model,
        optimizer: c.optimizer,
        savedAt: Date.now(),
      });
      await this.archive.record(this.runId, slot.modelKey, c.step, c.model);
    } catch (error) {
      this.storageProblem(
        storageError(error, 'Saving a checkpoint'),
        'Training goes on; checkpoints are kept only in memory.',
      );
    }
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (!this.runId || this.saveTimer) return;
    const wait = Math.max(0, this.lastSave + this.d.saveEveryMs - this.d.now());
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.saveRun();
    }, wait);
  }

  /** Save the run record at once instead of at its scheduled time. */
  private async saveNow(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.saveRun();
  }

  private runRecord(): StoredRun | null {
    const e = this.experiment;
    if (!this.runId || !e) return null;
    const models = this.live.getState().models;
    return {
      id: this.runId,
      createdAt: this.createdAt,
      updatedAt: Date.now(),
      label: runLabel(e),
      experiment: e,
      models: this.slots.map((slot) => {
        const m = models.find((x) => x.slot === slot.id);
        // the loss curve is kept up to the checkpoint a resume continues from
        const at = slot.checkpoint?.step ?? 0;
        return {
          key: slot.modelKey,
          arch: e.models[slot.index]?.arch ?? m?.arch ?? 'transformer',
          index: slot.index,
          step: m?.step ?? 0,
          lr: m?.lr ?? e.optimizer.lr!,
          state: m?.state ?? 'ready',
          loss: m ? truncateSeries(m.loss, at) : emptySeries(),
          curves: m?.curves ?? null,
          curvesStep: m?.curvesStep ?? null,
          checkpointStep: slot.checkpoint?.step ?? null,
        };
      }),
    };
  }

  private async saveRun(): Promise<void> {
    const record = this.runRecord();
    if (!record) return;
    this.lastSave = this.d.now();
    const db = await this.db;
    try {
      await db.putRun(record);
    } catch (error) {
      this.storageProblem(
        storageError(error, 'Saving the run'),
        'Training goes on; the run is kept in memory until this page closes.',
      );
    }
    // listed either way (stored, or held in memory by the database's fallback)
    const valid = { ...record, experiment: this.experiment! } as ValidRun;
    const summary = summariseRun(valid);
    this.d.runs.setState((s) => ({ runs: [summary, ...s.runs.filter((r) => r.id !== record.id)] }));
  }

  private async startRun(): Promise<void> {
    this.runId = this.d.newId();
    this.createdAt = Date.now();
    this.live.setState({ runId: this.runId });
    for (const slot of this.slots) void this.storeCheckpoint(slot);
    await this.saveRun();
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
    if (plan.freshRun && this.runId && this.experiment && this.slots.length > 0) await this.saveNow();
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
    const old = this.live.getState().models;
    this.live.setState({
      models: plan.assign.map((a, i) => {
        const slot = slots[i];
        const arch = next.models[a.index].arch as Architecture;
        const label = ARCHITECTURE_TITLES[arch] ?? arch;
        const prev = old.find((m) => m.slot === slot.id);
        return a.keep && prev ? { ...prev, index: a.index } : newModelLive(slot.id, a.index, arch, label);
      }),
    });
    clearNotices(this.live, (n) => n.slot !== undefined && !slots.some((s) => s.id === n.slot));
    if (plan.freshRun) {
      this.runId = null;
      this.live.setState({ runId: null, training: false });
    }
    const results = await Promise.all(
      slots.map(async (slot) => {
        const r = await slot.client.configure(next, slot.index, this.d.sessionOptions);
        if (r.ok) {
          slot.experiment = next;
          await this.applyPace(slot);
          patchModel(this.live, slot.id, { totalSteps: r.totalSteps, backend: r.backend });
        } else if (!slot.client.crashed) {
          // (a worker that crashed meanwhile already has its notice, with the restart action)
          patchModel(this.live, slot.id, { state: 'failed', error: r.error });
          notify(this.live, { id: `error:${slot.id}`, kind: 'error', slot: slot.id, message: r.error });
        }
        return r.ok;
      }),
    );
    if (!plan.freshRun && this.runId) this.scheduleSave();
    // a model added to (or rebuilt in) a running race joins it
    if (!plan.freshRun && this.live.getState().training) {
      await Promise.all(
        slots.map((slot, i) => (!plan.assign[i].keep && results[i] ? slot.client.train() : null)),
      );
    }
    return results.every(Boolean);
  }

  // ------------------------------------------------------------------------------ commands

  /** Start or continue every model (configuring workers first when needed). */
  train(): Promise<void> {
    return this.enqueue(async () => {
      await this.flushSync();
      if (this.slots.length === 0) return;
      if (!this.runId) await this.startRun();
      this.live.setState({ training: true });
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
    this.live.setState({ training: false });
    return this.enqueue(async () => {
      await Promise.all(this.slots.map((s) => s.client.pause()));
      await this.saveRun();
    });
  }

  /** One step of every model (pausing first). */
  step(n = 1): Promise<void> {
    this.live.setState({ training: false });
    return this.enqueue(async () => {
      await this.flushSync();
      if (this.slots.length === 0) return;
      if (!this.runId) await this.startRun();
      await Promise.all(this.slots.map((s) => (s.client.crashed ? null : s.client.step(n))));
    });
  }

  /** Every model back to its initialisation from the seed (a fresh run). */
  reset(): Promise<void> {
    this.live.setState({ training: false });
    return this.enqueue(async () => {
      await Promise.all(this.slots.map((s) => s.client.pause()));
      const oldRun = this.runId;
      await Promise.all(this.slots.map((s) => s.client.reset()));
      for (const slot of this.slots) slot.checkpoint = null;
      this.live.setState((s) => ({
        models: s.models.map((m) => ({
          ...m,
          loss: emptySeries(),
          lastLoss: null,
          curves: null,
          curvesStep: null,
          recall: null,
          checkpointStep: null,
          step: 0,
        })),
        notices: s.notices.filter((n) => n.kind !== 'diverged'),
      }));
      if (oldRun) {
        const db = await this.db;
        this.archive.forget(oldRun);
        await db.deleteCheckpoints(oldRun).catch(() => undefined);
        await this.saveRun();
      }
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

  /** A crashed model's worker, started again from its last checkpoint. */
  restartModel(slotId: number): Promise<void> {
    return this.enqueue(async () => {
      const i = this.slots.findIndex((s) => s.id === slotId);
      if (i < 0 || !this.experiment) return;
      const old = this.slots[i];
      old.client.terminate();
      const fresh = this.spawnSlot();
      fresh.index = old.index;
      fresh.modelKey = old.modelKey;
      fresh.checkpoint = old.checkpoint;
      this.slots[i] = fresh;
      this.live.setState((s) => ({
        models: s.models.map((m) =>
          m.slot === slotId ? { ...m, slot: fresh.id, state: 'starting', error: null } : m,
        ),
        notices: s.notices.filter((n) => n.slot !== slotId),
      }));
      const r = await fresh.client.configure(this.experiment, fresh.index, this.d.sessionOptions);
      if (!r.ok) {
        if (!fresh.client.crashed) {
          patchModel(this.live, fresh.id, { state: 'failed', error: r.error });
          notify(this.live, { id: `error:${fresh.id}`, kind: 'error', slot: fresh.id, message: r.error });
        }
        return;
      }
      fresh.experiment = this.experiment;
      await this.applyPace(fresh);
      const c =
        fresh.checkpoint ?? (this.runId ? await this.readCheckpoint(this.runId, fresh.modelKey) : null);
      if (c) {
        const loaded = await fresh.client.loadCheckpoint(c);
        if (loaded.ok) {
          patchModel(this.live, fresh.id, (m) => ({
            loss: truncateSeries(m.loss, loaded.step),
            step: loaded.step,
          }));
        }
      } else {
        patchModel(this.live, fresh.id, { loss: emptySeries(), step: 0, curves: null });
      }
      if (this.live.getState().training) await fresh.client.train();
    });
  }

  private async readCheckpoint(runId: string, key: string): Promise<Checkpoint | null> {
    try {
      const db = await this.db;
      const c = await db.getCheckpoint(runId, key);
      return c ? { step: c.step, model: c.model, optimizer: c.optimizer } : null;
    } catch (error) {
      this.storageProblem(
        storageError(error, 'Reading a checkpoint'),
        'The model starts from its initialisation.',
      );
      return null;
    }
  }

  /** Continue a stored run from its last checkpoints (paused; Train goes on). */
  resumeRun(id: string): Promise<void> {
    return this.enqueue(async () => {
      const db = await this.db;
      let run: ValidRun | undefined;
      try {
        run = (await db.listRuns()).runs.find((r) => r.id === id);
      } catch (error) {
        this.storageProblem(storageError(error, 'Reading the run'), 'It cannot be resumed.');
        return;
      }
      if (!run) return;
      await Promise.all(this.slots.map((s) => s.client.pause()));
      for (const s of this.slots) void s.client.dispose();
      this.slots = [];
      this.experiment = null;
      this.live.setState({
        models: [],
        training: false,
        notices: this.live.getState().notices.filter((n) => n.slot === undefined),
      });
      // the experiment store shows the run's settings; the subscription must not re-sync meanwhile
      this.d.experiment.getState().load(run.experiment);
      if (this.settleTimer) clearTimeout(this.settleTimer);
      this.settleTimer = null;
      this.runId = run.id;
      this.createdAt = run.createdAt;
      const ok = await this.syncKeepingRun(run.experiment);
      this.live.setState({ runId: run.id });
      if (!ok) return;
      await Promise.all(
        this.slots.map(async (slot) => {
          const stored = run.models.find((m) => m.key === slot.modelKey);
          const c = await this.readCheckpoint(run.id, slot.modelKey);
          if (c) {
            const r = await slot.client.loadCheckpoint(c);
            if (r.ok) {
              slot.checkpoint = c;
              const loss = truncateSeries(seriesFromStored(stored?.loss), r.step);
              patchModel(this.live, slot.id, (m) => ({
                loss,
                step: r.step,
                checkpointStep: r.step,
                curves: m.curves ?? stored?.curves ?? null,
                curvesStep: m.curvesStep ?? stored?.curvesStep ?? null,
              }));
              if (r.warnings.length) {
                notify(this.live, {
                  id: `warning:${slot.id}:load`,
                  kind: 'warning',
                  slot: slot.id,
                  message: r.warnings.join('; '),
                });
              }
              return;
            }
            notify(this.live, { id: `error:${slot.id}`, kind: 'error', slot: slot.id, message: r.error });
          }
        }),
      );
      await this.restoreHistory(run.id);
    });
  }

  /** The probe scrubber's stored checkpoints of a resumed run, to the checkpoint listeners. */
  private async restoreHistory(runId: string): Promise<void> {
    let history: Awaited<ReturnType<CheckpointArchive['restore']>>;
    try {
      history = await this.archive.restore(runId);
    } catch (error) {
      this.storageProblem(
        storageError(error, 'Reading the checkpoint history'),
        'Earlier steps of this run cannot be replayed.',
      );
      return;
    }
    if (this.runId !== runId) return;
    for (const c of history) {
      const slot = this.slots.find((s) => s.modelKey === c.modelKey);
      if (!slot) continue;
      for (const listener of this.checkpointListeners) {
        listener({ slot: slot.id, index: slot.index, modelKey: slot.modelKey, step: c.step, model: c.model });
      }
    }
  }

  private async syncKeepingRun(e: Experiment): Promise<boolean> {
    const runId = this.runId;
    const createdAt = this.createdAt;
    const ok = await this.sync(e);
    this.runId = runId;
    this.createdAt = createdAt;
    return ok;
  }

  /**
   * Stop every worker and forget the race (its run is saved first, and stays resumable): a
   * recorded run takes the live store over (src/app/recordings/replay-player.ts). Train starts afresh.
   */
  standDown(): Promise<void> {
    this.live.setState({ training: false });
    return this.enqueue(async () => {
      if (this.settleTimer) clearTimeout(this.settleTimer);
      this.settleTimer = null;
      if (this.slots.length === 0) return;
      await Promise.all(this.slots.map((s) => s.client.pause()));
      if (this.runId) await this.saveNow();
      for (const s of this.slots) void s.client.dispose();
      this.slots = [];
      this.experiment = null;
      this.runId = null;
      this.live.setState((s) => ({
        models: [],
        runId: null,
        notices: s.notices.filter((n) => n.slot === undefined),
      }));
    });
  }

  /** Delete a stored run; its workers stop (and free their GPU memory) if it is the one shown. */
  deleteRun(id: string): Promise<void> {
    return this.enqueue(async () => {
      if (id === this.runId) {
        for (const s of this.slots) void s.client.dispose();
        this.slots = [];
        this.experiment = null;
        this.runId = null;
        this.live.setState({
          models: [],
          training: false,
          runId: null,
          notices: this.live.getState().notices.filter((n) => n.slot === undefined),
        });
      }
      const db = await this.db;
      this.archive.forget(id);
      try {
        await db.deleteRun(id);
      } catch (error) {
        this.storageProblem(storageError(error, 'Deleting the run'), 'It may come back after a reload.');
      }
      this.d.runs.setState((s) => ({ runs: s.runs.filter((r) => r.id !== id) }));
    });
  }

  /**
   * One model's current weights as safetensors (for download): asked of its worker (which answers at
   * a step boundary, also while training); a crashed worker's last checkpoint otherwise.
   */
  async exportCheckpoint(slotId: number): Promise<Result<{ model: Uint8Array; step: number }>> {
    const slot = this.slotBy(slotId);
    if (!slot) return { ok: false, error: 'that model is not in the race any more' };
    const r = slot.client.crashed ? null : await slot.client.saveCheckpoint();
    if (r?.ok) return { ok: true, model: r.model, step: r.step };
    const last = slot.checkpoint;
    if (last) return { ok: true, model: last.model, step: last.step };
    return { ok: false, error: r ? r.error : 'its worker stopped before saving a checkpoint' };
  }

  // ------------------------------------------------------------------------------ probe lab

  /** Called with every checkpoint a model reports (the probe scrubber keeps them). */
  onCheckpoint(listener: (c: CheckpointNotice) => void): () => void {
    this.checkpointListeners.add(listener);
    return () => this.checkpointListeners.delete(listener);
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
    if (this.settleTimer) clearTimeout(this.settleTimer);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    for (const s of this.slots) s.client.terminate();
    this.slots = [];
    void this.db.then((db) => db.close());
  }

  /** For tests: the workers' ids in model order. */
  get slotIds(): number[] {
    return this.slots.map((s) => s.id);
  }
}
