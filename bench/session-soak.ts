/**
 * Soak of the training worker's session (src/workers/training/session.ts) outside the browser:
 * the worker's own code and options (fused kernels, fused Adam, WebGPU through src/kernels), one
 * session per model of a three-model race, trained in turn for thousands of steps; prints steps/s
 * and the live tensor count every `--every` steps (it must not grow) and the bytes of the events
 * the page would receive.
 *
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     npx tsx bench/session-soak.ts --steps 2000 [--backend webgpu|cpu] [--size tiny|classroom]
 *
 * (Without a GPU, Dawn runs on Chromium's SwiftShader; on the H200 machine bundle it with
 * bench/gpu-bundle.sh.) Appends a summary to bench/RESULTS.md unless --no-write.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { FusedAdam, initBackend, modelKernels } from '../src/kernels';
import type { Architecture } from '../src/schema/architecture';
import { presetExperiment } from '../src/train/presets';
import type { BackendReport } from '../src/workers/backend-types';
import { approximateEventBytes } from '../src/workers/training/client';
import type { TrainingEvent } from '../src/workers/training/protocol';
import { TrainingSession } from '../src/workers/training/session';

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const STEPS = Number(opt('steps', '2000'));
const EVERY = Number(opt('every', '500'));
const BACKEND = opt('backend', 'webgpu') as 'webgpu' | 'cpu';
const SIZE = opt('size', 'tiny');
const WRITE = !argv.includes('--no-write');
const ARCHS: Architecture[] = ['transformer', 'mamba', 'mambaformer'];

async function main() {
  const info = await initBackend([BACKEND]);
  const adapter = info.adapterInfo
    ? [info.adapterInfo.vendor, info.adapterInfo.architecture, info.adapterInfo.description]
        .filter(Boolean)
        .join(' ')
    : '';
  console.error(`[soak] backend ${info.name} ${adapter} (${info.reason})`);
  const report: BackendReport = {
    name: info.name,
    attempts: info.attempts.map((a) => ({ name: a.name, ok: a.ok, reason: a.error })),
    fallback: info.name !== BACKEND,
    detail: adapter,
    summary: info.name,
  };
  const sizes =
    SIZE === 'tiny'
      ? { models: ARCHS.map((arch) => ({ arch, dModel: 8, nLayer: 1, nHead: 2, dState: 4 })), batchSize: 16 }
      : {};
  const experiment = presetExperiment('classroom', 'linear-regression', ARCHS, 1, {
    ...sizes,
    steps: 10_000_000,
    evaluation: { prompts: 64, everySteps: 500, bootstrap: 50 },
  });
  const lines: string[] = [];
  for (let index = 0; index < ARCHS.length; index++) {
    let bytes = 0;
    let events = 0;
    const session = new TrainingSession({
      pickBackend: async () => report,
      transfer: (v) => v,
      now: () => performance.now(),
      yieldToEvents: () => new Promise((r) => setImmediate(r)),
      trainerOptions: () => ({ kernels: modelKernels(), optimizer: (s) => new FusedAdam(s) }),
    });
    const onEvent = (e: TrainingEvent) => {
      bytes += approximateEventBytes(e);
      events += 1;
    };
    const r = await session.configure(
      experiment,
      index,
      { probeIntervalMs: 2000, checkpointEverySteps: 250 },
      onEvent,
    );
    if (!r.ok) throw new Error(r.error);
    await session.step(5); // compile every shader once
    const counts: string[] = [];
    const t0 = performance.now();
    let done = 5;
    while (done < STEPS) {
      const n = Math.min(EVERY, STEPS - done);
      await session.step(n);
      done += n;
      const s = await session.stats();
      counts.push(`${s.step}: ${s.tensors}`);
      console.error(
        `[soak] ${ARCHS[index]} step ${s.step} tensors ${s.tensors} bytes ${(s.bytes / 1024).toFixed(0)} kB`,
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    const line = `| ${ARCHS[index]} | ${((STEPS - 5) / seconds).toFixed(1)} | ${counts.join(', ')} | ${(bytes / seconds / 1024).toFixed(1)} kB/s, ${(events / seconds).toFixed(1)} msg/s |`;
    console.log(line);
    lines.push(line);
    await session.dispose();
  }
  console.error(`[soak] tensors left after disposing every session: ${tf.memory().numTensors}`);
  const text = [
    `## Worker session soak (${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC)`,
    '',
    `- Device: ${cpus().length} × ${cpus()[0]?.model?.trim()}; backend ${info.name}${adapter ? ` (${adapter})` : ''}; Node ${process.version}`,
    `- Command: \`npx tsx bench/session-soak.ts ${argv.join(' ')}\` (the training worker's session and options: fused kernels, fused Adam; step(n) in chunks, probes every 2 s, checkpoints every 250 steps, curves every 500)`,
    `- ${SIZE} sizes, linear regression (classroom d 5, N 11); models trained one after another (not concurrently).`,
    '',
    '| model | steps/s | step: live tensors | events to the page |',
    '|---|---|---|---|',
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
