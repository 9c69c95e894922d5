/**
 * Axis domains and ticks computed once per redraw in plain arithmetic (the live charts' PlotChart
 * draws them as given; recharts' own nice-tick search ran on decimal.js for every axis on every
 * redraw, a measurable part of a live chart's main-thread time).
 */

export interface Axis {
  domain: [number, number];
  ticks: number[];
}

/** Smallest "nice" step (1, 2, 2.5 or 5 times a power of ten) giving at most `count` intervals. */
export function niceStep(span: number, count: number, integer = false): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = m * p;
    if (step >= raw * (1 - 1e-12) && (!integer || Number.isInteger(step) || step >= 1)) {
      return integer ? Math.max(1, Math.ceil(step)) : step;
    }
  }
  return 10 * p;
}

/** A linear axis from `lo` (rounded down) to `hi` (rounded up) in nice steps. */
export function linearAxis(lo: number, hi: number, count = 5, integer = false): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0, 1], ticks: [0, 1] };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) hi = lo + (integer ? 1 : Math.abs(lo) || 1);
  const step = niceStep(hi - lo, count, integer);
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; start + i * step <= end + step * 1e-9 && i < 1000; i++) {
    ticks.push(Number((start + i * step).toPrecision(12)));
  }
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

/**
 * A log axis over whole decades covering [min, max] (positive values); within a span of two
 * decades or less, 2 and 5 times each power are ticks too.
 */
export function logAxis(min: number, max: number): Axis {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max))
    return { domain: [0.1, 10], ticks: [0.1, 1, 10] };
  if (max < min) [min, max] = [max, min];
  const a = Math.floor(Math.log10(min) + 1e-12);
  let b = Math.ceil(Math.log10(max) - 1e-12);
  if (b === a) b = a + 1;
  const ticks: number[] = [];
  const fine = b - a <= 2;
  for (let k = a; k <= b; k++) {
    const p = 10 ** k;
    ticks.push(Number(p.toPrecision(12)));
    if (fine && k < b) {
      ticks.push(Number((2 * p).toPrecision(12)), Number((5 * p).toPrecision(12)));
    }
  }
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

/** Smallest and largest finite value of `keys` over `rows` ([NaN, NaN] when none). */
export function extent(
  rows: ReadonlyArray<Record<string, unknown>>,
  keys: readonly string[],
): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    for (const k of keys) {
      const v = row[k];
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : [Number.NaN, Number.NaN];
}

/** Same domain and ticks (so the previous object can be kept and recharts sees no change). */
export function sameAxis(a: Axis | null, b: Axis): boolean {
  if (!a) return false;
  if (a.domain[0] !== b.domain[0] || a.domain[1] !== b.domain[1]) return false;
  if (a.ticks.length !== b.ticks.length) return false;
  return a.ticks.every((t, i) => t === b.ticks[i]);
}

/** `next`, or `previous` when it is the same axis (stable identity across redraws). */
export const keepAxis = (previous: Axis | null, next: Axis): Axis =>
  previous && sameAxis(previous, next) ? previous : next;

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/**
 * A tick of a log axis as people write it: plain numbers from 0.001 to 10 000 ("100", not "1e+2"),
 * powers of ten beyond ("10⁵", "10⁻⁴"), other values with two significant digits.
 */
export function formatLogTick(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a <= 1e4) return String(Number(v.toPrecision(2)));
  const k = Math.round(Math.log10(a));
  const sign = v < 0 ? '−' : '';
  if (Math.abs(a / 10 ** k - 1) < 1e-9) {
    const exp = String(Math.abs(k))
      .split('')
      .map((d) => SUPERSCRIPT[Number(d)])
      .join('');
    return `${sign}10${k < 0 ? '⁻' : ''}${exp}`;
  }
  return v.toExponential(1).replace(/e\+?/, '×10^').replace('-', '−');
}
