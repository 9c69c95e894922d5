/**
 * The training client's liveness on a fake clock, with workers that never answer comlink: a start
 * that takes long says what it waits for; a worker silent past the grace window is reported
 * `crashed` (cause `hung`), terminated, and its pending call answered `{ ok: false }`; a worker that
 * answers heartbeats is left alone.
 */
import { describe, expect, it } from 'vitest';
import { tinyExperiment } from '../../train/test-experiments';
import { FakeClock } from '../fake-clock';
import { type ClientEvent, createTrainingClient } from './client';

/** A worker that swallows every comlink call; `beats`: it answers heartbeats (else it is hung). */
function silentWorker(beats: () => boolean) {
  const target = new EventTarget();
  let terminated = false;
  const worker = Object.assign(target, {
    postMessage: (m: unknown) => {
      const beat = (m as { iclHeartbeat?: number }).iclHeartbeat;
      if (typeof beat === 'number' && beats() && !terminated)
        target.dispatchEvent(new MessageEvent('message', { data: { iclHeartbeat: beat } }));
    },
    terminate: () => {
      terminated = true;
    },
  });
  return { worker: worker as unknown as Worker, terminated: () => terminated };
}

const LIVENESS = {
  watchdog: { intervalMs: 1000, timeoutMs: 5000, graceMs: 30_000 },
  configureDeadlineMs: 120_000,
  callDeadlineMs: 120_000,
  slowStartMs: 8000,
};

describe('training client liveness', () => {
  it('tells a slow start, then gives a silent worker up after the grace window', async () => {
    const clock = new FakeClock();
    const events: ClientEvent[] = [];
    const fake = silentWorker(() => false);
    const client = createTrainingClient(
      (e) => events.push(e),
      () => fake.worker,
      { ...LIVENESS, timers: clock },
    );
    const configured = client.configure(tinyExperiment(), 0);
    clock.advance(8000);
    expect(events).toEqual([
      { type: 'waiting', message: 'still loading the backend and building the model (8 s)' },
    ]);
    clock.advance(21_000);
    expect(client.crashed).toBe(false);
    clock.advance(2000);
    expect(client.crashed).toBe(true);
    expect(fake.terminated()).toBe(true);
    const crash = events.find((e) => e.type === 'crashed');
    expect(crash).toEqual({
      type: 'crashed',
      cause: 'hung',
      message: 'stopped answering (no heartbeat for 30 s while loading the backend and building the model)',
    });
    await expect(configured).resolves.toMatchObject({
      ok: false,
      error: /the worker crashed: stopped answering/,
    });
    // later calls answer at once
    await expect(client.pause()).resolves.toMatchObject({ ok: false });
    expect(events.filter((e) => e.type === 'crashed')).toHaveLength(1);
  });

  it('a worker that answers heartbeats but never a call is given up at the call deadline', async () => {
    const clock = new FakeClock();
    const events: ClientEvent[] = [];
    const fake = silentWorker(() => true);
    const client = createTrainingClient(
      (e) => events.push(e),
      () => fake.worker,
      { ...LIVENESS, timers: clock },
    );
    const paused = client.pause();
    clock.advance(119_000);
    expect(client.crashed).toBe(false);
    clock.advance(1000);
    await expect(paused).resolves.toEqual({
      ok: false,
      error: 'the worker stopped answering (no answer to pause within 120 s)',
    });
    expect(client.crashed).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'crashed', cause: 'hung' });
  });

  it('leaves a worker that answers alone, and stops beating once terminated', () => {
    const clock = new FakeClock();
    const events: ClientEvent[] = [];
    let sent = 0;
    const fake = silentWorker(() => {
      sent += 1;
      return true;
    });
    const client = createTrainingClient(
      (e) => events.push(e),
      () => fake.worker,
      { ...LIVENESS, timers: clock },
    );
    clock.advance(100_000);
    expect(client.crashed).toBe(false);
    expect(events).toEqual([]);
    expect(sent).toBe(100);
    client.terminate();
    clock.advance(10_000);
    expect(sent).toBe(100);
  });
});
