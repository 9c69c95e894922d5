import { lazy, Suspense, useMemo, useRef } from 'react';
import { holdForRedraw, useExperiment, useLab, useModelField } from '../../app';
import { usePresent } from '../../app/lesson/lesson-instance';
import { useRecording } from '../../app/recordings/replay-player-instance';
import { baselinesStatusText, cardOf, liveCaption, shownBaselines } from '../../app/stores/selectors';
import { combineCurves } from '../../eval/icl-combine';
import { CurveTable } from './CurveTable';
import { noBaselinesNote, readingNote, yLabelNote } from './curve-rows';
import { ReadingNote } from './ReadingNote';
import { useThrottled } from './use-throttled';
import { useViewportFit } from './viewport-fit';

/**
 * recharts is most of the page's code: fetch it at once but in its own chunk, so the gallery does
 * not wait for it (the first baselines take longer than the download anyway).
 */
const chartModule = import('./IclChart');
const IclChart = lazy(() => chartModule.then((m) => ({ default: m.IclChart })));
const recallModule = import('./RecallChart');
const RecallChart = lazy(() => recallModule.then((m) => ({ default: m.RecallChart })));

/** Present layout: room left under the chart (the panel's edge), and its least height. */
const PRESENT_RESERVE_PX = 16;
const PRESENT_MIN_PX = 320;

/**
 * The "In-context error" region: the task's baseline curves and, once models train, each model's
 * curve on the same evaluation prompts; how to read them; status.
 */
export function IclPanel() {
  const task = useExperiment((s) => s.draft.task);
  const card = useLab((s) => cardOf(s, task));
  const view = useLab(shownBaselines);
  const prompts = useLab((s) => s.request?.prompts ?? 0);
  const retry = useLab((s) => s.retryBaselines);
  const archs = useModelField('arch');
  const slots = useModelField('slot');
  // curves, their steps and recall arrive together: shown together, at most once a second
  const curvesNow = useModelField('curves');
  const stepsNow = useModelField('curvesStep');
  const recallsNow = useModelField('recall');
  const historyNow = useModelField('evaluations');
  const evaluated = useMemo(
    () => ({ curves: curvesNow, curvesSteps: stepsNow, recalls: recallsNow, history: historyNow }),
    [curvesNow, stepsNow, recallsNow, historyNow],
  );
  const { curves, curvesSteps, recalls, history } = useThrottled(evaluated, 1000, 333, holdForRedraw);
  const labels = useModelField('label');
  const seed = useExperiment((s) => s.draft.seed);
  const recording = useRecording();
  const baselines = view.status === 'done' ? view.curves : null;
  const set = useMemo(
    () =>
      combineCurves(
        baselines,
        archs.map((arch, i) => ({ arch, curves: curves[i] ?? null, curvesStep: curvesSteps[i] ?? null })),
      ),
    [baselines, archs, curves, curvesSteps],
  );
  const recallLines = useMemo(
    () => archs.map((arch, i) => ({ slot: slots[i], arch, recall: recalls[i] ?? null })),
    [archs, slots, recalls],
  );
  // a recording has its own caption (the recording panel's); a live run's is generated here
  const caption = useMemo(
    () => (recording ? '' : liveCaption(labels, history, baselines, seed)),
    [recording, labels, history, baselines, seed],
  );
  const hasCurves = !!set && set.curves.length > 0;
  const modelsShown = curves.some((c) => c);
  const baselinesShown = view.status === 'done' && view.curves.curves.length > 0;
  // the present layout: the chart as tall as the projector leaves under the lesson, seen whole
  const frame = useRef<HTMLDivElement>(null);
  const present = usePresent();
  const fit = useViewportFit(frame, present, PRESENT_RESERVE_PX, PRESENT_MIN_PX);
  return (
    <section
      className="icl-panel panel"
      aria-label="In-context error"
      aria-busy={view.status === 'computing'}
    >
      <h2>
        In-context error <span className="task-name">· {card.title}</span>
      </h2>
      <div className="chart-frame" ref={frame} style={fit}>
        {hasCurves ? (
          <Suspense fallback={<div className="chart-placeholder" />}>
            <IclChart set={set} />
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
                <progress className="progress" value={view.done} max={Math.max(1, view.total)} />
              </>
            )}
          </div>
        )}
      </div>
      {hasCurves && yLabelNote(set) && <p className="hint y-note">{yLabelNote(set)}</p>}
      {caption && (
        <p className="live-caption" aria-live="polite">
          <strong>Measured so far:</strong> {caption}
        </p>
      )}
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
      <Suspense fallback={null}>
        <RecallChart lines={recallLines} />
      </Suspense>
      {/* tasks without baselines (MQAR) keep the recall chart's note only: one "How to read this" */}
      {hasCurves && baselinesShown && (
        <ReadingNote open>
          <p>
            {readingNote(view.curves)}
            {modelsShown &&
              ' The thick solid lines are the models, scored on the same prompts at the step shown in the legend; the dashed lines are the baselines.'}
          </p>
        </ReadingNote>
      )}
      {hasCurves && <CurveTable set={set} />}
    </section>
  );
}
