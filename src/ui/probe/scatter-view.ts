/**
 * The regression editor's view math, free of React: linear scales between data and the SVG's
 * pixels, the axis ranges of a draft, and what a key does to a point.
 */
import { PROJECTION_LIMIT } from '../../app/probe/probe-editor';

export interface Scale {
  d0: number;
  d1: number;
  p0: number;
  p1: number;
}

export const toPixel = (s: Scale, v: number) => s.p0 + ((v - s.d0) / (s.d1 - s.d0)) * (s.p1 - s.p0);
export const toData = (s: Scale, px: number) => s.d0 + ((px - s.p0) / (s.p1 - s.p0)) * (s.d1 - s.d0);

/** A symmetric range holding every value with a 10 % margin, at least +-`min`, whole numbers. */
export function symmetricRange(
  values: readonly number[],
  min: number,
  max = Number.POSITIVE_INFINITY,
): [number, number] {
  let m = 0;
  for (const v of values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  const r = Math.min(max, Math.max(min, Math.ceil(m * 1.1)));
  return [-r, r];
}

/** The x range of the editor: +-3 unless a point is further out (at most the move limit). */
export const projectionRange = (xs: readonly number[]) => symmetricRange(xs, 3, PROJECTION_LIMIT);

/** Move of a focused point for a key (null: the key does not move points). */
export function keyMove(key: string, shift: boolean, current: number): number | null {
  const small = shift ? 0.5 : 0.1;
  switch (key) {
    case 'ArrowRight':
    case 'ArrowUp':
      return current + small;
    case 'ArrowLeft':
    case 'ArrowDown':
      return current - small;
    case 'PageUp':
      return current + 1;
    case 'PageDown':
      return current - 1;
    case 'Home':
      return -PROJECTION_LIMIT;
    case 'End':
      return PROJECTION_LIMIT;
    default:
      return null;
  }
}
