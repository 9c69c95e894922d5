import { useEffect } from 'react';
import { useStore } from 'zustand';
import { currentSentence } from '../../app/lesson/lesson-controller';
import { lessonStore, useLesson } from '../../app/lesson/lesson-instance';
import { keyTargetOf } from '../shortcuts';
import { themeStore } from '../theme';
import './lesson.css';

/** The header's "Lesson" button: opens the lesson at its first step (pressed again, closes it). */
export function LessonButton() {
  const open = useLesson((s) => s.lesson !== null || s.status === 'loading');
  const start = useLesson((s) => s.open);
  const close = useLesson((s) => s.close);
  return (
    <button
      type="button"
      className="quiet"
      aria-pressed={open}
      onClick={() => (open ? close() : void start())}
    >
      Lesson
    </button>
  );
}

/** Keys a clicker or a keyboard steps with: PageDown / ArrowRight forward, PageUp / ArrowLeft back. */
export function lessonKey(key: string): 'next' | 'previous' | null {
  if (key === 'PageDown' || key === 'ArrowRight') return 'next';
  if (key === 'PageUp' || key === 'ArrowLeft') return 'previous';
  return null;
}

/**
 * The lesson a teacher steps through: the step's framing title, what to look for (computed from
 * the recording's curves), a question for the class, Next / Previous step (and the keys of a
 * clicker), the present layout and its projector themes, live training as an option.
 */
export function LessonPanel() {
  const lesson = useLesson((s) => s.lesson);
  const status = useLesson((s) => s.status);
  const error = useLesson((s) => s.error);
  const step = useLesson((s) => s.step);
  const sentence = useLesson(currentSentence);
  const present = useLesson((s) => s.present);
  const theme = useStore(themeStore, (s) => s.theme);
  const setTheme = useStore(themeStore, (s) => s.setTheme);
  const { next, previous, close, setPresent, trainLive } = lessonStore.getState();
  const shown = lesson !== null;

  useEffect(() => {
    if (!shown) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey) return;
      const move = lessonKey(e.key);
      if (!move) return;
      const t = keyTargetOf(e.target);
      // arrows belong to fields, sliders, selects and dialogs
      if (t.inDialog || t.editable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tag) || t.role === 'slider')
        return;
      e.preventDefault();
      if (move === 'next') next();
      else previous();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [shown, next, previous]);

  useEffect(() => {
    const root = document.documentElement;
    if (shown && present) root.dataset.present = 'on';
    else delete root.dataset.present;
    return () => {
      delete root.dataset.present;
    };
  }, [shown, present]);

  if (!lesson) {
    if (status === 'loading') return <p className="status lesson-loading">Opening the lesson…</p>;
    if (status === 'error' && error)
      return (
        <div className="alert" role="alert">
          <p>{error}</p>
        </div>
      );
    return null;
  }
  const s = lesson.steps[step];
  const last = lesson.steps.length - 1;
  return (
    <section className="panel lesson-panel" aria-label="Lesson">
      <p className="lesson-where">
        {lesson.title} · step {step + 1} of {lesson.steps.length}
        {s.recording ? ` · recorded run: ${s.recording.title}` : ' · from the Table 1 runs'}
      </p>
      <h2 className="lesson-title">{s.title}</h2>
      <p className="lesson-look" role="status">
        {sentence ?? 'Measuring the recorded run…'}
      </p>
      <p className="lesson-question">
        <strong>Ask the class:</strong> {s.question}
      </p>
      {error && (
        <div className="alert" role="alert">
          <p>{error}</p>
        </div>
      )}
      <div className="lesson-buttons">
        <button type="button" aria-keyshortcuts="PageUp ArrowLeft" disabled={step === 0} onClick={previous}>
          Previous step
        </button>
        <button
          type="button"
          className="primary"
          aria-keyshortcuts="PageDown ArrowRight"
          disabled={step === last}
          onClick={next}
        >
          Next step
        </button>
        <button type="button" aria-pressed={present} onClick={() => setPresent(!present)}>
          Present
        </button>
        {present && (
          <>
            <button
              type="button"
              aria-pressed={theme === 'projector-light'}
              onClick={() => setTheme('projector-light')}
            >
              Light projector
            </button>
            <button type="button" aria-pressed={theme === 'dark'} onClick={() => setTheme('dark')}>
              Dark projector
            </button>
          </>
        )}
        {s.task && (
          <button type="button" className="quiet" onClick={trainLive}>
            Train this step live
          </button>
        )}
        <button type="button" className="quiet" onClick={close}>
          Close the lesson
        </button>
      </div>
    </section>
  );
}
