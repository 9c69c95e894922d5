/** A linear map from a data range onto [from, to], with a little margin and a safe zero-width range. */
export function linearScale(values: readonly number[], from: number, to: number): (v: number) => number {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi >= lo)) {
    lo = -1;
    hi = 1;
  }
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const pad = 0.06 * (hi - lo);
  lo -= pad;
  hi += pad;
  return (v) => from + ((Number.isFinite(v) ? v - lo : 0) / (hi - lo)) * (to - from);
}

/** Cell colour class of a signed value: sign picks the hue, magnitude the strength (3 steps). */
export function signedCellClass(v: number, typical: number): string {
  const m = Math.abs(v) / (typical || 1);
  const level = m < 0.5 ? 1 : m < 1.2 ? 2 : 3;
  return `cell ${v >= 0 ? 'pos' : 'neg'}${level}`;
}

/** The sketch drawing area (SVG user units); CSS scales it to the card. */
export const SKETCH_W = 200;
export const SKETCH_H = 96;
