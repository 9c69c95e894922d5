/**
 * Two stored runs -> the rows and lines of the comparison charts: every model's training loss and
 * latest in-context curve of both runs on shared axes. Lines carry the run ('A' solid, 'B' dashed)
 * and the architecture (the colour). Pure.
 */

import type { RunSummary } from '../../app/stores/runs-store';
import type { IclCurveSet } from '../../eval/types';
import type { Architecture } from '../../schema/architecture';
import { type LossRow, lossRows } from '../charts/loss-rows';

export type RunSide = 'A' | 'B';

export interface CompareLine {
  /** the row column holding this line's values */
  column: string;
  side: RunSide;
  arch: Architecture | null;
  /** legend text, e.g. "Mamba · A" */
  name: string;
}

export const lossCompareColumn = (side: RunSide, model: number) => `m${side === 'A' ? model : 100 + model}`;
const iclColumn = (side: RunSide, model: number) => `${side.toLowerCase()}${model}`;

const lineName = (title: string, side: RunSide) => `${title} · ${side}`;

export function compareLossRows(
  a: RunSummary,
  b: RunSummary,
  log: boolean,
): { rows: LossRow[]; lines: CompareLine[] } {
  const models = (run: RunSummary, side: RunSide) =>
    run.models.map((m, i) => ({ slot: side === 'A' ? i : 100 + i, loss: m.loss, m, side, i }));
  const all = [...models(a, 'A'), ...models(b, 'B')].filter((x) => x.loss.x.length > 0);
  return {
    rows: lossRows(all, log),
    lines: all.map((x) => ({
      column: lossCompareColumn(x.side, x.i),
      side: x.side,
      arch: x.m.architecture,
      name: lineName(x.m.title, x.side),
    })),
  };
}

export type IclCompareRow = { examples: number } & Record<string, number>;

export interface IclCompare {
  rows: IclCompareRow[];
  lines: CompareLine[];
  yLabel: string;
  /** the chance / zero line, when both runs share it */
  chance: number | null;
  /** both runs are scored with the same metric on the same task (else the curves only sit side by side) */
  comparable: boolean;
  /** the step each run's curves were evaluated at, per line column */
  steps: Record<string, number | null>;
}

/** The latest ICL curve of every model of both runs, on one head (run A's first). Null when none. */
export function compareIclRows(a: RunSummary, b: RunSummary): IclCompare | null {
  const head = [...a.models, ...b.models].find((m) => m.curves?.length)?.curves?.[0]?.head;
  if (head === undefined) return null;
  const rows = new Map<number, IclCompareRow>();
  const lines: CompareLine[] = [];
  const sets: IclCurveSet[] = [];
  const steps: Record<string, number | null> = {};
  const add = (run: RunSummary, side: RunSide) => {
    run.models.forEach((m, i) => {
      const set = m.curves?.find((s) => s.head === head);
      const curve = set?.curves[0];
      if (!set || !curve) return;
      sets.push(set);
      const column = iclColumn(side, i);
      lines.push({ column, side, arch: m.architecture, name: lineName(m.title, side) });
      steps[column] = m.curvesStep;
      for (let k = 0; k < curve.examples.length; k++) {
        const v = curve.mean[k];
        if (!Number.isFinite(v) || curve.count[k] === 0) continue;
        const x = curve.examples[k];
        let row = rows.get(x);
        if (!row) {
          row = { examples: x } as IclCompareRow;
          rows.set(x, row);
        }
        row[column] = v;
      }
    });
  };
  add(a, 'A');
  add(b, 'B');
  if (lines.length === 0) return null;
  const first = sets[0];
  const comparable = sets.every(
    (s) => s.task === first.task && s.metric === first.metric && s.yLabel === first.yLabel,
  );
  const chance = comparable && sets.every((s) => s.chance === first.chance) ? first.chance : null;
  return {
    rows: [...rows.values()].sort((x, y) => x.examples - y.examples),
    lines,
    yLabel: first.yLabel,
    chance,
    comparable,
    steps,
  };
}
