/**
 * Each model's latest checkpoint written to storage as soon as it arrives, one write at a time per
 * key: a checkpoint that arrives while the previous one is being written waits, and a newer one
 * replaces it before it is written. So the stored checkpoint trails the newest by at most the one
 * being written, however often they come (the training workers send one at every read-back while
 * it is cheap, src/workers/training/live-checkpoint.ts), and the writes never queue up.
 */
export class LatestWriter<T> {
  private readonly lanes = new Map<string, { next: T | null; waiters: Array<() => void>; busy: boolean }>();

  /** `write` stores a value; a failure is its own to report (the next value is written anyway). */
  constructor(private readonly write: (value: T) => Promise<void>) {}

  /** Store `value` under `key`; resolves once it, or a newer value of the same key, is written. */
  offer(key: string, value: T): Promise<void> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { next: null, waiters: [], busy: false };
      this.lanes.set(key, lane);
    }
    const l = lane;
    return new Promise<void>((resolve) => {
      l.next = value;
      l.waiters.push(resolve);
      if (!l.busy) void this.drain(key, l);
    });
  }

  /** Resolves once every value offered so far is written (or replaced and its newer one written). */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) {
      await Promise.all([...this.lanes.values()].map((l) => new Promise<void>((r) => l.waiters.push(r))));
    }
  }

  /** Values waiting (not yet being written), for tests and diagnostics. */
  get waiting(): number {
    let n = 0;
    for (const lane of this.lanes.values()) if (lane.next !== null) n += 1;
    return n;
  }

  private async drain(key: string, lane: { next: T | null; waiters: Array<() => void>; busy: boolean }) {
    lane.busy = true;
    while (lane.next !== null) {
      const value = lane.next;
      const waiters = lane.waiters;
      lane.next = null;
      lane.waiters = [];
      try {
        await this.write(value);
      } catch {
        // reported by `write`; the next value is still written
      }
      for (const w of waiters) w();
    }
    lane.busy = false;
    if (this.lanes.get(key) === lane) this.lanes.delete(key);
    // those waiting for the lane to be idle (`idle`)
    for (const w of lane.waiters.splice(0)) w();
  }
}
