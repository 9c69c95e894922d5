import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../workers/fake-clock';
import { MAX_HOLD_MS } from '../../workers/page-hold';
import { RedrawHold, workersToHold } from './redraw-hold';

function workers(n: number) {
  return Array.from({ length: n }, () => {
    const asked: number[] = [];
    return { asked, hold: (ms: number) => void asked.push(ms) };
  });
}

describe('holding workers while the page redraws', () => {
  it('holds enough workers to leave the spare cores to the page', () => {
    // 3 workers on 2 cores, 1 spare: 2 wait, 1 trains on
    expect(workersToHold(3, 2)).toBe(2);
    expect(workersToHold(2, 2)).toBe(1);
    expect(workersToHold(1, 2)).toBe(0);
    // 2 spare cores on 2: every worker waits
    expect(workersToHold(3, 2, 2)).toBe(3);
    // enough cores: a core is free for the page, nobody waits
    expect(workersToHold(3, 4)).toBe(0);
    expect(workersToHold(3, 16)).toBe(0);
    expect(workersToHold(6, 4)).toBe(3);
    expect(workersToHold(0, 1)).toBe(0);
    expect(workersToHold(2, 1)).toBe(2);
  });

  it('takes turns, so that every model waits as often, and releases what it held', () => {
    const w = workers(3);
    const clock = new FakeClock();
    const h = new RedrawHold({ targets: () => w, cores: 2, ...clock });
    const counts = [0, 0, 0];
    for (let i = 0; i < 6; i++) {
      const release = h.begin();
      w.forEach((x, j) => {
        if (x.asked.at(-1) === MAX_HOLD_MS) counts[j] += 1;
      });
      release();
      // released at once: every worker that waited is told to go on
      expect(w.map((x) => x.asked.at(-1) ?? 0)).toEqual([0, 0, 0]);
      expect(w.map((x) => h.heldCount(x))).toEqual([0, 0, 0]);
    }
    expect(counts).toEqual([4, 4, 4]);
  });

  it('keeps a worker held until the last of two overlapping holds ends', () => {
    const w = workers(3);
    const clock = new FakeClock();
    const h = new RedrawHold({ targets: () => w, cores: 2, ...clock });
    const first = h.begin(); // workers 0 and 1
    const second = h.begin(); // workers 1 and 2
    expect(w.map((x) => h.heldCount(x))).toEqual([1, 2, 1]);
    first();
    expect(w.map((x) => x.asked)).toEqual([[MAX_HOLD_MS, 0], [MAX_HOLD_MS, MAX_HOLD_MS], [MAX_HOLD_MS]]);
    // a release called twice counts once
    first();
    expect(h.heldCount(w[1])).toBe(1);
    second();
    expect(w.map((x) => x.asked.at(-1))).toEqual([0, 0, 0]);
  });

  it('ends a hold whose release never comes after the longest hold', () => {
    const w = workers(2);
    const clock = new FakeClock();
    const h = new RedrawHold({ targets: () => w, cores: 1, spareCores: 1, ...clock });
    h.begin();
    expect(w.map((x) => x.asked)).toEqual([[MAX_HOLD_MS], [MAX_HOLD_MS]]);
    clock.advance(MAX_HOLD_MS - 1);
    expect(w.map((x) => h.heldCount(x))).toEqual([1, 1]);
    clock.advance(1);
    expect(w.map((x) => x.asked)).toEqual([
      [MAX_HOLD_MS, 0],
      [MAX_HOLD_MS, 0],
    ]);
  });

  it('holds nobody on a machine with a core to spare, or without workers', () => {
    const w = workers(3);
    const clock = new FakeClock();
    new RedrawHold({ targets: () => w, cores: 8, ...clock }).begin()();
    new RedrawHold({ targets: () => [], cores: 1, ...clock }).begin()();
    // a client without holds (a test fake, an older worker) is not counted
    new RedrawHold({ targets: () => [{}, {}, {}], cores: 1, ...clock }).begin()();
    expect(w.flatMap((x) => x.asked)).toEqual([]);
  });
});

describe('holding more workers when the page lags', () => {
  it('holds one worker more after a slow redraw, up to all, and one fewer after fast ones', () => {
    const w = workers(3);
    const clock = new FakeClock();
    const h = new RedrawHold({ targets: () => w, cores: 2, slowMs: 45, fastMs: 30, relaxAfter: 3, ...clock });
    const held = () => w.filter((x) => h.heldCount(x) > 0).length;
    const redraw = (ms: number) => {
      const release = h.begin();
      const n = held();
      clock.advance(ms);
      release();
      return n;
    };
    // 3 workers on 2 cores: 2 held while redraws are fast
    expect(redraw(20)).toBe(2);
    expect(redraw(20)).toBe(2);
    // a slow one (46 ms from the commit to the frame drawn): the next holds all three
    expect(redraw(46)).toBe(2);
    expect(h.extraHeld).toBe(1);
    // slow again: no more than all of them
    expect(redraw(49)).toBe(3);
    expect(redraw(49)).toBe(3);
    expect(h.extraHeld).toBe(1);
    // neither fast nor slow: as it was; three fast ones in a row: one fewer
    expect(redraw(35)).toBe(3);
    expect(redraw(10)).toBe(3);
    expect(redraw(10)).toBe(3);
    expect(redraw(35)).toBe(3);
    expect(redraw(10)).toBe(3);
    expect(redraw(10)).toBe(3);
    expect(redraw(10)).toBe(3);
    expect(h.extraHeld).toBe(0);
    expect(redraw(10)).toBe(2);
    // a hold whose release never comes counts as slow
    h.begin();
    clock.advance(MAX_HOLD_MS);
    expect(h.extraHeld).toBe(1);
    expect(redraw(10)).toBe(3);
  });

  it('never holds on a machine with a core to spare, however slow its redraws', () => {
    const w = workers(3);
    const clock = new FakeClock();
    const h = new RedrawHold({ targets: () => w, cores: 4, ...clock });
    for (let i = 0; i < 5; i++) {
      const release = h.begin();
      clock.advance(MAX_HOLD_MS);
      release();
    }
    expect(w.flatMap((x) => x.asked)).toEqual([]);
  });
});
