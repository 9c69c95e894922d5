/**
 * A lost GPU device, recognised from what the worker reports. When the browser takes the GPU away
 * (a driver reset, another tab's hang, the device destroyed), tfjs's WebGPU backend often fails
 * first on reading a buffer back ("mapAsync ... unmapped", "Device is lost", "Instance dropped"),
 * before or instead of the device's `lost` promise. Those messages say nothing to a reader; this
 * names what happened. Pure, used by the page's clients on crash and error messages.
 */

const GPU_LOST_PATTERNS: readonly RegExp[] = [
  /device (?:was |is |has been )?lost/i,
  /\bdevice\s*lost\b/i,
  /mapAsync/i,
  /\bunmapped\b/i,
  /GPUDevice.*(?:destroyed|invalid)/i,
  /instance dropped/i,
  /CONTEXT_LOST_WEBGL|context lost/i,
];

/** "the GPU device was lost (…)" for a message that is one of those failures, else null. */
export function describeGpuFailure(message: string): string | null {
  if (/^the GPU device was lost/.test(message)) return message;
  if (!GPU_LOST_PATTERNS.some((p) => p.test(message))) return null;
  return `the GPU device was lost (the browser reported: ${message.trim().slice(0, 200)})`;
}
