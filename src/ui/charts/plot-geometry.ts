/**
 * The arithmetic of the live line charts (PlotChart.tsx): scales from data to pixels, SVG paths
 * of lines and bands built from the points (at most a few points per pixel column, the column's
 * extremes kept), and the read-out's nearest x. Pure, so the chart's shapes are tested without a
 * browser; the component only lays them out.
 */

/** data -> pixels: a linear or (positive data) log scale from `domain` onto `range`. */
export interface Scale {
  (v: number): number;
  domain: readonly [number, number];
  range: readonly [number, number];
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const f = ((v: number) => r0 + (v - d0) * k) as Scale;
  f.domain = domain;
  f.range = range;
  return f;
}

/** A log-10 scale; values at or under 0 map to NaN (they are not drawn). */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const l0 = Math.log10(domain[0]);
  const l1 = Math.log10(domain[1]);
  const [r0, r1] = range;
  const k = l1 === l0 ? 0 : (r1 - r0) / (l1 - l0);
  const f = ((v: number) => (v > 0 ? r0 + (Math.log10(v) - l0) * k : Number.NaN)) as Scale;
  f.domain = domain;
  f.range = range;
  return f;
}

const px = (v: number) => Math.round(v * 10) / 10;

/**
 * Pixel points of one line, in x order, with the points that would share a pixel column reduced to
 * the column's first, lowest, highest and last (in x order): the drawn shape is the same as with
 * every point, its spikes included, for at most four points a column. Points with a non-finite
 * coordinate are skipped (the line joins their neighbours, as a chart with gaps connected).
 */
export function decimate(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  sx: (v: number) => number,
  sy: (v: number) => number,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let column = Number.NaN;
  let bucket: Array<[number, number]> = [];
  const flush = () => {
    if (bucket.length <= 4) {
      out.push(...bucket);
    } else {
      let lo = 0;
      let hi = 0;
      for (let i = 1; i < bucket.length; i++) {
        if (bucket[i][1] < bucket[lo][1]) lo = i;
        if (bucket[i][1] > bucket[hi][1]) hi = i;
      }
      const keep = [...new Set([0, Math.min(lo, hi), Math.max(lo, hi), bucket.length - 1])];
      for (const i of keep) out.push(bucket[i]);
    }
    bucket = [];
  };
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const x = sx(xs[i]);
    const y = sy(ys[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const c = Math.floor(x);
    if (c !== column) {
      flush();
      column = c;
    }
    bucket.push([x, y]);
  }
  flush();
  return out;
}

/** An SVG path through pixel points ('' for none; a lone point is a zero-length segment). */
export function linePath(points: ReadonlyArray<readonly [number, number]>): string {
  if (points.length === 0) return '';
  let d = `M${px(points[0][0])},${px(points[0][1])}`;
  if (points.length === 1) return `${d}h0`;
  for (let i = 1; i < points.length; i++) d += `L${px(points[i][0])},${px(points[i][1])}`;
  return d;
}

/**
 * A shaded band between `lo` and `hi` at each x: one closed shape per run of points where both are
 * finite (along lo, back along hi), so a missing value leaves a gap instead of a false bridge.
 */
export function bandPath(
  xs: ArrayLike<number>,
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  sx: (v: number) => number,
  sy: (v: number) => number,
): string {
  let d = '';
  let run: Array<[number, number, number]> = [];
  const close = () => {
    if (run.length >= 2) {
      d += `M${px(run[0][0])},${px(run[0][1])}`;
      for (let i = 1; i < run.length; i++) d += `L${px(run[i][0])},${px(run[i][1])}`;
      for (let i = run.length - 1; i >= 0; i--) d += `L${px(run[i][0])},${px(run[i][2])}`;
      d += 'Z';
    }
    run = [];
  };
  const n = Math.min(xs.length, lo.length, hi.length);
  for (let i = 0; i < n; i++) {
    const x = sx(xs[i]);
    const a = sy(lo[i]);
    const b = sy(hi[i]);
    if (Number.isFinite(x) && Number.isFinite(a) && Number.isFinite(b)) run.push([x, a, b]);
    else close();
  }
  close();
  return d;
}

/** Sorted distinct finite values of several x arrays (the read-out steps through them). */
export function unionXs(all: ReadonlyArray<ArrayLike<number>>): number[] {
  const set = new Set<number>();
  for (const xs of all) for (let i = 0; i < xs.length; i++) if (Number.isFinite(xs[i])) set.add(xs[i]);
  return [...set].sort((a, b) => a - b);
}

/** Index of the value of sorted `xs` nearest to `x` (-1 when empty). */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[hi] - x) < Math.abs(x - xs[lo]) ? hi : lo;
}

/**
 * The point of a series the read-out shows at `x`: its finite point nearest to `x`, when `x` lies
 * within the x range of its finite points (a series that has not reached `x` shows nothing there).
 */
export function pointNear(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  x: number,
): { x: number; y: number } | null {
  let best = -1;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
    if (xs[i] < first) first = xs[i];
    if (xs[i] > last) last = xs[i];
    if (best < 0 || Math.abs(xs[i] - x) < Math.abs(xs[best] - x)) best = i;
  }
  if (best < 0 || x < first || x > last) return null;
  return { x: xs[best], y: ys[best] };
}
