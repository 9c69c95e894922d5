/**
 * Storage failures against a fake IndexedDB (just enough of the API, with injected failures):
 * unavailable, blocked and full storage become StorageErrors of the right kind, never a throw
 * past the caller; what could not be stored lives on in memory; and the race controller on such a
 * database warns once (a notice the page shows with role "alert") and keeps training and listing.
 */
import { describe, expect, it } from 'vitest';
import type { ClientEvent, TrainingClient } from '../../workers/training/client';
import type { BackendReport } from '../../workers/training/protocol';
import { RaceController } from '../race/race';
import { createExperimentStore, defaultDraft } from '../stores/experiment-store';
import { createLiveStore } from '../stores/live-store';
import { createRunsStore } from '../stores/runs-store';
import {
  historyCheckpointId,
  memoryRunDb,
  openRunDb,
  type RunDb,
  StorageError,
  type StoredRun,
  withMemoryFallback,
} from './run-db';

interface Faults {
  /** factory.open throws this DOMException name (private mode, disabled storage) */
  openThrows?: string;
  /** the open request is blocked by another tab */
  blocked?: boolean;
  /** writes abort with QuotaExceededError once this many have succeeded */
  quotaAfter?: number;
}

type Handler = ((this: unknown, ev: Event) => unknown) | null;

/** Requests not answered yet (a transaction completes once its requests are answered). */
let pending = 0;

/** A request that succeeds (or fails) on a later task, like IndexedDB's. */
function later<T>(value: () => T, error?: () => DOMException) {
  pending += 1;
  const req = {
    result: undefined as T | undefined,
    error: null as DOMException | null,
    onsuccess: null as Handler,
    onerror: null as Handler,
  };
  setTimeout(() => {
    pending -= 1;
    if (error) {
      req.error = error();
      req.onerror?.call(req, new Event('error'));
    } else {
      req.result = value();
      req.onsuccess?.call(req, new Event('success'));
    }
  }, 0);
  return req;
}

function fakeIndexedDb(faults: Faults = {}) {
  const stores = new Map<string, Map<string, Record<string, unknown>>>();
  let writes = 0;
  const db = {
    objectStoreNames: { contains: (n: string) => stores.has(n) },
    createObjectStore(name: string) {
      stores.set(name, new Map());
      return { createIndex() {} };
    },
    onversionchange: null,
    close() {},
    transaction(names: string[]) {
      const tx = {
        error: null as DOMException | null,
        oncomplete: null as Handler,
        onerror: null as Handler,
        onabort: null as Handler,
      };
      let failed = false;
      const finish = () =>
        setTimeout(() => {
          if (pending > 0) finish();
          else if (failed) tx.onabort?.call(tx, new Event('abort'));
          else tx.oncomplete?.call(tx, new Event('complete'));
        }, 0);
      finish();
      return Object.assign(tx, {
        objectStore(name: string) {
          if (!names.includes(name)) throw new DOMException('not in scope', 'NotFoundError');
          const data = stores.get(name)!;
          return {
            put(v: Record<string, unknown>) {
              if (faults.quotaAfter !== undefined && writes >= faults.quotaAfter) {
                failed = true;
                tx.error = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
                return;
              }
              writes += 1;
              data.set(String(v.id), structuredClone(v));
            },
            delete: (k: string) => data.delete(k),
            getAll: () => later(() => [...data.values()].map((v) => structuredClone(v))),
            get: (k: string) => later(() => (data.has(k) ? structuredClone(data.get(k)) : undefined)),
            index: () => ({
              getAllKeys: (runId: string) =>
                later(() => [...data.values()].filter((v) => v.runId === runId).map((v) => String(v.id))),
              getAll: (runId: string) =>
                later(() =>
                  [...data.values()].filter((v) => v.runId === runId).map((v) => structuredClone(v)),
                ),
            }),
          };
        },
      });
    },
  };
  const factory = {
    open() {
      if (faults.openThrows) throw new DOMException('The operation is insecure.', faults.openThrows);
      const req = {
        result: db,
        error: null,
        onsuccess: null as Handler,
        onerror: null as Handler,
        onblocked: null as Handler,
        onupgradeneeded: null as Handler,
      };
      setTimeout(() => {
        if (faults.blocked) {
          req.onblocked?.call(req, new Event('blocked'));
          return;
        }
        if (stores.size === 0) req.onupgradeneeded?.call(req, new Event('upgradeneeded'));
        req.onsuccess?.call(req, new Event('success'));
      }, 0);
      return req;
    },
  };
  return factory as unknown as IDBFactory;
}

