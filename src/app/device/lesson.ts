/**
 * The lesson estimate and the backend line as the page shows them (the hooks the device panel reads).
 */
import type { Experiment } from '../../schema/experiment';
import { device, useDevice, useExperiment } from '../index';
import type { DeviceState } from './device';
import { modelTimes } from './device';
import { estimateLesson, type LessonEstimate, stepsToShow } from './estimate';

export { device };

const cores = () => (typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1);

/** The estimate for experiment `e` on this device (null until each model is timed). */
export function lessonEstimate(
  s: DeviceState,
  e: Experiment | null,
  cpuCores = cores(),
): LessonEstimate | null {
  if (!e) return null;
  const steps = stepsToShow(
    s.table1,
    e.task.name,
    e.models.map((m) => m.arch),
    e.steps,
  ).steps;
  return estimateLesson({ modelMs: modelTimes(s, e, cpuCores), steps, cores: cpuCores });
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

export function useLessonEstimate(): LessonEstimate | null {
  const e = useExperiment((s) => s.experiment);
  const state = useDevice((s) => s);
  return lessonEstimate(state, e);
}
