/**
 * Milliseconds per classroom training step on the host backends (tfjs 'wasm' and 'cpu'), as the
 * app trains: `Trainer.train()` (fresh seeded batch, forward, masked loss, backward, clip, Adam),
 * linear regression at the classroom sizes (D 32, batch 64; Mamba / MambaFormer 4 blocks).
 * Variants per model (all in one process, interleaved, so that they share the machine's load):
 *   - plain:       `new Trainer(experiment)` with no options (plain tfjs ops, the log-depth
 *                  reference scan through autodiff);
 *   - kernels-ref: the training worker's options (`modelKernels()` + `FusedAdam`) with the scan
 *                  kernels of cpu / wasm set back to the reference kernels (plain-ops forward,
 *                  explicit plain-ops backward): the worker before the host scan kernels;
 *   - kernels:     the training worker's options as they are (src/kernels/selective-scan/host.ts:
 *                  the scan in WebAssembly SIMD where it exists, host-simd.ts);
 *   - kernels-js:  the same with the scan's JavaScript loops forced (`setHostScanImpl('js')`);
 *   - scan-only:   `modelKernels(['selectiveScan'])` (the other layers as plain ops) and plain Adam.
 * Each measurement runs `--warmup` steps, then single steps until `--steps` steps or `--seconds`
 * seconds (at least one step); `--rounds` rounds, the lowest mean ms per step of the rounds is
 * printed as a markdown table.
 *
 *   npx tsx bench/host-step.ts [--backends wasm,cpu] [--archs mamba,mambaformer,transformer]
 *     [--variants plain,kernels-ref,kernels] [--steps 10] [--warmup 2] [--seconds 30] [--rounds 2]
 *     [--task linear-regression] [--size preset|small] [--profile]
 * `--size small`: D 32, 4 heads, batch 64, 2 GPT-2 layers (the classroom preset of linear regression
 * before 2026-12-03 10:06, the size of the older figures in bench/RESULTS.md); default: the preset.
 * `--profile`: instead, one step of each variant under tf.profile, the kernels taking the most time
 * (a kernel that runs other kernels, as the plain-ops reference kernels do, counts them too).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FusedAdam, modelKernels } from '../src/kernels';
import {
  HOST_SCAN_BACKENDS,
  registerHostScanKernels,
  setHostScanImpl,
} from '../src/kernels/selective-scan/host';
import { referenceScanKernels } from '../src/kernels/selective-scan/index';
import { SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD } from '../src/kernels/selective-scan/shape';
import type { Architecture } from '../src/schema/architecture';
import { layersFor } from '../src/schema/architecture';
import type { Experiment } from '../src/schema/experiment';
import type { TaskName } from '../src/tasks/types';
import { presetExperiment } from '../src/train/presets';
import { Trainer, type TrainerOptions } from '../src/train/trainer';

const workerOptions = (): TrainerOptions => ({ kernels: modelKernels(), optimizer: (s) => new FusedAdam(s) });

/** Scan kernels of the host backends: the reference kernels, or the host loops. */
function chooseScanKernels(on: boolean): void {
  if (!on) {
    registerHostScanKernels();
    return;
  }
  for (const backendName of HOST_SCAN_BACKENDS) {
    tf.unregisterKernel(SELECTIVE_SCAN, backendName);
    tf.unregisterKernel(SELECTIVE_SCAN_GRAD, backendName);
    tf.registerKernel({ kernelName: SELECTIVE_SCAN, backendName, kernelFunc: referenceScanKernels.forward });
    tf.registerKernel({
      kernelName: SELECTIVE_SCAN_GRAD,
      backendName,
      kernelFunc: referenceScanKernels.backward,
    });
  }
}

const VARIANTS = {
  plain: { options: (): TrainerOptions => ({}), referenceScan: false },
  'kernels-ref': { options: workerOptions, referenceScan: true },
  kernels: { options: workerOptions, referenceScan: false },
  'kernels-js': { options: workerOptions, referenceScan: false, jsScan: true },
  'scan-only': {
    options: (): TrainerOptions => ({ kernels: modelKernels(['selectiveScan']) }),
    referenceScan: false,
  },
} as const;
type Variant = keyof typeof VARIANTS;

const list = (s: string): string[] => s.split(',').filter((x) => x.length > 0);

type Size = 'preset' | 'small';
let size: Size = 'preset';

