/**
 * Runs in the browser's IndexedDB: one record per run (experiment, per-model progress, loss curve,
 * ICL curves), the latest checkpoint of each model (safetensors bytes, id `${runId}/${modelKey}`)
 * and, in the same store, the checkpoints the probe scrubber replays (id
 * `${runId}/${modelKey}@${step}`, bounded by src/app/runs/checkpoint-archive.ts). A database written
 * before the history records existed reads as runs without history; every record of a run goes
 * with it (deleteRun, deleteCheckpoints). Everything read back is
 * untrusted: records are validated (experiment through parseExperiment), bad ones skipped.
 *
 * Failures never throw past this module's callers unnoticed: every operation rejects with a
 * StorageError whose `kind` says what happened (quota full, blocked, unavailable), so the page can
 * warn and keep training. `memoryRunDb` is the fallback when IndexedDB cannot be opened, and
 * `withMemoryFallback` keeps in memory what an open database could not store (quota full).
 */
import type { IclCurveSet } from '../../eval/types';
import { type Experiment, parseExperiment } from '../../schema/experiment';

export const DB_NAME = 'icl-lab';
export const DB_VERSION = 1;
const RUNS = 'runs';
const CHECKPOINTS = 'checkpoints';

export interface StoredModel {
  /** identity of the model within the run (see modelKey) */
  key: string;
  arch: string;
  index: number;
  step: number;
  lr: number;
  state: string;
  /** LossSeries as plain JSON */
  loss: unknown;
  curves: IclCurveSet[] | null;
  curvesStep: number | null;
  checkpointStep: number | null;
}

export interface StoredRun {
  id: string;
  createdAt: number;
  updatedAt: number;
  label: string;
  experiment: unknown;
  models: StoredModel[];
}

export interface ValidRun extends StoredRun {
  experiment: Experiment;
}

export interface StoredCheckpoint {
  /** `${runId}/${modelKey}` (the latest), or `${runId}/${modelKey}@${step}` (the history) */
  id: string;
  runId: string;
  modelKey: string;
  step: number;
  model: Uint8Array;
  optimizer?: Uint8Array;
  savedAt: number;
}

export type StorageErrorKind = 'quota' | 'blocked' | 'unavailable' | 'failed';

export class StorageError extends Error {
  readonly kind: StorageErrorKind;
  constructor(kind: StorageErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.name = 'StorageError';
  }
}

export interface RunDb {
  readonly persistent: boolean;
  listRuns(): Promise<{ runs: ValidRun[]; skipped: number }>;
  putRun(run: StoredRun): Promise<void>;
  deleteRun(id: string): Promise<void>;
  putCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
  getCheckpoint(runId: string, modelKey: string): Promise<StoredCheckpoint | null>;
  deleteCheckpoints(runId: string): Promise<void>;
  /** The history checkpoints of a run (every model), by increasing step. */
  listHistory(runId: string): Promise<StoredCheckpoint[]>;
  /** Delete one checkpoint record (absent: nothing happens). */
  deleteCheckpoint(id: string): Promise<void>;
  close(): void;
}

export const checkpointId = (runId: string, modelKey: string) => `${runId}/${modelKey}`;

/** The id of a history checkpoint (the probe scrubber's), beside the latest one of the model. */
export const historyCheckpointId = (runId: string, modelKey: string, step: number) =>
  `${runId}/${modelKey}@${step}`;

/** A valid history record of `runId` (its id says so: the latest checkpoints are not history). */
function isHistoryOf(runId: string, v: unknown): v is StoredCheckpoint {
  if (!isCheckpoint(v)) return false;
  const c = v as StoredCheckpoint;
  return (
    c.runId === runId &&
    typeof c.modelKey === 'string' &&
    Number.isInteger(c.step) &&
    c.step >= 0 &&
    c.id === historyCheckpointId(runId, c.modelKey, c.step)
  );
}

const byStep = (a: StoredCheckpoint, b: StoredCheckpoint) => a.step - b.step;

