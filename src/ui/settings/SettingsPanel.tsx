import { useId, useMemo, useState } from 'react';
import { useExperiment } from '../../app';
import type { ModelScope } from '../../app/settings/experiment-draft';
import { settingsView } from '../../app/settings/settings-view';
import { useShare } from '../../app/share/share';
import { SettingsGroup } from './SettingsGroup';
import './settings.css';

/**
 * Every setting of the experiment, in six groups (src/app/settings/settings-view.ts says what each shows);
 * empty fields keep the preset's value (shown greyed).
 */
export function SettingsPanel() {
  const draft = useExperiment((s) => s.draft);
  const experiment = useExperiment((s) => s.experiment);
  const issues = useExperiment((s) => s.issues);
  const errors = useExperiment((s) => s.errors);
  const presetDefaults = useExperiment((s) => s.presetDefaults);
  const paperDefaults = useExperiment((s) => s.paperDefaults);
  const derivedCurriculum = useExperiment((s) => s.derivedCurriculum);
  const setSetting = useExperiment((s) => s.setSetting);
  const resetGroup = useExperiment((s) => s.resetGroup);
  const resetAll = useExperiment((s) => s.resetAll);
  const classroom = useShare((s) => s.classroom);
  const [wanted, setScope] = useState<ModelScope>('all');
  const [revision, setRevision] = useState(0);
  const scopeId = useId();
  const view = useMemo(
    () =>
      settingsView({
        draft,
        experiment,
        issues,
        presetDefaults,
        paperDefaults,
        derivedCurriculum,
        scope: wanted,
        classroom,
      }),
    [draft, experiment, issues, presetDefaults, paperDefaults, derivedCurriculum, wanted, classroom],
  );
  return (
    <details className="settings">
      <summary>Settings</summary>
      <p className="hint">
        Empty fields keep the preset’s value. Hover or focus a field for what it does. Changing the data
        (seed, batch, curriculum) or a model restarts the models; the learning rate, steps and evaluation
        change in place.
      </p>
      <div className="settings-groups">
        {view.groups.map((g) => (
          <SettingsGroup
            key={g.group}
            view={g}
            revision={revision}
            onSet={setSetting}
            onReset={() => {
              resetGroup(g.group);
              setRevision((n) => n + 1);
            }}
          >
            {g.group === 'models' && (
              <div className="field settings-scope">
                <label htmlFor={scopeId}>Apply model settings to</label>
                <select
                  id={scopeId}
                  value={view.scope}
                  onChange={(e) => setScope(e.currentTarget.value as ModelScope)}
                >
                  {view.scopes.map((s) => (
                    <option key={s.value} value={s.value}>
                      {s.title}
                    </option>
                  ))}
                </select>
              </div>
            )}
          </SettingsGroup>
        ))}
      </div>
      <button
        type="button"
        disabled={!view.changed || view.locked}
        onClick={() => {
          resetAll();
          setRevision((n) => n + 1);
        }}
      >
        Reset all to preset
      </button>
      {errors.length > 0 && (
        <div className="alert" role="alert">
          <p>These settings cannot be trained: {errors.join(' ')}</p>
        </div>
      )}
    </details>
  );
}
