import { queryCaption } from '../../app/probe/probe-editor';
import { useProbeLab } from '../../app/probe/probe-lab-instance';
import { CheckpointScrubber } from './CheckpointScrubber';
import { ParityEditor } from './ParityEditor';
import { PredictionTable } from './PredictionTable';
import { RecallPicker } from './RecallPicker';
import { RegressionEditor } from './RegressionEditor';
import './probe-editor.css';

/** The "Probe" region: edit the probe prompt, read every model's answer, replay earlier checkpoints. */
export function ProbeLabPanel() {
  const draft = useProbeLab((s) => s.draft);
  const edited = useProbeLab((s) => s.edited);
  const probing = useProbeLab((s) => s.probing > 0);
  const probeError = useProbeLab((s) => s.probeError);
  const resetProbe = useProbeLab((s) => s.resetProbe);
  return (
    <section className="panel probe-lab" aria-label="Probe">
      <h2>Probe</h2>
      <p className="hint">
        The attention and SSM maps below are computed on this prompt. Edit it and every model is asked again
        with its current weights.
      </p>
      {!draft ? (
        <p className="empty">Choose a valid experiment to see its probe prompt.</p>
      ) : (
        <div className="probe-lab-body">
          <div className="probe-edit">
            <p className="probe-query">{queryCaption(draft)}</p>
            {draft.kind === 'regression' && <RegressionEditor draft={draft} />}
            {draft.kind === 'parity' && <ParityEditor draft={draft} />}
            {(draft.kind === 'vector-recall' || draft.kind === 'token-recall') && (
              <RecallPicker draft={draft} />
            )}
            <div className="probe-actions">
              <button type="button" onClick={resetProbe} disabled={!edited}>
                Reset probe
              </button>
              <span className="muted">
                {edited ? 'Edited prompt' : 'Seeded probe prompt'}
                {probing ? ' · asking the models…' : ''}
              </span>
            </div>
            {probeError && (
              <p role="alert" className="notice">
                Probing failed: {probeError}
              </p>
            )}
          </div>
          <div className="probe-read">
            <PredictionTable />
            <CheckpointScrubber />
          </div>
        </div>
      )}
    </section>
  );
}
