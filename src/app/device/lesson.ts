/** The hooks of the device panel (the composition root's device store and experiment). */

import { device, useDevice, useExperiment } from '../index';
import type { LessonEstimate } from './estimate';
import { backendLine, lessonEstimate } from './lesson-view';

export { backendLine, device };

const cores = () => (typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1);

export function useLessonEstimate(): LessonEstimate | null {
  const e = useExperiment((s) => s.experiment);
  const state = useDevice((s) => s);
  return lessonEstimate(state, e, cores());
}
