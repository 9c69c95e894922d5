import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { presetExperiment } from '../../train/presets';
import { type MeasureEnvironment, measureDevice, probeExperiment } from './measure';

const lesson = presetExperiment('classroom', 'linear-regression');
// the lesson with two small models (the timing is real: tfjs's cpu backend in Node)
const small = { ...lesson, models: [probeExperiment(lesson).models[0], probeExperiment(lesson).models[0]] };

function env(gpu: string, started: string[]): MeasureEnvironment {
  return {
    start: async (name) => {
      started.push(name);
      if (name !== 'cpu') throw new Error(`${name} is not in Node`);
      await tf.setBackend('cpu');
    },
    describe: async () => ({ text: gpu, fallback: false }),
    now: () => performance.now(),
    trainerOptions: () => ({}),
  };
}

describe('measureDevice', () => {
  it('times the CPU first, skips a software GPU without starting it, then times each model', async () => {
    const started: string[] = [];
    const r = await measureDevice(
      small,
      { candidates: ['webgpu', 'cpu'] },
      env('Google SwiftShader', started),
    );
    expect(started).toEqual(['cpu', 'cpu']);
    expect(r.measures.map((m) => m.name)).toEqual(['webgpu', 'cpu']);
    expect(r.measures[0]).toEqual({
      name: 'webgpu',
      ok: true,
      software: 'SwiftShader',
      msPerStep: null,
      skipped: true,
    });
    expect(r.measures[1].msPerStep).toBeGreaterThan(0);
    expect(r.choice.name).toBe('cpu');
    expect(r.choice.reason).toMatch(/^cpu: software GPU found \(SwiftShader\); skipped for cpu/);
    expect(r.modelMs).toHaveLength(2);
    for (const ms of r.modelMs) expect(ms).toBeGreaterThan(0);
    expect(r.probeMs).toBeGreaterThan(0);
  });

  it('a real GPU that cannot start is reported with its reason; models: false times none', async () => {
    const started: string[] = [];
    const r = await measureDevice(
      small,
      { candidates: ['webgpu', 'cpu'], models: false },
      env('NVIDIA RTX', started),
    );
    expect(r.measures[0]).toEqual({
      name: 'webgpu',
      ok: false,
      reason: 'webgpu is not in Node',
      msPerStep: null,
    });
    expect(r.choice.name).toBe('cpu');
    expect(r.choice.reason).toContain('not available here: webgpu (webgpu is not in Node)');
    expect(r.modelMs).toEqual([null, null]);
    expect(started).toEqual(['cpu', 'webgpu']);
  });
});
