/**
 * What the checkpoints at the read-back cost (issue 14, src/workers/training/live-checkpoint.ts):
 * the training worker's session, as the page runs it (fused kernels, fused Adam, losses read back
 * every 5 steps and posted every 250 ms), trained for `--seconds` with the live checkpoints on and
 * off, interleaved over `--rounds` rounds so that both share the machine's load. Prints steps/s of
 * each (the best round), the checkpoints sent per second, their bytes, and how many steps a
 * reload can lose as the session reports it to the page.
 *
 *   npx tsx bench/live-checkpoint.ts [--backend wasm|cpu] [--seconds 8] [--rounds 3] [--no-write]
 *
 * Appends a summary to bench/RESULTS.md unless --no-write.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FusedAdam, initBackend, modelKernels } from '../src/kernels';
import type { Architecture } from '../src/schema/architecture';
import type { Experiment } from '../src/schema/experiment';
import { presetExperiment } from '../src/train/presets';
import type { BackendReport } from '../src/workers/backend-types';
import type { ReloadLoss, TrainingEvent } from '../src/workers/training/protocol';
import { TrainingSession } from '../src/workers/training/session';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const BACKEND = opt('backend', 'wasm') as 'wasm' | 'cpu';
const SECONDS = Number(opt('seconds', '8'));
const ROUNDS = Number(opt('rounds', '3'));
const WRITE = !argv.includes('--no-write');

interface Run {
  stepsPerSecond: number;
  /** ms of one checkpoint as the loop takes it (the saveCheckpoint command: weights + Adam read back, safetensors) */
  checkpointMs: number;
  live: number;
  liveBytes: number;
  reloadLoss: ReloadLoss | null;
}

async function train(report: BackendReport, experiment: Experiment, liveCheckpoints: boolean): Promise<Run> {
  let live = 0;
  let liveBytes = 0;
  let reloadLoss: ReloadLoss | null = null;
  const session = new TrainingSession({
    pickBackend: async () => report,
    transfer: (v) => v,
    now: () => performance.now(),
    yieldToEvents: () => new Promise((r) => setImmediate(r)),
    trainerOptions: () => ({ kernels: modelKernels(), optimizer: (s) => new FusedAdam(s) }),
  });
  const onEvent = (e: TrainingEvent) => {
    if (e.type === 'checkpoint' && e.reason === 'live') {
      live += 1;
      liveBytes = e.model.byteLength + (e.optimizer?.byteLength ?? 0);
    }
    if (e.type === 'metrics') reloadLoss = e.reloadLoss;
  };
  // the page's options (src/app/index.ts), probes off (they are the same either way)
  const options = { metricsIntervalMs: 250, probeIntervalMs: 0, checkpointEverySteps: 250, readEvery: 5 };
  const r = await session.configure(experiment, 0, { ...options, liveCheckpoints }, onEvent);
  if (!r.ok) throw new Error(r.error);
  await session.step(5); // warm up
  live = 0;
  const start = (await session.stats()).step;
  const t0 = performance.now();
  await session.train();
  await new Promise((res) => setTimeout(res, SECONDS * 1000));
  await session.pause();
  const seconds = (performance.now() - t0) / 1000;
  const steps = (await session.stats()).step - start;
  // the checkpoint itself, timed alone (median of 15)
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const c0 = performance.now();
    const saved = await session.saveCheckpoint();
    if (!saved.ok) throw new Error(saved.error);
    times.push(performance.now() - c0);
  }
  times.sort((a, b) => a - b);
  await session.dispose();
  return {
    stepsPerSecond: steps / seconds,
    checkpointMs: times[7],
    live: live / seconds,
    liveBytes,
    reloadLoss,
  };
}

