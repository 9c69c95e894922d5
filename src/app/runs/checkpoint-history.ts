/**
 * The checkpoints of the run shown, kept for replay (the probe scrubber): every `checkpoint` event
 * of every model (model bytes only: Adam's moments are not needed to look at a model), at most
 * `capacity` checkpoints and `maxBytes` bytes per model. When a model has more, the one whose
 * removal leaves the smallest gap is dropped, so the kept steps stay spread over the whole run (the
 * first and the latest always stay).
 *
 * A checkpoint at or before the latest one kept means the model went back (reset, divergence
 * restore, resume): the later ones no longer belong to its timeline and are dropped.
 */

export interface HistoryEntry {
  /** unique for the life of the history (a step number may come back after a reset) */
  serial: number;
  step: number;
  /** safetensors: the model's state_dict */
  model: Uint8Array;
}

export const DEFAULT_HISTORY_CAPACITY = 24;
/** Bytes of checkpoints kept per model (paper-sized models keep fewer of them). */
export const DEFAULT_HISTORY_BYTES = 96 * 1024 * 1024;

export class CheckpointHistory {
  private readonly byModel = new Map<string, HistoryEntry[]>();
  private nextSerial = 1;

  /**
   * `capacity` checkpoints per model, and at most `maxBytes` of them per model (but always the
   * first and the latest).
   */
  constructor(
    readonly capacity = DEFAULT_HISTORY_CAPACITY,
    readonly maxBytes = DEFAULT_HISTORY_BYTES,
  ) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new Error('capacity must be an integer >= 2');
  }

  /** Keep a checkpoint of model `key`. */
  add(key: string, step: number, model: Uint8Array): void {
    if (!Number.isInteger(step) || step < 0) return;
    const { kept } = keepInHistory(this.byModel.get(key) ?? [], {
      entry: { serial: this.nextSerial++, step, model },
      capacity: this.capacity,
      maxBytes: this.maxBytes,
      bytes: (e) => e.model.byteLength,
    });
    this.byModel.set(key, kept);
  }

  /** Forget one model's checkpoints. */
  clear(key: string): void {
    this.byModel.delete(key);
  }

  clearAll(): void {
    this.byModel.clear();
  }

  /** Forget every model not in `keys`. */
  retain(keys: readonly string[]): void {
    for (const k of [...this.byModel.keys()]) if (!keys.includes(k)) this.byModel.delete(k);
  }

  /** The steps kept for one model, increasing. */
  stepsOf(key: string): number[] {
    return (this.byModel.get(key) ?? []).map((e) => e.step);
  }

  /** Every step kept for any of `keys` (default all), increasing, without repeats. */
  steps(keys?: readonly string[]): number[] {
    const all = new Set<number>();
    for (const [k, list] of this.byModel) {
      if (keys && !keys.includes(k)) continue;
      for (const e of list) all.add(e.step);
    }
    return [...all].sort((a, b) => a - b);
  }

  /**
   * The checkpoint of model `key` to show for `step`: the latest at or before it, else (the model
   * has none that early) its earliest. Null when the model has none.
   */
  at(key: string, step: number): HistoryEntry | null {
    const list = this.byModel.get(key);
    if (!list || list.length === 0) return null;
    let found: HistoryEntry | null = null;
    for (const e of list) if (e.step <= step) found = e;
    return found ?? list[0];
  }

  get size(): number {
    let n = 0;
    for (const list of this.byModel.values()) n += list.length;
    return n;
  }
}

/**
 * The history's rule, for anything with a step (the in-memory history above, and the copies in
 * IndexedDB: src/app/runs/checkpoint-archive.ts): `entry` joins `list` (increasing steps) after the
 * ones before its step (later ones left another timeline); then, while more than `capacity` are
 * kept or (beyond two) more than `maxBytes`, the one whose removal leaves the smallest gap goes.
 */
export function keepInHistory<T extends { step: number }>(
  list: readonly T[],
  o: { entry: T; capacity: number; maxBytes: number; bytes: (e: T) => number },
): { kept: T[]; dropped: T[] } {
  const kept = list.filter((e) => e.step < o.entry.step);
  const dropped = list.filter((e) => e.step >= o.entry.step);
  kept.push(o.entry);
  const total = () => kept.reduce((n, e) => n + o.bytes(e), 0);
  while (kept.length > o.capacity || (kept.length > 2 && total() > o.maxBytes)) {
    dropped.push(...kept.splice(victim(kept), 1));
  }
  return { kept, dropped };
}

/** The index (never the first or the last) whose removal leaves the smallest gap. */
function victim(list: ReadonlyArray<{ step: number }>): number {
  let best = 1;
  let bestGap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < list.length - 1; i++) {
    const gap = list[i + 1].step - list[i - 1].step;
    if (gap < bestGap) {
      bestGap = gap;
      best = i;
    }
  }
  return best;
}
