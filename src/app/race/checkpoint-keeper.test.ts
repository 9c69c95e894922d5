import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { FakeClock } from '../../workers/fake-clock';
import { keepCheckpoints } from './checkpoint-keeper';

function setup() {
  const clock = new FakeClock();
  const live = createStore<{ training: boolean }>(() => ({ training: false }));
  let saves = 0;
  let release: (() => void) | null = null;
  const listeners = new Map<string, () => void>();
  let visibility: DocumentVisibilityState = 'visible';
  const stop = keepCheckpoints({
    live,
    checkpointNow: () => {
      saves += 1;
      return new Promise<void>((r) => {
        release = r;
      });
    },
    everyMs: 10_000,
    setInterval: clock.setInterval,
    clearInterval: clock.clearInterval,
    page: {
      visibilityState: () => visibility,
      on: (type, fn) => {
        listeners.set(type, fn);
        return () => listeners.delete(type);
      },
    },
  });
  const finish = async () => {
    release?.();
    release = null;
    await Promise.resolve();
    await Promise.resolve();
  };
  return {
    clock,
    live,
    saves: () => saves,
    finish,
    fire: (type: string, v?: DocumentVisibilityState) => {
      if (v) visibility = v;
      listeners.get(type)?.();
    },
    listeners,
    stop,
  };
}

describe('keepCheckpoints', () => {
  it('asks for checkpoints every interval while training only, one at a time', async () => {
    const k = setup();
    k.clock.advance(30_000);
    expect(k.saves()).toBe(0);
    k.live.setState({ training: true });
    k.clock.advance(10_000);
    expect(k.saves()).toBe(1);
    // the first is still being saved: the next tick waits for it
    k.clock.advance(10_000);
    expect(k.saves()).toBe(1);
    await k.finish();
    k.clock.advance(10_000);
    expect(k.saves()).toBe(2);
    await k.finish();
    k.live.setState({ training: false });
    k.clock.advance(60_000);
    expect(k.saves()).toBe(2);
  });

  it('saves when the page is hidden or left while training, not when visible or paused', async () => {
    const k = setup();
    k.fire('visibilitychange', 'hidden');
    expect(k.saves()).toBe(0);
    k.live.setState({ training: true });
    k.fire('visibilitychange', 'visible');
    expect(k.saves()).toBe(0);
    k.fire('visibilitychange', 'hidden');
    expect(k.saves()).toBe(1);
    await k.finish();
    k.fire('pagehide');
    expect(k.saves()).toBe(2);
    await k.finish();
    k.stop();
    expect(k.listeners.size).toBe(0);
    k.clock.advance(60_000);
    expect(k.saves()).toBe(2);
  });
});
