/**
 * Liveness of a worker, seen from the page: a heartbeat and call deadlines.
 *
 * The page posts `{ iclHeartbeat: n }` to the worker every `intervalMs`; the worker's entry answers
 * each at once (`answerHeartbeats`, outside comlink: comlink ignores messages without its fields).
 * A worker that is busy-looping, closed itself, or is stuck in a synchronous call stops answering;
 * once no answer came for `timeoutMs` the watchdog calls `onHung` (once) with what it measured.
 * While the worker is starting (loading its backend, compiling shaders: long synchronous work that
 * is not a hang) a longer `graceMs` applies; `busy()` opens such a window, `settled()` closes it.
 * Slow steps stretch the timeout: `stepTook(ms)` keeps it at least `stepFactor` steps long.
 *
 * Call deadlines: `deadline(promise, ms, what)` resolves with the promise's value, or with
 * `{ ok: false }` once `ms` passed without an answer (and then reports the worker as hung).
 *
 * Pure timing logic: the clock and the timers are injected (vitest's fake timers in the tests).
 */

/** How many of the latest step times the timeout follows. */
const RECENT_STEPS = 8;

export interface WatchdogTimers {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: WatchdogTimers = {
  now: () => (typeof performance !== 'undefined' ? performance.now() : Date.now()),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface WatchdogOptions {
  /** a heartbeat every this many ms */
  intervalMs: number;
  /** no answer for this long (ms): the worker is hung */
  timeoutMs: number;
  /** the timeout while the worker starts or compiles (ms) */
  graceMs: number;
  /** the timeout is at least this many times the slowest recent step */
  stepFactor: number;
}

export const DEFAULT_WATCHDOG: WatchdogOptions = {
  intervalMs: 1000,
  timeoutMs: 8000,
  // a first WebGL step compiles every program in one synchronous call: minutes on a slow machine
  graceMs: 240_000,
  stepFactor: 5,
};

/** What the watchdog saw when it gave up on a worker. */
export interface HangReport {
  /** ms since the last answer (or since the start) */
  silentMs: number;
  /** the timeout that applied (ms) */
  timeoutMs: number;
  /** what the worker was doing, as the client last said (`busy(what)`), or null */
  during: string | null;
  /** a call deadline passed (its name), rather than the heartbeat */
  call: string | null;
}

/** A short sentence for a notice: "stopped answering (no heartbeat for 9 s while training)". */
export function describeHang(h: HangReport): string {
  const secs = Math.round(h.silentMs / 1000);
  if (h.call) return `stopped answering (no answer to ${h.call} within ${Math.round(h.timeoutMs / 1000)} s)`;
  return `stopped answering (no heartbeat for ${secs} s${h.during ? ` while ${h.during}` : ''})`;
}

export class Watchdog {
  private readonly o: WatchdogOptions;
  private interval: unknown = null;
  private lastAnswer = 0;
  private seq = 0;
  /** the step times told lately (ms), newest last */
  private recentSteps: number[] = [];
  private during: string | null = null;
  private graceUntil = 0;
  private fired = false;
  private stopped = false;

  constructor(
    private readonly send: (seq: number) => void,
    private readonly onHung: (report: HangReport) => void,
    options: Partial<WatchdogOptions> = {},
    private readonly timers: WatchdogTimers = realTimers,
  ) {
    this.o = { ...DEFAULT_WATCHDOG, ...options };
  }

  /** Start beating (the worker starts: the grace window is open). */
  start(during = 'starting'): void {
    if (this.interval !== null || this.stopped) return;
    this.lastAnswer = this.timers.now();
    this.busy(during);
    this.interval = this.timers.setInterval(() => this.tick(), this.o.intervalMs);
  }

  /** Stop for good (the worker is terminated). */
  stop(): void {
    this.stopped = true;
    if (this.interval !== null) this.timers.clearInterval(this.interval);
    this.interval = null;
  }

  /** An answer to heartbeat `seq` (any answer proves the worker's event loop runs). */
  answer(_seq: number): void {
    this.lastAnswer = this.timers.now();
  }

  /** The worker is doing long work that may block it (`what`: "loading the backend", ...). */
  busy(what: string): void {
    this.during = what;
    this.graceUntil = this.timers.now() + this.o.graceMs;
  }

  /** The long work is over: the short timeout applies again. */
  settled(what: string | null = null): void {
    this.during = what;
    this.graceUntil = 0;
  }

