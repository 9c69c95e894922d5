/**
 * Text, CSV and JSON renderings of ICL curve sets for the command line.
 */
import type { IclCurve, IclCurveSet } from '../eval/types';

/** The value of a curve at `examples` in-context examples, or NaN where it was not evaluated. */
export function valueAt(curve: IclCurve, examples: number): number {
  const i = curve.examples.indexOf(examples);
  return i >= 0 && curve.count[i] > 0 ? curve.mean[i] : Number.NaN;
}

/** Rows of the table: every number of examples any curve has, or `rows` evenly chosen among them. */
export function tableRows(set: IclCurveSet, rows?: number): number[] {
  const all = new Set<number>();
  for (const c of set.curves) {
    for (let i = 0; i < c.examples.length; i++) if (c.count[i] > 0) all.add(c.examples[i]);
  }
  const sorted = [...all].sort((a, b) => a - b);
  if (!rows || rows >= sorted.length) return sorted;
  const pick = new Set<number>();
  for (let k = 0; k < rows; k++)
    pick.add(sorted[Math.round((k * (sorted.length - 1)) / Math.max(1, rows - 1))]);
  return [...pick].sort((a, b) => a - b);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4)) return v.toExponential(2);
  return v.toFixed(3);
}

/** A fixed-width table: one row per number of in-context examples, one column per curve. */
export function formatCurveTable(set: IclCurveSet, rows?: number): string {
  const examples = tableRows(set, rows);
  const headers = ['examples', ...set.curves.map((c) => c.label)];
  const body = examples.map((e) => [String(e), ...set.curves.map((c) => fmt(valueAt(c, e)))]);
  const widths = headers.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => c.padStart(widths[j])).join('  ');
  return [
    `${set.yLabel} on ${set.prompts} prompts (seed ${set.seed}); chance level ${fmt(set.chance)}`,
    line(headers),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ].join('\n');
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Long-format CSV: one line per curve and number of examples. */
export function curvesToCsv(set: IclCurveSet): string {
  const lines = ['task,head,metric,curve,label,examples,mean,lo,hi,count'];
  for (const c of set.curves) {
    for (let i = 0; i < c.examples.length; i++) {
      lines.push(
        [
          set.task,
          set.head,
          set.metric,
          c.key,
          c.label,
          c.examples[i],
          c.mean[i],
          c.lo[i],
          c.hi[i],
          c.count[i],
        ]
          .map((v) => csvCell(String(v)))
          .join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Plain JSON (typed arrays as arrays; NaN as null). */
export function curvesToJson(set: IclCurveSet): string {
  return JSON.stringify(
    {
      ...set,
      curves: set.curves.map((c) => ({
        key: c.key,
        label: c.label,
        examples: [...c.examples],
        mean: [...c.mean].map(finiteOrNull),
        lo: [...c.lo].map(finiteOrNull),
        hi: [...c.hi].map(finiteOrNull),
        count: [...c.count],
      })),
    },
    null,
    1,
  );
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
