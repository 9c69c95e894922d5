import { describe, expect, it } from 'vitest';
import { slowDeviceNote, slowReasons } from './device';

describe('slowDeviceNote', () => {
  it('says nothing on a desktop with WebGPU', () => {
    expect(slowReasons({ viewportWidth: 1280, hasWebGpu: true, cores: 8 })).toEqual([]);
    expect(slowDeviceNote({ viewportWidth: 1280, hasWebGpu: true, cores: 8 })).toBeNull();
  });

  it('warns on a phone-sized screen, keeping training possible', () => {
    const note = slowDeviceNote({ viewportWidth: 360, hasWebGpu: true, cores: 8 });
    expect(note).toMatch(/^This looks like a phone: training works here, but it will be slow\./);
    expect(note).toMatch(/watch a run recorded on a fast machine \(no training needed\)\.$/);
  });

  it('warns without WebGPU, and names few cores', () => {
    expect(slowReasons({ viewportWidth: 1280, hasWebGpu: false, cores: 2 })).toEqual(['no-webgpu']);
    expect(slowDeviceNote({ viewportWidth: 1280, hasWebGpu: false, cores: 2 })).toContain(
      'This browser has no WebGPU: training works here, but it will be slow on 2 CPU cores.',
    );
    expect(slowDeviceNote({ viewportWidth: 360, hasWebGpu: false, cores: 0 })).toMatch(
      /^This looks like a phone without WebGPU: .* slow\. /,
    );
  });
});