  /**
   * One step took `ms`: the timeout stays at least `stepFactor` times the slowest of the last
   * `RECENT_STEPS` steps told (a step that shared the cores with more work can take several times the
   * one before it; one fast step must not shorten the timeout under the next slow one).
   */
  stepTook(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    this.recentSteps.push(ms);
    if (this.recentSteps.length > RECENT_STEPS) this.recentSteps.shift();
  }

  /** Whether a step time has been told (the timeout then follows the steps). */
  get knowsSteps(): boolean {
    return this.recentSteps.length > 0;
  }

  /** What the worker is doing, as last told. */
  get activity(): string | null {
    return this.during;
  }

  /** The timeout that applies now (ms). */
  timeoutNow(): number {
    const slowest = this.recentSteps.reduce((a, b) => Math.max(a, b), 0);
    const base = Math.max(this.o.timeoutMs, this.o.stepFactor * slowest);
    return this.timers.now() < this.graceUntil ? Math.max(base, this.o.graceMs) : base;
  }

  get hung(): boolean {
    return this.fired;
  }

  private tick(): void {
    if (this.fired || this.stopped) return;
    const silent = this.timers.now() - this.lastAnswer;
    const timeout = this.timeoutNow();
    if (silent >= timeout) {
      this.fire({ silentMs: silent, timeoutMs: timeout, during: this.during, call: null });
      return;
    }
    this.seq += 1;
    this.send(this.seq);
  }

  private fire(report: HangReport): void {
    if (this.fired || this.stopped) return;
    this.fired = true;
    this.stop();
    this.onHung(report);
  }

  /**
   * `promise`, or `{ ok: false, error }` after `ms` without an answer (the worker is then reported
   * hung: a call that never answers is a hang even if heartbeats still come).
   */
  deadline<T>(promise: Promise<T>, ms: number, what: string, late: (error: string) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const handle = this.timers.setTimeout(() => {
        if (done) return;
        done = true;
        const report: HangReport = { silentMs: ms, timeoutMs: ms, during: this.during, call: what };
        resolve(late(`the worker ${describeHang(report)}`));
        this.fire(report);
      }, ms);
      const settle = () => {
        if (done) return false;
        done = true;
        this.timers.clearTimeout(handle);
        return true;
      };
      promise.then(
        (value) => {
          if (settle()) resolve(value);
        },
        (error: unknown) => {
          if (settle()) reject(error);
        },
      );
    });
  }
}

/** The worker's side: answer every heartbeat at once. */
export function answerHeartbeats(scope: {
  addEventListener(type: 'message', fn: (event: MessageEvent) => void): void;
  postMessage(message: unknown): void;
}): void {
  scope.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as { iclHeartbeat?: unknown } | null;
    if (data && typeof data === 'object' && typeof data.iclHeartbeat === 'number')
      scope.postMessage({ iclHeartbeat: data.iclHeartbeat });
  });
}

declare const __ICL_TEST_HOOKS__: boolean | undefined;

/** Test pages only (`ICL_TEST_PAGES=1` builds define it): the worker obeys `{ iclTestHang }`. */
export const TEST_HOOKS: boolean = typeof __ICL_TEST_HOOKS__ !== 'undefined' && __ICL_TEST_HOOKS__ === true;

/**
 * The worker's side of the e2e hang test, enabled only in test builds: `busy` spins forever (a hung
 * loop), `close` closes the worker (no error event, no answer ever again).
 */
export function obeyTestHangs(scope: {
  addEventListener(type: 'message', fn: (event: MessageEvent) => void): void;
  close(): void;
}): void {
  if (!TEST_HOOKS) return;
  scope.addEventListener('message', (event: MessageEvent) => {
    const mode = (event.data as { iclTestHang?: unknown } | null)?.iclTestHang;
    if (mode === 'close') scope.close();
    if (mode === 'busy') {
      let spins = 0;
      while (spins >= 0) spins = (spins + 1) % 1_000_000;
    }
  });
}

/** Whether a message from a worker is a heartbeat answer (its number), or null. */
export function heartbeatOf(data: unknown): number | null {
  if (data && typeof data === 'object' && 'iclHeartbeat' in data) {
    const n = (data as { iclHeartbeat: unknown }).iclHeartbeat;
    return typeof n === 'number' ? n : null;
  }
  return null;
}
