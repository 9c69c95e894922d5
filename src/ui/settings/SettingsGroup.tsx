import type { ReactNode } from 'react';
import type { SettingId, SettingValue } from '../../app/settings/experiment-draft';
import type { GroupView } from '../../app/settings/settings-view';
import { NumberField } from './NumberField';
import { SwitchField } from './SwitchField';

interface Props {
  view: GroupView;
  onSet(id: SettingId, value: SettingValue): void;
  onReset(): void;
  /** controls shown under the legend (the model scope) */
  children?: ReactNode;
  /** counts the resets: a refused value typed in a field goes when the group is reset */
  revision: number;
}

/** One group of the settings panel: a fieldset of its fields and its "Reset to preset" button. */
export function SettingsGroup({ view, onSet, onReset, children, revision }: Props) {
  return (
    <fieldset className="settings-group">
      <legend>{view.title}</legend>
      {children}
      {view.note && <p className="hint">{view.note}</p>}
      {view.fields.length > 0 && (
        <div className="settings-grid">
          {view.fields.map((f) =>
            f.kind === 'number' ? (
              <NumberField
                key={f.id}
                label={f.label}
                value={f.value}
                placeholder={f.placeholder}
                min={f.min}
                max={f.max}
                step={f.step}
                check={f.check}
                about={f.about}
                errors={f.errors}
                changedNote={f.changedNote}
                disabled={f.disabled}
                revision={revision}
                onCommit={(v) => onSet(f.id, v)}
              />
            ) : (
              <SwitchField
                key={f.id}
                label={f.label}
                checked={f.checked}
                mixed={f.mixed}
                about={f.about}
                errors={f.errors}
                changedNote={f.changedNote}
                disabled={f.disabled}
                onChange={(on) => onSet(f.id, on)}
              />
            ),
          )}
        </div>
      )}
      <button
        type="button"
        className="reset-group"
        aria-label={`Reset to preset: ${view.title}`}
        disabled={!view.changed || view.locked}
        onClick={onReset}
      >
        Reset to preset
      </button>
    </fieldset>
  );
}
