/**
 * The probe scrubber's checkpoints, kept in IndexedDB too, so a reload (and a resumed run) can still
 * replay earlier steps. Every checkpoint of a run is written as a history record beside the
 * latest one (src/app/runs/run-db.ts, id `${runId}/${modelKey}@${step}`), and the records are bounded
 * by the same rule as the in-memory history (src/app/runs/checkpoint-history.ts: at most `capacity`
 * per model and `maxBytes` of them, spread over the run; a checkpoint at or before a kept one
 * drops the later ones). Only steps and sizes are held in memory here; the bytes are in the
 * database. Writes run one after another.
 */
import { DEFAULT_HISTORY_BYTES, DEFAULT_HISTORY_CAPACITY, keepInHistory } from './checkpoint-history';
import { historyCheckpointId, type RunDb, type StoredCheckpoint } from './run-db';

interface Kept {
  step: number;
  bytes: number;
}

export class CheckpointArchive {
  /** runId -> modelKey -> kept records */
  private readonly runs = new Map<string, Map<string, Kept[]>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: () => Promise<RunDb>,
    readonly capacity = DEFAULT_HISTORY_CAPACITY,
    readonly maxBytes = DEFAULT_HISTORY_BYTES,
  ) {}

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** What is stored of a run (read once per run, then kept up to date). */
  private async models(runId: string): Promise<Map<string, Kept[]>> {
    let models = this.runs.get(runId);
    if (models) return models;
    const stored = await (await this.db()).listHistory(runId);
    models = new Map();
    for (const c of stored) {
      const list = models.get(c.modelKey) ?? [];
      list.push({ step: c.step, bytes: c.model.byteLength });
      models.set(c.modelKey, list);
    }
    this.runs.set(runId, models);
    return models;
  }

  /** Store one checkpoint of a model and delete the records the bound drops (rejects on storage errors). */
  record(runId: string, modelKey: string, step: number, model: Uint8Array): Promise<void> {
    return this.enqueue(async () => {
      if (!Number.isInteger(step) || step < 0) return;
      const models = await this.models(runId);
      const db = await this.db();
      await db.putCheckpoint({
        id: historyCheckpointId(runId, modelKey, step),
        runId,
        modelKey,
        step,
        model,
        savedAt: Date.now(),
      });
      const { kept, dropped } = keepInHistory(models.get(modelKey) ?? [], {
        entry: { step, bytes: model.byteLength },
        capacity: this.capacity,
        maxBytes: this.maxBytes,
        bytes: (e) => e.bytes,
      });
      models.set(modelKey, kept);
      for (const d of dropped) {
        if (d.step !== step) await db.deleteCheckpoint(historyCheckpointId(runId, modelKey, d.step));
      }
    });
  }

  /** The stored history of a run (every model, by increasing step), for the probe scrubber. */
  restore(runId: string): Promise<StoredCheckpoint[]> {
    return this.enqueue(async () => {
      this.runs.delete(runId);
      const stored = await (await this.db()).listHistory(runId);
      const models = new Map<string, Kept[]>();
      for (const c of stored) {
        const list = models.get(c.modelKey) ?? [];
        list.push({ step: c.step, bytes: c.model.byteLength });
        models.set(c.modelKey, list);
      }
      this.runs.set(runId, models);
      return stored;
    });
  }

  /** The run's records were deleted (reset, run deleted): forget what was known of them. */
  forget(runId: string): void {
    this.runs.delete(runId);
  }

  /** Wait for the writes in flight (tests). */
  settled(): Promise<void> {
    return this.queue.then(() => undefined);
  }
}
