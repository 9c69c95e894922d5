/**
 * A matrix -> RGBA pixels for a heatmap canvas (one pixel per cell; the canvas is scaled up without
 * smoothing), and whether two matrices are the same memory (a probe's arrays never change once
 * received, so a re-render with a new view of the same bytes need not redraw).
 *
 * Sequential values: a square-root ramp from the background to the positive colour (small weights
 * stay visible); signed values: a diverging ramp (negative colour below zero), both relative to the
 * largest magnitude. Non-finite cells are drawn in `bad`.
 */

export type Rgb = readonly [number, number, number];

export interface HeatmapColors {
  background: Rgb;
  positive: Rgb;
  negative: Rgb;
  bad: Rgb;
}

export function hexRgb(c: string): Rgb {
  const v = Number.parseInt(c.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** The colour of value `v` on a map whose largest magnitude is `max` (the ramp of heatmapPixels). */
export function rampColor(v: number, max: number, colors: HeatmapColors, diverging = false): Rgb {
  if (!Number.isFinite(v)) return colors.bad;
  const { background: bg, positive: pos, negative: neg } = colors;
  const t = max === 0 ? 0 : Math.sqrt(Math.min(1, Math.abs(v) / max));
  const to = diverging && v < 0 ? neg : pos;
  return [bg[0] + (to[0] - bg[0]) * t, bg[1] + (to[1] - bg[1]) * t, bg[2] + (to[2] - bg[2]) * t];
}

/** A CSS linear-gradient of the ramp from -max (diverging) or 0 to max, `stops` stops. */
export function rampGradient(max: number, colors: HeatmapColors, diverging = false, stops = 9): string {
  const out: string[] = [];
  const lo = diverging ? -max : 0;
  for (let i = 0; i < stops; i++) {
    const f = i / (stops - 1);
    const [r, g, b] = rampColor(lo + (max - lo) * f, max === 0 ? 1 : max, colors, diverging);
    out.push(`rgb(${Math.round(r)} ${Math.round(g)} ${Math.round(b)}) ${(100 * f).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${out.join(', ')})`;
}

/** RGBA bytes of a [rows, cols] row-major matrix, drawn `transpose`d (cols x rows) on request. */
export function heatmapPixels(
  data: ArrayLike<number>,
  rows: number,
  cols: number,
  colors: HeatmapColors,
  options: { diverging?: boolean; transpose?: boolean } = {},
): { width: number; height: number; pixels: Uint8ClampedArray } {
  const width = options.transpose ? rows : cols;
  const height = options.transpose ? cols : rows;
  const pixels = new Uint8ClampedArray(4 * width * height);
  let max = 0;
  for (let i = 0; i < rows * cols; i++) {
    const v = Math.abs(data[i]);
    if (Number.isFinite(v) && v > max) max = v;
  }
  const { background: bg, positive: pos, negative: neg, bad } = colors;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      const x = options.transpose ? r : c;
      const y = options.transpose ? c : r;
      const o = 4 * (y * width + x);
      if (!Number.isFinite(v)) {
        pixels[o] = bad[0];
        pixels[o + 1] = bad[1];
        pixels[o + 2] = bad[2];
      } else {
        const t = max === 0 ? 0 : Math.sqrt(Math.min(1, Math.abs(v) / max));
        const to = options.diverging && v < 0 ? neg : pos;
        pixels[o] = bg[0] + (to[0] - bg[0]) * t;
        pixels[o + 1] = bg[1] + (to[1] - bg[1]) * t;
        pixels[o + 2] = bg[2] + (to[2] - bg[2]) * t;
      }
      pixels[o + 3] = 255;
    }
  }
  return { width, height, pixels };
}

/** Same numbers in the same memory (typed-array views of one buffer range, or one array). */
export function sameMatrix(a: ArrayLike<number> | null, b: ArrayLike<number>): boolean {
  if (a === b) return true;
  if (!a || !ArrayBuffer.isView(a) || !ArrayBuffer.isView(b)) return false;
  return (
    a.buffer === b.buffer &&
    a.byteOffset === b.byteOffset &&
    a.byteLength === b.byteLength &&
    a.constructor === b.constructor
  );
}
