/**
 * Backend setup: the explicit fallback order with reasons, the raised WebGPU limits, uncaptured
 * WebGPU errors surfaced, device loss reported and recovered from by initialising again.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, onDeviceLost, takeGpuErrors } from './backend';
import { internalsOf } from './runner';
import { setupWebGpu } from './testing/webgpu';

let gpu = false;

beforeAll(async () => {
  gpu = (await setupWebGpu()).info !== null;
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('initBackend', () => {
  it('falls back in order and says why (no WebGL in Node)', async () => {
    const info = await initBackend(['webgl', 'wasm', 'cpu']);
    expect(info.name).toBe('wasm');
    expect(info.attempts.map((a) => [a.name, a.ok])).toEqual([
      ['webgl', false],
      ['wasm', true],
    ]);
    expect(info.reason).toMatch(/^wasm, because webgl failed \(.+\)$/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('always ends on cpu, even when not listed', async () => {
    const info = await initBackend(['webgl']);
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('webgpu: device with the adapter limits, adapter info, errors surfaced, loss reported', async (ctx) => {
    if (!gpu) ctx.skip();
    const info = await initBackend(['webgpu', 'cpu']);
    expect(info.name).toBe('webgpu');
    expect(info.reason).toBe('webgpu: first choice');
    const device = internalsOf(tf.backend()).device;
    const adapter = await navigator.gpu.requestAdapter();
    expect(device.limits.maxStorageBuffersPerShaderStage).toBe(
      adapter!.limits.maxStorageBuffersPerShaderStage,
    );
    expect(info.limits!.maxStorageBuffersPerShaderStage).toBeGreaterThan(8);
    expect(typeof info.adapterInfo!.vendor).toBe('string');

    // an invalid call is reported as an uncaptured error
    takeGpuErrors();
    device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE });
    await device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 50));
    const errors = takeGpuErrors();
    expect(errors.length).toBeGreaterThan(0);

    // device loss
    const lost = new Promise<{ reason: string }>((resolve) => {
      const off = onDeviceLost((e) => {
        off();
        resolve(e);
      });
    });
    device.destroy();
    expect((await lost).reason).toBe('destroyed');

    // initialise again: a fresh device that works
    const again = await initBackend(['webgpu', 'cpu']);
    expect(again.name).toBe('webgpu');
    const x = tf.tensor([1, 2, 3]).square();
    expect(Array.from(await x.data())).toEqual([1, 4, 9]);
    x.dispose();
  });
});