function experimentOf(arch: Architecture, task: TaskName): Experiment {
  if (size === 'preset') return presetExperiment('classroom', task, [arch], 0);
  return presetExperiment('classroom', task, [arch], 0, {
    models: [{ arch, dModel: 32, nHead: 4, nLayer: layersFor(arch, 2) }],
    batchSize: 64,
  });
}

interface Budget {
  warmup: number;
  steps: number;
  seconds: number;
}

async function measure(
  arch: Architecture,
  task: TaskName,
  variant: Variant,
  budget: Budget,
): Promise<number> {
  modelKernels(); // registers every kernel (once), before the scan kernels are chosen
  chooseScanKernels(VARIANTS[variant].referenceScan);
  setHostScanImpl('jsScan' in VARIANTS[variant] ? 'js' : 'auto');
  const experiment = experimentOf(arch, task);
  const trainer = new Trainer(experiment, 0, VARIANTS[variant].options());
  try {
    if (budget.warmup > 0) await trainer.train(budget.warmup, { readEvery: budget.warmup });
    const t0 = performance.now();
    let done = 0;
    while (done < budget.steps && (done === 0 || performance.now() - t0 < budget.seconds * 1000)) {
      const r = await trainer.train(1, { readEvery: 1 });
      if (r.reason !== 'done') throw new Error(`${arch} stopped: ${r.reason}`);
      done++;
    }
    return (performance.now() - t0) / done;
  } finally {
    trainer.dispose();
    chooseScanKernels(false);
  }
}

async function profileStep(
  arch: Architecture,
  task: TaskName,
  variant: Variant,
  warmup: number,
): Promise<void> {
  modelKernels();
  chooseScanKernels(VARIANTS[variant].referenceScan);
  setHostScanImpl('jsScan' in VARIANTS[variant] ? 'js' : 'auto');
  const trainer = new Trainer(experimentOf(arch, task), 0, VARIANTS[variant].options());
  try {
    if (warmup > 0) await trainer.train(warmup, { readEvery: warmup });
    const t0 = performance.now();
    const info = await tf.profile(() => {
      trainer.step();
    });
    const wall = performance.now() - t0;
    await trainer.flush();
    const byName = new Map<string, { ms: number; calls: number }>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += Number(k.kernelTimeMs);
      e.calls += 1;
      byName.set(k.name, e);
    }
    const top = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16);
    console.log(
      `\n${tf.getBackend()} ${arch} ${variant}: one profiled step ${wall.toFixed(0)} ms, ${info.kernels.length} kernels`,
    );
    for (const [name, e] of top)
      console.log(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  x${e.calls}`);
  } finally {
    trainer.dispose();
    chooseScanKernels(false);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backends: { type: 'string', default: 'wasm,cpu' },
      archs: { type: 'string', default: 'mamba,mambaformer,transformer' },
      variants: { type: 'string', default: 'plain,kernels-ref,kernels' },
      steps: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '30' },
      rounds: { type: 'string', default: '2' },
      task: { type: 'string', default: 'linear-regression' },
      profile: { type: 'boolean', default: false },
      size: { type: 'string', default: 'preset' },
    },
  });
  if (values.size !== 'preset' && values.size !== 'small') throw new Error(`unknown size ${values.size}`);
  size = values.size;
  const budget: Budget = {
    warmup: Number(values.warmup),
    steps: Number(values.steps),
    seconds: Number(values.seconds),
  };
  const rounds = Math.max(1, Number(values.rounds));
  const variants = list(values.variants) as Variant[];
  for (const v of variants) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}`);
  if (values.profile) {
    for (const backend of list(values.backends)) {
      if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
      await tf.ready();
      for (const arch of list(values.archs) as Architecture[]) {
        for (const v of variants) await profileStep(arch, values.task as TaskName, v, budget.warmup);
      }
    }
    return;
  }
  console.log(`| backend | model | ${variants.map((v) => `${v} ms/step`).join(' | ')} |`);
  console.log(`| --- | --- | ${variants.map(() => '---').join(' | ')} |`);
  for (const backend of list(values.backends)) {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
    await tf.ready();
    for (const arch of list(values.archs) as Architecture[]) {
      const best = variants.map(() => Number.POSITIVE_INFINITY);
      for (let round = 0; round < rounds; round++) {
        for (const [i, v] of variants.entries()) {
          best[i] = Math.min(best[i], await measure(arch, values.task as TaskName, v, budget));
        }
      }
      const row = `| ${backend} | ${arch} | ${best.map((ms) => ms.toFixed(1)).join(' | ')} |`;
      console.log(row);
    }
  }
  console.error(`tensors alive at the end: ${tf.memory().numTensors}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
