/**
 * Holding training workers while the page redraws its charts (the workers' side and the reason:
 * src/workers/page-hold.ts).
 *
 * With as many training workers as cores or more, a redraw finds every core busy and waits for one
 * most of its wall time. For the length of a redraw, enough workers start no new step that
 * `spareCores` cores are left to the page (its main thread, and the compositor that paints): with
 * 3 workers on 2 cores and 1 spare core, 2 workers wait and 1 trains on. Which workers wait turns
 * at every redraw, so each model loses the same share of its time. With fewer workers than cores
 * less spare (a core is free anyway) nothing is held.
 *
 * `begin()` holds and returns the release (to be called once the redraw is painted); a release
 * that never comes ends by itself after `maxMs`. Holds may overlap (two panels in one frame): a
 * worker is released when the last hold that took it ends.
 */
import { MAX_HOLD_MS } from '../../workers/page-hold';

/** A worker that can be held (a TrainingClient). */
export interface Holdable {
  hold?(ms: number): void;
}

export interface RedrawHoldDeps {
  /** the workers of the race, in a stable order */
  targets(): readonly Holdable[];
  /** CPU cores (navigator.hardwareConcurrency) */
  cores: number;
  /** cores to leave to the page during a redraw (default 1) */
  spareCores?: number;
  /** the longest hold (ms; default MAX_HOLD_MS, which the workers also keep to) */
  maxMs?: number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/** How many of `workers` workers wait during a redraw on `cores` cores, leaving `spare` cores. */
export function workersToHold(workers: number, cores: number, spare = 1): number {
  const running = Math.max(0, Math.floor(cores) - Math.max(0, spare));
  return Math.max(0, Math.min(workers, workers - running));
}

const noRelease = (): void => {};

export class RedrawHold {
  private readonly held = new Map<Holdable, number>();
  private turn = 0;
  private readonly maxMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly deps: RedrawHoldDeps) {
    this.maxMs = Math.min(deps.maxMs ?? MAX_HOLD_MS, MAX_HOLD_MS);
    this.setTimer = deps.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = deps.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** Hold the workers a redraw needs held; returns the release (safe to call more than once). */
  begin(): () => void {
    const targets = this.deps.targets().filter((t) => typeof t.hold === 'function');
    const n = workersToHold(targets.length, this.deps.cores, this.deps.spareCores);
    if (n === 0) return noRelease;
    const start = this.turn % targets.length;
    this.turn = (start + 1) % targets.length;
    const chosen = Array.from({ length: n }, (_, i) => targets[(start + i) % targets.length]);
    for (const t of chosen) {
      this.held.set(t, (this.held.get(t) ?? 0) + 1);
      t.hold?.(this.maxMs);
    }
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      this.clearTimer(timer);
      for (const t of chosen) {
        const left = (this.held.get(t) ?? 1) - 1;
        if (left > 0) {
          this.held.set(t, left);
        } else {
          this.held.delete(t);
          t.hold?.(0);
        }
      }
    };
    const timer = this.setTimer(release, this.maxMs);
    return release;
  }

  /** How many holds take each worker now (for tests). */
  heldCount(target: Holdable): number {
    return this.held.get(target) ?? 0;
  }
}
