import { describe, expect, it } from 'vitest';
import { LatestWriter } from './latest-checkpoint';

/** A store whose writes finish only when released, one by one. */
function slowStore() {
  const written: Array<{ key: string; step: number }> = [];
  const pending: Array<() => void> = [];
  let fail = false;
  const writer = new LatestWriter<{ key: string; step: number }>(
    (c) =>
      new Promise<void>((resolve, reject) => {
        pending.push(() => {
          if (fail) return reject(new Error('quota'));
          written.push(c);
          resolve();
        });
      }),
  );
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    writer,
    written,
    pending,
    failNext: (v: boolean) => {
      fail = v;
    },
    release: async () => {
      pending.shift()?.();
      await settle();
    },
    settle,
  };
}

describe('LatestWriter: the latest checkpoint stored as it comes', () => {
  it('writes at once, and of those that arrive during a write only the newest', async () => {
    const s = slowStore();
    const done: number[] = [];
    for (const step of [5, 10, 15, 20]) {
      void s.writer.offer('run/a', { key: 'run/a', step }).then(() => done.push(step));
    }
    await s.settle();
    // step 5 is being written; 10 and 15 were replaced by 20 before their turn
    expect(s.pending).toHaveLength(1);
    expect(s.writer.waiting).toBe(1);
    await s.release();
    expect(s.written.map((c) => c.step)).toEqual([5]);
    expect(done).toEqual([5]);
    await s.release();
    expect(s.written.map((c) => c.step)).toEqual([5, 20]);
    // the replaced ones resolve once a newer one is stored
    expect(done.sort((a, b) => a - b)).toEqual([5, 10, 15, 20]);
    expect(s.pending).toHaveLength(0);
    expect(s.writer.waiting).toBe(0);
  });

  it('keeps one lane per key: models do not wait for each other', async () => {
    const s = slowStore();
    void s.writer.offer('run/a', { key: 'run/a', step: 5 });
    void s.writer.offer('run/b', { key: 'run/b', step: 7 });
    await s.settle();
    expect(s.pending).toHaveLength(2);
    await s.release();
    await s.release();
    expect(s.written).toEqual([
      { key: 'run/a', step: 5 },
      { key: 'run/b', step: 7 },
    ]);
  });

  it('says when every write is done (a reset deletes after them)', async () => {
    const s = slowStore();
    void s.writer.offer('run/a', { key: 'run/a', step: 5 });
    void s.writer.offer('run/a', { key: 'run/a', step: 10 });
    let idle = false;
    void s.writer.idle().then(() => {
      idle = true;
    });
    await s.release();
    expect(idle).toBe(false);
    await s.release();
    expect(s.written.map((c) => c.step)).toEqual([5, 10]);
    expect(idle).toBe(true);
    await s.writer.idle();
  });

  it('goes on after a failed write', async () => {
    const s = slowStore();
    s.failNext(true);
    const first = s.writer.offer('run/a', { key: 'run/a', step: 5 });
    void s.writer.offer('run/a', { key: 'run/a', step: 10 });
    await s.settle();
    await s.release();
    await first;
    s.failNext(false);
    await s.release();
    expect(s.written.map((c) => c.step)).toEqual([10]);
  });
});
