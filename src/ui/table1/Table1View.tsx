import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react';
import { missingRecordingText, recordedTasks } from '../../app/recordings/recorded-tasks';
import { replayStore, useReplay } from '../../app/recordings/replay-player-instance';
import { useTable1 } from '../../app/table1/table1-instance';
import { type Table1CellView, table1View } from '../../app/table1/table1-view';
import './table1.css';

/** Arrow keys, Home and End move between the grid's cell buttons (Tab still reaches each one). */
function moveFocus(e: KeyboardEvent<HTMLTableElement>): void {
  const target = e.target as HTMLElement;
  const r = Number(target.dataset.row);
  const c = Number(target.dataset.col);
  if (!Number.isInteger(r) || !Number.isInteger(c)) return;
  const step: Record<string, [number, number]> = {
    ArrowUp: [-1, 0],
    ArrowDown: [1, 0],
    ArrowLeft: [0, -1],
    ArrowRight: [0, 1],
  };
  let to: [number, number] | null = null;
  if (step[e.key]) to = [r + step[e.key][0], c + step[e.key][1]];
  else if (e.key === 'Home') to = [r, 0];
  else if (e.key === 'End') to = [r, 5];
  if (!to) return;
  const next = e.currentTarget.querySelector<HTMLButtonElement>(`[data-row="${to[0]}"][data-col="${to[1]}"]`);
  if (!next) return;
  e.preventDefault();
  next.focus();
}

function Cell({
  cell,
  row,
  col,
  onOpen,
}: {
  cell: Table1CellView;
  row: number;
  col: number;
  onOpen(): void;
}) {
  return (
    <button
      type="button"
      className={`table1-cell agreement-${cell.agreement}`}
      aria-label={cell.label}
      title={cell.settings ? `Runs at ${cell.settings}` : undefined}
      data-row={row}
      data-col={col}
      onClick={onOpen}
    >
      <span className="table1-paper">
        <span className="table1-who">paper</span> {cell.paperText}
      </span>
      <span className="table1-ours">
        <span className="table1-who">ours</span> {cell.oursText}
      </span>
      {cell.detail && <span className="table1-detail">{cell.detail}</span>}
      {cell.agreementText && <span className="table1-agreement">{cell.agreementText}</span>}
    </button>
  );
}

/**
 * The paper's Table 1 in one lesson: a modal dialog with the grid of tasks x architectures, the
 * paper's mark beside ours (public/table1.json); each cell plays that task's recorded run at that model.
 */
export function Table1Dialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const status = useTable1((s) => s.status);
  const table = useTable1((s) => s.table);
  const error = useTable1((s) => s.error);
  const load = useTable1((s) => s.load);
  const missing = useReplay((s) => s.missing);
  const index = useReplay((s) => s.index);
  const replayError = useReplay((s) => s.error);
  const [asked, setAsked] = useState<string | null>(null);
  const view = useMemo(() => table1View(table), [table]);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setAsked(null);
      void load();
      dialog.showModal();
    } else if (!open && dialog.open) dialog.close();
  }, [open, load]);

  const watch = async (task: string, arch?: Table1CellView['arch'], file?: string) => {
    setAsked(task);
    const player = replayStore.getState();
    await (file ? player.start(file, arch) : player.startTask(task, arch));
    const after = replayStore.getState();
    if (after.missing === task || after.status === 'error') return;
    onClose();
    document.querySelector('[aria-label="Recorded run"]')?.scrollIntoView({ block: 'center' });
  };

  return (
    <dialog ref={ref} className="table1-dialog" aria-labelledby="table1-title" onClose={onClose}>
      {open && (
        <>
          <div className="table1-head">
            <h2 id="table1-title">Table 1</h2>
            <button type="button" className="quiet" onClick={onClose}>
              Close
            </button>
          </div>
          <p className="hint">
            Which architecture learns which task in context: the paper’s mark (yes, gap, fails; – where it
            gives none) beside ours, measured with this code. Open a cell to watch that task’s recorded run.
          </p>
          {status === 'loading' && <p className="status">Loading the measured table…</p>}
          {status === 'error' && error && (
            <div className="alert" role="alert">
              <p>{error}</p>
            </div>
          )}
          <p className="table1-caption">{view.caption}</p>
          {asked && missing === asked && (
            <div className="table1-missing" role="status">
              <p>{missingRecordingText(asked)}</p>
              {index && index.length > 0 && <p className="hint">Recorded runs exist for:</p>}
              {index && index.length > 0 && (
                <ul className="replay-tasks" aria-label="Tasks with a recording">
                  {recordedTasks(index).map((r) => (
                    <li key={r.task}>
                      <button type="button" onClick={() => void watch(r.task, undefined, r.file)}>
                        {r.title}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {asked && missing !== asked && replayError && (
            <div className="alert" role="alert">
              <p>{replayError}</p>
            </div>
          )}
          <div className="table1-scroll">
            <table className="table1-grid" onKeyDown={moveFocus}>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  {view.columns.map((c) => (
                    <th key={c.arch} scope="col">
                      {c.title}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {view.rows.map((row, r) => (
                  <tr key={row.task}>
                    <th scope="row">{row.title}</th>
                    {row.cells.map((cell, c) => (
                      <td key={cell.arch}>
                        <Cell cell={cell} row={r} col={c} onOpen={() => void watch(cell.task, cell.arch)} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="hint">
            ✓ agrees, ✗ differs (our mark is the most common over the seeds); “not measured”: no run of ours
            yet.
          </p>
        </>
      )}
    </dialog>
  );
}

/** The header's "Table 1" button and its dialog. */
export function Table1Button() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="quiet" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Table 1
      </button>
      <Table1Dialog open={open} onClose={() => setOpen(false)} />
    </>
  );
}
