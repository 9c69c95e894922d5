/** The lines under a settings field: hint, "changed" note, problems, and the explanation. */
export interface Notes {
  hint?: string;
  /** shown while the field is hovered or has the focus (settings.css) */
  about?: string;
  messages?: readonly string[];
  changedNote?: string | null;
}

/** The ids the field's input is described by (undefined when there is nothing). */
export function noteIds(id: string, n: Notes): string | undefined {
  const ids = [
    n.messages?.length ? `${id}-error` : null,
    n.changedNote ? `${id}-changed` : null,
    n.hint ? `${id}-hint` : null,
    n.about ? `${id}-about` : null,
  ].filter((x): x is string => x !== null);
  return ids.length ? ids.join(' ') : undefined;
}

export function FieldNotes({ id, hint, about, messages = [], changedNote }: Notes & { id: string }) {
  return (
    <>
      {hint && (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {changedNote && (
        <span className="field-changed" id={`${id}-changed`}>
          {changedNote}
        </span>
      )}
      {messages.length > 0 && (
        <span className="field-error" id={`${id}-error`}>
          {messages.join(' ')}
        </span>
      )}
      {about && (
        <span className="field-about" id={`${id}-about`}>
          {about}
        </span>
      )}
    </>
  );
}
