import { describe, expect, it } from 'vitest';
import { backendOrder, type CandidateMeasure, chooseBackend, softwareRenderer } from './backend-choice';

const m = (name: CandidateMeasure['name'], msPerStep: number | null, extra: Partial<CandidateMeasure> = {}) =>
  ({ name, ok: true, msPerStep, software: null, ...extra }) as CandidateMeasure;

describe('softwareRenderer', () => {
  it('names software renderers and leaves real GPUs alone', () => {
    expect(softwareRenderer('Google SwiftShader')).toBe('SwiftShader');
    expect(softwareRenderer('google swiftshader')).toBe('SwiftShader');
    expect(softwareRenderer('ANGLE (Mesa, llvmpipe (LLVM 15.0.7, 256 bits))')).toBe('llvmpipe');
    expect(softwareRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3080)')).toBeNull();
    expect(softwareRenderer('apple m2', true)).toBe('a fallback adapter');
  });
});

describe('chooseBackend', () => {
  it('picks wasm over a SwiftShader WebGPU that is slower, and says how much', () => {
    const c = chooseBackend([
      m('webgpu', 800, { software: 'SwiftShader' }),
      m('webgl', null, { software: 'SwiftShader', overMs: 400 }),
      m('wasm', 20),
      m('cpu', 60),
    ]);
    expect(c.name).toBe('wasm');
    expect(c.msPerStep).toBe(20);
    expect(c.reason).toBe('wasm: software GPU found (SwiftShader); wasm is 40x faster here');
  });

  it('reports an untimed software GPU by its bound', () => {
    const c = chooseBackend([m('webgpu', null, { software: 'SwiftShader', overMs: 400 }), m('wasm', 25)]);
    expect(c.name).toBe('wasm');
    expect(c.reason).toBe(
      'wasm: software GPU found (SwiftShader); a probe step took over 400 ms on webgpu, 25 ms on wasm',
    );
  });

  it('keeps a real GPU when it is the fastest', () => {
    const c = chooseBackend([m('webgpu', 3), m('webgl', 9), m('wasm', 20), m('cpu', 70)]);
    expect(c.name).toBe('webgpu');
    expect(c.reason).toBe('webgpu: fastest here (3 ms a probe step; 3.0x faster than webgl)');
  });

  it('a software GPU that still wins is kept (no faster candidate)', () => {
    const c = chooseBackend([m('webgpu', 10, { software: 'SwiftShader' }), m('cpu', 90)]);
    expect(c.name).toBe('webgpu');
    expect(c.reason).toMatch(/^webgpu: fastest here \(10 ms a probe step; 9\.0x faster than cpu\)$/);
  });

  it('ignores backends that do not work', () => {
    const c = chooseBackend([
      { name: 'webgpu', ok: false, reason: 'no adapter', msPerStep: null },
      m('wasm', 30),
    ]);
    expect(c).toEqual({
      name: 'wasm',
      reason: 'wasm: the only backend that works here; not available here: webgpu (no adapter)',
      msPerStep: 30,
    });
  });

  it('falls to cpu when nothing works, naming why', () => {
    const c = chooseBackend([{ name: 'webgpu', ok: false, reason: 'no adapter', msPerStep: null }]);
    expect(c.name).toBe('cpu');
    expect(c.reason).toContain('webgpu: no adapter');
  });

  it('names a software GPU that was skipped', () => {
    const c = chooseBackend([
      m('webgpu', null, { software: 'SwiftShader', skipped: true }),
      m('webgl', null, { software: 'SwiftShader', skipped: true }),
      m('wasm', 21.6),
      m('cpu', 221),
    ]);
    expect(c.name).toBe('wasm');
    expect(c.reason).toBe(
      'wasm: software GPU found (SwiftShader); skipped for wasm (22 ms a probe step here)',
    );
  });

  it('honours the Backend control when that backend works', () => {
    const measures = [m('webgpu', 800, { software: 'SwiftShader' }), m('wasm', 20)];
    expect(chooseBackend(measures, 'webgpu')).toEqual({
      name: 'webgpu',
      reason: 'webgpu: chosen in the Backend control',
      msPerStep: 800,
    });
  });

  it('falls back to the auto choice when the chosen backend does not work', () => {
    const c = chooseBackend(
      [{ name: 'webgl', ok: false, reason: 'no WebGL', msPerStep: null }, m('wasm', 20), m('cpu', 50)],
      'webgl',
    );
    expect(c.name).toBe('wasm');
    expect(c.reason).toMatch(/\(webgl does not work here: no WebGL\)$/);
  });
});

describe('backendOrder', () => {
  it('starts at the choice and keeps the later fallbacks', () => {
    expect(backendOrder('wasm')).toEqual(['wasm', 'cpu']);
    expect(backendOrder('webgpu')).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(backendOrder('cpu')).toEqual(['cpu']);
  });
});
