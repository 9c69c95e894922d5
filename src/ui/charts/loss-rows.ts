/**
 * Loss series of several models -> the rows the loss chart draws (one row per step where any model
 * has a point, a column per model). Non-finite and (on a log scale) non-positive values are left out.
 *
 * Bounded: the chart's work per redraw grows with the rows, so when the models' points together would make more than
 * `maxRows` rows, they are averaged on one shared grid of `maxRows` equal cells of steps. Every row
 * then has a value of every model that has points in that cell, drawn at the mean step of those
 * points; a line keeps its shape at the chart's resolution (a few hundred pixels wide).
 */
import { type LossSeries, seriesPoints } from '../../eval/loss-series';

export type LossRow = { step: number } & Record<string, number>;

export const lossColumn = (slot: number) => `m${slot}`;

/** At most this many rows by default (one per 5-6 px of the loss chart at its usual width). */
export const MAX_LOSS_ROWS = 100;

interface Point {
  step: number;
  value: number;
}

function drawable(loss: LossSeries, log: boolean): Point[] {
  const { x, y } = seriesPoints(loss);
  const out: Point[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    // a bucket is drawn at its middle step
    out.push({ step: x[i] + (loss.width - 1) / 2, value: v });
  }
  return out;
}

export function lossRows(
  models: ReadonlyArray<{ slot: number; loss: LossSeries }>,
  log: boolean,
  maxRows = MAX_LOSS_ROWS,
): LossRow[] {
  const lines = models.map((m) => ({ col: lossColumn(m.slot), points: drawable(m.loss, log) }));
  const steps = new Set<number>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const l of lines) {
    for (const p of l.points) {
      steps.add(p.step);
      if (p.step < first) first = p.step;
      if (p.step > last) last = p.step;
    }
  }
  if (steps.size <= maxRows) {
    const rows = new Map<number, LossRow>();
    for (const l of lines) {
      for (const p of l.points) {
        let row = rows.get(p.step);
        if (!row) {
          row = { step: p.step } as LossRow;
          rows.set(p.step, row);
        }
        row[l.col] = p.value;
      }
    }
    return [...rows.values()].sort((a, b) => a.step - b.step);
  }
  // shared grid: cell k holds steps in [first + k w, first + (k + 1) w)
  const cells = Math.max(1, Math.floor(maxRows));
  const width = (last - first) / cells || 1;
  const cellOf = (step: number) => Math.min(cells - 1, Math.floor((step - first) / width));
  const stepSum = new Float64Array(cells);
  const stepCount = new Int32Array(cells);
  const sums = lines.map(() => new Float64Array(cells));
  const counts = lines.map(() => new Int32Array(cells));
  lines.forEach((l, j) => {
    for (const p of l.points) {
      const k = cellOf(p.step);
      sums[j][k] += p.value;
      counts[j][k] += 1;
      stepSum[k] += p.step;
      stepCount[k] += 1;
    }
  });
  const rows: LossRow[] = [];
  for (let k = 0; k < cells; k++) {
    if (stepCount[k] === 0) continue;
    const row = { step: stepSum[k] / stepCount[k] } as LossRow;
    lines.forEach((l, j) => {
      if (counts[j][k] > 0) row[l.col] = sums[j][k] / counts[j][k];
    });
    rows.push(row);
  }
  return rows;
}

/**
 * Stroke width of the i-th of n loss lines: 4 px for the first down to 1.5 px for the last, so a
 * curve drawn under a later one (Mamba under MambaFormer) stays visible as its outline.
 */
export function lineWidth(i: number, n: number): number {
  if (n <= 1) return 2;
  return Number((4 - (2.5 * i) / (n - 1)).toFixed(2));
}