async function main() {
  const info = await initBackend([BACKEND]);
  console.error(`[live-checkpoint] backend ${info.name} (${info.reason})`);
  const report: BackendReport = {
    name: info.name,
    attempts: info.attempts.map((a) => ({ name: a.name, ok: a.ok, reason: a.error })),
    fallback: info.name !== BACKEND,
    detail: '',
    summary: info.name,
  };
  const size = (arch: Architecture, dModel: number, nLayer: number, batchSize: number) => ({
    models: [{ arch, dModel, nLayer, nHead: 2, dState: 4 }],
    batchSize,
  });
  const cases: Array<{ label: string; arch: Architecture; sizes: object }> = [
    {
      label: 'Transformer D 8, 1 layer, batch 16 (the e2e)',
      arch: 'transformer',
      sizes: size('transformer', 8, 1, 16),
    },
    { label: 'Mamba D 8, 1 layer, batch 16', arch: 'mamba', sizes: size('mamba', 8, 1, 16) },
    {
      label: 'Transformer D 32, 2 layers, batch 32',
      arch: 'transformer',
      sizes: size('transformer', 32, 2, 32),
    },
    { label: 'Mamba D 32, 2 layers, batch 32', arch: 'mamba', sizes: size('mamba', 32, 2, 32) },
  ];
  const lines: string[] = [];
  for (const c of cases) {
    const experiment = presetExperiment('classroom', 'linear-regression', [c.arch], 1, {
      ...c.sizes,
      steps: 10_000_000,
      evaluation: { prompts: 64, everySteps: 1_000_000, bootstrap: 50 },
    });
    let best: { on: Run | null; off: Run | null } = { on: null, off: null };
    for (let round = 0; round < ROUNDS; round++) {
      for (const on of round % 2 === 0 ? [false, true] : [true, false]) {
        const run = await train(report, experiment, on);
        console.error(
          `[live-checkpoint] ${c.label} live ${on ? 'on' : 'off'}: ${run.stepsPerSecond.toFixed(1)} steps/s, ${run.live.toFixed(1)} checkpoints/s`,
        );
        const key = on ? 'on' : 'off';
        const prev = best[key];
        if (!prev || run.stepsPerSecond > prev.stepsPerSecond) best = { ...best, [key]: run };
      }
    }
    const { on, off } = best as { on: Run; off: Run };
    const cost = (1 - on.stepsPerSecond / off.stepsPerSecond) * 100;
    // the share of training time the checkpoints take: their rate times their own time
    const share = (on.live * on.checkpointMs) / 10;
    const loss = on.reloadLoss ? `${on.reloadLoss.steps} (${on.reloadLoss.cadence})` : '–';
    const offLoss = off.reloadLoss ? `${off.reloadLoss.steps}` : '–';
    const line = `| ${c.label} | ${off.stepsPerSecond.toFixed(1)} | ${on.stepsPerSecond.toFixed(1)} | ${cost.toFixed(1)} % | ${on.live.toFixed(1)} × ${(on.liveBytes / 1024).toFixed(0)} kB | ${on.checkpointMs.toFixed(2)} ms | ${share.toFixed(1)} % | ${loss} | ${offLoss} |`;
    console.log(line);
    lines.push(line);
  }
  const text = [
    `## Checkpoints at the read-back: cost (${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC)`,
    '',
    `- Device: ${cpus().length} × ${cpus()[0]?.model?.trim()}; backend ${info.name}; Node ${process.version}`,
    `- Command: \`npx tsx bench/live-checkpoint.ts ${argv.join(' ')}\` (the worker's session with the page's options: read-back every 5 steps, posted every 250 ms; ${SECONDS} s of training per run, on and off interleaved, best of ${ROUNDS} rounds; linear regression)`,
    '- "1 - on/off": the steps/s lost, best round of each (noisy on a shared machine); "its share of time": checkpoints per second × the median time of one (the saveCheckpoint command, timed alone after training), the figure the 5 % budget bounds; "a reload loses": what the session reports to the page (Diagnostics), the steps between two stored checkpoints (= between two read-backs the page is shown).',
    '',
    '| model | steps/s off | steps/s on | 1 - on/off | checkpoints/s × size | one checkpoint | its share of time | a reload loses (on) | (off: 10 s) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...lines,
    '',
  ].join('\n');
  console.log(`\n${text}`);
  const file = join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
  if (WRITE && existsSync(file)) appendFileSync(file, `\n${text}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
