/**
 * GPU benchmarks of ICL Lab's tfjs WebGPU path (see bench/README.md):
 *   1. device copy bandwidth (a WGSL vec4 copy of 256 MiB, bytes read + written);
 *   2. the selective-scan kernel alone at B 64, L 1024, Di 256, N 16 (R 8): every forward variant,
 *      the backward, the reference path (plain tfjs ops), time, effective GB/s, ratio;
 *   3. one training step (forward, loss, backward, clip, Adam) of the Transformer, Mamba and
 *      MambaFormer at paper and classroom size, unfused vs fused: dispatches per step and time;
 *   4. with --pytorch FILE: the same steps in PyTorch (bench/pytorch_reference.py) in this run.
 * Prints a markdown report and writes RESULTS.md + results.json to $OUT (or --out, or bench/).
 *
 * Real GPU (H200): bench/gpu-bundle.sh bench/gpu.ts, then on the device machine, carrying
 * [".gpu"]: bash .gpu/run.sh .gpu/gpu.mjs --pytorch ../bench/pytorch_reference.py
 * Here (SwiftShader, slow): LD_LIBRARY_PATH=/usr/lib/chromium
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx bench/gpu.ts --quick
 *
 * `--linear-backward matmuls,one-dispatch,split-rows` (any of them, comma separated; default: the
 * library's default, `linearTuning.backward`): the fused models' linear backward forms
 * (src/kernels/linear.ts); the counts and steps sections run the fused models once per form, side
 * by side, and the profile section uses the first. `--linear-one-dispatch` = `--linear-backward
 * one-dispatch` (kept for older commands).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import {
  countDispatches,
  fusedSelectiveScan,
  gpuTimeProfile,
  initBackend,
  registerAllKernels,
  scanTuning,
  selectiveScanFusedReference,
  takeGpuErrors,
  topEntries,
} from '../src/kernels';
import { LINEAR_BACKWARDS, type LinearBackward, linearTuning } from '../src/kernels/linear';
import {
  gpuSync,
  maxStorageBuffers,
  release,
  runRaw,
  softwareAdapter,
  subgroupMinSize,
} from '../src/kernels/runner';
import { blocksLayout } from '../src/kernels/selective-scan/blocks-layout';
import {
  blocksStartsLayout,
  blocksStartsProgram,
  startsSlots,
} from '../src/kernels/selective-scan/blocks-starts-program';
import {
  backwardWorkgroup,
  blocksOptions,
  SELECTIVE_SCAN_GRAD,
  stagedBackwardPlanFor,
  stagedPlanFor,
  stagedStartsPlanFor,
} from '../src/kernels/selective-scan/index';
import { stagedBackwardLayout } from '../src/kernels/selective-scan/staged-backward-program';
import { stagedForwardProgram } from '../src/kernels/selective-scan/staged-forward-program';
import {
  type StagedDiagnostic,
  type StagedLayout,
  stagedLayout,
} from '../src/kernels/selective-scan/staged-layout';
import type { Architecture } from '../src/schema/architecture';
import type { PresetName } from '../src/train/presets';
import { makeTrainingStep } from './step';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pytorch: { type: 'string' },
    out: { type: 'string' },
    sections: { type: 'string', default: 'copy,scan,steps,profile' },
    sizes: { type: 'string', default: 'paper,classroom' },
    /** without src/kernels/record-cache.ts (to measure what it saves) */
    'no-record-cache': { type: 'boolean', default: false },
    /**
     * the scan section's variants to time, prefixes of their names separated by commas (e.g.
     * `staged,lanes,chunked 32`), or by '|' where a prefix holds a comma (names do: `staged, 64 ch x 1
     * lanes, T 16|staged lean`); default all; the row every backward is compared with always runs
     */
    'scan-variants': { type: 'string' },
    /**
     * the scan section also times each row on the GPU alone (timestamp queries around each dispatch,
     * unquantized, mean of `--gpu-time-reps` calls), in a long queue (gpuAndEnqueueMs) and its host
     * enqueue (the JavaScript of one call), printed as `| gpu forward |` / `| gpu backward |` rows and
     * in results.json; the copy too
     */
    'gpu-time': { type: 'boolean', default: false },
    'gpu-time-reps': { type: 'string', default: '15' },
    /** the scan section's B,L,Di (default 64,1024,256; N 16 and R 8 stay) */
    'scan-shape': { type: 'string' },
    /**
     * Dawn options for the device, ';' between them, e.g.
     * `enable-dawn-features=allow_unsafe_apis,disable_robustness` (what the bounds checks cost; a page
     * cannot turn them off, so this is a diagnostic, never a configuration)
     */
    dawn: { type: 'string' },
    /** the fused linear backward forms to run, comma separated (linearTuning.backward) */
    'linear-backward': { type: 'string' },
    /**
     * prompts per batch of the counts section (default 1, quick on SwiftShader; with split-rows among
     * the forms, the preset's: that form's dispatches depend on the rows, 1 block = 1 dispatch)
     */
    'counts-batch': { type: 'string' },
    /** old spelling of --linear-backward one-dispatch */
    'linear-one-dispatch': { type: 'boolean', default: false },
  },
});
const linearForms = (
  args['linear-backward'] ?? (args['linear-one-dispatch'] ? 'one-dispatch' : linearTuning.backward)
).split(',') as LinearBackward[];
for (const form of linearForms)
  if (!LINEAR_BACKWARDS.includes(form))
    throw new Error(`--linear-backward ${form}: not one of ${LINEAR_BACKWARDS.join(', ')}`);
if (args['linear-one-dispatch'] && args['linear-backward'])
  throw new Error('--linear-one-dispatch and --linear-backward: give one');
linearTuning.backward = linearForms[0];
const quick = args.quick!;
const sections = new Set(args.sections!.split(','));
const outDir = process.env.OUT ?? args.out ?? 'bench';
const lines: string[] = [];
const log = (s = '') => {
  lines.push(s);
  console.log(s);
};
const results: Record<string, unknown> = {};
const now = () => performance.now();
const errors = () => takeGpuErrors().map((e) => e.message);

const info = await initBackend(['webgpu'], {
  recordCache: !args['no-record-cache'],
  // --gpu-time: Dawn's timestamps unquantized (by default they are rounded to 2^16 ns)
  dawnOptions: [
    ...(args.dawn ?? '').split(';').filter(Boolean),
    ...(args['gpu-time'] ? ['disable-dawn-features=timestamp_quantization'] : []),
  ],
});
if (info.name !== 'webgpu') throw new Error(`no WebGPU: ${info.reason}`);
registerAllKernels();
const backend = tf.backend();
const sync = () => gpuSync(backend);
const adapter = info.adapterInfo!;
const deviceName = [adapter.vendor, adapter.architecture, adapter.device, adapter.description]
  .filter(Boolean)
  .join(' ');
results.date = new Date().toISOString();
results.device = adapter;
results.limits = info.limits;
results.command = `node gpu.mjs ${process.argv.slice(2).join(' ')}`;
log(`# ICL Lab GPU benchmarks`);
log();
log(`- date: ${results.date}`);
log(`- device: WebGPU adapter "${deviceName}" (Dawn, npm webgpu), tfjs ${tf.version.tfjs}`);
log(`- command: \`${results.command}\`${quick ? ' (quick mode: small sizes, few iterations)' : ''}`);
log(`- limits: ${JSON.stringify(info.limits)}`);
log(`- subgroups: ${info.subgroups ? info.subgroups.why : 'the device has none'}`);
results.subgroups = info.subgroups ?? null;
log(`- fused linear backward (linearTuning.backward): ${linearForms.join(', ')}`);
results.linearBackward = linearForms;

const BEGIN = '<!-- bench/gpu.ts: begin -->';
const END = '<!-- bench/gpu.ts: end -->';

/**
 * results.json, and the report in RESULTS.md: between the markers of an existing RESULTS.md (so
 * the other benchmarks' sections stay), else as the whole file.
 */
function writeResults(): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2));
  const path = join(outDir, 'RESULTS.md');
  const report = `${BEGIN}\n${lines.join('\n').replace(/^# /, '## ').replace(/\n## /g, '\n### ')}\n${END}\n`;
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const i = old.indexOf(BEGIN);
  const j = old.indexOf(END);
  const next =
    i >= 0 && j > i
      ? old.slice(0, i) + report + old.slice(j + END.length + 1)
      : old
        ? `${old.trimEnd()}\n\n${report}`
        : `${lines.join('\n')}\n`;
  writeFileSync(path, next);
}

