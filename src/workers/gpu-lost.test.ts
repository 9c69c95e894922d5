import { describe, expect, it } from 'vitest';
import { describeGpuFailure } from './gpu-lost';

describe('describeGpuFailure', () => {
  it('names a lost GPU device behind the messages tfjs and the browser give', () => {
    for (const m of [
      "Failed to execute 'mapAsync' on 'GPUBuffer': Buffer is unmapped",
      'Device is lost',
      'GPU device lost: destroyed',
      'The GPUDevice was destroyed',
      'Instance dropped in popErrorScope',
      'WebGL: CONTEXT_LOST_WEBGL: loseContext: context lost',
    ]) {
      expect(describeGpuFailure(m)).toBe(`the GPU device was lost (the browser reported: ${m})`);
    }
  });

  it('leaves other failures alone and does not wrap twice', () => {
    expect(describeGpuFailure('Saving failed: out of memory')).toBeNull();
    expect(describeGpuFailure('the worker failed to load')).toBeNull();
    expect(describeGpuFailure('the GPU device was lost (destroyed)')).toBe(
      'the GPU device was lost (destroyed)',
    );
  });
});
