/**
 * The watchdog's timing on a fake clock: a worker that answers is never reported, one that stops is
 * reported once within the timeout and an interval, the grace window and slow steps stretch the
 * timeout, and a call past its deadline is answered `{ ok: false }` and reported.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock';
import { describeHang, type HangReport, heartbeatOf, Watchdog } from './watchdog';

function setup(options = {}) {
  const clock = new FakeClock();
  const sent: number[] = [];
  const hangs: HangReport[] = [];
  const dog = new Watchdog(
    (n) => sent.push(n),
    (h) => hangs.push(h),
    options,
    clock,
  );
  return { clock, sent, hangs, dog };
}

describe('Watchdog', () => {
  it('sends a heartbeat every interval and never reports a worker that answers', () => {
    const { clock, sent, hangs, dog } = setup({ intervalMs: 1000, timeoutMs: 5000 });
    dog.start();
    dog.settled('idle');
    for (let s = 0; s < 120; s++) {
      clock.advance(1000);
      dog.answer(sent.at(-1) ?? 0);
    }
    expect(sent.length).toBe(120);
    expect(hangs).toEqual([]);
    expect(dog.hung).toBe(false);
  });

  it('reports a worker that stops answering once, within the timeout plus one interval', () => {
    const { clock, sent, hangs, dog } = setup({ intervalMs: 1000, timeoutMs: 5000 });
    dog.start();
    dog.settled('training');
    clock.advance(3000);
    dog.answer(sent.at(-1)!);
    const lastAnswer = clock.t;
    clock.advance(5000 - 1);
    expect(hangs).toEqual([]);
    clock.advance(1000);
    expect(hangs).toHaveLength(1);
    expect(clock.t - lastAnswer).toBeLessThanOrEqual(6000);
    expect(hangs[0]).toMatchObject({ timeoutMs: 5000, during: 'training', call: null });
    expect(hangs[0].silentMs).toBeGreaterThanOrEqual(5000);
    const beats = sent.length;
    clock.advance(60_000);
    // stopped: no more heartbeats, no second report
    expect(hangs).toHaveLength(1);
    expect(sent.length).toBe(beats);
    expect(describeHang(hangs[0])).toMatch(/^stopped answering \(no heartbeat for [56] s while training\)$/);
  });

  it('allows the grace window while the worker starts or compiles, then the short timeout again', () => {
    const { clock, hangs, dog } = setup({ intervalMs: 1000, timeoutMs: 5000, graceMs: 60_000 });
    dog.start('loading the backend');
    clock.advance(59_000);
    expect(hangs).toEqual([]);
    dog.answer(1);
    dog.busy('compiling shaders');
    clock.advance(30_000);
    expect(hangs).toEqual([]);
    dog.settled('training');
    expect(dog.timeoutNow()).toBe(5000);
    clock.advance(1000);
    expect(hangs).toHaveLength(1);
    expect(hangs[0].during).toBe('training');
  });

  it('grace runs out: a start that never answers is reported after graceMs', () => {
    const { clock, hangs, dog } = setup({ intervalMs: 1000, timeoutMs: 5000, graceMs: 20_000 });
    dog.start('loading the backend');
    clock.advance(19_000);
    expect(hangs).toEqual([]);
    clock.advance(2000);
    expect(hangs).toHaveLength(1);
    expect(hangs[0].during).toBe('loading the backend');
  });

  it('slow steps stretch the timeout to stepFactor steps', () => {
    const { clock, hangs, dog } = setup({ intervalMs: 1000, timeoutMs: 5000, stepFactor: 4 });
    dog.start();
    dog.settled('training');
    dog.stepTook(3000);
    expect(dog.timeoutNow()).toBe(12_000);
    clock.advance(11_000);
    expect(hangs).toEqual([]);
    clock.advance(2000);
    expect(hangs).toHaveLength(1);
    dog.stepTook(Number.NaN);
  });

  it('follows the slowest of the recent steps, so a fast step does not shorten the wait for a slow one', () => {
    const { clock, hangs, dog } = setup({ intervalMs: 1000, timeoutMs: 5000, stepFactor: 4 });
    dog.start();
    dog.settled('training');
    expect(dog.knowsSteps).toBe(false);
    dog.stepTook(0);
    expect(dog.knowsSteps).toBe(false);
    dog.stepTook(4000);
    dog.stepTook(500);
    expect(dog.knowsSteps).toBe(true);
    expect(dog.timeoutNow()).toBe(16_000);
    clock.advance(15_000);
    expect(hangs).toEqual([]);
    // eight faster steps later the slow one is forgotten
    for (let i = 0; i < 8; i++) dog.stepTook(500);
    expect(dog.timeoutNow()).toBe(5000);
  });

  it('a call past its deadline answers { ok: false } and reports the worker; one in time passes through', async () => {
    const { clock, hangs, dog } = setup({ intervalMs: 1000, timeoutMs: 60_000 });
    dog.start();
    const quick = dog.deadline(Promise.resolve({ ok: true }), 1000, 'pause', (error) => ({
      ok: false,
      error,
    }));
    await expect(quick).resolves.toEqual({ ok: true });
    const never = dog.deadline(
      new Promise<{ ok: boolean; error?: string }>(() => {}),
      10_000,
      'pause',
      (error) => ({
        ok: false,
        error,
      }),
    );
    clock.advance(9999);
    expect(hangs).toEqual([]);
    clock.advance(1);
    await expect(never).resolves.toEqual({
      ok: false,
      error: 'the worker stopped answering (no answer to pause within 10 s)',
    });
    expect(hangs).toEqual([{ silentMs: 10_000, timeoutMs: 10_000, during: 'starting', call: 'pause' }]);
  });
});

describe('heartbeatOf', () => {
  it('reads heartbeat answers only', () => {
    expect(heartbeatOf({ iclHeartbeat: 3 })).toBe(3);
    expect(heartbeatOf({ id: 'x', type: 'RETURN' })).toBeNull();
    expect(heartbeatOf({ iclHeartbeat: '3' })).toBeNull();
    expect(heartbeatOf(null)).toBeNull();
  });
});