/** Run a section; a failure is logged and the run goes on with the next section. */
async function guarded(name: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    log(`\n**${name} failed**: ${(e as Error).stack ?? e}`);
    results[`${name}Error`] = String(e);
  }
  const e = errors();
  if (e.length) log(`WebGPU errors in ${name}: ${e.join(' | ')}`);
  writeResults();
}

/** Median of `reps` timings of `iters` calls each (ms per call), GPU-synchronised. */
async function timeIt(f: () => void, iters: number, reps = 3): Promise<number> {
  f();
  await sync();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    for (let i = 0; i < iters; i++) f();
    await sync();
    times.push((now() - t0) / iters);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * `f` timed three more ways (--gpu-time):
 *   - gpuMs: its dispatches on the GPU alone (timestamp queries, each dispatch in a pass of its own,
 *     Dawn's timestamp quantization off): the mean over `reps` calls of the summed kernel ms; NaN
 *     where the device has no timestamp queries;
 *   - enqueueMs: the host's JavaScript a call (`iters` calls, not waiting for the GPU);
 *   - steadyMs: a call's share of a long queue, (time of 5 x iters calls - time of iters calls) /
 *     (4 x iters), both GPU-synchronised: timeIt's figure includes the host's time to enqueue the
 *     first submission, which the GPU waits for; the difference leaves it out.
 */
async function gpuAndEnqueueMs(f: () => void, reps: number, iters = 20) {
  let kernel = 0;
  const programs = new Map<string, number>();
  for (let r = 0; r < reps; r++) {
    const p = await gpuTimeProfile(f);
    kernel += Number.isFinite(p.kernelMs) && p.kernelMs > 0 ? p.kernelMs : Number.NaN;
    for (const q of p.byProgram) programs.set(q.name, (programs.get(q.name) ?? 0) + q.ms / reps);
  }
  await sync();
  let t0 = now();
  for (let i = 0; i < iters; i++) f();
  const enqueue = (now() - t0) / iters;
  await sync();
  const short = now() - t0;
  t0 = now();
  for (let i = 0; i < 5 * iters; i++) f();
  await sync();
  const long = now() - t0;
  const byProgram = [...programs].map(([name, ms]) => `${name} ${ms.toFixed(3)}`).join(', ');
  return { gpuMs: kernel / reps, enqueueMs: enqueue, steadyMs: (long - short) / (4 * iters), byProgram };
}
const gpuTime = args['gpu-time'] === true;
const gpuTimeReps = Math.max(1, Number(args['gpu-time-reps']) || 7);
let copyGpuGBs = Number.NaN;

// ---------------------------------------------------------------------------------------------
// 1. copy bandwidth
let copyGBs = Number.NaN;
if (sections.has('copy'))
  await guarded('copy', async () => {
    const n = (quick ? 16 : 256) * 2 ** 18; // floats (x4 bytes): 256 MiB
    const src = tf.fill([n], 1.5);
    const dst = tf.zeros([n]);
    const nx = Math.min(65535, Math.ceil(n / 4 / 256));
    const ny = Math.ceil(n / 4 / 256 / nx);
    const program = {
      name: 'Copy',
      key: 'copy_vec4',
      dispatch: [nx, ny, 1] as [number, number, number],
      uniforms: [
        { type: 'uint32' as const, data: [n / 4] },
        { type: 'uint32' as const, data: [nx] },
      ],
      wgsl: () => `
@group(0) @binding(0) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
struct U { n: u32, nx: u32, p0: u32, p1: u32 };
@group(0) @binding(2) var<uniform> uni: U;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * uni.nx) * 256u + lid;
  if (i < uni.n) { dst[i] = src[i]; }
}`,
    };
    const ms = await timeIt(() => runRaw(backend, program, [src], [dst]), quick ? 5 : 50);
    copyGBs = (2 * 4 * n) / (ms * 1e-3) / 1e9;
    results.copy = { bytes: 2 * 4 * n, ms, GBs: copyGBs, errors: errors() };
    const copyGpu = gpuTime
      ? await gpuAndEnqueueMs(() => runRaw(backend, program, [src], [dst]), gpuTimeReps)
      : null;
    if (copyGpu) {
      copyGpuGBs = (2 * 4 * n) / (copyGpu.gpuMs * 1e-3) / 1e9;
      results.copyGpu = { ...copyGpu, GBs: copyGpuGBs };
    }
    tf.dispose([src, dst]);
    log();
    log(`## Device copy bandwidth`);
    log();
    log(
      `WGSL vec4 copy of ${(4 * n) / 2 ** 20} MiB: ${ms.toFixed(3)} ms, **${copyGBs.toFixed(0)} GB/s** (read + written)`,
    );
    if (copyGpu)
      log(
        `The same copy on the GPU alone (timestamp queries, mean of ${gpuTimeReps}): ${copyGpu.gpuMs.toFixed(3)} ms, **${copyGpuGBs.toFixed(0)} GB/s**; in a long queue ${copyGpu.steadyMs.toFixed(3)} ms a call (${((2 * 4 * n) / (copyGpu.steadyMs * 1e-3) / 1e9).toFixed(0)} GB/s); host enqueue ${(1000 * copyGpu.enqueueMs).toFixed(0)} µs a call`,
      );
  });

// ---------------------------------------------------------------------------------------------
// 2. the scan kernel alone
interface ScanInputs {
  u: tf.Tensor3D;
  xdbl: tf.Tensor3D;
  z: tf.Tensor3D;
  dtW: tf.Tensor2D;
  dtBias: tf.Tensor1D;
  ALog: tf.Tensor2D;
  D: tf.Tensor1D;
}

function scanInputs(b: number, l: number, di: number, n: number, r: number): ScanInputs {
  return tf.tidy(() => ({
    u: tf.randomNormal([b, l, di], 0, 1, 'float32', 1) as tf.Tensor3D,
    xdbl: tf.randomNormal([b, l, r + 2 * n], 0, 0.5, 'float32', 2) as tf.Tensor3D,
    z: tf.randomNormal([b, l, di], 0, 1, 'float32', 3) as tf.Tensor3D,
    dtW: tf.randomUniform([di, r], -1 / Math.sqrt(r), 1 / Math.sqrt(r), 'float32', 4) as tf.Tensor2D,
    dtBias: tf.randomUniform([di], -6, -2, 'float32', 5) as tf.Tensor1D,
    ALog: tf.tile(tf.log(tf.range(1, n + 1)).reshape([1, n]), [di, 1]) as tf.Tensor2D,
    D: tf.ones([di]) as tf.Tensor1D,
  }));
}

/**
 * The reference path over batch slices of `chunk` prompts (the prompts are independent). At B 64,
 * L 1024 the whole batch at once needs (L, B, Di, N) tensors of 268M floats whose matmuls exceed
 * WebGPU's dispatch limits, so the reference is run (and timed) slice by slice.
 */
function referenceChunked(x: ScanInputs, chunk: number): tf.Tensor3D {
  const b = x.u.shape[0];
  if (chunk >= b) return selectiveScanFusedReference(x);
  return tf.tidy(() => {
    const parts: tf.Tensor3D[] = [];
    for (let i = 0; i < b; i += chunk) {
      const n = Math.min(chunk, b - i);
      const part = <T extends tf.Tensor>(t: T) => t.slice([i, 0, 0], [n, -1, -1]) as T;
      parts.push(selectiveScanFusedReference({ ...x, u: part(x.u), xdbl: part(x.xdbl), z: part(x.z) }));
    }
    return tf.concat(parts, 0) as tf.Tensor3D;
  });
}

async function maxRelErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const e = tf.tidy(() => tf.stack([a.sub(b).abs().max(), b.abs().max()]));
  const [num, den] = (await e.data()) as Float32Array;
  e.dispose();
  return num / den;
}

/**
 * The block-parallel backward's chunk starts alone (its first dispatch where they come from a pass of
 * their own): the one-lane walk (blocks-starts-program.ts, 'auto''s 64 channels x T 16) beside the
 * staged walk (stagedForwardProgram with startsChunk, the staged forward's tuned layout), at chunks
 * of 16 and 32 steps; each row's states against the one-lane walk's. Rows "starts alone, ...".
 */
async function timeStartsAlone(
  x: ScanInputs,
  storage: number,
  timed: (name: string) => boolean,
  iters: number,
  copyGBs: number,
): Promise<void> {
  const backend = tf.backend();
  const [b, l, di] = x.u.shape;
  const [, r] = x.dtW.shape;
  const [, n] = x.ALog.shape;
  const dims = { b, l, di, r, n, s: r + 2 * n, zw: di, zOffset: 0 };
  const walkLayout = blocksStartsLayout({ wc: 64, ts: 16 }, r, n, storage);
  const staged = stagedStartsPlanFor({ n, r }, 16, subgroupMinSize(backend), storage, {
    ...scanTuning,
    blocksStartsStaged: true,
  });
  for (const k of [16, 32]) {
    const shape = [b, startsSlots(l, k), n, di];
    // u and x_dbl read up to the last chunk's start, the states written
    const bytes = 4 * ((Math.ceil(l / k) - 1) * k * b * (di + r + 2 * n) + shape.reduce((p, q) => p * q, 1));
    const forms: Array<[string, () => TensorInfo]> = [];
    if (walkLayout)
      forms.push([
        `starts alone, one-lane walk, ${walkLayout.wc} ch x T ${walkLayout.ts}, chunks of ${k}`,
        () =>
          runRaw(
            backend,
            blocksStartsProgram(dims, k, walkLayout, false),
            [x.u, x.xdbl, x.dtW, x.ALog, x.dtBias],
            [shape],
          )[0],
      ]);
    if (staged && k % (staged.unroll ?? 1) === 0)
      forms.push([
        `starts alone, staged walk, ${staged.wc} ch x ${staged.sp} lanes, T ${staged.t}, chunks of ${k}`,
        () =>
          runRaw(
            backend,
            stagedForwardProgram(dims, staged, 'none', k),
            [x.u, x.xdbl, x.dtW, x.dtBias, x.ALog],
            [shape],
          )[0],
      ]);
    let first: tf.Tensor | null = null;
    for (const [name, run] of forms.filter(([name]) => timed(name))) {
      const out = tf.engine().makeTensorFromTensorInfo(run());
      const err = first ? await maxRelErr(out, first) : 0;
      if (first) out.dispose();
      else first = out;
      const ms = await timeIt(() => release(backend, run()), iters);
      const gbs = bytes / (ms * 1e-3) / 1e9;
      log(
        `| starts | ${name} (moves ${(bytes / 1e6).toFixed(0)} MB; rel. err vs the first row ${err.toExponential(1)}) | ${ms.toFixed(3)} | ${gbs.toFixed(0)} | ${((100 * gbs) / copyGBs).toFixed(1)}% |`,
      );
    }
    first?.dispose();
  }
}

/**
 * The block-parallel backward's layouts timed (blocks-layout.ts): channels per workgroup WD (also the
 * channel groups of the partials: Di / WD), segments TL (the parallelism over L), steps per
 * invocation E (registers and the chunk, TL x E), each in the form 'auto' ran before session 19 and
 * in its forms (below), with the diagnostics where the last flag says so.
 */
const BLOCKS_SWEEP: ReadonlyArray<[number, number, number, boolean]> = [
  [32, 8, 4, true],
  [64, 4, 4, true],
  [32, 4, 8, false],
  [64, 4, 8, false],
  [32, 8, 2, false],
  [16, 16, 4, false],
];

/**
 * The backward with each channel's states over parts of the workgroup (BlocksBackwardOptions.parts):
 * WD, TL, E and the parts, WD x TL x parts <= 256 invocations.
 */
const BLOCKS_PARTS: ReadonlyArray<[number, number, number, number]> = [
  [16, 4, 4, 4],
  [32, 2, 8, 4],
  [32, 4, 4, 2],
  [64, 2, 8, 2],
];

/**
 * The block-parallel backward with a channel's segments on neighbouring lanes (session 26,
 * `blocksSegLanes`): WD, TL, E, each with the staged starts pass and with the first pass.
 */
const BLOCKS_SEG_LANES: ReadonlyArray<[number, number, number]> = [
  [64, 4, 4],
  [32, 4, 4],
  [64, 2, 8],
  [32, 8, 4],
  [128, 2, 8],
  [16, 16, 1],
  [64, 4, 8],
];

/**
 * The staged backward (session 27, `backwardMode: 'staged'`): WC channels x SP lanes a channel, chunks
 * of K steps, written out (registers) or in loops over arrays.
 */
const STAGED_BACKWARD: ReadonlyArray<[number, number, number, boolean, boolean]> = [
  [64, 2, 8, true, true],
  [64, 2, 8, true, false],
  [64, 2, 4, true, true],
  [64, 2, 16, true, true],
  [32, 2, 8, true, true],
  [128, 2, 4, true, true],
  [64, 2, 8, false, false],
  [64, 2, 16, false, false],
  [64, 1, 4, true, false],
  [64, 1, 8, true, false],
  [32, 1, 4, true, false],
  [128, 1, 4, true, false],
  [64, 1, 8, false, false],
  [64, 1, 16, false, false],
  [64, 4, 16, false, false],
  [64, 4, 8, true, true],
  [32, 4, 4, true, true],
];

/** How a staged row's loop turn is written: Δ's softplus without branches, in phases, exp2. */
type StagedTurn = Pick<
  StagedLayout,
  | 'branchless'
  | 'grouped'
  | 'exp2'
  | 'vecRows'
  | 'share'
  | 'halves'
  | 'namedLoads'
  | 'scatter'
  | 'laneUz'
  | 'laneAhead'
>;

/** A staged row's name suffix for its turn (bench/plans match rows by prefix). */
function turnName(turn: StagedTurn): string {
  return `${turn.branchless ? ', branchless softplus' : ''}${turn.grouped ? ', in phases' : ''}${turn.exp2 ? ', exp2' : ''}${turn.vecRows ? ', vec4 rows' : ''}${turn.share ? ', inputs shared' : ''}${turn.halves ? ', two states a lane' : ''}${turn.namedLoads ? ', loads named' : ''}${turn.scatter ? ', y scattered' : ''}${turn.laneUz ? ', u and z by lane' : ''}${(turn.laneAhead ?? 1) > 1 ? ` ${turn.laneAhead} turns ahead` : ''}`;
}

/**
 * The row-staged forward's layouts timed (staged-forward-program.ts): channels per workgroup, lanes
 * per channel (above 1 with subgroups only), steps per tile (as the workgroup memory allows), steps
 * of the tile loop written out one after the other, and how a loop turn is written (StagedTurn).
 */
const STAGED_SWEEP: ReadonlyArray<[number, number, number, number, StagedTurn?]> = [
  [64, 1, 16, 1],
  [64, 1, 16, 1, { branchless: true }],
  [64, 1, 16, 4, { branchless: true }],
  [64, 1, 16, 2],
  [64, 1, 16, 4],
  [64, 1, 16, 8],
  [32, 1, 16, 4],
  [128, 1, 16, 4],
  [64, 2, 16, 4],
  [64, 2, 16, 8],
  [128, 2, 16, 16],
  [64, 4, 16, 4],
  [64, 1, 8, 4],
  [64, 1, 4, 4],
  // a turn in phases (Δ, gates first, stores last) and exp2, alone and together, U 2 to 16
  [64, 1, 16, 4, { exp2: true }],
  [64, 1, 16, 4, { grouped: true }],
  [64, 1, 16, 4, { grouped: true, exp2: true }],
  [64, 1, 16, 4, { grouped: true, exp2: true, branchless: true }],
  [64, 1, 16, 2, { grouped: true, exp2: true }],
  [64, 1, 16, 8, { grouped: true, exp2: true }],
  [64, 1, 16, 8, { grouped: true, exp2: true, branchless: true }],
  [64, 1, 16, 16, { grouped: true, exp2: true, branchless: true }],
  [32, 1, 16, 4, { grouped: true, exp2: true }],
  [128, 1, 16, 4, { grouped: true, exp2: true }],
  [64, 2, 16, 4, { grouped: true, exp2: true }],
  [64, 1, 8, 8, { grouped: true, exp2: true }],
  // the rows copied as x_dbl's own vec4s (session 24), 1 and 2 lanes, U 2 and 4
  [64, 1, 16, 4, { grouped: true, exp2: true, vecRows: true }],
  [64, 1, 16, 2, { grouped: true, exp2: true, vecRows: true }],
  [128, 1, 16, 4, { grouped: true, exp2: true, vecRows: true }],
  [64, 2, 16, 2, { grouped: true, exp2: true }],
  [64, 2, 16, 4, { grouped: true, exp2: true, vecRows: true }],
  [64, 2, 16, 2, { grouped: true, exp2: true, vecRows: true }],
  // a turn's inputs once a channel, by the lane owning the step, passed on by shuffles (session 24)
  [64, 2, 16, 2, { grouped: true, exp2: true, vecRows: true, share: true }],
  [64, 2, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true }],
  [64, 4, 16, 4, { grouped: true, exp2: true, vecRows: true }],
  [64, 4, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true }],
  [128, 2, 16, 2, { grouped: true, exp2: true, vecRows: true }],
  [128, 2, 16, 2, { grouped: true, exp2: true, vecRows: true, share: true }],
  [64, 4, 16, 8, { grouped: true, exp2: true, vecRows: true, share: true }],
  [32, 4, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true }],
  [64, 4, 8, 4, { grouped: true, exp2: true, vecRows: true, share: true }],
  [64, 2, 16, 8, { grouped: true, exp2: true, vecRows: true, share: true }],
  // tiles of 32 steps at 4 lanes (session 25): twice the loads in flight a barrier
  [64, 4, 32, 4, { grouped: true, exp2: true, vecRows: true, share: true }],
  [32, 4, 32, 4, { grouped: true, exp2: true, vecRows: true, share: true }],
  [64, 4, 32, 8, { grouped: true, exp2: true, vecRows: true, share: true }],
  // lanes of two states (session 25): 8 lanes a channel at N 16, 32 channels a workgroup
  [32, 8, 16, 8, { grouped: true, exp2: true, vecRows: true, share: true, halves: true }],
  [32, 8, 32, 8, { grouped: true, exp2: true, vecRows: true, share: true, halves: true }],
  [32, 8, 16, 16, { grouped: true, exp2: true, vecRows: true, share: true, halves: true }],
  // the next tile's loads into registers of their own, written out (session 29), at 'auto''s layout,
  // tiles of 32 steps (twice the loads in flight a barrier) and 2 lanes
  [64, 4, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, namedLoads: true }],
  [64, 4, 32, 4, { grouped: true, exp2: true, vecRows: true, share: true, namedLoads: true }],
  [64, 4, 32, 8, { grouped: true, exp2: true, vecRows: true, share: true, namedLoads: true }],
  [64, 2, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, namedLoads: true }],
  [128, 2, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, namedLoads: true }],
  // y's sums over a channel's lanes by a reduce-scatter a group of SP steps (session 29): 'auto''s
  // layout, U 8, 2 lanes, and 8 lanes of two states
  [64, 4, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true }],
  [64, 4, 16, 8, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true }],
  [64, 4, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true }],
  [64, 2, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true }],
  [128, 2, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true }],
  [32, 8, 16, 8, { grouped: true, exp2: true, vecRows: true, share: true, halves: true, scatter: true }],
  // a workgroup's walk is the time (B 33 takes what B 64 does, session 29): longer turns, more of a
  // tile's inputs side by side, at 'auto''s turn (y scattered, softplus without branches)
  [64, 4, 16, 8, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true }],
  [64, 4, 16, 16, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true }],
  [64, 4, 32, 8, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true }],
  [64, 2, 16, 8, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true }],
  // u and z loaded by the lane that needs them, a turn ahead (session 29): only the rows staged, so
  // more workgroups fit an SM; T 16 and T 32, 2 lanes
  [
    64,
    4,
    16,
    4,
    { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true, laneUz: true },
  ],
  [
    64,
    4,
    32,
    4,
    { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true, laneUz: true },
  ],
  [
    64,
    2,
    16,
    4,
    { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true, laneUz: true },
  ],
  // the staged u and z with y scattered at 32 channels (512 workgroups at B 64, Di 256: finer
  // scheduling, the same warps) and 128 x 2 lanes (session 30, by GPU time)
  [32, 4, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true }],
  [32, 4, 16, 8, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true }],
  [128, 2, 16, 4, { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true }],
  // u and z by lane at 8 steps a turn (session 30: the staged u and z gained from U 8 by GPU time)
  [
    64,
    4,
    32,
    8,
    { grouped: true, exp2: true, vecRows: true, share: true, scatter: true, branchless: true, laneUz: true },
  ],
  // u and z by lane 2 and 4 turns ahead (session 30): at B 64 on the H200 the staged u and z (T 16)
  // were faster than one turn ahead (GPU time 0.220 ms against 0.235)
  ...[32, 16].flatMap((t) =>
    [2, 4].map((laneAhead): [number, number, number, number, StagedTurn] => [
      64,
      4,
      t,
      4,
      {
        grouped: true,
        exp2: true,
        vecRows: true,
        share: true,
        scatter: true,
        branchless: true,
        laneUz: true,
        laneAhead,
      },
    ]),
  ),
];

