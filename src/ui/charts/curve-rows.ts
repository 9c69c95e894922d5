/**
 * IclCurveSet -> rows (the curve table's, and the in-context chart's x extent): one row per x
 * (number of in-context examples), a column per curve mean and a [lo, hi] column per band.
 */
import type { IclCurveSet } from '../../eval/types';

export type CurveRow = { examples: number } & Record<string, number | [number, number] | undefined>;

/**
 * Column of curve i. Not the curve's key: recharts reads a dataKey with dots as a path, and keys
 * such as 'lasso:0.01' have dots.
 */
export const meanColumn = (i: number) => `c${i}`;
export const bandColumn = (i: number) => `c${i}_band`;

export function curveRows(set: IclCurveSet): CurveRow[] {
  const rows = new Map<number, CurveRow>();
  set.curves.forEach((curve, c) => {
    for (let i = 0; i < curve.examples.length; i++) {
      const x = curve.examples[i];
      let row = rows.get(x);
      if (!row) {
        row = { examples: x };
        rows.set(x, row);
      }
      const mean = curve.mean[i];
      if (!Number.isFinite(mean) || curve.count[i] === 0) continue;
      row[meanColumn(c)] = mean;
      const lo = curve.lo[i];
      const hi = curve.hi[i];
      if (Number.isFinite(lo) && Number.isFinite(hi)) row[bandColumn(c)] = [lo, hi];
    }
  });
  return [...rows.values()].sort((a, b) => a.examples - b.examples);
}

/** Accuracy metrics go up; error metrics go down. */
export const isAccuracy = (set: IclCurveSet) => set.metric !== 'squared-error';

/**
 * The y range: [0, 1] for accuracies; for errors, up to a little above the chance level so a spike
 * (least squares near d examples) does not flatten everything else. Values above are clipped.
 */
export function yDomain(set: IclCurveSet): [number, number] {
  if (isAccuracy(set)) return [0, 1];
  let max = 0;
  for (const c of set.curves) for (const v of c.mean) if (Number.isFinite(v) && v > max) max = v;
  const chance = set.chance > 0 ? set.chance : 1;
  const top = Math.min(Math.max(max * 1.05, chance * 1.15), chance * 1.6);
  return [0, niceCeil(top)];
}

function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v - 1e-12) return m * p;
  return 10 * p;
}

/** How to read the chart, in two sentences fitted to the metric. */
export function readingNote(set: IclCurveSet): string {
  const common =
    `Each line is a classical algorithm run on the same ${set.prompts} prompts the models will see: ` +
    'at x it has seen x examples of the prompt’s function and predicts the next label. ' +
    'The shaded band is the 5–95 % bootstrap range of the mean.';
  if (isAccuracy(set)) {
    return `${common} Higher is better; the dashed line is chance (${set.chance}).`;
  }
  const [, top] = yDomain(set);
  const clipped = set.curves.some((c) => c.mean.some((v) => v > top))
    ? ' Parts of curves above the top of the chart are cut off (see the numbers below).'
    : '';
  return `${common} Lower is better; the dashed line (${set.chance}) is what always predicting 0 scores.${clipped}`;
}

/** What the panel says for a task no classical algorithm applies to (parity, recall). */
export function noBaselinesNote(set: IclCurveSet): string {
  const chance = Number(set.chance.toPrecision(3));
  return (
    'No classical baseline applies to this task. Its metric is ' +
    `${set.yLabel}; guessing scores ${chance}. The models’ curves will appear here when they train.`
  );
}

/**
 * What "squared error / n" on the y axis means, for the line under the chart (null when the metric
 * needs no explanation).
 */
export function yLabelNote(set: IclCurveSet): string | null {
  const m = /^squared error \/ (\d+(?:\.\d+)?)$/.exec(set.yLabel);
  if (!m) return null;
  return (
    `Squared error / ${m[1]}: each prediction’s squared error divided by ${m[1]}, the dimension d of x, ` +
    'so that always predicting 0 scores about 1 whatever d is.'
  );
}

export interface BarRow {
  key: string;
  label: string;
  mean: number;
  lo: number | null;
  hi: number | null;
}

/**
 * A set whose curves all have one x (vector MQAR: the query after all the pairs) is drawn as one
 * bar per curve, not as a column of dots: each curve's value there, with its band. null when the
 * curves have more than one x.
 */
export function singlePointBars(set: IclCurveSet): { examples: number; bars: BarRow[] } | null {
  const xs = new Set<number>();
  for (const c of set.curves)
    for (let i = 0; i < c.examples.length; i++) if (c.count[i] > 0) xs.add(c.examples[i]);
  if (xs.size !== 1) return null;
  const [examples] = xs;
  const bars: BarRow[] = [];
  for (const c of set.curves) {
    const i = c.examples.indexOf(examples);
    if (i < 0 || c.count[i] === 0 || !Number.isFinite(c.mean[i])) continue;
    const finite = Number.isFinite(c.lo[i]) && Number.isFinite(c.hi[i]);
    bars.push({
      key: c.key,
      label: c.label,
      mean: c.mean[i],
      lo: finite ? c.lo[i] : null,
      hi: finite ? c.hi[i] : null,
    });
  }
  return { examples, bars };
}
