import type { IclCurveSet } from '../../eval/types';
import { curveRows, meanColumn } from './curve-rows';

const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(3) : '–');

/** The chart's numbers as a table, folded away (for screen readers and for copying). */
export function CurveTable({ set }: { set: IclCurveSet }) {
  const rows = curveRows(set);
  return (
    <details className="curve-table">
      <summary>Show the numbers</summary>
      <div className="table-scroll">
        <table>
          <caption>
            Mean {set.yLabel} over {set.prompts} prompts, by number of in-context examples
          </caption>
          <thead>
            <tr>
              <th scope="col">examples</th>
              {set.curves.map((c) => (
                <th scope="col" key={c.key}>
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.examples}>
                <th scope="row">{row.examples}</th>
                {set.curves.map((c, i) => (
                  <td key={c.key}>{fmt(row[meanColumn(i)])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
