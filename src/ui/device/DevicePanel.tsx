import { experimentStore, useDevice } from '../../app';
import { backendLine, device, useLessonEstimate } from '../../app/device/lesson';
import {
  BACKEND_PREFERENCES,
  type BackendPreference,
  isBackendPreference,
} from '../../workers/backend-choice';

const LABELS: Record<BackendPreference, string> = {
  auto: 'Auto',
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU',
};

/** The Backend control (remembered on this device, not in share links); the run is kept on a switch. */
export function BackendControl() {
  const preference = useDevice((s) => s.preference);
  const url = useDevice((s) => s.urlBackend);
  const onChange = (value: string) => {
    if (!isBackendPreference(value)) return;
    void device.setPreference(value).then(() => {
      const e = experimentStore.getState().experiment;
      if (e) void device.probe(e);
    });
  };
  return (
    <label className="backend-control">
      Backend{' '}
      <select
        aria-label="Backend"
        value={preference}
        disabled={url !== null}
        title={url ? `Set by the page address (?backend=${url})` : 'Where the models train on this device'}
        onChange={(e) => onChange(e.currentTarget.value)}
      >
        {BACKEND_PREFERENCES.map((p) => (
          <option key={p} value={p}>
            {LABELS[p]}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The backend in force and why (a status line), and how long the lesson will take here. */
export function DevicePanel() {
  const line = useDevice(backendLine);
  const estimate = useLessonEstimate();
  const measuring = useDevice((s) => s.status === 'measuring');
  return (
    <div className="device-panel">
      <BackendControl />
      <p className="device-backend" role="status">
        {line}
      </p>
      <p
        className={`lesson-estimate${estimate?.long ? ' long' : ''}`}
        data-minutes={estimate?.minutes.toFixed(2)}
      >
        {estimate ? estimate.text : measuring ? 'Timing the models on this device…' : ''}
        {estimate?.long && (
          <span className="hint">
            {' '}
            Fewer models train faster (untick one or two), or watch a recorded run of this task: no training
            needed.
          </span>
        )}
      </p>
    </div>
  );
}
