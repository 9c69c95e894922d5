import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useModelField } from '../../state';
import { type PredictionRow, predictionRows } from '../../state/probe-lab';
import { useProbeLab } from '../../state/probe-lab-instance';

const SOURCE: Record<PredictionRow['source'], string> = {
  live: 'live',
  edited: 'live, edited prompt',
  replay: 'replayed checkpoint',
};

/** Every model's answer at the query of the prompt shown, beside the true answer. */
export function PredictionTable() {
  const slots = useModelField('slot');
  const labels = useModelField('label');
  const probes = useModelField('probe');
  const probeSteps = useModelField('probeStep');
  const shown = useProbeLab(
    useShallow((s) => ({
      draft: s.draft,
      edited: s.edited,
      edits: s.edits,
      replayStep: s.replayStep,
      replays: s.replays,
    })),
  );
  const rows = useMemo(
    () =>
      predictionRows(
        shown,
        slots.map((slot, i) => ({ slot, label: labels[i], probe: probes[i], probeStep: probeSteps[i] })),
      ),
    [shown, slots, labels, probes, probeSteps],
  );
  const regression = shown.draft?.kind === 'regression';
  if (rows.length === 0) {
    return (
      <p className="empty">Each model’s prediction at the query appears here once the models are built.</p>
    );
  }
  return (
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
            <td>{r.step === null ? '…' : `step ${r.step} (${SOURCE[r.source]})`}</td>
            <td className="num">{r.reading?.prediction ?? '…'}</td>
            <td className="num">{r.reading?.target ?? '…'}</td>
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
  );
}
