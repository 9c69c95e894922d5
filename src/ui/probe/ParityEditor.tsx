import { type KeyboardEvent, memo, useCallback, useRef, useState } from 'react';
import { flipBit, type ParityDraft } from '../../app/probe/probe-editor';
import { useProbeLab } from '../../app/probe/probe-lab-instance';

const sign = (v: number) => (v > 0 ? '+1' : '−1');

interface RowProps {
  i: number;
  bits: Float32Array;
  label: number;
  query: boolean;
  subset: readonly number[];
  /** the column of the bit in the tab order when it is in this row, else -1 */
  focusCol: number;
  onFlip(i: number, j: number): void;
}

/** Rows re-render only when their own bits, label or focus change (a flip touches one row). */
function sameRow(a: RowProps, b: RowProps): boolean {
  if (a.i !== b.i || a.label !== b.label || a.query !== b.query || a.focusCol !== b.focusCol) return false;
  if (a.subset !== b.subset || a.onFlip !== b.onFlip || a.bits.length !== b.bits.length) return false;
  for (let j = 0; j < a.bits.length; j++) if (a.bits[j] !== b.bits[j]) return false;
  return true;
}

const Row = memo(function Row({ i, bits, label, query, subset, focusCol, onFlip }: RowProps) {
  return (
    <tr className={query ? 'query-row' : undefined}>
      <th scope="row">{query ? 'Query' : i + 1}</th>
      {Array.from(bits, (b, j) => ({ b, j, name: `x${j + 1}` })).map(({ b, j, name }) => (
        <td key={name} className={subset.includes(j) ? 'hidden-bit' : undefined}>
          <button
            type="button"
            className={b > 0 ? 'bit on' : 'bit'}
            aria-pressed={b > 0}
            aria-label={`${query ? 'Query' : `Example ${i + 1}`} bit x${j + 1}: ${sign(b)}`}
            tabIndex={focusCol === j ? 0 : -1}
            data-row={i}
            data-col={j}
            onClick={() => onFlip(i, j)}
          >
            {b > 0 ? '+' : '−'}
          </button>
        </td>
      ))}
      <td className="label">{query ? `? (${sign(label)})` : sign(label)}</td>
    </tr>
  );
}, sameRow);

/** The bits of a sparse-parity prompt; click a bit (or Enter / Space) to flip it; arrows move between bits. */
export function ParityEditor({ draft }: { draft: ParityDraft }) {
  const edit = useProbeLab((s) => s.edit);
  const table = useRef<HTMLTableElement>(null);
  const [wanted, setFocus] = useState({ row: draft.query, col: 0 });
  // a new prompt (other sizes) may not have the bit that had the focus: then the query's first
  const focus = wanted.row < draft.nPoints && wanted.col < draft.dim ? wanted : { row: draft.query, col: 0 };
  const onFlip = useCallback(
    (i: number, j: number) => {
      setFocus({ row: i, col: j });
      edit((d) => flipBit(d as ParityDraft, i, j));
    },
    [edit],
  );
  // the query first, then the examples in prompt order
  const order = [
    draft.query,
    ...Array.from({ length: draft.nPoints }, (_, i) => i).filter((i) => i !== draft.query),
  ];
  const onKey = (e: KeyboardEvent) => {
    const at = order.indexOf(focus.row);
    let { row, col } = focus;
    if (e.key === 'ArrowRight') col = Math.min(draft.dim - 1, col + 1);
    else if (e.key === 'ArrowLeft') col = Math.max(0, col - 1);
    else if (e.key === 'ArrowDown') row = order[Math.min(order.length - 1, at + 1)];
    else if (e.key === 'ArrowUp') row = order[Math.max(0, at - 1)];
    else return;
    e.preventDefault();
    setFocus({ row, col });
    table.current?.querySelector<HTMLButtonElement>(`button[data-row="${row}"][data-col="${col}"]`)?.focus();
  };
  return (
    <div className="parity-editor">
      <div className="parity-scroll">
        <table ref={table} className="bits-table" aria-label="Prompt bits" onKeyDown={onKey}>
          <thead>
            <tr>
              <th scope="col">Example</th>
              {Array.from({ length: draft.dim }, (_, j) => ({ j, name: `x${j + 1}` })).map(({ j, name }) => (
                <th scope="col" key={name} className={draft.subset.includes(j) ? 'hidden-bit' : undefined}>
                  {name}
                </th>
              ))}
              <th scope="col">y</th>
            </tr>
          </thead>
          <tbody>
            {order.map((i) => (
              <Row
                key={i}
                i={i}
                bits={draft.bits.subarray(i * draft.dim, (i + 1) * draft.dim)}
                label={draft.ys[i]}
                query={i === draft.query}
                subset={draft.subset}
                focusCol={focus.row === i ? focus.col : -1}
                onFlip={onFlip}
              />
            ))}
          </tbody>
        </table>
      </div>
      <p className="hint">
        Click a bit, or move with the arrow keys and press Enter or Space, to flip it; y is recomputed as the
        product of the highlighted hidden bits. The query’s label (in brackets) is what the models must
        predict.
      </p>
    </div>
  );
}
