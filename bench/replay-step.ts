/**
 * The training step with and without step replay (src/kernels/step-replay.ts), through the real
 * Trainer (batch generation, fused model, fused clip + Adam, loss read-back every 10 steps), on
 * WebGPU: ms per step, JavaScript enqueue ms per step (the time `step()` takes before the GPU
 * is waited for), enqueue share, dispatches and submits per step, and the largest difference
 * between the two runs' losses (the same seed, so the numbers must agree).
 *
 *   npx tsx bench/replay-step.ts [--sizes paper,classroom] [--archs transformer,mamba,mambaformer]
 *     [--task linear-regression] [--steps 30] [--batch N] [--batch-threads 2] [--json FILE]
 *     [--without fold,defer,conv,readout,blocks,lanes,staged] [--scan-tuning JSON]
 * `--without`: one more row per model (replayed, batches ahead) with each named kernel cut turned off,
 * to time what it buys: `fold` (LayerNorm inside the next linear, src/kernels/layer-norm-linear.ts),
 * `defer` (the linear backwards' reductions run together, src/kernels/linear-grad-reduce.ts), `conv`
 * (Mamba's conv + SiLU inside x_proj's matmul, src/kernels/conv-silu-linear.ts), `readout` (the final
 * LayerNorm and read-out's backward as one program, src/kernels/layer-norm-linear.ts), `blocks` (the
 * block-parallel selective scan backward, src/kernels/selective-scan/blocks-*.ts), `lanes` (the scan
 * forward over the lanes of a subgroup, src/kernels/selective-scan/lanes-forward-program.ts), `staged`
 * (the row-staged scan forward, src/kernels/selective-scan/staged-forward-program.ts).
 * `--scan-tuning '{"forwardMode":"staged"}'`: scanTuning fields for every row (a scan program's step).
 * On the GPU machine: bench/gpu-bundle.sh bench/replay-step.ts, then bash .gpu/run.sh .gpu/replay-step.mjs
 * Without a GPU, Node uses SwiftShader (see src/kernels/README.md): fine for checking, not for timing.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { isBatchThread, startBatchThread } from '../src/cli/batch-thread';
import { createStepReplay, FusedAdam, initBackend, modelKernels } from '../src/kernels';
import { convSiluLinearTuning } from '../src/kernels/conv-silu-linear';
import { layerNormLinearTuning } from '../src/kernels/layer-norm-linear';
import { reductionTuning } from '../src/kernels/linear-grad-reduce';
import { countDispatches } from '../src/kernels/profile';
import { scanTuning } from '../src/kernels/selective-scan/index';
import type { Architecture } from '../src/schema/architecture';
import type { Experiment } from '../src/schema/experiment';
import type { TaskName } from '../src/tasks/types';
import { type PresetName, presetExperiment } from '../src/train/presets';
import { Trainer } from '../src/train/trainer';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'paper,classroom' },
    archs: { type: 'string', default: 'transformer,mamba,mambaformer' },
    task: { type: 'string', default: 'linear-regression' },
    steps: { type: 'string', default: '30' },
    /** prompts per step (default: the preset's); small for a check on a software adapter */
    batch: { type: 'string' },
    json: { type: 'string' },
    /** helper threads making the batches ahead */
    'batch-threads': { type: 'string', default: '2' },
    without: { type: 'string', default: '' },
    /** scanTuning fields set for every row, as JSON (e.g. '{"forwardMode":"staged"}') */
    'scan-tuning': { type: 'string' },
  },
});
if (args['scan-tuning']) Object.assign(scanTuning, JSON.parse(args['scan-tuning']));
/** the kernel cuts `--without` can turn off, each as a switch */
const CUTS = {
  fold: (on: boolean) => {
    layerNormLinearTuning.fold = on;
  },
  defer: (on: boolean) => {
    reductionTuning.defer = on;
  },
  conv: (on: boolean) => {
    convSiluLinearTuning.fold = on;
  },
  readout: (on: boolean) => {
    layerNormLinearTuning.foldRowsBackward = on;
  },
  blocks: (on: boolean) => {
    scanTuning.blocks = on;
  },
  lanes: (on: boolean) => {
    scanTuning.lanes = on;
  },
  staged: (on: boolean) => {
    scanTuning.staged = on;
  },
} as const;
type Cut = keyof typeof CUTS;
const without = (args.without ? args.without.split(',') : []) as Cut[];
for (const cut of without)
  if (!(cut in CUTS)) throw new Error(`--without ${cut}: not one of ${Object.keys(CUTS).join(', ')}`);
const batchThreads = Number(args['batch-threads']);

const now = () => performance.now();

interface Row {
  size: string;
  arch: string;
  replay: boolean;
  prefetch: boolean;
  /** the kernel cut turned off for this row, if any */
  without: string | null;
  batch: number;
  seqLen: number;
  msPerStep: number;
  enqueueMs: number;
  dispatches: number;
  submits: number;
  state: string;
  /** batches taken ready from the helper thread / made by the trainer (timed part) */
  batchHits: number;
  batchMisses: number;
  losses: number[];
}

async function measure(
  size: PresetName,
  arch: Architecture,
  replay: boolean,
  prefetch: boolean,
  steps: number,
  cut: Cut | null = null,
): Promise<Row> {
  if (cut) CUTS[cut](false);
  try {
    return await measureNow(size, arch, replay, prefetch, steps, cut);
  } finally {
    if (cut) CUTS[cut](true);
  }
}

