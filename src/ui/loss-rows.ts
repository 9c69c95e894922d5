/**
 * Loss series of several models -> the rows recharts draws (one row per step where any model has a
 * point, a column per model). Non-finite and (on a log scale) non-positive values are left out.
 */
import { type LossSeries, seriesPoints } from '../state/loss-series';

export type LossRow = { step: number } & Record<string, number>;

export const lossColumn = (slot: number) => `m${slot}`;

export function lossRows(models: ReadonlyArray<{ slot: number; loss: LossSeries }>, log: boolean): LossRow[] {
  const rows = new Map<number, LossRow>();
  for (const m of models) {
    const { x, y } = seriesPoints(m.loss);
    const col = lossColumn(m.slot);
    for (let i = 0; i < x.length; i++) {
      const v = y[i];
      if (!Number.isFinite(v) || (log && v <= 0)) continue;
      // a bucket is drawn at its middle step
      const step = x[i] + (m.loss.width - 1) / 2;
      let row = rows.get(step);
      if (!row) {
        row = { step } as LossRow;
        rows.set(step, row);
      }
      row[col] = v;
    }
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}