const experiment = createExperimentStore(defaultDraft('linear-regression')).getState().experiment!;

function run(id: string, updatedAt = 1): StoredRun {
  return { id, createdAt: 1, updatedAt, label: id, experiment, models: [] };
}

const checkpoint = (runId: string, step: number) => ({
  id: `${runId}/m`,
  runId,
  modelKey: 'm',
  step,
  model: new Uint8Array(16).fill(step),
  savedAt: 1,
});

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (error) {
    return error instanceof StorageError ? error.kind : `other: ${String(error)}`;
  }
}

describe('run database failures', () => {
  it('stores and reads back runs and checkpoints when all is well', async () => {
    const db = await openRunDb(fakeIndexedDb());
    await db.putRun(run('a'));
    await db.putCheckpoint(checkpoint('a', 3));
    expect((await db.listRuns()).runs.map((r) => r.id)).toEqual(['a']);
    expect((await db.getCheckpoint('a', 'm'))?.step).toBe(3);
    await db.deleteRun('a');
    expect((await db.listRuns()).runs).toEqual([]);
  });

  it('keeps history checkpoints beside the latest ones, and deletes them with the run', async () => {
    const history = (runId: string, key: string, step: number) => ({
      id: historyCheckpointId(runId, key, step),
      runId,
      modelKey: key,
      step,
      model: Uint8Array.of(step),
      savedAt: 1,
    });
    const dbs: RunDb[] = [await openRunDb(fakeIndexedDb()), memoryRunDb()];
    for (const db of dbs) {
      // a database of the layout before history records: latest checkpoints only
      await db.putRun(run('old'));
      await db.putCheckpoint(checkpoint('old', 7));
      expect(await db.listHistory('old')).toEqual([]);
      expect((await db.getCheckpoint('old', 'm'))?.step).toBe(7);

      await db.putRun(run('a'));
      await db.putCheckpoint(checkpoint('a', 30));
      for (const step of [30, 10, 20]) await db.putCheckpoint(history('a', 'm', step));
      await db.putCheckpoint(history('a', 'n', 15));
      await db.putCheckpoint(history('other', 'm', 5));
      // a record whose id does not match its step is not trusted as history
      await db.putCheckpoint({ ...history('a', 'm', 40), step: 41 });
      const list = await db.listHistory('a');
      expect(list.map((c) => `${c.modelKey}@${c.step}`)).toEqual(['m@10', 'n@15', 'm@20', 'm@30']);
      expect(list[0].model).toEqual(Uint8Array.of(10));
      // the latest checkpoint is unaffected by the history beside it
      expect((await db.getCheckpoint('a', 'm'))?.step).toBe(30);
      await db.deleteCheckpoint(historyCheckpointId('a', 'm', 20));
      expect((await db.listHistory('a')).map((c) => c.step)).toEqual([10, 15, 30]);
      await db.deleteRun('a');
      expect(await db.listHistory('a')).toEqual([]);
      expect(await db.getCheckpoint('a', 'm')).toBeNull();
      expect((await db.listHistory('other')).map((c) => c.step)).toEqual([5]);
      await db.deleteCheckpoints('other');
      expect(await db.listHistory('other')).toEqual([]);
    }
  });

  it('says "unavailable" or "blocked" instead of throwing when IndexedDB cannot be opened', async () => {
    expect(await kindOf(openRunDb(fakeIndexedDb({ openThrows: 'SecurityError' })))).toBe('unavailable');
    expect(await kindOf(openRunDb(fakeIndexedDb({ blocked: true })))).toBe('blocked');
    expect(await kindOf(openRunDb(undefined))).toBe('unavailable');
  });

  it('says "quota" when storage is full, and keeps what it could not store in memory', async () => {
    const db = withMemoryFallback(await openRunDb(fakeIndexedDb({ quotaAfter: 1 })));
    await db.putRun(run('stored', 1));
    expect(await kindOf(db.putRun(run('held', 2)))).toBe('quota');
    expect(await kindOf(db.putCheckpoint(checkpoint('held', 5)))).toBe('quota');
    // both runs are listed, newest first; the checkpoint is there to resume from
    expect((await db.listRuns()).runs.map((r) => r.id)).toEqual(['held', 'stored']);
    expect((await db.getCheckpoint('held', 'm'))?.model[0]).toBe(5);
    expect(db.held()).toBe(2);
    await db.deleteRun('held');
    expect(db.held()).toBe(0);
    expect((await db.listRuns()).runs.map((r) => r.id)).toEqual(['stored']);
  });
});