async function measureNow(
  size: PresetName,
  arch: Architecture,
  replay: boolean,
  prefetch: boolean,
  steps: number,
  cut: Cut | null,
): Promise<Row> {
  const experiment = presetExperiment(
    size,
    args.task as TaskName,
    [arch],
    0,
    args.batch ? { batchSize: Number(args.batch) } : {},
  );
  const trainer = new Trainer(experiment, 0, {
    kernels: modelKernels(),
    optimizer: (s) => new FusedAdam(s),
    readEvery: 10,
    ...(replay ? { stepReplay: createStepReplay } : {}),
    ...(prefetch ? { batchSource: (e: Experiment) => startBatchThread(e, { threads: batchThreads }) } : {}),
  });
  try {
    // far past the curriculum's end: the longest prompts, as the paper's table
    trainer.restoreProgress(10_000_000);
    const batch = trainer.batchAt();
    // warm-up: pipelines compiled, Adam's moments made, two steps recorded (at chunk starts)
    await trainer.train(40);
    // one step counted (tfjs's dispatches; a replayed step counts none there, its recording has them)
    const { result, count } = countDispatches(() => trainer.step());
    await result.loss.data();
    await trainer.flush();
    const stats = trainer.replayStats();
    const replaying = stats?.state === 'replaying';
    const dispatches = replaying ? stats.dispatches : count.dispatches;
    const submits = replaying ? stats.submits : 0;
    // the real loop (train(): batches asked ahead, loss read back every 10 steps); the time
    // inside step() is the JavaScript that enqueues the step
    const stepOnce = trainer.step.bind(trainer);
    let inStep = 0;
    trainer.step = () => {
      const t = now();
      try {
        return stepOnce();
      } finally {
        inStep += now() - t;
      }
    };
    const times: number[] = [];
    const enqueue: number[] = [];
    const losses: number[] = [];
    const batchesBefore = trainer.batchStats();
    for (let rep = 0; rep < 3; rep++) {
      const before = trainer.state().history.length;
      inStep = 0;
      const t0 = now();
      await trainer.train(steps);
      times.push((now() - t0) / steps);
      enqueue.push(inStep / steps);
      losses.push(
        ...trainer
          .state()
          .history.slice(before)
          .map((r) => r.loss),
      );
    }
    times.sort((a, b) => a - b);
    enqueue.sort((a, b) => a - b);
    return {
      size,
      arch,
      replay,
      prefetch,
      without: cut,
      batch: batch.batchSize,
      seqLen: batch.seqLen,
      msPerStep: times[1],
      enqueueMs: enqueue[1],
      dispatches,
      submits,
      state: trainer.replayStats()?.state ?? 'tfjs',
      batchHits: (trainer.batchStats()?.hits ?? 0) - (batchesBefore?.hits ?? 0),
      batchMisses: (trainer.batchStats()?.misses ?? 0) - (batchesBefore?.misses ?? 0),
      losses,
    };
  } finally {
    trainer.dispose();
  }
}

async function main(): Promise<void> {
  const info = await initBackend(['webgpu']);
  if (info.name !== 'webgpu') {
    console.error(`replay-step: no WebGPU here (${info.reason})`);
    process.exit(1);
  }
  const adapter = info.adapterInfo
    ? `${info.adapterInfo.vendor} ${info.adapterInfo.architecture} ${info.adapterInfo.description}`
    : 'unknown adapter';
  console.log(`# Step replay, ${new Date().toISOString()}, ${adapter}, task ${args.task}\n`);
  console.log(
    '| size | model | batch x L | replay | batches ahead | without | ms / step | JS enqueue ms | enqueue share | dispatches | submits | max loss diff |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const rows: Row[] = [];
  for (const size of args.sizes!.split(',') as PresetName[]) {
    for (const arch of args.archs!.split(',') as Architecture[]) {
      const steps = Number(args.steps);
      const plain = await measure(size, arch, false, false, steps);
      const fast = await measure(size, arch, true, false, steps);
      const fastest = await measure(size, arch, true, true, steps);
      const cuts: Row[] = [];
      for (const cut of without) cuts.push(await measure(size, arch, true, true, steps, cut));
      for (const r of [plain, fast, fastest, ...cuts]) {
        const diff = Math.max(...plain.losses.map((l, i) => Math.abs(l - r.losses[i])));
        rows.push(r);
        console.log(
          `| ${r.size} | ${r.arch} | ${r.batch} x ${r.seqLen} | ${r.replay ? r.state : 'off'} | ${r.prefetch ? `yes (${r.batchHits} of ${r.batchHits + r.batchMisses} ready)` : 'no'} | ${r.without ?? ''} | ${r.msPerStep.toFixed(2)} | ${r.enqueueMs.toFixed(2)} | ${((100 * r.enqueueMs) / r.msPerStep).toFixed(0)} % | ${r.dispatches} | ${r.replay ? r.submits : '-'} | ${r === plain ? '' : diff.toExponential(1)} |`,
        );
      }
      console.log(
        `<!-- ${size} ${arch}: replay ${(plain.msPerStep / fast.msPerStep).toFixed(2)}x, with batches ahead ${(plain.msPerStep / fastest.msPerStep).toFixed(2)}x -->`,
      );
    }
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ adapter, task: args.task, rows }, null, 1));
  tf.disposeVariables();
}

// in a batch thread (this bundle started again by startBatchThread) the thread serves batches only
if (!isBatchThread()) await main();
