import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../schema/experiment';
import { presetExperiment } from '../../train/presets';
import { createExperimentStore } from '../stores/experiment-store';
import {
  createMemoryStore,
  DEFAULT_BUDGET,
  detectBudget,
  formatBytes,
  memoryVerdict,
  trainIfItFits,
} from './memory-guard';

const GiB = 1024 ** 3;
const BUDGET = { memoryBytes: 8 * GiB, maxBufferBytes: 2 * GiB, source: 'test', estimateFor: 'cpu' as const };

function maxima() {
  const r = parseExperiment({
    version: 1,
    task: { name: 'linear-regression', params: { nPoints: 512 } },
    models: [{ arch: 'transformer', dModel: 1024, nLayer: 24, nHead: 16 }],
    batchSize: 1024,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.experiment;
}

describe('memoryVerdict', () => {
  it('the lesson presets fit the conservative default, the wide regression ones (batch 256, D 64) only on WebGPU', () => {
    for (const task of ['sparse-parity', 'vector-mqar', 'relu-nn-regression', 'decision-tree'] as const)
      expect(memoryVerdict(presetExperiment('classroom', task), DEFAULT_BUDGET).ok).toBe(true);
    const wide = [
      'linear-regression',
      'sparse-linear-regression',
      'orthogonal-outlier-regression',
      'many-outlier-regression',
      'chain-of-thought',
    ] as const;
    for (const task of wide)
      expect(
        memoryVerdict(presetExperiment('classroom', task), { ...DEFAULT_BUDGET, estimateFor: 'webgpu' }).ok,
      ).toBe(true);
    const lr = presetExperiment('classroom', 'linear-regression');
    // measured on the cpu backend: about 1.0-1.4 GB a model at batch 256 (plain tfjs ops)
    const cpu = memoryVerdict(lr, DEFAULT_BUDGET);
    expect(cpu.ok).toBe(false);
    if (!cpu.ok) expect(cpu.suggestion).toMatch(/^Try a batch size of 128 or less \(now 256\)/);
  });

  it('the schema maxima do not fit: the need, the limit and smaller settings are said', () => {
    const v = memoryVerdict(maxima(), BUDGET);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.message).toMatch(
      /^These settings need about \d.* (TB|PB) of memory to train the model; the limit here is about 8\.6 GB, from test\.$/,
    );
    // even batch 1 is too much for D 1024 x 24 on 1024 tokens
    expect(v.suggestion).toBe(
      'Try fewer in-context examples, a smaller width D, fewer layers or fewer models, and a smaller batch size (now 1024).',
    );
  });

  it('suggests the largest batch that fits when one does', () => {
    const e = presetExperiment('paper', 'linear-regression');
    const need = memoryVerdict(e, { ...BUDGET, memoryBytes: 1e15 }).estimate.totalBytes;
    const v = memoryVerdict(e, { ...BUDGET, memoryBytes: need / 3, source: 'test' });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.suggestion).toMatch(/^Try a batch size of (16|8) or less \(now 64\)/);
    const batch = Number(/batch size of (\d+)/.exec(v.suggestion)?.[1]);
    expect(memoryVerdict({ ...e, batchSize: batch }, { ...BUDGET, memoryBytes: need / 3 }).ok).toBe(true);
    expect(memoryVerdict({ ...e, batchSize: batch * 2 }, { ...BUDGET, memoryBytes: need / 3 }).ok).toBe(
      false,
    );
  });

  it("on a hardware WebGPU adapter the estimate is the fused kernels' (bench/memory.ts): less is refused", () => {
    const e = presetExperiment('paper', 'linear-regression');
    const cpu = memoryVerdict(e, { ...BUDGET, memoryBytes: 1e15 }).estimate.totalBytes;
    const gpu = memoryVerdict(e, { ...BUDGET, memoryBytes: 1e15, estimateFor: 'webgpu' }).estimate.totalBytes;
    expect(gpu).toBeLessThan(cpu / 2);
    const between = { ...BUDGET, memoryBytes: (gpu + cpu) / 2 };
    expect(memoryVerdict(e, between).ok).toBe(false);
    expect(memoryVerdict(e, { ...between, estimateFor: 'webgpu' }).ok).toBe(true);
  });

  it('a buffer above the GPU limit is refused even when the total fits', () => {
    const e = presetExperiment('classroom', 'linear-regression');
    const v = memoryVerdict(e, { ...BUDGET, memoryBytes: 64 * GiB, maxBufferBytes: 1000 });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.message).toMatch(/single GPU buffer of about .*; this GPU allows at most 1 kB\.$/);
  });
});

describe('detectBudget', () => {
  it('reads deviceMemory and the WebGPU adapter limits; defaults otherwise', async () => {
    const b = await detectBudget({
      deviceMemory: 2,
      gpu: {
        requestAdapter: async () => ({ limits: { maxBufferSize: 4e9, maxStorageBufferBindingSize: 1e9 } }),
      },
    });
    expect(b).toEqual({
      memoryBytes: 2 * GiB,
      maxBufferBytes: 1e9,
      source: "this device's memory (about 2 GB)",
      estimateFor: 'webgpu',
    });
    // a software adapter: training will not run on it, so the estimate is the cpu one
    for (const soft of [
      { isFallbackAdapter: true },
      { info: { architecture: 'swiftshader', description: 'SwiftShader driver' } },
    ]) {
      const sw = await detectBudget({
        gpu: {
          requestAdapter: async () => ({
            limits: { maxBufferSize: 4e9, maxStorageBufferBindingSize: 1e9 },
            ...soft,
          }),
        },
      });
      expect(sw.estimateFor).toBe('cpu');
    }
    expect(await detectBudget({})).toEqual(DEFAULT_BUDGET);
    const failing = await detectBudget({ gpu: { requestAdapter: () => Promise.reject(new Error('no')) } });
    expect(failing.maxBufferBytes).toBeNull();
  });

  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1.234e9)).toBe('1.2 GB');
    expect(formatBytes(350e6)).toBe('350 MB');
  });
});

describe('the memory store and Train', () => {
  it('follows the experiment and refuses Train with the reason when the settings do not fit', async () => {
    const experiments = createExperimentStore();
    const memory = createMemoryStore(experiments, Promise.resolve(BUDGET));
    await Promise.resolve();
    await Promise.resolve();
    expect(memory.getState().budget).toEqual(BUDGET);
    expect(memory.getState().verdict?.ok).toBe(true);
    let trained = 0;
    const refused: string[] = [];
    const go = () =>
      trainIfItFits(
        memory,
        async () => void trained++,
        (r) => refused.push(r),
      );
    await go();
    expect(trained).toBe(1);
    experiments.getState().load(maxima());
    expect(memory.getState().verdict?.ok).toBe(false);
    await go();
    expect(trained).toBe(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^Train refused: These settings need about/);
  });
});
