import { startTransition, useEffect, useRef, useState } from 'react';

/**
 * `value`, but changing at most once per `ms`: charts fed by 4 Hz worker reports redraw at a pace
 * the main thread can afford (the last value always arrives).
 *
 * The new value is shown in a transition: React renders the charts that read it in slices of a few
 * milliseconds, between which the page stays responsive (and a later value replaces one that has
 * not been drawn yet), instead of one long task right after the worker's message.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(value);
  latest.current = value;
  useEffect(() => {
    const now = performance.now();
    const wait = last.current + ms - now;
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
  }, [value, ms]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return shown;
}
