import { lazy, Suspense } from 'react';
import { useLab } from '../state';
import { baselinesStatusText, selectedBaselines, selectedCard } from '../state/selectors';
import { CurveTable } from './CurveTable';
import { noBaselinesNote, readingNote } from './curve-rows';

/**
 * recharts is most of the page's code: fetch it at once but in its own chunk, so the gallery does
 * not wait for it (the first baselines take longer than the download anyway).
 */
const chartModule = import('./IclChart');
const IclChart = lazy(() => chartModule.then((m) => ({ default: m.IclChart })));

/** The "In-context error" region: the chosen task's baseline curves, how to read them, and status. */
export function IclPanel() {
  const card = useLab(selectedCard);
  const view = useLab(selectedBaselines);
  const prompts = useLab((s) => s.prompts);
  const retry = useLab((s) => s.retryBaselines);
  return (
    <section className="icl-panel" aria-label="In-context error" aria-busy={view.status === 'computing'}>
      <h2>
        In-context error <span className="task-name">· {card.title}</span>
      </h2>
      <div className="chart-frame">
        {view.status === 'done' && view.curves.curves.length > 0 ? (
          <Suspense fallback={<div className="chart-placeholder" />}>
            <IclChart set={view.curves} />
          </Suspense>
        ) : view.status === 'done' ? (
          <div className="chart-placeholder">
            <p className="no-baselines">{noBaselinesNote(view.curves)}</p>
          </div>
        ) : (
          <div className="chart-placeholder" aria-hidden="true">
            {view.status === 'computing' && (
              <>
                <span>Computing the baselines…</span>
                <Progress done={view.done} total={view.total} />
              </>
            )}
          </div>
        )}
      </div>
      {view.status === 'error' && (
        <div className="alert" role="alert">
          <p>{view.error}</p>
          <button type="button" onClick={retry}>
            Try again
          </button>
        </div>
      )}
      <p className="status" role="status">
        {baselinesStatusText(view, prompts)}
      </p>
      {view.status === 'done' && view.curves.curves.length > 0 && (
        <div className="reading-note">
          <h3>How to read this</h3>
          <p>{readingNote(view.curves)}</p>
        </div>
      )}
      {view.status === 'done' && view.curves.curves.length > 0 && <CurveTable set={view.curves} />}
    </section>
  );
}

function Progress({ done, total }: { done: number; total: number }) {
  return <progress className="progress" value={done} max={Math.max(1, total)} />;
}
