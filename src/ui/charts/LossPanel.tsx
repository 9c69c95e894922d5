import { lazy, Suspense, useMemo } from 'react';
import { holdForRedraw, useModelField, useUi } from '../../app';
import { emptySeries } from '../../eval/loss-series';
import { lossRows } from './loss-rows';
import { ReadingNote } from './ReadingNote';
import { LossReading } from './reading-notes';
import { useThrottled } from './use-throttled';

const chartModule = import('./LossChart');
const LossChart = lazy(() => chartModule.then((m) => ({ default: m.LossChart })));

/** The "Training loss" region: one line per model, redrawn at most once a second. */
export function LossPanel() {
  const slots = useModelField('slot');
  const archs = useModelField('arch');
  const losses = useThrottled(useModelField('loss'), 1000, 0, holdForRedraw);
  const log = useUi((s) => s.logLoss);
  const setLog = useUi((s) => s.setLogLoss);
  const lines = useMemo(() => slots.map((slot, i) => ({ slot, arch: archs[i] })), [slots, archs]);
  const rows = useMemo(
    () =>
      lossRows(
        lines.map((l, i) => ({ slot: l.slot, loss: losses[i] ?? emptySeries() })),
        log,
      ),
    [lines, losses, log],
  );
  return (
    <section className="panel" aria-label="Training loss">
      <div className="panel-head">
        <h2>Training loss</h2>
        <label className="inline-toggle">
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.currentTarget.checked)} /> log scale
        </label>
      </div>
      <div className="chart-frame small">
        {rows.length === 0 ? (
          <div className="chart-placeholder">
            <span>
              {lines.length
                ? 'Waiting for the first losses…'
                : 'The loss of each model appears here as it trains.'}
            </span>
          </div>
        ) : (
          <Suspense fallback={<div className="chart-placeholder" />}>
            <LossChart rows={rows} lines={lines} log={log} />
          </Suspense>
        )}
      </div>
      <ReadingNote>
        <LossReading />
      </ReadingNote>
    </section>
  );
}