/** A readable StorageError from whatever IndexedDB threw. */
export function storageError(error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error;
  const name = (error as { name?: string } | null)?.name ?? '';
  const message = (error as { message?: string } | null)?.message ?? String(error);
  if (name === 'QuotaExceededError' || /quota/i.test(message)) {
    return new StorageError('quota', `${what}: the browser's storage for this site is full`);
  }
  if (name === 'InvalidStateError' || name === 'SecurityError') {
    return new StorageError('unavailable', `${what}: storage is not available here (${message})`);
  }
  return new StorageError('failed', `${what}: ${message}`);
}

/** Validate a stored run (untrusted); null when unusable. */
export function validateRun(value: unknown): ValidRun | null {
  const v = value as Partial<StoredRun> | null;
  if (!v || typeof v !== 'object') return null;
  if (typeof v.id !== 'string' || v.id.length === 0 || v.id.length > 100) return null;
  if (typeof v.createdAt !== 'number' || typeof v.updatedAt !== 'number') return null;
  if (!Array.isArray(v.models) || v.models.length > 6) return null;
  const parsed = parseExperiment(v.experiment);
  if (!parsed.ok) return null;
  const models: StoredModel[] = [];
  for (const m of v.models as Partial<StoredModel>[]) {
    if (!m || typeof m.key !== 'string' || typeof m.arch !== 'string') return null;
    if (typeof m.step !== 'number' || !Number.isInteger(m.step) || m.step < 0) return null;
    models.push({
      key: m.key,
      arch: m.arch,
      index: typeof m.index === 'number' ? m.index : models.length,
      step: m.step,
      lr: typeof m.lr === 'number' && Number.isFinite(m.lr) ? m.lr : parsed.experiment.optimizer.lr!,
      state: typeof m.state === 'string' ? m.state : 'paused',
      loss: m.loss ?? null,
      curves: Array.isArray(m.curves) && m.curves.every(isCurveSet) ? m.curves : null,
      curvesStep: typeof m.curvesStep === 'number' ? m.curvesStep : null,
      checkpointStep: typeof m.checkpointStep === 'number' ? m.checkpointStep : null,
    });
  }
  return {
    id: v.id,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    label: typeof v.label === 'string' ? v.label.slice(0, 200) : '',
    experiment: parsed.experiment,
    models,
  };
}

function isCurveSet(s: unknown): s is IclCurveSet {
  const v = s as Partial<IclCurveSet> | null;
  return (
    !!v &&
    typeof v.task === 'string' &&
    typeof v.yLabel === 'string' &&
    typeof v.chance === 'number' &&
    Array.isArray(v.curves) &&
    v.curves.every(
      (c) =>
        !!c &&
        typeof c.key === 'string' &&
        typeof c.label === 'string' &&
        c.examples instanceof Int32Array &&
        c.mean instanceof Float64Array &&
        c.lo instanceof Float64Array &&
        c.hi instanceof Float64Array &&
        c.count instanceof Int32Array &&
        c.mean.length === c.examples.length,
    )
  );
}

function isCheckpoint(v: unknown): v is StoredCheckpoint {
  const c = v as Partial<StoredCheckpoint> | null;
  return (
    !!c &&
    typeof c.id === 'string' &&
    typeof c.step === 'number' &&
    c.model instanceof Uint8Array &&
    (c.optimizer === undefined || c.optimizer instanceof Uint8Array)
  );
}

function request<T>(req: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => {
      reject(storageError(req.error, what));
    };
  });
}

function done(tx: IDBTransaction, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(storageError(tx.error, what));
    tx.onabort = () => reject(storageError(tx.error ?? new Error('aborted'), what));
  });
}

/** Open (and create) the database. Rejects with a StorageError when it cannot. */
export function openRunDb(
  factory: IDBFactory | undefined = globalThis.indexedDB,
  name = DB_NAME,
): Promise<RunDb> {
  if (!factory)
    return Promise.reject(new StorageError('unavailable', 'IndexedDB is not available in this browser'));
  return new Promise<RunDb>((resolve, reject) => {
    let req: IDBOpenDBRequest;
    try {
      req = factory.open(name, DB_VERSION);
    } catch (error) {
      reject(storageError(error, 'Opening storage'));
      return;
    }
    const timer = setTimeout(
      () => reject(new StorageError('blocked', 'Opening storage timed out (another tab may be blocking it)')),
      10_000,
    );
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(RUNS)) db.createObjectStore(RUNS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(CHECKPOINTS)) {
        const store = db.createObjectStore(CHECKPOINTS, { keyPath: 'id' });
        store.createIndex('runId', 'runId');
      }
    };
    req.onblocked = () => {
      clearTimeout(timer);
      reject(
        new StorageError('blocked', 'Storage is blocked by another tab of ICL Lab; close it and reload'),
      );
    };
    req.onerror = () => {
      clearTimeout(timer);
      reject(storageError(req.error, 'Opening storage'));
    };
    req.onsuccess = () => {
      clearTimeout(timer);
      const db = req.result;
      db.onversionchange = () => db.close();
      resolve(indexedRunDb(db));
    };
  });
}

