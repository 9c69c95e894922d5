/**
 * Deleting a run with a moment to take it back: `remove` hides the run at once and deletes it for
 * good after `delayMs` unless `undo` comes first. `flush` deletes everything pending now (page
 * closing). One store, written only here; the run list reads `pending` to hide those runs.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';

export interface TrashState {
  /** runs deleted but still recoverable, oldest first */
  pending: Array<{ id: string; label: string }>;
}

export interface RunTrash {
  readonly store: StoreApi<TrashState>;
  remove(id: string, label: string): void;
  undo(id: string): void;
  flush(): void;
}

export interface TrashDeps {
  /** deletes for good */
  commit(id: string): void;
  delayMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export function createRunTrash(deps: TrashDeps): RunTrash {
  const delayMs = deps.delayMs ?? 8000;
  const setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const store = createStore<TrashState>()(() => ({ pending: [] }));
  const timers = new Map<string, unknown>();
  const drop = (id: string) => {
    const handle = timers.get(id);
    if (handle !== undefined) clearTimer(handle);
    timers.delete(id);
    store.setState((s) => ({ pending: s.pending.filter((p) => p.id !== id) }));
  };
  const commit = (id: string) => {
    if (!timers.has(id)) return;
    drop(id);
    deps.commit(id);
  };
  return {
    store,
    remove(id, label) {
      if (timers.has(id)) return;
      timers.set(
        id,
        setTimer(() => commit(id), delayMs),
      );
      store.setState((s) => ({ pending: [...s.pending, { id, label }] }));
    },
    undo(id) {
      drop(id);
    },
    flush() {
      for (const id of [...timers.keys()]) commit(id);
    },
  };
}
