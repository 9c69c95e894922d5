/** Tests' clock for the watchdog and the clients' liveness (src/workers/watchdog.ts). */
import type { WatchdogTimers } from './watchdog';

/** A clock whose timers run only when `advance` moves time on. */
export class FakeClock implements WatchdogTimers {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; every: number | null; fn: () => void }>();
  now = () => this.t;
  setInterval = (fn: () => void, ms: number) => this.add(fn, ms, ms);
  setTimeout = (fn: () => void, ms: number) => this.add(fn, ms, null);
  clearInterval = (h: unknown) => void this.timers.delete(h as number);
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  private add(fn: () => void, ms: number, every: number | null): number {
    this.seq += 1;
    this.timers.set(this.seq, { at: this.t + ms, every, fn });
    return this.seq;
  }
  /** Move time on by `ms`, running every timer due on the way, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; every: number | null; fn: () => void }] | null = null;
      for (const entry of this.timers)
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      const [id, timer] = next;
      this.t = timer.at;
      if (timer.every === null) this.timers.delete(id);
      else timer.at += timer.every;
      timer.fn();
    }
    this.t = end;
  }
}