/** The staged forward's timing diagnostics ('auto''s layout), with the turn as it runs and in phases. */
const STAGED_DIAGNOSTICS: ReadonlyArray<[StagedDiagnostic, StagedTurn]> = [
  ['no-exp', {}],
  ['no-delta', {}],
  ['no-scan', {}],
  ['no-exp', { grouped: true, exp2: true }],
  ['no-delta', { grouped: true, exp2: true }],
  ['no-scan', { grouped: true, exp2: true }],
  ['no-scan', { grouped: true, exp2: true, vecRows: true }],
  ['no-scan', { grouped: true, exp2: true, vecRows: true, namedLoads: true }],
];

if (sections.has('scan'))
  await guarded('scan', async () => {
    const shape = args['scan-shape']?.split(',').map(Number);
    if (shape && (shape.length !== 3 || !shape.every((v) => Number.isInteger(v) && v > 0)))
      throw new Error(`--scan-shape wants B,L,Di (positive integers), got ${args['scan-shape']}`);
    const [b, l, di] = shape ?? (quick ? [4, 128, 64] : [64, 1024, 256]);
    const [n, r] = [16, 8];
    const s = r + 2 * n;
    const x = scanInputs(b, l, di, n, r);
    const fwdBytes = 4 * (3 * b * l * di + b * l * s + di * (r + n + 2));
    const bwdBytes = 4 * (5 * b * l * di + 2 * b * l * s);
    const iters = quick ? 2 : 20;
    log();
    log(`## Selective scan kernel, B ${b}, L ${l}, Di ${di}, N ${n}, R ${r}`);
    log();
    log(
      `Minimum traffic: forward ${(fwdBytes / 1e6).toFixed(0)} MB (u, z, xdbl read, y written), backward ${(bwdBytes / 1e6).toFixed(0)} MB.`,
    );
    log();
    log('| kernel | variant | ms | effective GB/s | % of copy BW |');
    log('| --- | --- | --- | --- | --- |');
    const saved = { ...scanTuning };
    const budget = info.limits?.maxComputeWorkgroupStorageSize ?? 16384;
    // 'auto' as it is at this shape: the staged layout it takes here (or another forward)
    const autoForward = stagedPlanFor({ n, r, b, di }, subgroupMinSize(backend), budget);
    const variants: Array<[string, Partial<typeof scanTuning>]> = [
      [
        autoForward
          ? `auto: staged forward, ${autoForward.wc} ch x ${autoForward.sp} lanes, T ${autoForward.t}${autoForward.laneUz ? ', u and z by lane' : ', u and z staged'}`
          : 'auto: not the staged forward here',
        {},
      ],
      ['sequential, P 1', { forwardMode: 'sequential', forwardPrefetch: 1, forwardWorkgroup: 64 }],
      ['sequential, P 4', { forwardMode: 'sequential', forwardPrefetch: 4, forwardWorkgroup: 64 }],
      ['sequential, P 8', { forwardMode: 'sequential', forwardPrefetch: 8, forwardWorkgroup: 64 }],
      ['sequential, P 4, WG 128', { forwardMode: 'sequential', forwardPrefetch: 4, forwardWorkgroup: 128 }],
      ['chunked 16 ch x 8 chunks', { forwardMode: 'chunked', chunkChannels: 16, chunks: 8 }],
      ['chunked 8 ch x 16 chunks', { forwardMode: 'chunked', chunkChannels: 8, chunks: 16 }],
      ['chunked 32 ch x 4 chunks', { forwardMode: 'chunked', chunkChannels: 32, chunks: 4 }],
      ['chunked 4 ch x 32 chunks', { forwardMode: 'chunked', chunkChannels: 4, chunks: 32 }],
      // where the time of the lane-parallel forward goes: each diagnostic drops one part (wrong output)
      ...(['no-exp', 'no-loads', 'no-sum', 'no-scan'] as const).map(
        (diag): [string, Partial<typeof scanTuning>] => [
          `lanes, 128 invocations, diagnostic ${diag} (output wrong by design)`,
          { forwardMode: 'lanes', lanesWorkgroup: 128, lanesDiagnostic: diag },
        ],
      ),
      ...[16, 8].flatMap((lanes) =>
        [64, 128].map((wg): [string, Partial<typeof scanTuning>] => [
          `lanes (subgroups), ${wg} invocations per workgroup, at most ${lanes} lanes a channel, B and C read ahead`,
          { forwardMode: 'lanes', lanesWorkgroup: wg, lanesPerChannelMax: lanes, lanesPrefetch: true },
        ]),
      ),
      ...[64, 128, 256].flatMap((wg) =>
        [16, 8, 4, 2].map((lanes): [string, Partial<typeof scanTuning>] => [
          `lanes (subgroups), ${wg} invocations per workgroup, at most ${lanes} lanes a channel`,
          { forwardMode: 'lanes', lanesWorkgroup: wg, lanesPerChannelMax: lanes },
        ]),
      ),
      // where the time of the staged forward ('auto''s layout) goes: each diagnostic drops one part
      ...STAGED_DIAGNOSTICS.map(([diag, turn]): [string, Partial<typeof scanTuning>] => [
        `staged diagnostic ${diag}, 64 ch x 1 lanes, T 16, 4 steps written out${turnName(turn)} (output wrong by design)`,
        {
          forwardMode: 'staged',
          stagedChannels: 64,
          stagedLanes: 1,
          stagedSteps: 16,
          stagedUnroll: 4,
          stagedBranchless: turn.branchless ?? false,
          stagedGrouped: turn.grouped ?? false,
          stagedExp2: turn.exp2 ?? false,
          stagedVecRows: turn.vecRows ?? false,
          stagedDiagnostic: diag,
        },
      ]),
      ...STAGED_SWEEP.map(([wc, sp, t, unroll, turn = {}]): [string, Partial<typeof scanTuning>] => {
        const lay = stagedLayout(n, r, { wc, sp, t, unroll, ...turn }, subgroupMinSize(backend), budget);
        return [
          `staged, ${lay?.wc} ch x ${lay?.sp} lanes, T ${lay?.t}, ${lay?.unroll ?? 1} steps written out${turnName(turn)} (wanted ${wc} x ${sp}, T ${t})`,
          {
            forwardMode: 'staged',
            stagedChannels: wc,
            stagedLanes: sp,
            stagedSteps: t,
            stagedUnroll: unroll,
            stagedSharedUnroll: unroll,
            stagedBranchless: turn.branchless ?? false,
            stagedGrouped: turn.grouped ?? false,
            stagedExp2: turn.exp2 ?? false,
            stagedVecRows: turn.vecRows ?? false,
            stagedShare: turn.share ?? false,
            stagedHalves: turn.halves ?? false,
            stagedNamedLoads: turn.namedLoads ?? false,
            stagedScatter: turn.scatter ?? false,
            stagedLaneUz: turn.laneUz ?? false,
            stagedLaneUzAhead: turn.laneAhead ?? 1,
            stagedLaneUzSteps: t,
          },
        ];
      }),
    ];
    const variantList = args['scan-variants'] ?? '';
    const wanted = variantList.split(variantList.includes('|') ? '|' : ',').filter(Boolean);
    const timed = (name: string) => wanted.length === 0 || wanted.some((w) => name.startsWith(w));
    const scanRows: unknown[] = [];
    // the row on the GPU alone: its dispatches' summed timestamps, against the copy's the same way
    const logGpuRow = async (kernel: string, name: string, bytes: number, f: () => void) => {
      const t = await gpuAndEnqueueMs(f, gpuTimeReps);
      const gbs = bytes / (t.gpuMs * 1e-3) / 1e9;
      scanRows.push({ kernel: `gpu ${kernel}`, variant: name, ms: t.gpuMs, GBs: gbs, ...t });
      const steadyGBs = bytes / (t.steadyMs * 1e-3) / 1e9;
      log(
        `| gpu ${kernel} | ${name} (${t.byProgram}; enqueue ${(1000 * t.enqueueMs).toFixed(0)} µs a call; in a long queue ${t.steadyMs.toFixed(3)} ms, ${((100 * steadyGBs) / copyGBs).toFixed(1)}% of copy) | ${t.gpuMs.toFixed(3)} | ${gbs.toFixed(0)} | ${((100 * gbs) / copyGpuGBs).toFixed(1)}% |`,
      );
    };
    let best = { name: '', ms: Number.POSITIVE_INFINITY };
    const refChunk = quick ? b : 4;
    const ref = referenceChunked(x, refChunk);
    for (const [name, v] of variants.filter(([name]) => timed(name))) {
      Object.assign(scanTuning, saved, v);
      const y = fusedSelectiveScan(x);
      const err = await maxRelErr(y, ref);
      y.dispose();
      const ms = await timeIt(() => fusedSelectiveScan(x).dispose(), iters);
      const gbs = fwdBytes / (ms * 1e-3) / 1e9;
      scanRows.push({ kernel: 'forward', variant: name, ms, GBs: gbs, relErrVsReference: err });
      const diagnostic =
        (v.lanesDiagnostic ?? 'none') !== 'none' || (v.stagedDiagnostic ?? 'none') !== 'none';
      if (ms < best.ms && !diagnostic) best = { name, ms };
      log(
        `| forward | ${name} (rel. err ${err.toExponential(1)}) | ${ms.toFixed(3)} | ${gbs.toFixed(0)} | ${((100 * gbs) / copyGBs).toFixed(1)}% |`,
      );
      if (gpuTime) await logGpuRow('forward', name, fwdBytes, () => fusedSelectiveScan(x).dispose());
    }
    Object.assign(scanTuning, saved);
    const dy = tf.randomNormal([b, l, di], 0, 1, 'float32', 7);
    const gradInputs = { ...x, dy } as unknown as tf.NamedTensorMap;
    const runGrad = () =>
      tf.engine().runKernel(SELECTIVE_SCAN_GRAD, gradInputs, { zOffset: 0 }) as tf.Tensor[];
    // the channel-parallel backward's gradients: what every other variant is compared with
    Object.assign(scanTuning, saved, { backwardMode: 'channels', backwardWorkgroup: 64 });
    const base = runGrad();
    const dispatches = maxStorageBuffers(backend) < 12 ? 3 : 2;
    // backward variants: [label, tuning, extra bytes moved beyond the minimum (partials, checkpoints)]
    const bwdVariants: Array<[string, Partial<typeof scanTuning>, number]> = [];
    // 'auto' as it is: the staged backward's fitted layout where it is taken here
    const autoStaged = stagedBackwardPlanFor(
      { b, di, n, r },
      subgroupMinSize(backend),
      budget,
      { ...saved },
      !softwareAdapter(backend),
    );
    bwdVariants.push([
      autoStaged
        ? `auto: staged backward, ${autoStaged.wc} ch x ${autoStaged.sp} lanes, K ${autoStaged.k}`
        : 'auto: not the staged backward here',
      { backwardMode: 'auto' },
      autoStaged
        ? 4 *
          (2 * Math.ceil(di / autoStaged.wc) * b * l * s + 2 * b * di * n * (Math.ceil(l / autoStaged.k) - 1))
        : 0,
    ]);
    for (const wg of [32, 64]) {
      const g = Math.ceil(di / backwardWorkgroup(s, wg));
      const extra = 4 * (2 * g * b * l * s + 2 * b * di * n * (Math.ceil(l / Math.max(n, 8)) - 1));
      bwdVariants.push([
        `channels, ${wg} channels per workgroup`,
        { backwardMode: 'channels', backwardWorkgroup: wg },
        extra,
      ]);
    }
    const seenBlocks = new Set<string>();
    for (const [wd, tl, e, diagnose] of BLOCKS_SWEEP) {
      const lay = blocksLayout(n, { wd, tl, e }, budget);
      if (!lay || seenBlocks.has(JSON.stringify(lay))) continue;
      seenBlocks.add(JSON.stringify(lay));
      const g = Math.ceil(di / lay.wd);
      // the partials over channel groups, written and read; the chunk states, written and read
      const extra = 4 * (2 * g * b * l * s + 2 * b * di * n * (Math.ceil(l / lay.t) - 1));
      const tuning = {
        backwardMode: 'blocks',
        blocksChannels: wd,
        blocksSegments: tl,
        blocksSteps: e,
      } as const;
      const shape = `${lay.wd} ch x ${lay.tl} segments x ${lay.e} steps`;
      // the form 'auto' ran before session 19
      bwdVariants.push([
        `blocks, ${shape}: ${b * g} workgroups of ${lay.wd * lay.tl}`,
        { ...tuning, blocksSums: 'serial', blocksStarts: 'phase1', blocksSlim: false },
        extra,
      ]);
      // [sums, slim, starts from a pass of their own, B_t and C_t once a state, the starts by the staged
      // walk, the states' maps so many at a time]
      const forms: ReadonlyArray<['serial' | 'subgroup', boolean, boolean, boolean?, boolean?, number?]> = [
        ['serial', true, false],
        ['serial', true, true],
        ['serial', false, true],
        ['subgroup', true, false],
        ['subgroup', false, false],
        ['subgroup', true, true],
        ['subgroup', false, true],
        ['subgroup', true, true, true],
        ['subgroup', false, true, true],
        ['subgroup', true, true, false, true],
        ['subgroup', true, true, true, true],
        ['subgroup', true, true, true, true, 4],
        ['subgroup', true, true, true, true, 8],
        ['subgroup', true, false, true],
        ['subgroup', true, false, true, false, 8],
        ['subgroup', true, false, false, false, 8],
      ];
      for (const [sums, slim, pass, rows = false, stagedStarts = false, ahead = 1] of forms) {
        // the forms that fit this device, as the kernel will run them
        const want = {
          blocksSums: sums,
          blocksSlim: slim,
          blocksDiagnostic: 'none',
          blocksStarts: pass ? 'pass' : 'phase1',
          blocksRows: rows,
          blocksStartsStaged: stagedStarts,
          blocksAhead: ahead,
        } as const;
        const got = blocksOptions(backend, { n, r, s }, lay, want);
        if (got.sums !== sums || (got.starts === 'pass') !== pass || (got.ahead ?? 1) !== ahead) continue;
        const sg = subgroupMinSize(backend);
        if (stagedStarts && !stagedStartsPlanFor({ n, r }, lay.t, sg, budget, { ...scanTuning, ...want }))
          continue;
        const label = `${stagedStarts ? 'staged ' : ''}${pass ? 'starts pass, ' : ''}${slim ? 'slim, ' : ''}${rows ? 'rows once a state, ' : ''}${ahead > 1 ? `${ahead} states' maps a barrier, ` : ''}${sums === 'subgroup' ? `subgroup sums (${got.q} lanes)` : 'serial sums'}`;
        bwdVariants.push([
          `blocks ${label}, ${shape}: ${b * g} workgroups of ${lay.wd * lay.tl}`,
          { ...tuning, ...want },
          extra,
        ]);
      }
      // where the time goes: each diagnostic leaves one part out (wrong gradients), in the form 'auto'
      // ran in session 19 and in session 20's fastest
      for (const diag of diagnose
        ? (['no-phase1', 'no-sums', 'no-compose', 'no-loads', 'no-exp'] as const)
        : [])
        bwdVariants.push([
          `blocks diagnostic ${diag}, ${shape} (gradients wrong by design)`,
          {
            ...tuning,
            blocksSlim: false,
            blocksSums: 'serial',
            blocksStarts: 'phase1',
            blocksDiagnostic: diag,
          },
          extra,
        ]);
      for (const diag of diagnose ? (['no-sums', 'no-compose', 'no-loads', 'no-exp'] as const) : [])
        bwdVariants.push([
          `blocks diagnostic, subgroup sums, starts pass, ${diag}, ${shape} (gradients wrong by design)`,
          {
            ...tuning,
            blocksSlim: false,
            blocksSums: 'subgroup',
            blocksStarts: 'pass',
            blocksDiagnostic: diag,
          },
          extra,
        ]);
    }
    // each channel's states over parts of the workgroup (session 25): WD x TL x parts invocations, with
    // 'auto''s other forms (staged starts pass, slim, rows, subgroup sums)
    for (const [wd, tl, e, parts] of BLOCKS_PARTS) {
      const lay = blocksLayout(n, { wd, tl, e }, budget);
      if (!lay) continue;
      const want = {
        ...scanTuning,
        blocksSums: 'subgroup',
        blocksStarts: 'pass',
        blocksSlim: true,
        blocksRows: true,
        blocksStartsStaged: true,
        blocksAhead: 1,
        blocksParts: parts,
      } as const;
      const got = blocksOptions(backend, { n, r, s }, lay, want);
      if (got.sums !== 'subgroup' || (got.parts ?? 1) !== parts) continue;
      const g = Math.ceil(di / lay.wd);
      const extra = 4 * (2 * g * b * l * s + 2 * b * di * n * (Math.ceil(l / lay.t) - 1));
      bwdVariants.push([
        `blocks states in ${parts} parts, staged starts pass, slim, rows once a state, ${lay.wd} ch x ${lay.tl} segments x ${lay.e} steps: ${b * g} workgroups of ${lay.wd * lay.tl * parts}`,
        {
          backwardMode: 'blocks',
          blocksChannels: wd,
          blocksSegments: tl,
          blocksSteps: e,
          blocksSums: 'subgroup',
          blocksStarts: 'pass',
          blocksSlim: true,
          blocksRows: true,
          blocksStartsStaged: true,
          blocksParts: parts,
        },
        extra,
      ]);
    }
    // a channel's segments on neighbouring lanes, their maps joined by shuffles (session 26), with
    // 'auto''s other forms, from the staged starts pass and from the first pass
    for (const [wd, tl, e] of BLOCKS_SEG_LANES)
      for (const pass of [true, false]) {
        const lay = blocksLayout(n, { wd, tl, e }, budget);
        if (!lay) continue;
        const want = {
          ...scanTuning,
          backwardMode: 'blocks',
          blocksChannels: wd,
          blocksSegments: tl,
          blocksSteps: e,
          blocksSums: 'subgroup',
          blocksStarts: pass ? 'pass' : 'phase1',
          blocksSlim: true,
          blocksRows: true,
          blocksStartsStaged: true,
          blocksAhead: 1,
          blocksParts: 1,
          blocksSegLanes: true,
        } as const;
        const got = blocksOptions(backend, { n, r, s }, lay, want);
        if (!got.segLanes || (got.starts === 'pass') !== pass) continue;
        const g = Math.ceil(di / lay.wd);
        const extra = 4 * (2 * g * b * l * s + (pass ? 2 * b * di * n * (Math.ceil(l / lay.t) - 1) : 0));
        bwdVariants.push([
          `blocks segments on lanes, ${pass ? 'staged starts pass' : 'first pass'}, slim, rows once a state, ${lay.wd} ch x ${lay.tl} segments x ${lay.e} steps (sums over ${got.q} channel lanes): ${b * g} workgroups of ${lay.wd * lay.tl}`,
          want,
          extra,
        ]);
      }
    // the staged backward (session 27): a channel's states over SP lanes, chunks of K steps after the
    // staged starts pass; only the layouts that fit as asked
    for (const [wc, sp, k, written, share] of STAGED_BACKWARD) {
      const lay = stagedBackwardLayout(n, r, { wc, sp, k, written, share }, subgroupMinSize(backend), budget);
      if (!lay || lay.wc !== wc || lay.sp !== sp || lay.k !== k) continue;
      const g = Math.ceil(di / wc);
      const extra = 4 * (2 * g * b * l * s + 2 * b * di * n * (Math.ceil(l / k) - 1));
      bwdVariants.push([
        `staged backward, ${wc} ch x ${sp} lanes, K ${k}${written ? ' written out' : ' in loops'}${lay.share ? ', Δ and u shared' : ''} (sums over ${lay.q} channel lanes): ${b * g} workgroups of ${wc * sp}`,
        {
          backwardMode: 'staged',
          stagedBackwardChannels: wc,
          stagedBackwardLanes: sp,
          stagedBackwardSteps: k,
          stagedBackwardWritten: written,
          stagedBackwardShare: share,
          stagedBackwardFill: 0,
        },
        extra,
      ]);
    }
    // 'auto' with the chunk starts by a pass of their own, and written by the backward itself
    if (autoStaged)
      for (const [how, chunks] of [
        ['by a pass of their own', 0],
        ['written by the backward', Number.POSITIVE_INFINITY],
      ] as const)
        bwdVariants.push([
          `auto, starts ${how}: staged backward, ${autoStaged.wc} ch x ${autoStaged.sp} lanes, K ${autoStaged.k}`,
          { backwardMode: 'auto', stagedBackwardInlineChunks: chunks },
          0,
        ]);
    if (autoStaged)
      bwdVariants.push([
        `auto, rows staged: staged backward, ${autoStaged.wc} ch x ${autoStaged.sp} lanes, K ${autoStaged.k}, x_dbl rows in workgroup memory`,
        { backwardMode: 'auto', stagedBackwardRows: true },
        0,
      ]);
    // where the time of 'auto''s staged backward goes: each diagnostic leaves one part out (wrong gradients)
    if (autoStaged)
      for (const diag of ['no-channel-sums', 'no-chunk-sums', 'no-exp', 'no-recompute', 'no-stores'] as const)
        bwdVariants.push([
          `staged diagnostic ${diag}, 'auto''s layout ${autoStaged.wc} x ${autoStaged.sp} x ${autoStaged.k} (gradients wrong by design)`,
          { backwardMode: 'auto', stagedBackwardDiagnostic: diag },
          0,
        ]);
    // the starts pass's own layout (blocks-starts-program.ts), beside the slim block-parallel backward at
    // WD 64 x 4 x 4 with each of the sums: WC channels a workgroup, tiles of TS steps
    for (const sums of ['serial', 'subgroup'] as const)
      for (const [wc, ts] of [
        [32, 16],
        [128, 16],
        [64, 32],
        [64, 8],
      ] as const) {
        const lay = blocksLayout(n, { wd: 64, tl: 4, e: 4 }, budget);
        if (!lay) continue;
        const want = { ...scanTuning, blocksSums: sums, blocksStarts: 'pass', blocksSlim: true } as const;
        const got = blocksOptions(backend, { n, r, s }, lay, want);
        if (got.sums !== sums || got.starts !== 'pass') continue;
        const g = Math.ceil(di / lay.wd);
        const extra = 4 * (2 * g * b * l * s + 2 * b * di * n * (Math.ceil(l / lay.t) - 1));
        bwdVariants.push([
          `blocks starts pass ${wc} ch x T ${ts}, slim, ${sums} sums, 64 ch x 4 segments x 4 steps`,
          {
            backwardMode: 'blocks',
            blocksChannels: 64,
            blocksSegments: 4,
            blocksSteps: 4,
            blocksSums: sums,
            blocksStarts: 'pass',
            blocksSlim: true,
            blocksStartsChannels: wc,
            blocksStartsSteps: ts,
          },
          extra,
        ]);
      }
    for (const [name, v, extra] of bwdVariants.filter(([name]) => timed(name))) {
      Object.assign(scanTuning, saved, v);
      const got = runGrad();
      let err = 0;
      for (let i = 0; i < got.length; i++) err = Math.max(err, await maxRelErr(got[i], base[i]));
      tf.dispose(got);
      const ms = await timeIt(() => tf.dispose(runGrad()), Math.max(1, iters / 2));
      const gbs = bwdBytes / (ms * 1e-3) / 1e9;
      const moved = (bwdBytes + extra) / 1e6;
      scanRows.push({
        kernel: 'backward',
        variant: name,
        ms,
        GBs: gbs,
        movedMB: moved,
        relErrVsChannels: err,
      });
      log(
        `| backward (${dispatches + (v.blocksStarts === 'pass' ? 1 : 0)} dispatches) | ${name} (moves ~${moved.toFixed(0)} MB; rel. err vs channels ${err.toExponential(1)}) | ${ms.toFixed(3)} | ${gbs.toFixed(0)} | ${((100 * gbs) / copyGBs).toFixed(1)}% |`,
      );
      if (gpuTime) await logGpuRow('backward', name, bwdBytes, () => tf.dispose(runGrad()));
    }
    tf.dispose(base);
    Object.assign(scanTuning, saved);
    await timeStartsAlone(x, budget, timed, iters, copyGBs);
    // reference path (plain tfjs ops, log-depth scan over [L, B, Di, N] tensors)
    let refMs = Number.NaN;
    try {
      refMs = await timeIt(() => referenceChunked(x, refChunk).dispose(), 1, 3);
      const e = errors();
      if (e.length) throw new Error(e.join(' | '));
    } catch (e) {
      log(`reference forward failed: ${(e as Error).message}`);
    }
    ref.dispose();
    log();
    log(
      `Reference path (plain tfjs ops, log-depth scan over [L, B, Di, N] tensors${refChunk < b ? `, run on ${b / refChunk} slices of ${refChunk} prompts: the whole batch at once exceeds WebGPU's dispatch limits` : ''}): forward ${refMs.toFixed(1)} ms.`,
    );
    log(
      `Fused: best forward ${best.ms.toFixed(3)} ms (${best.name}): **${(refMs / best.ms).toFixed(0)}x** the reference, ` +
        `${((100 * fwdBytes) / (best.ms * 1e-3) / 1e9 / copyGBs).toFixed(0)}% of the copy bandwidth.`,
    );
    results.scan = {
      shape: { b, l, di, n, r },
      fwdBytes,
      bwdBytes,
      rows: scanRows,
      referenceForwardMs: refMs,
      bestForward: best,
      errors: errors(),
    };
    tf.dispose([...Object.values(x), dy]);
  });

