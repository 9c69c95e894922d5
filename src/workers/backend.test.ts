import { describe, expect, it } from 'vitest';
import { type BackendEnvironment, type BackendName, describeGpu, pickBackend } from './backend';

function env(over: Partial<BackendEnvironment> & { works?: BackendName[] } = {}): BackendEnvironment & {
  set: string[];
} {
  const set: string[] = [];
  const works = over.works ?? ['webgpu', 'webgl', 'wasm', 'cpu'];
  return {
    set,
    gpu: () => ({
      requestAdapter: async () => ({ info: { vendor: 'google', architecture: 'swiftshader' } }),
    }),
    loadWebGpu: async () => undefined,
    loadWasm: async () => {},
    setBackend: async (name) => {
      set.push(name);
      return works.includes(name);
    },
    check: async () => {},
    ...over,
  };
}

describe('pickBackend', () => {
  it('takes WebGPU when it works and names the adapter', async () => {
    const r = await pickBackend(undefined, env());
    expect(r).toMatchObject({ name: 'webgpu', fallback: false, detail: 'google swiftshader' });
    expect(r.summary).toBe('webgpu (google swiftshader)');
  });

  it("adds the device's note (subgroups off, and why) to the adapter's name", async () => {
    const note =
      'invocation 0 is lane 31 of its subgroup, not 0: subgroups not in invocation order, subgroup kernels off';
    const r = await pickBackend(undefined, env({ loadWebGpu: async () => note }));
    expect(r.detail).toBe(`google swiftshader; ${note}`);
    expect(r.summary).toBe(`webgpu (google swiftshader; ${note})`);
  });

  it('falls back in order webgpu, webgl, wasm, cpu, saying why each was skipped', async () => {
    const e = env({ gpu: () => undefined, loadWasm: null, works: ['cpu'] });
    const r = await pickBackend(undefined, e);
    expect(r.name).toBe('cpu');
    expect(r.fallback).toBe(true);
    expect(r.attempts.map((a) => a.name)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(r.attempts[0].reason).toMatch(/navigator.gpu/);
    expect(r.attempts[1].reason).toMatch(/setBackend\('webgl'\) failed/);
    expect(r.attempts[2].reason).toMatch(/not installed/);
    // webgpu and wasm were never set: their preconditions failed first
    expect(e.set).toEqual(['webgl', 'cpu']);
    expect(r.summary).toMatch(/^cpu; not used: webgpu: .*; webgl: .*; wasm: /);
  });

  it('skips WebGPU without an adapter (setBackend would leave tfjs unusable)', async () => {
    const e = env({ gpu: () => ({ requestAdapter: async () => null }) });
    const r = await pickBackend(undefined, e);
    expect(r.name).toBe('webgl');
    expect(r.attempts[0]).toMatchObject({ name: 'webgpu', ok: false, reason: /no WebGPU adapter/ });
    expect(e.set).toEqual(['webgl']);
  });

  it('moves on when a backend starts but fails its test op', async () => {
    let n = 0;
    const r = await pickBackend(
      undefined,
      env({
        check: async () => {
          if (n++ === 0) throw new Error('garbage');
        },
      }),
    );
    expect(r.name).toBe('webgl');
    expect(r.attempts[0].reason).toBe('garbage');
  });

  it('follows a custom order and throws only when nothing works', async () => {
    expect((await pickBackend(['cpu'], env())).name).toBe('cpu');
    await expect(pickBackend(['webgl'], env({ works: [] }))).rejects.toThrow(/no TensorFlow.js backend/);
  });
});

describe('the wasm build and the GPU behind a backend', () => {
  it('names the wasm build in the report (threads or why one thread)', async () => {
    const e = env({
      works: ['wasm'],
      wasmDetail: async () => 'SIMD, one thread (the page is not cross-origin isolated)',
    });
    const r = await pickBackend(['wasm'], e);
    expect(r.summary).toBe('wasm (SIMD, one thread (the page is not cross-origin isolated))');
    expect(r.detail).toBe('SIMD, one thread (the page is not cross-origin isolated)');
  });

  it("reads WebGPU's adapter info and its fallback flag", async () => {
    const e = env({
      gpu: () => ({
        requestAdapter: async () => ({
          info: { vendor: 'google', architecture: 'swiftshader', description: '' },
          isFallbackAdapter: true,
        }),
      }),
    });
    expect(await describeGpu('webgpu', e)).toEqual({ text: 'google swiftshader', fallback: true });
    expect(await describeGpu('wasm', e)).toEqual({ text: '', fallback: false });
  });
});
