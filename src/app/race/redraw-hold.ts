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
 * The page measures its own lag: how long each hold lasted, from the commit of the new value to
 * the end of the frame that drew it. When a redraw was slow anyway (`slowMs`: something else keeps
 * the cores busy, another program or the browser), the next redraws hold one worker more, up to all
 * of them; after `relaxAfter` fast ones in a row (under `fastMs`), one fewer again, down to the
 * count the cores call for. On a machine with a core to spare, nothing is ever held.
 *
 * `begin()` holds and returns the release (to be called once the redraw is painted); a release
 * that never comes ends by itself after `maxMs` (and counts as slow). Holds may overlap (two panels
 * in one frame): a worker is released when the last hold that took it ends.
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
  /** a hold this long or longer was a slow redraw (ms; default 90 % of maxMs) */
  slowMs?: number;
  /** a hold shorter than this was a fast one (ms; default 30) */
  fastMs?: number;
  /** fast redraws in a row before one worker fewer is held (default 3) */
  relaxAfter?: number;
  now?: () => number;
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
  /** workers held beyond what the cores call for, after slow redraws */
  private extra = 0;
  private fastInARow = 0;
  /** the most workers that may be held beyond the cores' count (at the last hold) */
  private extraLimit = 0;
  private readonly maxMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly deps: RedrawHoldDeps) {
    this.maxMs = Math.min(deps.maxMs ?? MAX_HOLD_MS, MAX_HOLD_MS);
    this.setTimer = deps.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = deps.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.now = deps.now ?? (() => performance.now());
  }

  /** Hold the workers a redraw needs held; returns the release (safe to call more than once). */
  begin(): () => void {
    const targets = this.deps.targets().filter((t) => typeof t.hold === 'function');
    const base = workersToHold(targets.length, this.deps.cores, this.deps.spareCores);
    if (base === 0) return noRelease;
    this.extraLimit = targets.length - base;
    this.extra = Math.min(this.extra, this.extraLimit);
    const n = base + this.extra;
    const start = this.turn % targets.length;
    this.turn = (start + 1) % targets.length;
    const chosen = Array.from({ length: n }, (_, i) => targets[(start + i) % targets.length]);
    for (const t of chosen) {
      this.held.set(t, (this.held.get(t) ?? 0) + 1);
      t.hold?.(this.maxMs);
    }
    let done = false;
    const started = this.now();
    const release = (): void => {
      if (done) return;
      done = true;
      this.clearTimer(timer);
      this.learn(this.now() - started);
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

  /** One more worker held after a slow redraw, one fewer after `relaxAfter` fast ones. */
  private learn(ms: number): void {
    const slow = this.deps.slowMs ?? 0.9 * this.maxMs;
    const fast = this.deps.fastMs ?? 30;
    if (ms >= slow) {
      this.extra = Math.min(this.extra + 1, this.extraLimit);
      this.fastInARow = 0;
    } else if (ms < fast) {
      this.fastInARow += 1;
      if (this.fastInARow >= (this.deps.relaxAfter ?? 3)) {
        this.extra = Math.max(0, this.extra - 1);
        this.fastInARow = 0;
      }
    } else {
      this.fastInARow = 0;
    }
  }

  /** Workers held beyond what the cores call for (after slow redraws). */
  get extraHeld(): number {
    return this.extra;
  }

  /** How many holds take each worker now (for tests). */
  heldCount(target: Holdable): number {
    return this.held.get(target) ?? 0;
  }
}
