import { useEffect, useId, useState } from 'react';

interface Props {
  label: string;
  /** the value set (undefined: the default, shown as the placeholder) */
  value: number | undefined;
  placeholder?: number;
  min?: number;
  max?: number;
  step?: number | 'any';
  /** called with the committed value (undefined when cleared) on change and Enter */
  onCommit(value: number | undefined): void;
  hint?: string;
  /** locked by a classroom link */
  disabled?: boolean;
}

/**
 * A number input that commits when the user leaves it or presses Enter (not on every keystroke,
 * so a half-typed "0.0" never restarts anything). Empty means "the default".
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
}: Props) {
  const id = useId();
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => setText(value === undefined ? '' : String(value)), [value]);
  const commit = () => {
    const t = text.trim();
    if (t === '') {
      if (value !== undefined) onCommit(undefined);
      return;
    }
    const v = Number(t);
    if (Number.isFinite(v) && v !== value) onCommit(v);
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        value={text}
        placeholder={placeholder === undefined ? '' : String(placeholder)}
        min={min}
        max={max}
        step={step}
        disabled={disabled}
        onChange={(e) => setText(e.currentTarget.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      {hint && (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
    </div>
  );
}
