/**
 * A training-loss curve that stays small however long the run: points are means over buckets of
 * `width` steps; when there are more than `max` points, neighbours merge and the width doubles.
 * Immutable: `appendLosses` returns a new series (a few hundred numbers copied at most).
 */

export interface LossSeries {
  /** [n] first step of each bucket */
  x: number[];
  /** [n] mean loss of the bucket (finite losses only; NaN when none was) */
  y: number[];
  /** steps per bucket */
  width: number;
  /** the bucket being filled: first step, sum and count of finite losses, steps seen */
  open: { start: number; sum: number; count: number; seen: number } | null;
  /** the next step expected (for truncation and sanity) */
  end: number;
}

export const MAX_POINTS = 200;

export const emptySeries = (): LossSeries => ({ x: [], y: [], width: 1, open: null, end: 0 });

function mergePairs(s: { x: number[]; y: number[] }): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < s.x.length; i += 2) {
    x.push(s.x[i]);
    const a = s.y[i];
    const b = i + 1 < s.y.length ? s.y[i + 1] : Number.NaN;
    y.push(Number.isFinite(a) && Number.isFinite(b) ? (a + b) / 2 : Number.isFinite(a) ? a : b);
  }
  return { x, y };
}

/** Append losses of consecutive steps (steps[i] is the step index of losses[i]). */
export function appendLosses(
  series: LossSeries,
  steps: ArrayLike<number>,
  losses: ArrayLike<number>,
  max = MAX_POINTS,
): LossSeries {
  let x = series.x.slice();
  let y = series.y.slice();
  let width = series.width;
  let open = series.open ? { ...series.open } : null;
  let end = series.end;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const loss = losses[i];
    if (!open) open = { start: step, sum: 0, count: 0, seen: 0 };
    open.seen += 1;
    if (Number.isFinite(loss)) {
      open.sum += loss;
      open.count += 1;
    }
    end = step + 1;
    if (open.seen >= width) {
      x.push(open.start);
      y.push(open.count > 0 ? open.sum / open.count : Number.NaN);
      open = null;
      if (x.length > max) {
        // an odd last bucket becomes the first half of the open (double-width) bucket
        if (x.length % 2 === 1) {
          const start = x.pop()!;
          const mean = y.pop()!;
          const finite = Number.isFinite(mean);
          open = { start, sum: finite ? mean * width : 0, count: finite ? width : 0, seen: width };
        }
        ({ x, y } = mergePairs({ x, y }));
        width *= 2;
      }
    }
  }
  return { x, y, width, open, end };
}

/** The points to draw: the closed buckets and the one being filled. */
export function seriesPoints(series: LossSeries): { x: number[]; y: number[] } {
  if (!series.open || series.open.count === 0) return { x: series.x, y: series.y };
  return {
    x: [...series.x, series.open.start],
    y: [...series.y, series.open.sum / series.open.count],
  };
}

/** Keep only steps before `step` (after a divergence put the model back). */
export function truncateSeries(series: LossSeries, step: number): LossSeries {
  if (step >= series.end) return series;
  const keep = series.x.findIndex((s) => s + series.width > step);
  const n = keep < 0 ? series.x.length : keep;
  return {
    x: series.x.slice(0, n),
    y: series.y.slice(0, n),
    width: series.width,
    open: null,
    end: n > 0 ? series.x[n - 1] + series.width : 0,
  };
}

/** Plain JSON form for storage, and back (validated: bad input gives an empty series). */
export function seriesFromStored(value: unknown): LossSeries {
  const v = value as Partial<LossSeries> | null;
  if (
    !v ||
    !Array.isArray(v.x) ||
    !Array.isArray(v.y) ||
    v.x.length !== v.y.length ||
    v.x.length > 100_000 ||
    typeof v.width !== 'number' ||
    !(v.width >= 1) ||
    !v.x.every((n) => typeof n === 'number' && Number.isFinite(n)) ||
    !v.y.every((n) => typeof n === 'number' || n === null)
  ) {
    return emptySeries();
  }
  const y = v.y.map((n) => (typeof n === 'number' ? n : Number.NaN));
  const end = v.x.length ? v.x[v.x.length - 1] + v.width : 0;
  return { x: [...v.x], y, width: v.width, open: null, end };
}
