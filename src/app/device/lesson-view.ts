/** What the device panel shows, pure: the lesson estimate and the backend line. */
import type { Experiment } from '../../schema/experiment';
import { type DeviceState, modelTimes } from './device';
import { estimateLesson, type LessonEstimate, stepsToShow } from './estimate';

/** The estimate for experiment `e` on this device (null until each model is timed). */
export function lessonEstimate(s: DeviceState, e: Experiment | null, cores: number): LessonEstimate | null {
  if (!e) return null;
  const archs = e.models.map((m) => m.arch);
  const { steps } = stepsToShow(s.table1, e.task.name, archs, e.steps);
  return estimateLesson({ modelMs: modelTimes(s, e, cores), steps, cores, totalSteps: e.steps });
}

/** The line for the status area: the backend in force and why. */
export function backendLine(s: DeviceState): string {
  if (s.urlBackend) return `Backend: ${s.urlBackend} (set by the page address, ?backend=${s.urlBackend})`;
  if (s.choice) return `Backend: ${s.choice.reason}`;
  if (s.status === 'measuring') return 'Backend: measuring this device…';
  if (s.status === 'failed')
    return `Backend: the device probe failed (${s.error ?? 'no reason given'}); trying webgpu, webgl, wasm, cpu in turn`;
  return 'Backend: not measured yet';
}
