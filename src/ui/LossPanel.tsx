import { lazy, Suspense } from 'react';
import { useLive, useUi } from '../state';
import { lossRows } from './loss-rows';
import { useThrottled } from './use-throttled';

const chartModule = import('./LossChart');
const LossChart = lazy(() => chartModule.then((m) => ({ default: m.LossChart })));

/** The "Training loss" region: one line per model, redrawn at most twice a second. */
export function LossPanel() {
  const models = useThrottled(
    useLive((s) => s.models),
    500,
  );
  const log = useUi((s) => s.logLoss);
  const setLog = useUi((s) => s.setLogLoss);
  const rows = lossRows(models, log);
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
              {models.length
                ? 'Waiting for the first losses…'
                : 'The loss of each model appears here as it trains.'}
            </span>
          </div>
        ) : (
          <Suspense fallback={<div className="chart-placeholder" />}>
            <LossChart rows={rows} models={models} log={log} />
          </Suspense>
        )}
      </div>
    </section>
  );
}
