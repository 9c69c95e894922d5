/**
 * The run being trained, kept in the run database: its record (saved at most every `saveEveryMs`
 * while training, at once on pause and before a fresh run), the models' last checkpoints, the probe
 * scrubber's checkpoint archive, and the runs store's list. Carved out of the race controller,
 * which tells it what happens (a run starts, a checkpoint arrives, the race is reset) and asks it
 * for stored runs and checkpoints (resume, restart).
 *
 * Storage problems never stop training: what cannot be stored is kept in memory (the database's
 * fallback) and the page says so once (a 'storage' notice).
 */
import type { StoreApi } from 'zustand/vanilla';
import { emptySeries, truncateSeries } from '../../eval/loss-series';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';
import type { Experiment } from '../../schema/experiment';
import { getTask } from '../../tasks';
import { type LiveState, notify } from '../stores/live-store';
import { type RunsState, summariseRun } from '../stores/runs-store';
import { CheckpointArchive } from './checkpoint-archive';
import { LatestWriter } from './latest-checkpoint';
import {
  checkpointId,
  memoryRunDb,
  type RunDb,
  type StorageError,
  type StoredCheckpoint,
  type StoredRun,
  storageError,
  type ValidRun,
  withMemoryFallback,
} from './run-db';

/** A model's checkpoint as the race keeps it (the optimiser's moments when the worker sent them). */
export interface Checkpoint {
  step: number;
  model: Uint8Array;
  optimizer?: Uint8Array;
}

/** What the recorder needs to know of one model of the race. */
export interface RecordedSlot {
  id: number;
  index: number;
  modelKey: string;
  checkpoint: Checkpoint | null;
}

export interface RunRecorderDeps {
  live: StoreApi<LiveState>;
  runs: StoreApi<RunsState>;
  openDb(): Promise<RunDb>;
  now(): number;
  newId(): string;
  saveEveryMs: number;
  /** the race's models now, in the experiment's order */
  slots(): readonly RecordedSlot[];
  /** the experiment the race's workers were configured with */
  experiment(): Experiment | null;
}

export function runLabel(e: Experiment): string {
  const archs = e.models.map((m) => ARCHITECTURE_TITLES[m.arch] ?? m.arch).join(', ');
  return `${getTask(e.task.name).title} · ${archs} · seed ${e.seed}`;
}

export class RunRecorder {
  /** the run being trained (null: none yet, or a fresh one is due) */
  runId: string | null = null;
  createdAt = 0;
  private readonly d: RunRecorderDeps;
  private readonly db: Promise<RunDb>;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSave = 0;
  private storageWarned = false;
  /** the probe scrubber's checkpoints in the run database (they outlive a reload) */
  private readonly archive = new CheckpointArchive(() => this.db);
  /** each model's latest checkpoint, written as it comes (one write at a time, the newest wins) */
  private readonly latest = new LatestWriter<StoredCheckpoint>(async (c) => {
    const db = await this.db;
    try {
      await db.putCheckpoint({ ...c, savedAt: Date.now() });
    } catch (error) {
      this.storageProblem(
        storageError(error, 'Saving a checkpoint'),
        'Training goes on; checkpoints are kept only in memory.',
      );
    }
  });

  constructor(deps: RunRecorderDeps) {
    this.d = deps;
    // what the database cannot store (storage full) is kept in memory: the runs live on this page
    this.db = deps.openDb().then(withMemoryFallback, (error: unknown) => {
      const e = storageError(error, 'Opening storage');
      this.storageProblem(e, 'Runs are kept in memory only and will be lost when this page closes.');
      return memoryRunDb();
    });
    this.db.then((db) => this.refreshRuns(db));
  }

  storageProblem(error: StorageError, consequence: string): void {
    if (this.storageWarned && error.kind !== 'blocked') return;
    this.storageWarned = true;
    notify(this.d.live, { id: 'storage', kind: 'storage', message: `${error.message}. ${consequence}` });
  }