// ---------------------------------------------------------------------------------------------
// 0. dispatches per training step only (hardware independent; batch 1 to be quick on SwiftShader)
const countsBatch = args['counts-batch']
  ? Number(args['counts-batch'])
  : linearForms.includes('split-rows')
    ? undefined
    : 1;
if (sections.has('counts')) {
  await guarded('counts', async () => {
    log();
    log('## Dispatches per training step (forward, loss, backward, clip, Adam)');
    log();
    log(
      `GPU compute dispatches recorded by one step (the second, once Adam has its moments); engine kernels include free ones (reshapes, identities). Independent of the hardware; of the batch size too, except for the split-rows linear backward (one dispatch where its rows make one block, two otherwise). Batch: ${countsBatch ?? "the preset's"}.`,
    );
    log();
    log(
      '| size | model | L | linear backward | dispatches unfused | dispatches fused | cut | engine kernels unfused | fused | largest fused programs |',
    );
    log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const rows: unknown[] = [];
    for (const size of args.sizes!.split(',') as PresetName[]) {
      for (const arch of ['transformer', 'mamba', 'mambaformer'] as Architecture[]) {
        const counts = [];
        let seqLen = 0;
        // unfused (no fused linear: the form does not matter), then fused once per form
        for (const form of [null, ...linearForms]) {
          const fused = form !== null;
          if (form) linearTuning.backward = form;
          const s = makeTrainingStep({ arch, size, fused, batchSize: countsBatch });
          seqLen = s.batch.seqLen;
          const first = s.step();
          await first.data();
          first.dispose();
          const { result, count } = countDispatches(() => s.step());
          await result.data();
          result.dispose();
          counts.push(count);
          s.dispose();
          console.error(
            `${size} ${arch} ${fused ? `fused, linear backward ${form}` : 'unfused'}: ${count.dispatches} dispatches`,
          );
        }
        const [u, ...fs] = counts;
        linearForms.forEach((form, i) => {
          const f = fs[i];
          rows.push({ size, arch, seqLen, linearBackward: form, unfused: u, fused: f });
          log(
            `| ${size} | ${arch} | ${seqLen} | ${form} | ${u.dispatches} | ${f.dispatches} | ${(u.dispatches / f.dispatches).toFixed(1)}x | ${u.kernels} | ${f.kernels} | ${topEntries(f.byProgram, 6).join(', ')} |`,
          );
        });
      }
    }
    linearTuning.backward = linearForms[0];
    results.counts = rows;
  });
}

