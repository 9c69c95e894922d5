import { race, step, train, useExperiment, useLive, useMemory, useUi } from '../../app';
import { SPEED_CHOICES } from '../../app/race/speed';
import { useRecording } from '../../app/recordings/replay-player-instance';
import { presetChoice } from '../../app/settings/preset-choice';
import { isLocked } from '../../app/share/classroom';
import { useShare } from '../../app/share/share';
import { PRESET_NAMES, type PresetName } from '../../train/presets';
import { LockMark } from '../lesson/LockMark';
import { NumberField } from '../settings/NumberField';

const PRESET_TITLES: Record<PresetName, string> = {
  classroom: 'Classroom (small, minutes in a browser)',
  paper: 'Paper (full size, for a strong GPU)',
};

/** Train / Pause / Step / Reset, the preset, the live learning rate and the training speed. */
export function Controls() {
  const valid = useExperiment((s) => s.experiment !== null);
  const preset = useExperiment(presetChoice);
  const setPreset = useExperiment((s) => s.setPreset);
  const lr = useExperiment((s) => s.draft.optimizer.lr ?? null);
  const setLearningRate = useExperiment((s) => s.setLearningRate);
  const presetLr = useExperiment((s) => s.presetDefaults?.optimizer.lr);
  const training = useLive((s) => s.training);
  const tooBig = useMemory((s) => s.verdict !== null && !s.verdict.ok);
  const hasModels = useLive((s) => s.models.length > 0);
  const presetLocked = useShare((s) => isLocked(s.classroom, 'preset'));
  const lrLocked = useShare((s) => isLocked(s.classroom, 'optimizer.lr'));
  const stepIntervalMs = useUi((s) => s.stepIntervalMs);
  // a recorded run shown: its models are data, not workers; the live controls rest
  const recording = useRecording();
  const setStepInterval = useUi((s) => s.setStepInterval);
  return (
    <div className="controls">
      <div className="field">
        <label htmlFor="preset">Preset</label>
        {presetLocked && <LockMark />}
        <select
          id="preset"
          value={preset}
          disabled={presetLocked || recording}
          onChange={(e) => setPreset(e.currentTarget.value as PresetName)}
        >
          {PRESET_NAMES.map((p) => (
            <option key={p} value={p}>
              {PRESET_TITLES[p]}
            </option>
          ))}
          {preset === 'custom' && (
            <option value="custom" disabled>
              Custom (changed settings)
            </option>
          )}
        </select>
      </div>
      <NumberField
        label="Learning rate"
        value={lr ?? undefined}
        placeholder={presetLr}
        min={1e-7}
        max={1}
        step="any"
        onCommit={(v) => setLearningRate(v ?? null)}
        hint="applies at the next step"
        disabled={lrLocked || recording}
        locked={lrLocked}
      />
      <div className="field">
        <label htmlFor="speed">Speed</label>
        <select
          id="speed"
          value={stepIntervalMs}
          aria-describedby="speed-hint"
          onChange={(e) => setStepInterval(Number(e.currentTarget.value))}
        >
          {SPEED_CHOICES.map((c) => (
            <option key={c.intervalMs} value={c.intervalMs}>
              {c.label}
            </option>
          ))}
        </select>
        <span id="speed-hint" className="field-hint">
          slower steps, same results
        </span>
      </div>
      <div className="buttons">
        <button
          type="button"
          className="primary"
          aria-keyshortcuts="Space"
          disabled={!valid || training || recording}
          aria-describedby={tooBig ? 'memory-note' : undefined}
          onClick={() => void train()}
        >
          Train
        </button>
        <button
          type="button"
          aria-keyshortcuts="Space"
          disabled={!training}
          onClick={() => void race.pause()}
        >
          Pause
        </button>
        <button
          type="button"
          aria-keyshortcuts="S"
          disabled={!valid || recording}
          onClick={() => void step()}
        >
          Step
        </button>
        <button
          type="button"
          aria-keyshortcuts="R"
          disabled={!hasModels || recording}
          onClick={() => void race.reset()}
        >
          Reset
        </button>
      </div>
    </div>
  );
}
