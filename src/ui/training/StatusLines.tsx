import { race, useLive } from '../../app';
import { recordedModelStatus } from '../../app/recordings/replay-player';
import { useRecording } from '../../app/recordings/replay-player-instance';
import type { ModelLive, Notice } from '../../app/stores/live-store';
import { modelStatusText } from '../../app/stores/selectors';
import { modelColor } from '../charts/model-colors';
import { useTheme } from '../theme';

/** One status line per model (role "status"): step, speed, backend, ETA, state. */
export function StatusLines() {
  const models = useLive((s) => s.models);
  const pausing = useLive((s) => s.pausing === true);
  const theme = useTheme();
  const recording = useRecording();
  if (models.length === 0) {
    return (
      <p className="status idle-status">
        Press Train to start one worker per model; each picks WebGPU when it can.
      </p>
    );
  }
  return (
    <ul className="status-lines">
      {models.map((m) => (
        <li key={m.slot}>
          <span className="swatch" style={{ background: modelColor(theme, m.arch) }} aria-hidden="true" />
          <p className="status" role="status" data-state={m.state}>
            {recording ? recordedModelStatus(m) : modelStatusText(m, pausing)}
          </p>
          {m.lastLoss !== null && <span className="loss-now">loss {formatLoss(m.lastLoss)}</span>}
        </li>
      ))}
    </ul>
  );
}

function formatLoss(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 || Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3);
}

/** Notices that need attention (role "alert"): fallback backend, divergence, crashes, storage. */
export function Notices() {
  const notices = useLive((s) => s.notices);
  const dismiss = useLive((s) => s.dismiss);
  if (notices.length === 0) return null;
  return (
    <div className="notices">
      {notices.map((n) => (
        <div key={n.id} className={`alert notice-${n.kind}`} role="alert">
          <p>{n.message}</p>
          {n.action && <NoticeAction notice={n} />}
          <button
            type="button"
            className="quiet"
            onClick={() => dismiss(n.id)}
            aria-label="Dismiss this notice"
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

function NoticeAction({ notice }: { notice: Notice }) {
  const a = notice.action!;
  const slot = notice.slot;
  if (slot === undefined) return null;
  const run = () => {
    if (a.kind === 'lower-lr') void race.setModelLearningRate(slot, a.lr);
    else void race.restartModel(slot);
  };
  return (
    <button type="button" onClick={run}>
      {a.label}
    </button>
  );
}

export type { ModelLive };
