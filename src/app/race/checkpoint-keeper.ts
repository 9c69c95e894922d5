/**
 * Fresh checkpoints while training, so that a reload, a closed tab or a crash loses little: every
 * `everyMs` while the race trains (the workers answer at a step boundary and go on), and at once
 * when the page is hidden (`visibilitychange`: a tab switched away, a phone locked, the first sign
 * of a page being closed) and on `pagehide`. The race stores each in the run database
 * (RaceController.checkpointNow), where Resume finds it after a reload.
 *
 * A reload gives the page no time for the round trip (ask the worker, read the GPU, post, write
 * IndexedDB), so what is asked on `pagehide` rarely lands: a small model's worker therefore also
 * sends its checkpoint with the read-backs it posts (src/workers/training/live-checkpoint.ts; the
 * race stores each at once), and the timer here is what larger models rely on (Diagnostics says
 * how many steps a reload can lose).
 */
import type { StoreApi } from 'zustand/vanilla';
import type { LiveState } from '../stores/live-store';
import { CHECKPOINT_EVERY_MS } from './recovery';

export interface CheckpointKeeperDeps {
  live: StoreApi<Pick<LiveState, 'training'>>;
  /** ask every worker for its weights now and store them */
  checkpointNow(): Promise<void>;
  /** the page's document (visibility) and window (pagehide); absent under Node */
  page?: {
    visibilityState(): DocumentVisibilityState;
    on(type: 'visibilitychange' | 'pagehide', fn: () => void): () => void;
  };
  everyMs?: number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/** Start keeping checkpoints; returns the function that stops. */
export function keepCheckpoints(d: CheckpointKeeperDeps): () => void {
  const every = d.everyMs ?? CHECKPOINT_EVERY_MS;
  const set = d.setInterval ?? ((fn, ms) => setInterval(fn, ms));
  const clear = d.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>));
  let timer: unknown = null;
  let inFlight = false;
  const save = () => {
    if (inFlight) return;
    inFlight = true;
    void d.checkpointNow().finally(() => {
      inFlight = false;
    });
  };
  const follow = (training: boolean) => {
    if (training && timer === null) timer = set(save, every);
    if (!training && timer !== null) {
      clear(timer);
      timer = null;
    }
  };
  follow(d.live.getState().training);
  const unsubscribe = d.live.subscribe((s, prev) => {
    if (s.training !== prev.training) follow(s.training);
  });
  const offVisibility = d.page?.on('visibilitychange', () => {
    if (d.page?.visibilityState() === 'hidden' && d.live.getState().training) save();
  });
  const offHide = d.page?.on('pagehide', () => {
    if (d.live.getState().training) save();
  });
  return () => {
    unsubscribe();
    offVisibility?.();
    offHide?.();
    follow(false);
  };
}
