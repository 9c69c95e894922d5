import { type PredictionRow, queryTarget } from '../../app/probe/probe-lab';
import { useProbeLab } from '../../app/probe/probe-lab-instance';
import { useRecording } from '../../app/recordings/replay-player-instance';
import { usePredictionRows } from './use-prediction-rows';

const SOURCE: Record<PredictionRow['source'], string> = {
  live: 'live',
  edited: 'live, edited prompt',
  replay: 'replayed checkpoint',
};

/** Every model's answer at the query of the prompt shown, beside the true answer. */
export function PredictionTable() {
  const rows = usePredictionRows();
  // a recorded run's probes are the recording's, not live weights
  const recording = useRecording();
  const regression = useProbeLab((s) => s.draft?.kind === 'regression');
  const target = useProbeLab(queryTarget);
  if (rows.length === 0) {
    return (
      <p className="empty">Each model’s prediction at the query appears here once the models are built.</p>
    );
  }
  return (
    <div className="prediction-scroll">
      <table className="prediction-table">
        <caption>Predictions at the query</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Weights</th>
            <th scope="col">Prediction</th>
            <th scope="col">True target</th>
            <th scope="col">{regression ? 'Squared error' : 'Correct'}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.slot}>
              <th scope="row">{r.label}</th>
              <td>
                {r.step === null
                  ? '…'
                  : recording && r.source === 'live'
                    ? `recorded step ${r.step}`
                    : `step ${r.step} (${SOURCE[r.source]})`}
              </td>
              <td className="num">{r.reading?.prediction ?? '…'}</td>
              <td className="num">{r.reading?.target ?? target ?? '…'}</td>
              <td className="num">
                {!r.reading
                  ? '…'
                  : r.reading.squaredError !== null
                    ? r.reading.squaredError.toPrecision(3)
                    : r.reading.correct
                      ? 'yes'
                      : 'no'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
