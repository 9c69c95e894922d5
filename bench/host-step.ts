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
 *   - kernels:     the training worker's options as they are (src/kernels/selective-scan-cpu.ts).
 * Each measurement runs `--warmup` steps, then single steps until `--steps` steps or `--seconds`
 * seconds (at least one step); `--rounds` rounds, the lowest mean ms per step of the rounds is
 * printed as a markdown table.
 *
 *   npx tsx bench/host-step.ts [--backends wasm,cpu] [--archs mamba,mambaformer,transformer]
 *     [--variants plain,kernels-ref,kernels] [--steps 10] [--warmup 2] [--seconds 30] [--rounds 2]
 *     [--task linear-regression]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FusedAdam, modelKernels } from '../src/kernels';
import { referenceScanKernels } from '../src/kernels/selective-scan';
import { HOST_SCAN_BACKENDS, registerHostScanKernels } from '../src/kernels/selective-scan-cpu';
import { SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD } from '../src/kernels/selective-scan-shape';
import type { Architecture } from '../src/schema/architecture';
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
} as const;
type Variant = keyof typeof VARIANTS;

const list = (s: string): string[] => s.split(',').filter((x) => x.length > 0);

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
  const experiment = presetExperiment('classroom', task, [arch], 0);
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
    },
  });
  const budget: Budget = {
    warmup: Number(values.warmup),
    steps: Number(values.steps),
    seconds: Number(values.seconds),
  };
  const rounds = Math.max(1, Number(values.rounds));
  const variants = list(values.variants) as Variant[];
  for (const v of variants) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}`);
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
