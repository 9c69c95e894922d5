/**
 * Checkpoints at the read-back, so that a reload loses at most the steps since the last read-back
 * the page was shown (issue 14). A checkpoint taken this way rides on the loss read-back the loop
 * makes anyway: the worker is already at a step boundary awaiting the GPU, the weights and Adam's
 * moments are read with the same kind of async read (`await data()`, never a sync readback), and
 * the bytes are transferred to the page with the losses of the same step, which stores them at once.
 *
 * It is taken only while it is cheap: a model whose checkpoint (weights + two Adam moments) is over
 * `maxBytes` is left to the page's periodic checkpoint (every CHECKPOINT_EVERY_MS); otherwise the
 * measured cost of one checkpoint is kept under `maxFraction` of the measured training time, and
 * the bytes sent to the page (which writes them to IndexedDB) under `maxBytesPerSecond`, by taking
 * it at every n-th posted read-back (n = 1 while it costs less than that). The decision is
 * made again at every read-back from the latest measurements, so a model that becomes slower or
 * faster (another tab, a paced step) moves between the cadences by itself.
 */

/** The page's periodic checkpoint (src/app/race/checkpoint-keeper.ts): every this many ms while training. */
export const PERIODIC_CHECKPOINT_MS = 10_000;

/** What live checkpoints may cost. */
export interface LiveCheckpointBudget {
  /** model + optimiser bytes above which the page's periodic checkpoint is used instead */
  maxBytes: number;
  /** at most this fraction of training time spent on checkpoints */
  maxFraction: number;
  /** at most this many checkpoint bytes a second to the page and its storage */
  maxBytesPerSecond: number;
  /** no cadence sparser than this (ms between checkpoints): the page's periodic one is as good */
  maxIntervalMs: number;
}

export const LIVE_CHECKPOINT_BUDGET: LiveCheckpointBudget = {
  maxBytes: 8 * 1024 * 1024,
  maxFraction: 0.05,
  maxBytesPerSecond: 8 * 1024 * 1024,
  maxIntervalMs: PERIODIC_CHECKPOINT_MS,
};

/** Bytes of a checkpoint of `parameterCount` float32 parameters: the weights and Adam's two moments. */
export function checkpointBytes(parameterCount: number): number {
  return parameterCount * 4 * 3;
}

export type CheckpointCadence =
  /** a checkpoint at every `every`-th posted read-back */
  | { kind: 'read-back'; every: number }
  /** no live checkpoints: the page's periodic one (too many bytes, too slow to be worth it, or off) */
  | { kind: 'periodic'; why: 'bytes' | 'time' | 'off' };

/** How many steps a reload can lose now, and why (sent with the losses). */
export interface ReloadLoss {
  steps: number;
  cadence: CheckpointCadence['kind'];
}

export interface CadenceInput {
  /** bytes of one checkpoint (checkpointBytes) */
  bytes: number;
  /** measured ms of one checkpoint (null: none taken yet) */
  checkpointMs: number | null;
  /** measured training ms between two posted read-backs, checkpoints left out (null: not yet) */
  intervalMs: number | null;
}

/** How often to take a checkpoint at the read-back, by its size and its measured cost. */
export function checkpointCadence(input: CadenceInput, budget = LIVE_CHECKPOINT_BUDGET): CheckpointCadence {
  if (input.bytes > budget.maxBytes) return { kind: 'periodic', why: 'bytes' };
  const { checkpointMs, intervalMs } = input;
  // the first checkpoint is its own measurement
  if (checkpointMs === null || intervalMs === null || intervalMs <= 0) return { kind: 'read-back', every: 1 };
  const byTime = checkpointMs / (budget.maxFraction * intervalMs);
  const byBytes = input.bytes / ((budget.maxBytesPerSecond * intervalMs) / 1000);
  const every = Math.max(1, Math.ceil(byTime), Math.ceil(byBytes));
  if (every > 1 && every * intervalMs > budget.maxIntervalMs) return { kind: 'periodic', why: 'time' };
  return { kind: 'read-back', every };
}

/**
 * The session's live-checkpoint bookkeeping: the measurements (moving averages) and whether the
 * read-back now is due for a checkpoint.
 */
export class LiveCheckpoints {
  private checkpointMs: number | null = null;
  private intervalMs: number | null = null;
  private stepsPerPost: number | null = null;
  private since = 0;
  private last: { at: number; step: number } | null = null;
  private spentMs = 0;
  private readonly bytes: number;

  /** `readEvery`: steps between read-backs, the first guess of the steps between two posted ones */
  constructor(
    parameterCount: number,
    private readonly enabled: boolean,
    private readonly readEvery = 1,
    private readonly budget = LIVE_CHECKPOINT_BUDGET,
  ) {
    this.bytes = checkpointBytes(parameterCount);
  }

  get cadence(): CheckpointCadence {
    if (!this.enabled) return { kind: 'periodic', why: 'off' };
    return checkpointCadence(
      { bytes: this.bytes, checkpointMs: this.checkpointMs, intervalMs: this.intervalMs },
      this.budget,
    );
  }

  /** A read-back of step `step` was posted to the page at `now` (ms): is a checkpoint due at it? */
  posted(now: number, step: number): boolean {
    if (this.last !== null && step > this.last.step) {
      const train = Math.max(0, now - this.last.at - this.spentMs);
      const steps = step - this.last.step;
      this.intervalMs = this.intervalMs === null ? train : 0.8 * this.intervalMs + 0.2 * train;
      this.stepsPerPost = this.stepsPerPost === null ? steps : 0.8 * this.stepsPerPost + 0.2 * steps;
    }
    this.last = { at: now, step };
    this.spentMs = 0;
    const c = this.cadence;
    if (c.kind !== 'read-back') return false;
    this.since += 1;
    if (this.since < c.every) return false;
    this.since = 0;
    return true;
  }

  /** A checkpoint at the read-back took `ms`. */
  took(ms: number): void {
    this.spentMs += ms;
    this.checkpointMs = this.checkpointMs === null ? ms : 0.8 * this.checkpointMs + 0.2 * ms;
  }

  /** How many steps a reload can lose now, at `stepsPerSecond`. */
  reloadLoss(stepsPerSecond: number): ReloadLoss {
    const c = this.cadence;
    if (c.kind === 'read-back') {
      return { steps: Math.ceil(c.every * (this.stepsPerPost ?? this.readEvery)), cadence: c.kind };
    }
    return { steps: Math.ceil((stepsPerSecond * PERIODIC_CHECKPOINT_MS) / 1000), cadence: c.kind };
  }

  /** Training stopped (pause, divergence): the next interval is measured afresh. */
  restart(): void {
    this.last = null;
    this.spentMs = 0;
    this.since = 0;
  }
}
