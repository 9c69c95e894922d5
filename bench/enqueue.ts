/**
 * The JavaScript enqueue cost of one training step on tfjs's WebGPU backend (issue 12 item 4):
 * only the synchronous part of `step()` is timed (recording the dispatches; the GPU runs them
 * later), over many steps, at a small batch so a software GPU's work stays small. Prints ms per
 * step, dispatches per step, µs per dispatch, and with --profile a CPU profile of the timed
 * calls summarised by function and by where the host time goes (tfjs engine, webgpu backend,
 * Dawn calls, our kernels, models, ...).
 *
 * Here (SwiftShader): LD_LIBRARY_PATH=/usr/lib/chromium
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx bench/enqueue.ts --profile
 * Real GPU (H200): bench/gpu-bundle.sh bench/enqueue.ts, then on the device machine, carrying
 * [".gpu"]: bash .gpu/run.sh .gpu/enqueue.mjs --batch 64
 */
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  countDispatches,
  initBackend,
  recordCacheStats,
  registerAllKernels,
  topEntries,
} from '../src/kernels';
import { gpuSync } from '../src/kernels/runner';
import type { Architecture } from '../src/schema/architecture';
import type { PresetName } from '../src/train/presets';
import { makeTrainingStep } from './step';

const { values: args } = parseArgs({
  options: {
    archs: { type: 'string', default: 'transformer,mamba,mambaformer' },
    size: { type: 'string', default: 'paper' },
    batch: { type: 'string', default: '1' },
    steps: { type: 'string', default: '30' },
    /** rounds of 10 steps back to back for the wall time per step (0: skip, e.g. on SwiftShader) */
    'back-to-back': { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    prod: { type: 'boolean', default: false },
    /** without src/kernels/record-cache.ts (tfjs's own per-dispatch uniform and bind group work) */
    'no-cache': { type: 'boolean', default: false },
    /** submit only after each step (a software GPU then cannot compete with the enqueue for CPU) */
    'hold-submit': { type: 'boolean', default: false },
  },
});

const info = await initBackend(['webgpu'], { recordCache: !args['no-cache'] });
if (info.name !== 'webgpu') throw new Error(`no WebGPU: ${info.reason}`);
registerAllKernels();
if (args.prod) tf.enableProdMode();
if (args['hold-submit']) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1e9);
const backend = tf.backend();
const batchSize = Number(args.batch);
const steps = Number(args.steps);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** Where a function lives, coarsely: which layer of the stack spends the host time. */
function category(url: string, fn: string): string {
  if (!url) return fn === '(garbage collector)' ? 'GC' : fn.startsWith('(') ? fn : 'native';
  if (url.includes('tfjs-backend-webgpu')) return 'tfjs-backend-webgpu';
  if (url.includes('tfjs-core')) return 'tfjs-core (engine, tape, ops)';
  if (url.includes('tfjs-backend-cpu')) return 'tfjs-backend-cpu (shared kernels)';
  if (url.includes('/webgpu/')) return 'webgpu (Dawn binding JS)';
  if (url.includes('/src/kernels/')) return 'src/kernels';
  if (url.includes('/src/models/')) return 'src/models';
  if (url.includes('/src/train/')) return 'src/train';
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:')) return 'node';
  return url.replace(/^.*node_modules\//, '').split('/')[0] || url;
}

/**
 * Self time by function and by layer of the samples taken inside `step()` (a sample counts when
 * bench/step.ts is on its stack: the timed, synchronous enqueue, not the awaits between steps).
 */
function summarise(profile: CpuProfile, top: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inStep = new Map<number, boolean>();
  const underStep = (id: number): boolean => {
    const known = inStep.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const p = parent.get(id);
    const v = n.callFrame.url.endsWith('bench/step.ts') || (p !== undefined && underStep(p));
    inStep.set(id, v);
    return v;
  };
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    if (!underStep(samples[i])) continue;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map<string, number>();
  const byCat = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/');
    let key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    if (!f.url) {
      // a native function (Dawn binding, V8 builtin): name it by its JavaScript caller
      const p = byId.get(parent.get(id) ?? -1)?.callFrame;
      if (p)
        key = `${f.functionName || '(native)'} <- ${p.functionName || '(anonymous)'} ${p.url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/')}:${p.lineNumber + 1}`;
    }
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const c = category(f.url, f.functionName);
    byCat.set(c, (byCat.get(c) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
  const out = [`self time inside step() by layer (${(total / 1000).toFixed(0)} ms sampled):`];
  for (const [k, v] of [...byCat].sort((a, b) => b[1] - a[1])) out.push(`  ${pct(v).padStart(6)}  ${k}`);
  out.push(`top ${top} functions by self time:`);
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
    out.push(`  ${pct(v).padStart(6)}  ${k}`);
  return out;
}

const session = new Session();
if (args.profile) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
}

console.log(
  `tfjs ${tf.version.tfjs}, ${args.size} size, batch ${batchSize}, ${steps} steps, prod mode ${tf.env().getBool('PROD')}, record cache ${!args['no-cache']}, submit ${args['hold-submit'] ? 'after each step' : `every ${tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')} dispatches`}`,
);
console.log(
  '| model | dispatches | engine kernels | enqueue ms / step (median) | min | mean | µs / dispatch | µs / engine kernel | CPU ms / step (median) | CPU µs / dispatch | step ms, 10 back to back |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const kernelLines: string[] = ['', 'Engine kernels per step, most frequent:'];
const profileLines: string[] = [];
for (const arch of args.archs!.split(',') as Architecture[]) {
  const s = makeTrainingStep({ arch, size: args.size as PresetName, fused: true, batchSize });
  for (let i = 0; i < 3; i++) {
    const loss = s.step();
    await loss.data();
    loss.dispose();
  }
  const { result, count } = countDispatches(() => s.step());
  await result.data();
  result.dispose();
  // per-step enqueue times; the median is robust to the odd stall of a shared machine
  const times: number[] = [];
  // CPU time of this process during the call: robust to other processes taking the cores (with
  // --hold-submit the GPU does nothing during the call, so this is the enqueue's own work)
  const cpu: number[] = [];
  if (args.profile) await session.post('Profiler.start');
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const loss = s.step();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    loss.dispose();
    // the (software) GPU finishes outside the timed part, so the next step's enqueue does not
    // wait on work still in flight
    await gpuSync(backend);
  }
  if (args.profile) {
    const { profile } = await session.post('Profiler.stop');
    profileLines.push(`\n### ${arch}`, ...summarise(profile as unknown as CpuProfile, Number(args.top)));
  }
  // the same steps back to back, as training runs them: wall time per step (the GPU's share too)
  const wall: number[] = [];
  for (let r = 0; r < Number(args['back-to-back']); r++) {
    const t0 = performance.now();
    const losses: tf.Scalar[] = [];
    for (let i = 0; i < 10; i++) losses.push(s.step());
    await losses[losses.length - 1].data();
    wall.push((performance.now() - t0) / 10);
    tf.dispose(losses);
  }
  wall.sort((x, y) => x - y);
  times.sort((x, y) => x - y);
  cpu.sort((x, y) => x - y);
  const cpuMs = cpu[Math.floor(cpu.length / 2)];
  const ms = times[Math.floor(times.length / 2)];
  const mean = times.reduce((x, y) => x + y, 0) / times.length;
  const kernels = topEntries(count.byKernel, 10).join(', ');
  console.log(
    `| ${arch} | ${count.dispatches} | ${count.kernels} | ${ms.toFixed(2)} | ${times[0].toFixed(2)} | ${mean.toFixed(2)} | ${((1000 * ms) / count.dispatches).toFixed(1)} | ${((1000 * ms) / count.kernels).toFixed(1)} | ${cpuMs.toFixed(2)} | ${((1000 * cpuMs) / count.dispatches).toFixed(1)} | ${wall.length ? wall[Math.floor(wall.length / 2)].toFixed(2) : '-'} |`,
  );
  kernelLines.push(`- ${arch}: ${kernels}`);
  s.dispose();
}
console.log(kernelLines.join('\n'));
const cache = recordCacheStats(backend);
if (cache) console.log(`\nrecord cache: ${JSON.stringify(cache)}`);
if (profileLines.length) console.log(profileLines.join('\n'));
