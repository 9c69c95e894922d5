import { useEffect, useRef, useState } from 'react';
import { liveStore, useLive } from '../../app';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';
import { PERIODIC_CHECKPOINT_MS } from '../../workers/training/live-checkpoint';
import type { ReloadLoss } from '../../workers/training/protocol';
import { DeviceDiagnostics } from '../device/DeviceDiagnostics';

const CHECKPOINT_EVERY_S = PERIODIC_CHECKPOINT_MS / 1000;

function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** How many steps a reload can lose now: checkpoints at the read-back, or the periodic ones. */
function reloadLossText(loss: ReloadLoss | null): string {
  if (loss === null) return '–';
  const steps = `at most ${loss.steps} step${loss.steps === 1 ? '' : 's'}`;
  return loss.cadence === 'read-back'
    ? `${steps} (checkpoint at the read-back)`
    : `${steps} (checkpoint every ${CHECKPOINT_EVERY_S} s)`;
}

/** Data rate from the workers, measured over the last seconds. */
function useTrafficRate(): { bytesPerSecond: number; eventsPerSecond: number } {
  const [rate, setRate] = useState({ bytesPerSecond: 0, eventsPerSecond: 0 });
  const last = useRef({ t: performance.now(), ...liveStore.getState().traffic });
  useEffect(() => {
    const timer = setInterval(() => {
      const now = performance.now();
      const t = liveStore.getState().traffic;
      const dt = (now - last.current.t) / 1000;
      if (dt > 0) {
        setRate({
          bytesPerSecond: (t.bytes - last.current.bytes) / dt,
          eventsPerSecond: (t.events - last.current.events) / dt,
        });
      }
      last.current = { t: now, ...t };
    }, 2000);
    return () => clearInterval(timer);
  }, []);
  return rate;
}

/** Backend, tensors and memory per worker; the data rate to the page. */
export function Diagnostics() {
  const models = useLive((s) => s.models);
  const traffic = useLive((s) => s.traffic);
  const rate = useTrafficRate();
  return (
    <details className="diagnostics">
      <summary>Diagnostics</summary>
      <DeviceDiagnostics />
      <p className="diag-rate">
        Data from the workers: {formatBytes(rate.bytesPerSecond)}/s ({rate.eventsPerSecond.toFixed(1)}{' '}
        messages/s);{' '}
        <span className="diag-total" data-bytes={traffic.bytes} data-events={traffic.events}>
          {formatBytes(traffic.bytes)} in {traffic.events} messages in all
        </span>
      </p>
      {models.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">model</th>
              <th scope="col">backend</th>
              <th scope="col">tensors</th>
              <th scope="col">backend memory</th>
              <th scope="col">last checkpoint</th>
              <th scope="col">a reload loses</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.slot} data-slot={m.slot}>
                <th scope="row">{ARCHITECTURE_TITLES[m.arch]}</th>
                <td>{m.backend?.summary ?? '–'}</td>
                <td className="diag-tensors">{m.tensors ?? '–'}</td>
                <td>{m.bytes === null ? '–' : formatBytes(m.bytes)}</td>
                <td>{m.checkpointStep === null ? '–' : `step ${m.checkpointStep}`}</td>
                <td className="diag-reload" data-steps={m.reloadLoss?.steps}>
                  {reloadLossText(m.reloadLoss)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