// ---------------------------------------------------------------------------------------------
// 3. training steps
interface StepRow {
  arch: Architecture;
  size: PresetName;
  fused: boolean;
  /** the fused model's linear backward (null: unfused) */
  linearBackward: LinearBackward | null;
  seqLen: number;
  batch: number;
  parameters: number;
  dispatches: number;
  kernels: number;
  ms: number;
  enqueueMs: number;
  top: string[];
}
const stepRows: StepRow[] = [];
if (sections.has('steps'))
  await guarded('steps', async () => {
    const archs: Architecture[] = ['transformer', 'mamba', 'mambaformer'];
    const sizes = args.sizes!.split(',') as PresetName[];
    for (const size of sizes) {
      for (const arch of archs) {
        for (const form of [null, ...linearForms]) {
          const fused = form !== null;
          if (form) linearTuning.backward = form;
          const s = makeTrainingStep({ arch, size, fused, batchSize: quick ? 4 : undefined });
          for (let i = 0; i < 2; i++) {
            const loss = s.step();
            await loss.data();
            loss.dispose();
          }
          const { result, count } = countDispatches(() => s.step());
          await result.data();
          result.dispose();
          const n = quick ? 2 : size === 'paper' ? 10 : 15;
          const times: number[] = [];
          const enqueue: number[] = [];
          for (let rep = 0; rep < 3; rep++) {
            const t0 = now();
            const losses: tf.Scalar[] = [];
            for (let i = 0; i < n; i++) losses.push(s.step());
            enqueue.push((now() - t0) / n);
            await losses[losses.length - 1].data();
            times.push((now() - t0) / n);
            tf.dispose(losses);
          }
          times.sort((a, c) => a - c);
          enqueue.sort((a, c) => a - c);
          const row: StepRow = {
            arch,
            size,
            fused,
            linearBackward: form,
            seqLen: s.batch.seqLen,
            batch: s.batch.batchSize,
            parameters: s.parameters,
            dispatches: count.dispatches,
            kernels: count.kernels,
            ms: times[1],
            enqueueMs: enqueue[1],
            top: topEntries(count.byProgram, 8),
          };
          stepRows.push(row);
          console.error(
            `${size} ${arch} ${fused ? `fused, linear backward ${form}` : 'unfused'}: ${row.ms.toFixed(2)} ms/step, ${row.dispatches} dispatches`,
          );
          s.dispose();
        }
      }
    }
    linearTuning.backward = linearForms[0];
    const e = errors();
    results.steps = { rows: stepRows, errors: e };
    if (e.length) log(`WebGPU errors during the steps: ${e.join(' | ')}`);
  });