const BACKEND: BackendReport = { name: 'cpu', attempts: [], fallback: false, detail: '', summary: 'cpu' };

/** A training client that answers everything at once (no worker). */
function instantClient(onEvent: (e: ClientEvent) => void): TrainingClient & { emit: typeof onEvent } {
  const ok = <T extends object>(v: T) => Promise.resolve({ ok: true as const, ...v });
  let step = 0;
  return {
    emit: onEvent,
    measure: () => Promise.resolve({ ok: false as const, error: 'no device probe here' }),
    configure: (e, i) =>
      ok({
        backend: BACKEND,
        kept: false,
        step,
        totalSteps: e.steps,
        parameterCount: 1,
        arch: e.models[i].arch,
      }),
    train: () => ok({ step, state: 'training' as const }),
    pause: () => ok({ step, state: 'paused' as const }),
    resume: () => ok({ step, state: 'training' as const }),
    step: (n = 1) => {
      step += n;
      return ok({ step, state: 'paused' as const });
    },
    reset: () => {
      step = 0;
      return ok({ step, state: 'ready' as const });
    },
    setLearningRate: (lr) => ok({ lr }),
    setStepInterval: (ms) => ok({ ms }),
    probe: () => Promise.resolve({ ok: false as const, error: 'no' }),
    saveCheckpoint: () => Promise.resolve({ ok: false as const, error: 'no' }),
    loadCheckpoint: (b) => {
      step = b.model[0];
      return ok({ step, warnings: [] });
    },
    stats: () => Promise.resolve(null),
    dispose: () => Promise.resolve(),
    terminate() {},
    crashed: false,
    received: { bytes: 0, events: 0 },
  };
}

describe('the race on failing storage', () => {
  function setup(factory: IDBFactory) {
    const experimentStore = createExperimentStore(defaultDraft('linear-regression'));
    const live = createLiveStore();
    const runs = createRunsStore();
    const clients: ReturnType<typeof instantClient>[] = [];
    const race = new RaceController({
      experiment: experimentStore,
      live,
      runs,
      spawn: (onEvent) => {
        const c = instantClient(onEvent);
        clients.push(c);
        return c;
      },
      openDb: () => openRunDb(factory),
      settleMs: 5,
      saveEveryMs: 0,
      newId: () => 'run-1',
    });
    return { race, live, runs, clients };
  }
  const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

  it('warns once when storage fills up, keeps training, and the run stays listed and resumable', async () => {
    const { race, live, runs, clients } = setup(fakeIndexedDb({ quotaAfter: 0 }));
    await race.train();
    clients.forEach((c, i) => {
      c.emit({ type: 'checkpoint', step: 20 + i, reason: 'periodic', model: Uint8Array.of(20 + i) });
    });
    await race.pause();
    await tick();
    const storage = live.getState().notices.filter((n) => n.kind === 'storage');
    expect(storage).toHaveLength(1);
    expect(storage[0].message).toMatch(/storage for this site is full/);
    expect(live.getState().models.every((m) => m.state !== 'crashed' && m.state !== 'failed')).toBe(true);
    // the run is in the list, though nothing reached IndexedDB
    expect(runs.getState().runs.map((r) => r.id)).toEqual(['run-1']);
    // and it resumes from the checkpoints held in memory
    await race.resumeRun('run-1');
    expect(live.getState().models.map((m) => m.step)).toEqual([20, 21, 22]);
    race.dispose();
  });

  it('keeps the runs in memory when IndexedDB is unavailable or blocked', async () => {
    for (const faults of [{ openThrows: 'SecurityError' }, { blocked: true }] as Faults[]) {
      const { race, live, runs } = setup(fakeIndexedDb(faults));
      await tick();
      expect(runs.getState().status).toBe('memory');
      const notice = live.getState().notices.find((n) => n.kind === 'storage');
      expect(notice?.message).toMatch(faults.blocked ? /blocked by another tab/ : /not available/);
      expect(notice?.message).toMatch(/kept in memory only/);
      await race.train();
      await race.pause();
      expect(runs.getState().runs.map((r) => r.id)).toEqual(['run-1']);
      race.dispose();
    }
  });
});