function indexedRunDb(db: IDBDatabase): RunDb {
  const tx = (stores: string[], mode: IDBTransactionMode, what: string) => {
    try {
      return db.transaction(stores, mode);
    } catch (error) {
      throw storageError(error, what);
    }
  };
  return {
    persistent: true,
    async listRuns() {
      const t = tx([RUNS], 'readonly', 'Reading the runs');
      const all = await request(t.objectStore(RUNS).getAll(), 'Reading the runs');
      const runs = all.map(validateRun).filter((r): r is ValidRun => r !== null);
      runs.sort((a, b) => b.updatedAt - a.updatedAt);
      return { runs, skipped: all.length - runs.length };
    },
    async putRun(run) {
      const t = tx([RUNS], 'readwrite', 'Saving the run');
      t.objectStore(RUNS).put(run);
      await done(t, 'Saving the run');
    },
    async deleteRun(id) {
      const t = tx([RUNS, CHECKPOINTS], 'readwrite', 'Deleting the run');
      t.objectStore(RUNS).delete(id);
      const keys = await request(
        t.objectStore(CHECKPOINTS).index('runId').getAllKeys(id),
        'Deleting the run',
      );
      for (const k of keys) t.objectStore(CHECKPOINTS).delete(k);
      await done(t, 'Deleting the run');
    },
    async putCheckpoint(c) {
      const t = tx([CHECKPOINTS], 'readwrite', 'Saving a checkpoint');
      t.objectStore(CHECKPOINTS).put(c);
      await done(t, 'Saving a checkpoint');
    },
    async getCheckpoint(runId, modelKey) {
      const t = tx([CHECKPOINTS], 'readonly', 'Reading a checkpoint');
      const v = await request(
        t.objectStore(CHECKPOINTS).get(checkpointId(runId, modelKey)),
        'Reading a checkpoint',
      );
      return isCheckpoint(v) ? v : null;
    },
    async deleteCheckpoints(runId) {
      const t = tx([CHECKPOINTS], 'readwrite', 'Deleting checkpoints');
      const keys = await request(
        t.objectStore(CHECKPOINTS).index('runId').getAllKeys(runId),
        'Deleting checkpoints',
      );
      for (const k of keys) t.objectStore(CHECKPOINTS).delete(k);
      await done(t, 'Deleting checkpoints');
    },
    async listHistory(runId) {
      const t = tx([CHECKPOINTS], 'readonly', 'Reading the checkpoint history');
      const all: unknown[] = await request(
        t.objectStore(CHECKPOINTS).index('runId').getAll(runId),
        'Reading the checkpoint history',
      );
      return all.filter((v): v is StoredCheckpoint => isHistoryOf(runId, v)).sort(byStep);
    },
    async deleteCheckpoint(id) {
      const t = tx([CHECKPOINTS], 'readwrite', 'Deleting a checkpoint');
      t.objectStore(CHECKPOINTS).delete(id);
      await done(t, 'Deleting a checkpoint');
    },
    close() {
      db.close();
    },
  };
}

