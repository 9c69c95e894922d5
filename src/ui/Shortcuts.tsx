import { useEffect, useRef, useState } from 'react';
import { experimentStore, liveStore, race, step, train } from '../app';
import { isRecordingStatus, replayStore } from '../app/recordings/replay-player-instance';
import { keyTargetOf, SHORTCUTS, type ShortcutCommand, shortcutCommand } from './shortcuts';

function run(command: Exclude<ShortcutCommand, 'help'>): void {
  if (command === 'train') void train();
  else if (command === 'pause') void race.pause();
  else if (command === 'step') void step();
  else void race.reset();
}

/**
 * The keyboard shortcuts (space, s, r, ?) on the whole page, and the "?" dialog that lists them
 * (also opened by its button in the header). The decision is src/ui/shortcuts.ts.
 */
export function Shortcuts() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || dialog.current?.open) return;
      // a recorded run shown: Train, Step and Reset rest (as their buttons do)
      if (isRecordingStatus(replayStore.getState().status) && e.key !== '?') return;
      const live = liveStore.getState();
      const command = shortcutCommand(
        {
          key: e.key,
          ctrl: e.ctrlKey,
          alt: e.altKey,
          meta: e.metaKey,
          repeat: e.repeat,
          target: keyTargetOf(e.target),
        },
        {
          canTrain: experimentStore.getState().experiment !== null,
          training: live.training,
          canReset: live.models.length > 0,
        },
      );
      if (!command) return;
      e.preventDefault();
      if (command === 'help') setOpen(true);
      else run(command);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <>
      <button
        type="button"
        className="quiet"
        aria-keyshortcuts="?"
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        Keyboard shortcuts
      </button>
      <dialog
        ref={dialog}
        className="shortcuts-dialog"
        aria-labelledby="shortcuts-title"
        onClose={() => setOpen(false)}
      >
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <p className="hint">They work anywhere on the page except while you type in a field.</p>
        <dl className="shortcut-list">
          {SHORTCUTS.map((s) => (
            <div key={s.keys}>
              <dt>
                <kbd>{s.keys}</kbd>
              </dt>
              <dd>{s.does}</dd>
            </div>
          ))}
        </dl>
        <button type="button" className="primary" onClick={() => setOpen(false)}>
          Close
        </button>
      </dialog>
    </>
  );
}