  private async refreshRuns(db: RunDb): Promise<void> {
    try {
      const { runs, skipped } = await db.listRuns();
      this.d.runs.setState({ status: db.persistent ? 'ready' : 'memory', runs: runs.map(summariseRun) });
      if (skipped > 0) {
        notify(this.d.live, {
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

  /** A fresh run begins: its id, its models' checkpoints so far, its first record. */
  async start(): Promise<void> {
    this.runId = this.d.newId();
    this.createdAt = Date.now();
    this.d.live.setState({ runId: this.runId });
    for (const slot of this.d.slots()) void this.storeCheckpoint(slot);
    await this.saveRun();
  }

  /**
   * Keep a model's latest checkpoint, and add it to the scrubber's archive unless it is one taken
   * at a read-back only so that a reload loses little (`archive: false`).
   */
  async storeCheckpoint(slot: RecordedSlot, options: { archive?: boolean } = {}): Promise<void> {
    const c = slot.checkpoint;
    if (!c || !this.runId) return;
    const runId = this.runId;
    await this.latest.offer(checkpointId(runId, slot.modelKey), {
      id: checkpointId(runId, slot.modelKey),
      runId,
      modelKey: slot.modelKey,
      step: c.step,
      model: c.model,
      optimizer: c.optimizer,
      savedAt: 0,
    });
    if (options.archive !== false) {
      try {
        await this.archive.record(runId, slot.modelKey, c.step, c.model);
      } catch (error) {
        this.storageProblem(
          storageError(error, 'Saving a checkpoint'),
          'Training goes on; checkpoints are kept only in memory.',
        );
      }
    }
    this.scheduleSave();
  }

  /** Save the record within `saveEveryMs` of the last save. */
  scheduleSave(): void {
    if (!this.runId || this.saveTimer) return;
    const wait = Math.max(0, this.lastSave + this.d.saveEveryMs - this.d.now());
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.saveRun();
    }, wait);
  }

  /** Save the run record at once instead of at its scheduled time. */
  async saveNow(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.saveRun();
  }

  private runRecord(): StoredRun | null {
    const e = this.d.experiment();
    if (!this.runId || !e) return null;
    const models = this.d.live.getState().models;
    return {
      id: this.runId,
      createdAt: this.createdAt,
      updatedAt: Date.now(),
      label: runLabel(e),
      experiment: e,
      models: this.d.slots().map((slot) => {
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

  async saveRun(): Promise<void> {
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
    const valid = { ...record, experiment: this.d.experiment()! } as ValidRun;
    const summary = summariseRun(valid);
    this.d.runs.setState((s) => ({ runs: [summary, ...s.runs.filter((r) => r.id !== record.id)] }));
  }

  /** The race went back to its initialisation: the run's checkpoints go, its record is saved. */
  async reset(runId: string): Promise<void> {
    const db = await this.db;
    // a checkpoint being written now must not land after the delete
    await this.latest.idle();
    this.archive.forget(runId);
    await db.deleteCheckpoints(runId).catch(() => undefined);
    await this.saveRun();
  }

  /** A stored run (undefined: there is none of that id, or it could not be read). */
  async findRun(id: string): Promise<ValidRun | undefined> {
    const db = await this.db;
    try {
      return (await db.listRuns()).runs.find((r) => r.id === id);
    } catch (error) {
      this.storageProblem(storageError(error, 'Reading the run'), 'It cannot be resumed.');
      return undefined;
    }
  }

  /** A model's stored checkpoint (null when none, or unreadable). */
  async readCheckpoint(runId: string, key: string): Promise<Checkpoint | null> {
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

  /** The probe scrubber's stored checkpoints of a run (empty when unreadable). */
  async history(runId: string): Promise<Awaited<ReturnType<CheckpointArchive['restore']>>> {
    try {
      return await this.archive.restore(runId);
    } catch (error) {
      this.storageProblem(
        storageError(error, 'Reading the checkpoint history'),
        'Earlier steps of this run cannot be replayed.',
      );
      return [];
    }
  }

  /** Delete a stored run and its checkpoints. */
  async deleteRun(id: string): Promise<void> {
    const db = await this.db;
    this.archive.forget(id);
    try {
      await db.deleteRun(id);
    } catch (error) {
      this.storageProblem(storageError(error, 'Deleting the run'), 'It may come back after a reload.');
    }
    this.d.runs.setState((s) => ({ runs: s.runs.filter((r) => r.id !== id) }));
  }

  dispose(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    void this.db.then((db) => db.close());
  }
}
