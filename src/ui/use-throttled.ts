import { useEffect, useRef, useState } from 'react';

/**
 * `value`, but changing at most once per `ms`: charts fed by 4 Hz worker reports redraw at a pace
 * the main thread can afford (the last value always arrives).
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
      setShown(value);
      return;
    }
    if (!timer.current) {
      timer.current = setTimeout(() => {
        timer.current = null;
        last.current = performance.now();
        setShown(latest.current);
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
