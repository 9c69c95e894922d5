import { useId, useState } from 'react';
import { LockMark } from '../lesson/LockMark';
import { FieldNotes, noteIds } from './FieldNotes';

interface Props {
  label: string;
  /** the value set (undefined: the default, shown as the placeholder) */
  value: number | undefined;
  placeholder?: number | string;
  min?: number;
  max?: number;
  step?: number | 'any';
  /** called with the committed value (undefined when cleared) on change and Enter */
  onCommit(value: number | undefined): void;
  hint?: string;
  /** not editable now (locked by a classroom link, or a recorded run shown) */
  disabled?: boolean;
  /** locked by a classroom link: disabled, with a lock mark */
  locked?: boolean;
  /** what the setting does, shown while the field is hovered or focused */
  about?: string;
  /** problems the experiment has with the value set (shown beside the field) */
  errors?: readonly string[];
  /** the limit a typed value breaks, in words; such a value is not committed */
  check?(value: number): string | null;
  /** shown when the value differs from the preset's */
  changedNote?: string | null;
  /** a change of it puts the value back in the field (a reset that left the value as it was) */
  revision?: number;
}

/**
 * A number input that commits when the user leaves it or presses Enter (not on every keystroke,
 * so a half-typed "0.0" never restarts anything). Empty means "the default". A value that is not a
 * number or breaks `check` stays in the field with its message and is not committed.
 */
export function NumberField({
  label,
  value,
  placeholder,
  min,
  max,
  step = 1,
  onCommit,
  hint,
  disabled,
  locked,
  about,
  errors = [],
  check,
  changedNote,
  revision,
}: Props) {
  const id = useId();
  const [text, setText] = useState(value === undefined ? '' : String(value));
  const [rejected, setRejected] = useState<string | null>(null);
  // a new value from the store (or a reset) replaces whatever was typed
  const [shown, setShown] = useState({ value, revision });
  if (shown.value !== value || shown.revision !== revision) {
    setShown({ value, revision });
    setText(value === undefined ? '' : String(value));
    setRejected(null);
  }
  const commit = (input: HTMLInputElement) => {
    if (input.validity.badInput) {
      setRejected('must be a number');
      return;
    }
    const t = text.trim();
    if (t === '') {
      setRejected(null);
      if (value !== undefined) onCommit(undefined);
      return;
    }
    const v = Number(t);
    const problem = Number.isFinite(v) ? (check?.(v) ?? null) : 'must be a number';
    setRejected(problem);
    if (!problem && v !== value) onCommit(v);
  };
  const messages = rejected ? [`${label} ${rejected}; not applied.`] : errors;
  const notes = { hint, about, messages, changedNote };
  return (
    <div
      className={`field${about ? ' setting' : ''}${changedNote ? ' changed' : ''}${locked ? ' locked' : ''}`}
    >
      <label htmlFor={id}>{label}</label>
      {locked && <LockMark />}
      <input
        id={id}
        type="number"
        inputMode="decimal"
        value={text}
        placeholder={placeholder === undefined ? '' : String(placeholder)}
        min={min}
        max={max}
        step={step}
        disabled={disabled || locked}
        onChange={(e) => setText(e.currentTarget.value)}
        onBlur={(e) => commit(e.currentTarget)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit(e.currentTarget);
        }}
        aria-invalid={messages.length > 0 || undefined}
        aria-describedby={noteIds(id, notes)}
      />
      <FieldNotes id={id} {...notes} />
    </div>
  );
}