// ---------------------------------------------------------------------------------------------
// 4. PyTorch, same steps, same GPU, same run
interface TorchRow {
  arch: string;
  size: string;
  ms: number;
  kernels?: number;
  seqLen: number;
  batch: number;
  parameters: number;
}
let torchRows: TorchRow[] = [];
if (args.pytorch) {
  const run = spawnSync(
    'python3',
    [args.pytorch, '--json', '--sizes', args.sizes!, ...(quick ? ['--quick'] : [])],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  if (run.status === 0) {
    const parsed = JSON.parse(run.stdout.trim().split('\n').pop()!);
    torchRows = parsed.rows;
    results.pytorch = parsed;
  } else {
    results.pytorch = { error: run.stderr || run.error?.message };
    log(`PyTorch reference failed: ${(run.stderr || String(run.error)).slice(-2000)}`);
  }
}

if (stepRows.length) {
  log();
  log('## Training step (forward, loss, backward, global-norm clip, Adam)');
  log();
  log(
    'Linear regression at the end of the curriculum; paper size: D 128, Transformer 2 GPT-2 layers, Mamba / MambaFormer n_layer 4, d 20, N 41 points, batch 64; classroom: D 32, d 5, N 11, batch 64.',
  );
  log();
  log(
    '| size | model | params | L | linear backward | dispatches unfused | dispatches fused | cut | ms unfused | ms fused | speed-up | JS enqueue ms (fused) | PyTorch ms | fused / PyTorch |',
  );
  log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const size of ['paper', 'classroom']) {
    for (const arch of ['transformer', 'mamba', 'mambaformer']) {
      const u = stepRows.find((r) => r.size === size && r.arch === arch && !r.fused);
      for (const form of linearForms) {
        const f = stepRows.find((r) => r.size === size && r.arch === arch && r.linearBackward === form);
        if (!u || !f) continue;
        const t = torchRows.find((r) => r.size === size && r.arch === arch);
        log(
          `| ${size} | ${arch} | ${f.parameters} | ${f.seqLen} | ${form} | ${u.dispatches} | ${f.dispatches} | ${(u.dispatches / f.dispatches).toFixed(1)}x | ${u.ms.toFixed(2)} | ${f.ms.toFixed(2)} | ${(u.ms / f.ms).toFixed(1)}x | ${f.enqueueMs.toFixed(2)} | ${t ? t.ms.toFixed(2) : '-'} | ${t ? (f.ms / t.ms).toFixed(2) : '-'} |`,
        );
      }
    }
  }
  log();
  log('Largest programs per fused step:');
  for (const r of stepRows.filter((x) => x.fused))
    log(`- ${r.size} ${r.arch} (linear backward ${r.linearBackward}): ${r.top.join(', ')}`);
}

