/**
 * Will this device train slowly? A phone-sized screen or no WebGPU means the models train on a
 * small GPU or on the CPU: training still works, but the page says it will be slow (and why),
 * and suggests the settings that keep it bearable. Pure: the caller passes what it knows.
 */

export interface DeviceFacts {
  /** CSS pixels */
  viewportWidth: number;
  /** navigator.gpu exists (an adapter may still be refused later; the workers then say so) */
  hasWebGpu: boolean;
  /** navigator.hardwareConcurrency (0 when unknown) */
  cores: number;
}

/** Below this width the page is laid out for a phone. */
export const PHONE_WIDTH = 640;

export type SlowReason = 'phone' | 'no-webgpu';

export function slowReasons(d: DeviceFacts): SlowReason[] {
  const out: SlowReason[] = [];
  if (d.viewportWidth > 0 && d.viewportWidth < PHONE_WIDTH) out.push('phone');
  if (!d.hasWebGpu) out.push('no-webgpu');
  return out;
}

/** The note to show, or null on a device that should train at full speed. */
export function slowDeviceNote(d: DeviceFacts): string | null {
  const reasons = slowReasons(d);
  if (reasons.length === 0) return null;
  const why =
    reasons.length === 2
      ? 'This looks like a phone without WebGPU'
      : reasons[0] === 'phone'
        ? 'This looks like a phone'
        : 'This browser has no WebGPU';
  const workers = d.cores > 0 && d.cores <= 4 ? ` on ${d.cores} CPU cores` : '';
  return `${why}: training works here, but it will be slow${workers}. Pick one or two models and the Classroom preset to keep it to minutes, or watch a run recorded on a fast machine (no training needed).`;
}
