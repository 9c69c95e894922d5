import { type CSSProperties, type RefObject, useEffect, useState } from 'react';

/**
 * The height that lets a box whose top edge is `top` px down the page (document coordinates) end
 * `reserve` px above the bottom of a `viewport` px tall window seen from the top of the page; never
 * under `min` (then the page scrolls rather than squash the box), always a whole number of pixels.
 */
export function fitHeight(viewport: number, top: number, reserve: number, min: number): number {
  const room = Math.floor(viewport - top - reserve);
  return Number.isFinite(room) ? Math.max(min, room) : min;
}

/**
 * While `on`: a style setting the CSS variable `--chart-height` so that the element of `ref` fits in
 * the window from the top of the page, remeasured whenever the page above it or the window changes
 * size (the present layout's chart under the lesson, whatever the length of the step's sentence).
 * Off: undefined (the stylesheet's height).
 */
export function useViewportFit(
  ref: RefObject<HTMLElement | null>,
  on: boolean,
  reserve: number,
  min: number,
): CSSProperties | undefined {
  const [height, setHeight] = useState<number | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!on || !el) {
      setHeight(null);
      return;
    }
    const measure = () =>
      setHeight(fitHeight(window.innerHeight, el.getBoundingClientRect().top + window.scrollY, reserve, min));
    measure();
    // anything above the element that grows or shrinks changes the body's height too
    const observer = new ResizeObserver(measure);
    observer.observe(document.body);
    window.addEventListener('resize', measure);
    return () => {
      observer.disconnect();
      window.removeEventListener('resize', measure);
    };
  }, [ref, on, reserve, min]);
  return height === null ? undefined : ({ '--chart-height': `${height}px` } as CSSProperties);
}
