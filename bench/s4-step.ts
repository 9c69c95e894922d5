/**
 * One S4-Mamba training step on WebGPU (fused kernels, fused Adam), timed: the causal convolution's
 * Toeplitz matrix by a selection-matrix product (L <= TOEPLITZ_MATMUL_MAX_L) or, with --gather, by
 * a gather, whose gradient tfjs's WebGPU backend computes with emulated float atomics.
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     npx tsx bench/s4-step.ts [--gather]
 * On the H200: bench/gpu-bundle.sh bench/s4-step.ts, then bash .gpu/run.sh .gpu/s4-step.mjs
 */
import { countDispatches, FusedAdam, initBackend, modelKernels, topEntries } from '../src/kernels';
import { setToeplitzMode } from '../src/models/s4';
import { tinyExperiment } from '../src/train/test-experiments';
import { Trainer } from '../src/train/trainer';

const info = await initBackend(['webgpu']);
if (info.name !== 'webgpu') throw new Error(`no WebGPU: ${info.reason}`);
const gather = process.argv.includes('--gather');
setToeplitzMode(gather ? 'gather' : 'auto');
for (const arch of ['s4-mamba', 'mamba'] as const) {
  const e = tinyExperiment(
    [arch],
    { batchSize: 64, models: [{ arch, dModel: 32, nLayer: 4, nHead: 4, dState: 16, dConv: 4 }] },
    'relu-nn-regression',
    { d: 5, nPoints: 21 },
  );
  const t = new Trainer(e, 0, { kernels: modelKernels(), optimizer: (s) => new FusedAdam(s) });
  const step = async () => {
    const s = t.step();
    await s.loss.data();
    s.loss.dispose();
    s.gradNorm.dispose();
  };
  await step();
  await step();
  const counted = countDispatches(() => t.step());
  await counted.result.loss.data();
  counted.result.loss.dispose();
  counted.result.gradNorm.dispose();
  console.log(
    `${arch}: ${counted.count.dispatches} dispatches a step; ${topEntries(counted.count.byProgram, 10).join(', ')}`,
  );
  const n = 5;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await step();
  const ms = (performance.now() - t0) / n;
  console.log(
    `${arch} (D 32, 4 blocks, batch 64, L 42)${arch === 's4-mamba' ? (gather ? ' gather' : ' selection matmul') : ''}: ${ms.toFixed(1)} ms a step on ${info.adapterInfo?.architecture ?? 'webgpu'}`,
  );
  t.dispose();
}
