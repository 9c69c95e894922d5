/**
 * The page's memory estimate (src/train/memory-estimate.ts, fitted on the cpu backend) against what a
 * training step holds on WebGPU with the fused kernels and fused Adam, as the training worker runs it:
 *   - resident: tensor bytes between steps (parameters and Adam's moments);
 *   - peak: `tf.profile(step).peakBytes` above the resident bytes (the step's tensors alive at once);
 *   - allocated: the WebGPU buffer manager's bytes after a few steps (`numBytesAllocatedInGPU`:
 *     tensors plus the freed buffers it pools for reuse), what the GPU really gives the page.
 * Prints a Markdown table (estimate / measured per size) for bench/RESULTS.md; `--only=3` runs one size
 * (a process per size: `for i in $(seq 0 9); do ... --only=$i --json=bench/fixtures/memory-webgpu.json; done`
 * keeps the measurements that bench/memory-estimate.test.ts holds the estimate against).
 *
 * Here (SwiftShader): LD_LIBRARY_PATH=/usr/lib/chromium
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx bench/memory.ts
 * On the H200: bench/gpu-bundle.sh bench/memory.ts, then bash .gpu/run.sh .gpu/memory.mjs
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { FusedAdam, initBackend, modelKernels } from '../src/kernels';
import type { Architecture } from '../src/schema/architecture';
import { estimateExperimentMemory } from '../src/train/memory-estimate';
import { tinyExperiment } from '../src/train/test-experiments';
import { Trainer } from '../src/train/trainer';

const info = await initBackend(['webgpu']);
if (info.name !== 'webgpu') throw new Error(`no WebGPU: ${info.reason}`);

interface Size {
  arch: Architecture;
  D: number;
  L: number;
  B: number;
  n: number;
}
const SIZES: Size[] = [
  { arch: 'transformer', D: 64, L: 2, B: 16, n: 8 },
  { arch: 'transformer', D: 64, L: 3, B: 64, n: 11 },
  { arch: 'transformer', D: 128, L: 2, B: 64, n: 41 },
  { arch: 'mamba', D: 64, L: 2, B: 8, n: 32 },
  { arch: 'mamba', D: 64, L: 6, B: 64, n: 11 },
  { arch: 'mamba', D: 128, L: 4, B: 64, n: 41 },
  { arch: 'mambaformer', D: 48, L: 2, B: 8, n: 24 },
  { arch: 'mambaformer', D: 128, L: 4, B: 64, n: 41 },
  { arch: 'hybrid', D: 64, L: 2, B: 16, n: 32 },
  { arch: 's4-mamba', D: 64, L: 2, B: 16, n: 16 },
];

// `--only I,J`: those sizes (0-based); one size per process gives a clean "GPU allocated" figure
// (the buffer manager keeps the buffers of a disposed model in its pool)
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const chosen = only ? only.split(',').map(Number) : SIZES.map((_, i) => i);
const MB = 1e6;
const gpuBytes = () =>
  (tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? 0;
const rows: string[] = [];
/** `--json=FILE`: add each size's measurement to FILE (bench/fixtures/memory-webgpu.json) */
const jsonFile = process.argv.find((a) => a.startsWith('--json='))?.slice(7);
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
const measured: Measured[] = [];
for (const { arch, D, L, B, n } of chosen.map((i) => SIZES[i])) {
  const e = tinyExperiment(
    [arch],
    { batchSize: B, models: [{ arch, dModel: D, nLayer: L, nHead: 4, dState: 16, dConv: 4 }] },
    'linear-regression',
    { d: 5, nPoints: n },
  );
  const estimate = estimateExperimentMemory(e).models[0];
  const before = tf.memory().numBytes;
  const t = new Trainer(e, 0, { kernels: modelKernels(), optimizer: (s) => new FusedAdam(s) });
  for (let i = 0; i < 3; i++) {
    const s = t.step();
    await s.loss.data();
    s.loss.dispose();
    s.gradNorm.dispose();
  }
  const resident = tf.memory().numBytes - before;
  const base = tf.memory().numBytes;
  const profile = await tf.profile(async () => {
    const s = t.step();
    await s.loss.data();
    s.loss.dispose();
    s.gradNorm.dispose();
  });
  const peak = profile.peakBytes - base;
  const allocated = gpuBytes();
  t.dispose();
  const measuredTotal = resident + peak;
  measured.push({
    arch,
    D,
    L,
    B,
    n,
    residentBytes: resident,
    peakBytes: peak,
    allocatedBytes: allocated,
    adapter: `${info.adapterInfo?.vendor ?? ''} ${info.adapterInfo?.architecture ?? ''}`.trim(),
  });
  rows.push(
    `| ${arch} | ${D} | ${L} | ${B} | ${2 * n} | ${(resident / MB).toFixed(1)} | ${(peak / MB).toFixed(1)} | ${(
      allocated / MB
    ).toFixed(
      1,
    )} | ${(estimate.totalBytes / MB).toFixed(1)} | ${(estimate.totalBytes / measuredTotal).toFixed(2)} | ${(
      estimate.totalBytes / Math.max(allocated, 1)
    ).toFixed(2)} |`,
  );
  console.error(rows[rows.length - 1]);
}
console.log(
  `Adapter: ${JSON.stringify(info.adapterInfo)}; tfjs ${tf.version.tfjs}; fused kernels and fused Adam.`,
);
console.log('');
console.log(
  '| model | D | layers | batch | tokens | resident MB | step peak MB | GPU allocated MB | estimate MB | estimate / (resident + peak) | estimate / allocated |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);

if (jsonFile) {
  const old: Measured[] = existsSync(jsonFile) ? JSON.parse(readFileSync(jsonFile, 'utf8')) : [];
  const key = (m: Measured) => `${m.arch} ${m.D} ${m.L} ${m.B} ${m.n} ${m.adapter}`;
  const next = [...old.filter((o) => !measured.some((m) => key(m) === key(o))), ...measured];
  writeFileSync(jsonFile, `${JSON.stringify(next, null, 1)}\n`);
}
