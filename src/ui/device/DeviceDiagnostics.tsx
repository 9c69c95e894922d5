import { useDevice } from '../../app';
import { backendLine } from '../../app/device/lesson';

/** Diagnostics: the backend choice, its reason and what the probe measured on each candidate. */
export function DeviceDiagnostics() {
  const line = useDevice(backendLine);
  const measures = useDevice((s) => s.measures);
  const probeMs = useDevice((s) => s.probeMs);
  return (
    <div className="diag-device">
      <p className="diag-backend-choice">
        {line}
        {probeMs !== null && ` (probe: ${(probeMs / 1000).toFixed(1)} s)`}
      </p>
      {measures.length > 0 && (
        <ul className="diag-probe">
          {measures.map((m) => (
            <li key={m.name}>
              {m.name}:{' '}
              {!m.ok
                ? `does not work (${m.reason ?? 'failed'})`
                : m.msPerStep !== null
                  ? `${m.msPerStep.toFixed(1)} ms a probe step`
                  : m.skipped
                    ? 'not timed'
                    : `over ${Math.round(m.overMs ?? 0)} ms a probe step`}
              {m.software ? ` · software GPU (${m.software})` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
