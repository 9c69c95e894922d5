/**
 * The page's WebGPU memory estimate (src/train/memory-estimate.ts with backend 'webgpu') against
 * measurements of real training steps on WebGPU with the fused kernels (bench/memory.ts, kept in
 * bench/fixtures/memory-webgpu.json): never below what a step held (tensors, and the buffers the
 * WebGPU buffer manager allocated), and not so far above that it refuses what a device can train.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../src/schema/architecture';
import { estimateExperimentMemory } from '../src/train/memory-estimate';
import { tinyExperiment } from '../src/train/test-experiments';

interface Measured {
  arch: Architecture;
  D: number;
  L: number;
  B: number;
  n: number;
  residentBytes: number;
  peakBytes: number;
  allocatedBytes: number;
  adapter: string;
}

const rows: Measured[] = JSON.parse(
  readFileSync(new URL('./fixtures/memory-webgpu.json', import.meta.url), 'utf8'),
);

describe('the WebGPU memory estimate against measured steps', () => {
  it('has measurements of every architecture family', () => {
    expect(new Set(rows.map((r) => r.arch))).toEqual(
      new Set(['transformer', 'mamba', 'mambaformer', 'hybrid', 's4-mamba']),
    );
  });

  for (const r of rows) {
    it(`${r.arch} D ${r.D} x ${r.L}, batch ${r.B}, ${2 * r.n} tokens (${r.adapter})`, () => {
      const e = tinyExperiment(
        [r.arch],
        {
          batchSize: r.B,
          models: [{ arch: r.arch, dModel: r.D, nLayer: r.L, nHead: 4, dState: 16, dConv: 4 }],
        },
        'linear-regression',
        { d: 5, nPoints: r.n },
      );
      const gpu = estimateExperimentMemory(e, 'webgpu').models[0].totalBytes;
      const cpu = estimateExperimentMemory(e, 'cpu').models[0].totalBytes;
      const held = r.residentBytes + r.peakBytes;
      expect(gpu).toBeGreaterThanOrEqual(held);
      expect(gpu).toBeGreaterThanOrEqual(r.allocatedBytes);
      // conservative, but within 2.5x of what the step held (the cpu formula was up to 7x)
      expect(gpu / held).toBeLessThan(2.5);
      expect(gpu).toBeLessThanOrEqual(cpu);
    });
  }
});