writeResults();

// ---------------------------------------------------------------------------------------------
// GPU time per program of one step (timestamp queries; dispatches serialised while timing)
if (sections.has('profile'))
  await guarded('profile', async () => {
    log();
    log(
      `## GPU time per program, one paper-size step (tf.time, timestamp queries; fused linear backward ${linearTuning.backward})`,
    );
    log();
    log(
      'While timing, every dispatch is submitted alone, so wall times here are inflated; the GPU sums are real.',
    );
    log();
    const profiles: unknown[] = [];
    for (const [arch, fused] of [
      ['mambaformer', true],
      ['mambaformer', false],
      ['transformer', true],
      ['mamba', true],
    ] as Array<[Architecture, boolean]>) {
      const s = makeTrainingStep({ arch, size: 'paper', fused, batchSize: quick ? 4 : undefined });
      for (let i = 0; i < 2; i++) {
        const loss = s.step();
        await loss.data();
        loss.dispose();
      }
      const p = await gpuTimeProfile(() => tf.dispose(s.step()));
      const stepMs = stepRows.find(
        (r) =>
          r.size === 'paper' &&
          r.arch === arch &&
          r.linearBackward === (fused ? linearTuning.backward : null),
      )?.ms;
      profiles.push({ arch, fused, ...p, stepMs });
      const total = p.byProgram.reduce((a, x) => a + x.count, 0);
      log(
        `- ${arch} ${fused ? 'fused' : 'unfused'}: GPU busy ${p.kernelMs.toFixed(2)} ms over ${total} dispatches` +
          (stepMs ? ` (step takes ${stepMs.toFixed(2)} ms untimed)` : '') +
          `; top: ${p.byProgram
            .slice(0, 8)
            .map((x) => `${x.name} ${x.ms.toFixed(2)} ms/${x.count}`)
            .join(', ')}`,
      );
      s.dispose();
    }
    results.profile = profiles;
  });

