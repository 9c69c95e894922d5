import './recordings.css';
import { missingRecordingText, recordedTasks } from '../../app/recordings/recorded-tasks';
import { replayStatusText } from '../../app/recordings/replay-player';
import { useReplay } from '../../app/recordings/replay-player-instance';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';

/**
 * "Watch a recorded run": plays a run recorded on a fast machine into the charts, without training
 * (and without TensorFlow.js). Prominent where the device note says training will be slow.
 */
export function ReplayPanel({ prominent }: { prominent: boolean }) {
  const status = useReplay((s) => s.status);
  const entry = useReplay((s) => s.entry);
  const index = useReplay((s) => s.index);
  const step = useReplay((s) => s.step);
  const totalSteps = useReplay((s) => s.totalSteps);
  const error = useReplay((s) => s.error);
  const start = useReplay((s) => s.start);
  const play = useReplay((s) => s.play);
  const pause = useReplay((s) => s.pause);
  const seek = useReplay((s) => s.seek);
  const stop = useReplay((s) => s.stop);
  const missing = useReplay((s) => s.missing);
  const caption = useReplay((s) => s.caption);
  const settingsNote = useReplay((s) => s.settingsNote);
  const focus = useReplay((s) => s.focus);
  const active = status === 'playing' || status === 'paused';
  const text = replayStatusText({ status, step, totalSteps });
  return (
    <section className={`replay-panel${prominent ? ' prominent' : ''}`} aria-label="Recorded run">
      {!active && (
        <div className="replay-start">
          <button
            type="button"
            className={prominent ? 'primary' : undefined}
            onClick={() => void start()}
            disabled={status === 'loading'}
          >
            Watch a recorded run
          </button>
          <span className="hint">
            {prominent
              ? 'Plays a run recorded on a fast machine in every chart: no training needed.'
              : 'Plays a run recorded on a fast machine, without training.'}
          </span>
        </div>
      )}
      {active && (
        <>
          <p className="replay-title">
            <strong>{entry?.title ?? 'Recorded run'}</strong>
            {entry && (
              <span className="muted">
                {' '}
                · {entry.models.map((a) => ARCHITECTURE_TITLES[a] ?? a).join(', ')} · {entry.steps} steps ·
                seed {entry.seed} · {entry.preset} preset
              </span>
            )}
          </p>
          {focus && (
            <p className="replay-focus">
              Watching <strong>{ARCHITECTURE_TITLES[focus] ?? focus}</strong>
              {entry && !entry.models.includes(focus) && ' (not in this recording)'}
            </p>
          )}
          {caption && <p className="hint replay-caption">Measured: {caption}</p>}
          {settingsNote && <p className="hint replay-settings">{settingsNote}</p>}
          {index && index.length > 1 && (
            <label className="replay-choice">
              Recorded run{' '}
              <select value={entry?.file ?? ''} onChange={(e) => void start(e.currentTarget.value)}>
                {index.map((r) => (
                  <option key={r.file} value={r.file}>
                    {r.title} ({r.steps} steps)
                  </option>
                ))}
              </select>
            </label>
          )}
          <div className="replay-controls">
            {status === 'playing' ? (
              <button type="button" onClick={pause}>
                Pause replay
              </button>
            ) : (
              <button type="button" onClick={play}>
                Play replay
              </button>
            )}
            <label className="replay-scrubber">
              Replay step
              <input
                type="range"
                min={0}
                max={totalSteps}
                step={1}
                value={step}
                onChange={(e) => seek(Number(e.currentTarget.value))}
              />
            </label>
            <button type="button" className="quiet" onClick={stop}>
              Stop watching
            </button>
          </div>
        </>
      )}
      {missing && (
        <div className="replay-missing">
          <p>{missingRecordingText(missing)}</p>
          {index && index.length > 0 && (
            <>
              <p className="hint">Recorded runs exist for:</p>
              <ul className="replay-tasks">
                {recordedTasks(index).map((r) => (
                  <li key={r.task}>
                    <button type="button" onClick={() => void start(r.file)}>
                      {r.title}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {text && (
        <p className="status replay-status" role="status">
          {text}
        </p>
      )}
      {status === 'error' && error && (
        <div className="alert" role="alert">
          <p>{error}</p>
        </div>
      )}
    </section>
  );
}
