import { useEffect, useId, useRef, useState } from 'react';
import { useExperiment } from '../../app';
import { describeClassroom } from '../../app/share/classroom';
import { urlSync, useShare } from '../../app/share/share';
import type { MadeLink } from '../../app/share/share-store';
import { ClassroomDialog, isUnlockKey } from './ClassroomDialog';
import { ExportMenu } from './ExportMenu';
import './share-export.css';

/** "Share link", "Classroom link" and "Export"; the link just made; the classroom view in force. */
export function ShareControls() {
  const valid = useExperiment((s) => s.experiment !== null);
  const lastLink = useShare((s) => s.lastLink);
  const classroom = useShare((s) => s.classroom);
  const [dialog, setDialog] = useState(false);
  // unlocking is a teacher's deliberate act: a shortcut named in the Classroom link dialog, no button
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isUnlockKey(e)) {
        e.preventDefault();
        urlSync.leaveClassroom();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="share-controls">
      <div className="share-buttons">
        <button type="button" disabled={!valid} onClick={() => void urlSync.share()}>
          Share link
        </button>
        <button type="button" disabled={!valid} aria-haspopup="dialog" onClick={() => setDialog(true)}>
          Classroom link
        </button>
        <ExportMenu />
      </div>
      {lastLink && <MadeLinkNote link={lastLink} />}
      {classroom && (
        <p className="classroom-banner">
          <span>Classroom view: {describeClassroom(classroom)}.</span>
        </p>
      )}
      <ClassroomDialog open={dialog} onClose={() => setDialog(false)} />
    </div>
  );
}

function MadeLinkNote({ link }: { link: MadeLink }) {
  const id = useId();
  const field = useRef<HTMLInputElement>(null);
  const dismiss = useShare((s) => s.dismissLastLink);
  const what = link.classroom ? 'Classroom link' : 'Link';
  useEffect(() => {
    if (!link.copied) field.current?.select();
  }, [link]);
  return (
    <div className="share-result">
      <p role="status">
        {link.copied
          ? `${what} copied to the clipboard (it is also in the address bar).`
          : `${what} made. This browser did not allow copying it: select it below and copy it.`}
      </p>
      {!link.copied && (
        <div className="field share-url">
          <label htmlFor={id}>{what} to copy</label>
          <input
            id={id}
            ref={field}
            type="text"
            readOnly
            value={link.url}
            onFocus={(e) => e.currentTarget.select()}
          />
        </div>
      )}
      <button type="button" className="quiet" onClick={dismiss} aria-label="Close the link message">
        ×
      </button>
    </div>
  );
}
