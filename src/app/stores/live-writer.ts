/**
 * Who writes the live store now: the race (its training workers' events) or the recording (a
 * recorded run played back). One writer at a time: a writer claims the store before its first
 * write; the one holding it is released first (the race stops its workers, the recording stops
 * playing) and from then on its writes are refused. Neither writer knows the other. Every write
 * is an action of the one reducer (live-reducer.ts).
 */
import type { StoreApi } from 'zustand/vanilla';
import { type LiveAction, reduceLive } from './live-reducer';
import type { LiveState } from './live-store';

export type LiveWriterName = 'race' | 'recording';

export interface LiveOwner {
  readonly name: LiveWriterName;
  /** another writer took the live store: stop writing (what is under way may finish) */
  release(): Promise<void> | void;
}

export class LiveWriter {
  private owner: LiveOwner | null = null;

  constructor(readonly store: StoreApi<LiveState>) {}

  /** The writer holding the live store (null: none). */
  get current(): LiveWriterName | null {
    return this.owner?.name ?? null;
  }

  holds(owner: LiveOwner): boolean {
    return this.owner === owner;
  }

  /** Take the live store; resolves once the writer that held it has been released. */
  async claim(owner: LiveOwner): Promise<void> {
    const previous = this.owner;
    if (previous === owner) return;
    this.owner = owner;
    if (previous) await previous.release();
  }

  /** Give the live store up (nothing happens when `owner` does not hold it). */
  leave(owner: LiveOwner): void {
    if (this.owner === owner) this.owner = null;
  }

  /** Apply `action` (through the live store's one reducer) if `owner` holds the store; false otherwise. */
  dispatch(owner: LiveOwner, action: LiveAction): boolean {
    if (this.owner !== owner) return false;
    this.store.setState((s) => reduceLive(s, action));
    return true;
  }
}