// ---------------------------------------------------------------------------------------------
// 5. last (it may exhaust GPU memory): forward + backward, fused vs reference path, smaller L
if (sections.has('scan'))
  await guarded('scanFwdBwd', async () => {
    const [b, l, di, n, r] = quick ? [2, 64, 32, 16, 8] : [64, 256, 256, 16, 8];
    const x = scanInputs(b, l, di, n, r);
    const dy = tf.randomNormal([b, l, di], 0, 1, 'float32', 7);
    const fwdBwd = (fused: boolean) => {
      const f = (u: tf.Tensor, xdbl: tf.Tensor, z: tf.Tensor) => {
        const a = { ...x, u: u as tf.Tensor3D, xdbl: xdbl as tf.Tensor3D, z: z as tf.Tensor3D };
        return (fused ? fusedSelectiveScan(a) : selectiveScanFusedReference(a)).mul(dy).sum();
      };
      tf.dispose(tf.grads(f)([x.u, x.xdbl, x.z]));
    };
    const fusedFwdMs = await timeIt(() => fusedSelectiveScan(x).dispose(), quick ? 1 : 10);
    let refFwdMs = Number.NaN;
    try {
      refFwdMs = await timeIt(() => selectiveScanFusedReference(x).dispose(), 1, 3);
    } catch (e) {
      log(`reference forward failed: ${(e as Error).message}`);
    }
    log();
    log(
      `Forward at B ${b}, L ${l}, Di ${di}, N ${n}: fused ${fusedFwdMs.toFixed(3)} ms, reference path ` +
        `${refFwdMs.toFixed(1)} ms: **${(refFwdMs / fusedFwdMs).toFixed(0)}x**.`,
    );
    const fusedMs = await timeIt(() => fwdBwd(true), quick ? 1 : 10);
    let refMs = Number.NaN;
    try {
      refMs = await timeIt(() => fwdBwd(false), 1, 3);
      const e = errors();
      if (e.length) throw new Error(e.join(' | '));
    } catch (e) {
      log(`reference forward + backward failed: ${(e as Error).message}`);
    }
    log();
    log(
      `Forward + backward (tf.grads) at B ${b}, L ${l}, Di ${di}, N ${n}: fused ${fusedMs.toFixed(3)} ms, ` +
        `reference path ${refMs.toFixed(1)} ms: **${(refMs / fusedMs).toFixed(0)}x**.`,
    );
    results.scanFwdBwd = {
      shape: { b, l, di, n, r },
      fusedFwdMs,
      referenceFwdMs: refFwdMs,
      fusedMs,
      referenceMs: refMs,
      errors: errors(),
    };
    tf.dispose([...Object.values(x), dy]);
  });
console.error(`wrote ${join(outDir, 'RESULTS.md')} and results.json`);
