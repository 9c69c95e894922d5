import { lazy, Suspense, useState } from 'react';
import { useUi } from '../../app';
import { comparePair, type HistoryEntry } from '../../app/runs/run-history';
import type { RunSummary } from '../../app/stores/runs-store';
import { diffLabel } from '../../schema/experiment-diff';
import { ReadingNote } from '../charts/ReadingNote';
import { CompareReading } from '../charts/reading-notes';
import { formatRunTime } from './run-time';

const RunCompareCharts = lazy(() =>
  import('./RunCompareCharts').then((m) => ({ default: m.RunCompareCharts })),
);

/** Two stored runs on one chart: pick them, see what differs, compare their curves. */
export function RunCompare({
  runs,
  history,
}: {
  runs: readonly RunSummary[];
  history: ReadonlyMap<string, HistoryEntry>;
}) {
  const [chosen, setChosen] = useState<[string | null, string | null]>([null, null]);
  const log = useUi((s) => s.logLoss);
  const pair = comparePair(runs, chosen);
  if (!pair) return null;
  const a = runs.find((r) => r.id === pair[0])!;
  const b = runs.find((r) => r.id === pair[1])!;
  const options = runs.map((r) => (
    <option key={r.id} value={r.id}>
      {formatRunTime(r.createdAt)} · {history.get(r.id)?.change ?? r.label}
    </option>
  ));
  return (
    <section className="run-compare" aria-labelledby="compare-title">
      <h3 id="compare-title">Compare two runs</h3>
      <div className="compare-pickers">
        <div className="field">
          <label htmlFor="compare-a">Run A (solid lines)</label>
          <select id="compare-a" value={a.id} onChange={(e) => setChosen([e.currentTarget.value, b.id])}>
            {options}
          </select>
        </div>
        <div className="field">
          <label htmlFor="compare-b">Run B (dashed lines)</label>
          <select id="compare-b" value={b.id} onChange={(e) => setChosen([a.id, e.currentTarget.value])}>
            {options}
          </select>
        </div>
      </div>
      <p className="compare-diff">
        <strong>From A to B:</strong> {diffLabel(a.experiment, b.experiment, 8)}
      </p>
      <Suspense fallback={<div className="chart-placeholder" />}>
        <RunCompareCharts a={a} b={b} log={log} />
      </Suspense>
      <ReadingNote>
        <CompareReading />
      </ReadingNote>
    </section>
  );
}
