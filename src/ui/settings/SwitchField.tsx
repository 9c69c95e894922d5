import { useEffect, useId, useRef } from 'react';
import { FieldNotes, noteIds } from './FieldNotes';

interface Props {
  label: string;
  checked: boolean;
  /** the models it stands for disagree (shown as an indeterminate box) */
  mixed?: boolean;
  onChange(checked: boolean): void;
  disabled?: boolean;
  about?: string;
  errors?: readonly string[];
  changedNote?: string | null;
}

/** An on/off setting: a labelled checkbox with the same notes as a NumberField. */
export function SwitchField({
  label,
  checked,
  mixed = false,
  onChange,
  disabled,
  about,
  errors = [],
  changedNote,
}: Props) {
  const id = useId();
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = mixed;
  }, [mixed]);
  const notes = { about, messages: errors, changedNote };
  return (
    <div className={`field setting switch-field${changedNote ? ' changed' : ''}`}>
      <label htmlFor={id}>
        <input
          ref={ref}
          id={id}
          type="checkbox"
          checked={checked}
          disabled={disabled}
          onChange={(e) => onChange(e.currentTarget.checked)}
          aria-invalid={errors.length > 0 || undefined}
          aria-describedby={noteIds(id, notes)}
        />
        {label}
      </label>
      <FieldNotes id={id} {...notes} />
    </div>
  );
}
