/** Small curve sets for the export tests. */
import type { IclCurve, IclCurveSet } from '../../eval/types';

export function curve(key: string, label: string, mean: number[]): IclCurve {
  return {
    key,
    label,
    examples: Int32Array.from(mean, (_, i) => i),
    mean: Float64Array.from(mean),
    lo: Float64Array.from(mean, (v) => v * 0.9),
    hi: Float64Array.from(mean, (v) => v * 1.1),
    count: Int32Array.from(mean, (v) => (Number.isNaN(v) ? 0 : 16)),
  };
}

export function curveSet(curves: IclCurve[], head = 'y'): IclCurveSet {
  return {
    task: 'linear-regression',
    head,
    metric: 'squared-error',
    yLabel: 'squared error / d',
    chance: 1,
    prompts: 16,
    seed: 7,
    curves,
  };
}

/** A strict RFC 4180 reader, to check that what toCsv writes reads back to the same cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
      } else {
        field += ch;
        i++;
      }
    } else if (ch === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      i++;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (ch === '\n' || ch === '\r') {
      throw new Error(`bare line break at ${i}`);
    } else {
      field += ch;
      i++;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  if (field !== '' || row.length) throw new Error('last line has no CRLF');
  return rows;
}
