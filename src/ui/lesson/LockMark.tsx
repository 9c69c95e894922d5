/**
 * A padlock beside a setting a classroom link locked. Placed after the field's label (not inside
 * it), so the field keeps its name; screen readers read "locked" from the hidden text.
 */
export function LockMark() {
  return (
    <span className="lock-mark" title="Locked by the classroom link">
      <svg viewBox="0 0 16 16" width="0.9em" height="0.9em" aria-hidden="true" focusable="false">
        <path
          d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2h.5a1 1 0 0 1 1 1v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zm1.5 0h4V5a2 2 0 0 0-4 0z"
          fill="currentColor"
        />
      </svg>
      <span className="visually-hidden">locked by the classroom link</span>
    </span>
  );
}
