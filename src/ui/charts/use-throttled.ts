import { startTransition, useEffect, useLayoutEffect, useRef, useState } from 'react';

/**
 * The first time at or after `now` that falls on the slot grid of period `ms` shifted by `phase`
 * (both in ms, on the page's clock): panels with different phases redraw in different tasks.
 */
export function nextSlot(now: number, ms: number, phase: number): number {
  return Math.ceil((now - phase) / ms) * ms + phase;
}

/**
 * `value`, but changing at most once per `ms`: charts fed by 4 Hz worker reports redraw at a pace
 * the main thread can afford (the last value always arrives). `phase` puts the redraws on a grid:
 * the loss, in-context and probe panels take different phases, so one worker message never makes
 * all of them redraw in the same task (each redraw stays short when the CPU is shared with
 * training workers).
 *
 * The new value is shown in a transition: React renders the charts that read it in slices of a few
 * milliseconds, between which the page stays responsive (and a later value replaces one that has
 * not been drawn yet), instead of one long task right after the worker's message.
 *
 * `hold` (the app's holdForRedraw) is called as a new value is committed, and its release once the
 * next frame (where the charts draw) has been drawn: training workers that would keep the redraw
 * from a core wait meanwhile (src/app/race/redraw-hold.ts).
 */
export function useThrottled<T>(value: T, ms: number, phase?: number, hold?: () => () => void): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(value);
  latest.current = value;
  const holdRef = useRef(hold);
  holdRef.current = hold;
  const first = useRef(true);
  useEffect(() => {
    const now = performance.now();
    // on a grid, half a period after the last redraw is enough: a timer that fired late still
    // leaves the next slot of the grid, not the one after it
    const wait =
      (phase === undefined ? last.current + ms : nextSlot(Math.max(now, last.current + ms / 2), ms, phase)) -
      now;
    if (wait <= 0) {
      last.current = now;
      startTransition(() => setShown(value));
      return;
    }
    if (!timer.current) {
      timer.current = setTimeout(() => {
        timer.current = null;
        last.current = performance.now();
        startTransition(() => setShown(latest.current));
      }, wait);
    }
  }, [value, ms, phase]);
  // a new value is committed (the transition's render is done, in slices): the charts draw in the
  // next animation frame; the workers that would keep that frame from a core wait until it is drawn
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs at each new value shown
  useLayoutEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const release = holdRef.current?.();
    if (release) afterNextPaint(release);
  }, [shown]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return shown;
}

/** Call `fn` once the next frame has been drawn (a task after the next animation frame). */
export function afterNextPaint(fn: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(fn, 0));
  else setTimeout(fn, 0);
}
