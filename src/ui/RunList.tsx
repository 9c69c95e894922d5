import { race, useLive, useRuns } from '../state';

const when = (t: number) =>
  new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The "Runs" region: runs kept in this browser, each resumable from its last checkpoints. */
export function RunList() {
  const status = useRuns((s) => s.status);
  const runs = useRuns((s) => s.runs);
  const active = useLive((s) => s.runId);
  return (
    <section className="panel runs" aria-label="Runs">
      <h2>Runs</h2>
      {status === 'loading' ? (
        <p className="empty">Reading the runs kept in this browser…</p>
      ) : runs.length === 0 ? (
        <p className="empty">
          Runs are kept in this browser with a checkpoint every few hundred steps and at every pause; after a
          reload, resume one here.
        </p>
      ) : (
        <ul className="run-list">
          {runs.map((r) => (
            <li key={r.id} aria-current={r.id === active ? 'true' : undefined}>
              <div className="run-text" id={`run-${r.id}`}>
                <span className="run-label">{r.label}</span>
                <span className="run-meta">
                  {when(r.updatedAt)} · {r.models.map((m) => `${m.title} ${m.step}`).join(', ')} of{' '}
                  {r.totalSteps} steps
                  {r.id === active ? ' · shown now' : ''}
                </span>
              </div>
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
                onClick={() => void race.deleteRun(r.id)}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {status === 'memory' && (
        <p className="hint">Storage is unavailable: runs last until this page closes.</p>
      )}
    </section>
  );
}
