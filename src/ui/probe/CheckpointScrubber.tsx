import { scrubPosition, stepAtPosition } from '../../app/probe/probe-lab';
import { useProbeLab } from '../../app/probe/probe-lab-instance';

/** A range over the run's kept checkpoints; its last position is the live weights. */
export function CheckpointScrubber() {
  const steps = useProbeLab((s) => s.checkpointSteps);
  const replayStep = useProbeLab((s) => s.replayStep);
  const status = useProbeLab((s) => s.replayStatus);
  const error = useProbeLab((s) => s.replayError);
  const setReplayStep = useProbeLab((s) => s.setReplayStep);
  const position = scrubPosition(steps, replayStep);
  const shown = stepAtPosition(steps, position);
  const text = shown === null ? 'live weights' : `step ${shown}`;
  return (
    <div className="scrubber">
      <label htmlFor="replay-step">Training step to replay</label>
      <input
        id="replay-step"
        type="range"
        min={0}
        max={steps.length}
        step={1}
        value={position}
        disabled={steps.length === 0}
        aria-valuetext={text}
        onChange={(e) => setReplayStep(stepAtPosition(steps, Number(e.target.value)))}
      />
      <output htmlFor="replay-step" className="scrub-value">
        {shown === null ? 'Live weights' : `Replaying step ${shown}`}
        {shown !== null && status === 'loading' ? ' (loading…)' : ''}
      </output>
      {replayStep !== null && (
        <button type="button" className="quiet" onClick={() => setReplayStep(null)}>
          Back to live
        </button>
      )}
      <p className="hint">
        {steps.length === 0
          ? 'Checkpoints are kept at every pause and every 250 steps; then you can replay the maps and predictions at those steps.'
          : `${steps.length} checkpoint${steps.length === 1 ? '' : 's'} kept (steps ${steps[0]}–${steps[steps.length - 1]}). A separate worker replays them; training is not disturbed.`}
      </p>
      {status === 'error' && error && (
        <p role="alert" className="notice">
          Replay failed: {error}
        </p>
      )}
    </div>
  );
}
