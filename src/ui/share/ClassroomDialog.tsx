import { useEffect, useRef, useState } from 'react';
import { useLesson } from '../../app/lesson/lesson-instance';
import { isRecordingStatus, useReplay } from '../../app/recordings/replay-player-instance';
import {
  type Classroom,
  DEFAULT_CLASSROOM,
  HIDEABLE,
  LOCKABLE,
  type LockKey,
  type PanelKey,
} from '../../app/share/classroom';
import { urlSync, useShare } from '../../app/share/share';
import type { ViewLink } from '../../formats/share-link';

function toggled<K extends string>(list: readonly K[], key: K, on: boolean, order: readonly K[]): K[] {
  const set = new Set(list);
  if (on) set.add(key);
  else set.delete(key);
  return order.filter((k) => set.has(k));
}

/** The teacher's shortcut that unlocks a classroom link on a student's computer (named in the dialog). */
export const UNLOCK_KEYS = 'Alt+Shift+U';
export const isUnlockKey = (
  e: Pick<KeyboardEvent, 'altKey' | 'shiftKey' | 'ctrlKey' | 'metaKey' | 'code'>,
): boolean => e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && e.code === 'KeyU';

const LOCK_ORDER = LOCKABLE.map((c) => c.key);
const PANEL_ORDER = HIDEABLE.map((c) => c.key);

/**
 * The "Classroom link" dialog (a modal <dialog>): which settings the class may not change and
 * which panels it does not see; "Make the classroom link" puts them in the link with the experiment.
 */
export function ClassroomDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const inForce = useShare((s) => s.classroom);
  const [choice, setChoice] = useState<Classroom>(DEFAULT_CLASSROOM);
  // a lesson step or a recorded run shown: the link may open on it (and play it)
  const lessonId = useLesson((s) => s.lesson?.id ?? null);
  const lessonStep = useLesson((s) => s.step);
  const lessonView: ViewLink | null = lessonId
    ? { kind: 'lesson', lesson: lessonId, step: lessonStep }
    : null;
  const replayFile = useReplay((s) => (isRecordingStatus(s.status) ? (s.entry?.file ?? null) : null));
  const view: ViewLink | null = lessonView ?? (replayFile ? { kind: 'replay', file: replayFile } : null);
  const [onView, setOnView] = useState(true);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setChoice(inForce ?? DEFAULT_CLASSROOM);
      dialog.showModal();
    } else if (!open && dialog.open) dialog.close();
  }, [open, inForce]);
  const setLock = (key: LockKey, on: boolean) =>
    setChoice((c) => ({ ...c, lock: toggled(c.lock, key, on, LOCK_ORDER) }));
  const setHide = (key: PanelKey, on: boolean) =>
    setChoice((c) => ({ ...c, hide: toggled(c.hide, key, on, PANEL_ORDER) }));
  return (
    <dialog ref={ref} className="classroom-dialog" aria-labelledby="classroom-title" onClose={onClose}>
      {open && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            if (view && onView) void urlSync.shareView(view, choice);
            else void urlSync.share(choice);
            onClose();
          }}
        >
          <h2 id="classroom-title">Classroom link</h2>
          <p className="hint">
            The link opens this experiment, with the same seed and so the same data, on every computer in the
            room. Choose what the class cannot change and what it does not see.
          </p>
          {view && (
            <label className="check">
              <input type="checkbox" checked={onView} onChange={(e) => setOnView(e.currentTarget.checked)} />
              {view.kind === 'lesson'
                ? `Open on this lesson step (step ${view.step + 1}) and play its recording`
                : 'Open on this recorded run and play it'}
            </label>
          )}
          <div className="classroom-choices">
            <fieldset>
              <legend>Lock these settings</legend>
              {LOCKABLE.map((c) => (
                <label key={c.key} className="check">
                  <input
                    type="checkbox"
                    checked={choice.lock.includes(c.key)}
                    onChange={(e) => setLock(c.key, e.currentTarget.checked)}
                  />
                  {c.title}
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>Hide these panels</legend>
              {HIDEABLE.map((c) => (
                <label key={c.key} className="check">
                  <input
                    type="checkbox"
                    checked={choice.hide.includes(c.key)}
                    onChange={(e) => setHide(c.key, e.currentTarget.checked)}
                  />
                  {c.title}
                </label>
              ))}
            </fieldset>
          </div>
          <p className="hint">
            Students see no unlock button. To unlock everything on a student's computer, a teacher presses{' '}
            <kbd>{UNLOCK_KEYS}</kbd>.
          </p>
          <div className="dialog-buttons">
            <button type="submit" className="primary">
              Make the classroom link
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
