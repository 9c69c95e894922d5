import { useMemo } from 'react';
import { deleteRunWithUndo, race, runTrash, useLive, useRuns, useTrash } from '../../app';
import { runHistory } from '../../app/runs/run-history';
import { useTheme } from '../theme';
import { RunCompare } from './RunCompare';
import { formatRunTime } from './run-time';

/**
 * The "Runs" region: runs kept in this browser, each with its colour and what changed from the run
 * before it; resume one from its last checkpoints, delete one (with Undo), compare two.
 */
export function RunList() {
  const status = useRuns((s) => s.status);
  const runs = useRuns((s) => s.runs);
  const pending = useTrash((s) => s.pending);
  const active = useLive((s) => s.runId);
  const theme = useTheme();
  const shown = useMemo(() => runs.filter((r) => !pending.some((p) => p.id === r.id)), [runs, pending]);
  const history = useMemo(() => runHistory(shown, theme.series.length), [shown, theme.series.length]);
  return (
    <section className="panel runs" aria-label="Runs">
      <h2>Runs</h2>
      {status === 'loading' ? (
        <p className="empty">Reading the runs kept in this browser…</p>
      ) : shown.length === 0 ? (
        <p className="empty">
          Runs are kept in this browser with a checkpoint every few hundred steps and at every pause; after a
          reload, resume one here.
        </p>
      ) : (
        <ul className="run-list" aria-label="Stored runs">
          {shown.map((r) => {
            const h = history.get(r.id);
            const color = theme.series[h?.colorIndex ?? 0];
            return (
              <li key={r.id} aria-current={r.id === active ? 'true' : undefined}>
                <span className="run-swatch" style={{ background: color }} aria-hidden="true" />
                <div className="run-text" id={`run-${r.id}`}>
                  <span className="run-label">{h?.change ?? r.label}</span>
                  <span className="run-meta">
                    {h?.change ? `${r.label} · ` : ''}
                    {formatRunTime(r.createdAt)} · {r.models.map((m) => `${m.title} ${m.step}`).join(', ')} of{' '}
                    {r.totalSteps} steps
                    {r.id === active ? ' · shown now' : ''}
                  </span>
                </div>
                <div className="run-buttons">
                  <button
                    type="button"
                    aria-describedby={`run-${r.id}`}
                    onClick={() => void race.resumeRun(r.id)}
                  >
                    Resume
                  </button>
                  <button
                    type="button"
                    className="quiet"
                    aria-describedby={`run-${r.id}`}
                    onClick={() => deleteRunWithUndo(r.id, h?.change ?? r.label)}
                  >
                    Delete
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <div className="run-undo" role="status">
        {pending.map((p) => (
          <p key={p.id}>
            <span id={`deleted-${p.id}`}>Deleted the run “{p.label}”.</span>{' '}
            <button type="button" aria-describedby={`deleted-${p.id}`} onClick={() => runTrash.undo(p.id)}>
              Undo
            </button>
          </p>
        ))}
      </div>
      {status === 'memory' && (
        <p className="hint">Storage is unavailable: runs last until this page closes.</p>
      )}
      <RunCompare runs={shown} history={history} />
    </section>
  );
}