/** Runs kept in memory only (when IndexedDB is unavailable, and in tests). */
export function memoryRunDb(options: { quotaBytes?: number } = {}): RunDb {
  const runs = new Map<string, StoredRun>();
  const checkpoints = new Map<string, StoredCheckpoint>();
  const used = () =>
    [...checkpoints.values()].reduce((n, c) => n + c.model.byteLength + (c.optimizer?.byteLength ?? 0), 0);
  return {
    persistent: false,
    async listRuns() {
      const all = [...runs.values()].map((r) => validateRun(structuredClone(r)));
      const valid = all.filter((r): r is ValidRun => r !== null).sort((a, b) => b.updatedAt - a.updatedAt);
      return { runs: valid, skipped: all.length - valid.length };
    },
    async putRun(run) {
      runs.set(run.id, structuredClone(run));
    },
    async deleteRun(id) {
      runs.delete(id);
      for (const [k, c] of checkpoints) if (c.runId === id) checkpoints.delete(k);
    },
    async putCheckpoint(c) {
      const size = c.model.byteLength + (c.optimizer?.byteLength ?? 0);
      if (options.quotaBytes !== undefined && used() + size > options.quotaBytes) {
        throw new StorageError('quota', "Saving a checkpoint: the browser's storage for this site is full");
      }
      checkpoints.set(c.id, structuredClone(c));
    },
    async getCheckpoint(runId, modelKey) {
      const c = checkpoints.get(checkpointId(runId, modelKey));
      return c ? structuredClone(c) : null;
    },
    async deleteCheckpoints(runId) {
      for (const [k, c] of checkpoints) if (c.runId === runId) checkpoints.delete(k);
    },
    async listHistory(runId) {
      return [...checkpoints.values()]
        .filter((c) => isHistoryOf(runId, c))
        .map((c) => structuredClone(c))
        .sort(byStep);
    },
    async deleteCheckpoint(id) {
      checkpoints.delete(id);
    },
    close() {},
  };
}

/**
 * A run database that keeps what it could not store: a write that fails (storage full, blocked,
 * the database closed under it) is kept in memory instead, and every read sees it, so the page's
 * runs live on (listed, resumable) until the page closes. The failure still rejects with a
 * StorageError, so the page can warn. A later successful write of the same record frees the copy.
 */
export function withMemoryFallback(primary: RunDb): RunDb & { readonly held: () => number } {
  const runs = new Map<string, StoredRun>();
  const checkpoints = new Map<string, StoredCheckpoint>();
  return {
    persistent: primary.persistent,
    held: () => runs.size + checkpoints.size,
    async listRuns() {
      let stored: { runs: ValidRun[]; skipped: number } = { runs: [], skipped: 0 };
      try {
        stored = await primary.listRuns();
      } catch (error) {
        if (runs.size === 0) throw storageError(error, 'Reading the runs');
      }
      const byId = new Map(stored.runs.map((r) => [r.id, r]));
      for (const r of runs.values()) {
        const valid = validateRun(r);
        if (valid) byId.set(r.id, valid);
      }
      return { runs: [...byId.values()].sort((a, b) => b.updatedAt - a.updatedAt), skipped: stored.skipped };
    },
    async putRun(run) {
      try {
        await primary.putRun(run);
        runs.delete(run.id);
      } catch (error) {
        runs.set(run.id, run);
        throw storageError(error, 'Saving the run');
      }
    },
    async deleteRun(id) {
      runs.delete(id);
      for (const [k, c] of checkpoints) if (c.runId === id) checkpoints.delete(k);
      await primary.deleteRun(id);
    },
    async putCheckpoint(c) {
      try {
        await primary.putCheckpoint(c);
        checkpoints.delete(c.id);
      } catch (error) {
        checkpoints.set(c.id, c);
        throw storageError(error, 'Saving a checkpoint');
      }
    },
    async getCheckpoint(runId, modelKey) {
      const held = checkpoints.get(checkpointId(runId, modelKey));
      if (held) return held;
      return primary.getCheckpoint(runId, modelKey);
    },
    async deleteCheckpoints(runId) {
      for (const [k, c] of checkpoints) if (c.runId === runId) checkpoints.delete(k);
      await primary.deleteCheckpoints(runId);
    },
    async listHistory(runId) {
      let stored: StoredCheckpoint[] = [];
      try {
        stored = await primary.listHistory(runId);
      } catch (error) {
        if (![...checkpoints.values()].some((c) => isHistoryOf(runId, c))) throw error;
      }
      const byId = new Map(stored.map((c) => [c.id, c]));
      for (const c of checkpoints.values()) if (isHistoryOf(runId, c)) byId.set(c.id, c);
      return [...byId.values()].sort(byStep);
    },
    async deleteCheckpoint(id) {
      checkpoints.delete(id);
      await primary.deleteCheckpoint(id);
    },
    close() {
      primary.close();
    },
  };
}
