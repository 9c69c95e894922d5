/**
 * The fused selective scan of Mamba (paper.md section 4, steps 4-9) as one tfjs kernel,
 * 'IclSelectiveScan', with a WGSL implementation on 'webgpu', plain JavaScript loops on 'cpu' and
 * 'wasm' (host.ts) and the reference (plain tfjs ops) on 'webgl', so every backend
 * runs the same model through the same kernel name.
 *
 * Inputs (layout "batch, length, channels"; R = dt rank, N = state size, S = R + 2N):
 *   u      [B, L, Di]     scan input (after the causal conv and SiLU)
 *   xdbl   [B, L, S]      x_proj(u) unsplit: dt_low = [0, R), B_t = [R, R+N), C_t = [R+N, R+2N)
 *   z      [B, L, Zw]     gate source: z = z[..., zOffset : zOffset + Di] (Zw a multiple of Di;
 *                         e.g. in_proj's output [B, L, 2 Di] with zOffset Di, or z itself)
 *   dtW    [Di, R]        dt_proj.weight
 *   dtBias [Di]           dt_proj.bias
 *   ALog   [Di, N]        A = -exp(A_log)
 *   D      [Di]
 * Output y [B, L, Di]:
 *   Delta = softplus(dt_low dtW^T + dtBias); A_bar = exp(Delta A); h_t = A_bar h_{t-1} + Delta B_t u_t;
 *   y_t = (sum_n C_t[n] h_t[n] + D u_t) * SiLU(z_t).
 *
 * WebGPU forward, one dispatch, H never materialised; 'auto' runs the first of these that fits the
 * device (each was the fastest on the H200 where it runs: bench/RESULTS.md):
 * - 'staged' (staged-forward-program.ts): one invocation per (b, channel, part of the states), t in
 *   tiles of T steps whose x_dbl rows (as vec4s), u and z are staged in workgroup memory,
 *   double-buffered so the next tile's loads are in flight during this tile's steps; where its timed
 *   layout fits the device's workgroup memory unchanged (scanTuning.staged);
 * - 'lanes' (lanes-forward-program.ts, devices with WGSL subgroups): one invocation per (b, channel,
 *   lane), a channel's states spread over neighbouring lanes of a subgroup, the sums over states by
 *   subgroup shuffles, no workgroup memory and no barrier (scanTuning.lanes);
 * - 'chunked' for long L (chunked-forward-program.ts): one invocation per (b, channel, chunk of t):
 *   each scans its chunk from a zero state, the chunk end states and summed Delta go through
 *   workgroup memory (a chunk's decay is exp(A sum Delta)), each invocation folds in the chunks before
 *   its own and rescans its chunk from the true state;
 * - 'sequential' (forward-program.ts): one invocation per (b, channel), N states in registers, a loop
 *   over t (prefetching P steps of u and z).
 * WebGPU backward ('IclSelectiveScanGrad', paper.md section 4's equations). 'auto' runs the
 * block-parallel program (blocks-backward-program.ts, its header has the equations) wherever its
 * layout fits: a workgroup of WD channels x TL segments of E steps, the states one after the other,
 * each segment's steps folded into maps that the segments join in workgroup memory, so the scan is
 * parallel over L; blocksOptions below picks its forms (the sums over channels by subgroup shuffles
 * where the device has subgroups, the chunks' starting states from a dispatch of their own,
 * blocks-starts-program.ts, where L has many chunks). Elsewhere ('channels', backward-program.ts):
 *   1. (only where the device binds fewer than 12 storage buffers) pack dtW | A_log | D | dtBias into
 *      [Di, R+N+2];
 *   2. one workgroup per (b, group of WG channels). Each invocation runs the forward once, storing
 *      the state h at the start of every chunk of K >= N steps into the rows of its own column of
 *      the du output (chunk c's N values in rows [(c-1)N, cN), which du overwrites only after
 *      chunk c has been consumed, since chunks are processed last to first and K >= N). Then, chunk
 *      by chunk from the end: recompute the chunk's states into a private K x N array, and walk it
 *      backwards with the adjoint g (paper.md: g_t = C_t dy_t + A_bar_{t+1} g_{t+1}), writing du, dz
 *      and accumulating d dtW, dA_log, dD, d dtBias in registers. The per-step reductions over
 *      channels (d dt_low, dB, dC: the xdbl gradient) go through workgroup memory into partial sums
 *      per channel group;
 *   3. sum the partials over channel groups (xdbl gradient) and over the batch (parameters); the
 *      block-parallel program ends with the same dispatch.
 * Nothing of size B x L x Di x N is ever stored.
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { FusedScanArgs } from '../../models/fused';
import { registerKernelOnce } from '../common';
import {
  maxStorageBuffers,
  maxWorkgroupStorage,
  type RawProgram,
  release,
  runRaw,
  softwareAdapter,
  subgroupMinSize,
} from '../runner';
import { backwardProgram } from './backward-program';
import {
  type BlocksBackwardOptions,
  blocksBackwardProgram,
  blocksBackwardProgramBytes,
  statesParts,
} from './blocks-backward-program';
import { type BlocksLayout, blocksLayout } from './blocks-layout';
import { blocksStartsLayout, blocksStartsProgram, startsSlots } from './blocks-starts-program';
import { chunkedForwardProgram } from './chunked-forward-program';
import { forwardProgram } from './forward-program';
import { registerHostScanKernels } from './host';
import { lanesForwardProgram, lanesPerChannel } from './lanes-forward-program';
import { packProgram } from './pack-program';
import { reduceProgram } from './reduce-program';
import { referenceBackwardKernel, referenceForwardKernel, selectiveScanFusedReference } from './reference';
import { type Dims, dimsOf, INPUT_NAMES, SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD } from './shape';
import {
  type StagedBackwardLayout,
  stagedBackwardLayout,
  stagedBackwardProgram,
} from './staged-backward-program';
import {
  type StagedLayout,
  stagedForwardProgram,
  stagedLayout,
  startsChunkFits,
} from './staged-forward-program';
import { backwardWorkgroup, scanTuning } from './tuning';

export type { FusedScanArgs };
export { backwardWorkgroup, SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD, scanTuning, selectiveScanFusedReference };

/** The fused selective scan (recorded on the tape; gradients for every input). */
export function fusedSelectiveScan(args: FusedScanArgs): tf.Tensor3D {
  const { u, xdbl, z, dtW, dtBias, ALog, D } = args;
  return tf
    .engine()
    .runKernel(SELECTIVE_SCAN, { u, xdbl, z, dtW, dtBias, ALog, D } as unknown as tf.NamedTensorMap, {
      zOffset: args.zOffset ?? 0,
    }) as tf.Tensor3D;
}

/** Storage buffers the backward needs in one program (4 outputs + 5 inputs). */
const BACKWARD_BUFFERS = 9;
/** without the pack dispatch: dtW, A_log, D, dtBias bound as they are */
const UNPACKED_BACKWARD_BUFFERS = 12;

let warnedLimit = false;

/**
 * The block-parallel backward's forms as scanTuning asks for them, where they fit the device: the
 * subgroup sums where it has subgroups and they fit beside the layout in its workgroup memory (else the
 * serial sums), the starts pass where it binds one buffer more.
 */
export function blocksOptions(
  backend: unknown,
  dims: Pick<Dims, 'n' | 'r' | 's'> & { l?: number },
  layout: BlocksLayout,
  wanted: Pick<typeof scanTuning, 'blocksSums' | 'blocksSlim' | 'blocksDiagnostic' | 'blocksStarts'> &
    Partial<
      Pick<
        typeof scanTuning,
        'blocksStartsFromChunks' | 'blocksRows' | 'blocksAhead' | 'blocksParts' | 'blocksSegLanes'
      >
    > = scanTuning,
): BlocksBackwardOptions {
  const sgMin = subgroupMinSize(backend);
  const lanesMax = sgMin === null ? 0 : Math.min(32, sgMin);
  // a channel's segments on neighbouring lanes where asked for and a subgroup holds them (TL a power
  // of two, no `ahead`, no `parts`)
  const segLanes =
    wanted.blocksSegLanes === true &&
    wanted.blocksSums === 'subgroup' &&
    (layout.tl & (layout.tl - 1)) === 0 &&
    layout.tl <= lanesMax;
  // the subgroup sums: over Q lanes of a segment's channels (with segLanes, Q channels TL lanes apart),
  // where the device has subgroups
  const q = segLanes ? Math.min(layout.wd, lanesMax / layout.tl) : Math.min(lanesMax, layout.wd);
  const subgroup = wanted.blocksSums === 'subgroup' && q >= (segLanes ? 1 : 2) && layout.wd % q === 0;
  // the starts from their own pass: asked for, or under 'auto' from blocksStartsFromChunks chunks of L
  // on; it binds one buffer more (10 with the parameters packed)
  const chunks = dims.l === undefined ? 0 : Math.ceil(dims.l / layout.t);
  const pass =
    (wanted.blocksStarts === 'pass' ||
      (wanted.blocksStarts === 'auto' &&
        chunks >= (wanted.blocksStartsFromChunks ?? scanTuning.blocksStartsFromChunks))) &&
    maxStorageBuffers(backend) >= BACKWARD_BUFFERS + 1;
  const forms: BlocksBackwardOptions = {
    sums: subgroup ? 'subgroup' : 'serial',
    ...(subgroup ? { q } : {}),
    slim: wanted.blocksSlim,
    ...(wanted.blocksRows ? { rows: true } : {}),
    diagnostic: wanted.blocksDiagnostic,
    starts: pass ? 'pass' : 'phase1',
    ...(subgroup && segLanes ? { segLanes: true } : {}),
  };
  const storage = maxWorkgroupStorage(backend);
  // the maps of several states before one barrier (subgroup sums): as many as asked for, halved to fit
  let ahead =
    subgroup && !forms.segLanes
      ? 2 ** Math.floor(Math.log2(Math.max(1, Math.min(dims.n, wanted.blocksAhead ?? 1))))
      : 1;
  while (ahead > 1 && blocksBackwardProgramBytes(layout, dims, { ...forms, ahead }) > storage) ahead >>= 1;
  if (ahead > 1) forms.ahead = ahead;
  // each channel's states over parts of the workgroup, where they can be (statesParts) and fit
  const parts = statesParts(layout, dims.n, { ...forms, parts: wanted.blocksParts ?? 1 });
  if (parts > 1 && blocksBackwardProgramBytes(layout, dims, { ...forms, parts }) <= storage)
    forms.parts = parts;
  const fits = blocksBackwardProgramBytes(layout, dims, forms) <= storage;
  // the segments on lanes sum over fewer channel lanes, so more groups' sums wait in workgroup
  // memory: where they do not fit, the same forms without them
  if (!fits && forms.segLanes)
    return blocksOptions(backend, dims, layout, { ...wanted, blocksSegLanes: false });
  return fits
    ? forms
    : { ...forms, sums: 'serial', q: undefined, ahead: undefined, parts: undefined, segLanes: undefined };
}

/**
 * The block-parallel backward's layout for these sizes on this device, where 'blocks' is asked for or
 * under 'auto' (scanTuning.blocks).
 */
function blocksPlan(backend: unknown, dims: Dims) {
  const t = scanTuning;
  if (t.backwardMode !== 'blocks' && !(t.backwardMode === 'auto' && t.blocks)) return null;
  return blocksLayout(
    dims.n,
    { wd: t.blocksChannels, tl: t.blocksSegments, e: t.blocksSteps },
    maxWorkgroupStorage(backend),
  );
}

/**
 * The row-staged forward's layout where 'staged' is asked for (fitted to the device), or under 'auto'
 * (scanTuning.staged) where the wanted channels and tile fit the device's workgroup memory as they
 * are: 'auto' runs only layouts that were timed (bench/RESULTS.md), never a shrunk one; the lanes a
 * channel drop to 1 where the device has no usable subgroups.
 */
function stagedPlan(backend: unknown, dims: Dims, sgMin: number | null) {
  return stagedPlanFor(dims, sgMin, maxWorkgroupStorage(backend));
}

/**
 * stagedPlan for a device whose subgroups have at least `sgMin` lanes (null: none usable) and
 * `storage` bytes of workgroup memory, with these tunables.
 */
export function stagedPlanFor(
  dims: Pick<Dims, 'n' | 'r'>,
  sgMin: number | null,
  storage: number,
  t: typeof scanTuning = scanTuning,
): StagedLayout | null {
  if (t.forwardMode !== 'staged' && !(t.forwardMode === 'auto' && t.staged)) return null;
  const wanted = stagedWanted(t);
  const layout = stagedLayout(dims.n, dims.r, wanted, sgMin, storage);
  if (!layout || t.forwardMode === 'staged') return layout;
  // the lanes a channel may drop to 1 (no usable subgroups, or N not whole vec4s a lane): that
  // layout was timed too; a smaller tile or fewer channels were not
  const asWanted = layout.wc === wanted.wc && layout.t === wanted.t;
  return asWanted ? layout : null;
}

/** The staged forward's layout as the tunables ask for it (stagedLayout fits it to a device). */
function stagedWanted(t: typeof scanTuning): StagedLayout {
  return {
    wc: t.stagedChannels,
    sp: t.stagedLanes,
    t: t.stagedSteps,
    unroll: t.stagedUnroll,
    branchless: t.stagedBranchless,
    grouped: t.stagedGrouped,
    exp2: t.stagedExp2,
    vecRows: t.stagedVecRows,
    share: t.stagedShare,
    halves: t.stagedHalves,
  };
}

/**
 * The starts of chunks of K steps by the staged forward's walk (stagedForwardProgram with
 * startsChunk), where scanTuning.blocksStartsStaged asks for it and the staged layout fits the device
 * with K whole loop turns; null: the one-lane walk (blocks-starts-program.ts).
 */
export function stagedStartsPlanFor(
  dims: Pick<Dims, 'n' | 'r'>,
  k: number,
  sgMin: number | null,
  storage: number,
  t: typeof scanTuning = scanTuning,
): StagedLayout | null {
  if (!t.blocksStartsStaged) return null;
  const layout = stagedLayout(dims.n, dims.r, stagedWanted(t), sgMin, storage);
  return layout && startsChunkFits(layout, k) ? layout : null;
}

const webgpuForwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const dims = dimsOf(inputs as Record<string, TensorInfo>, Number(attrs?.zOffset ?? 0));
  const ins = INPUT_NAMES.map((k) => inputs[k] as TensorInfo);
  const t = scanTuning;
  const sgMin = subgroupMinSize(backend);
  const staged = stagedPlan(backend, dims, sgMin);
  if (staged) {
    const program = stagedForwardProgram(dims, staged, t.stagedDiagnostic);
    return runRaw(backend, program, ins, [[dims.b, dims.l, dims.di]])[0];
  }
  if (sgMin !== null && (t.forwardMode === 'lanes' || (t.forwardMode === 'auto' && t.lanes))) {
    const program = lanesForwardProgram(
      dims,
      lanesPerChannel(dims.n, sgMin, t.lanesPerChannelMax),
      t.lanesWorkgroup,
      t.lanesDiagnostic,
      t.lanesPrefetch,
    );
    return runRaw(backend, program, ins, [[dims.b, dims.l, dims.di]])[0];
  }
  const chunked = t.forwardMode === 'chunked' || (t.forwardMode === 'auto' && dims.l >= t.chunkedFromLength);
  const program = chunked
    ? chunkedForwardProgram(dims, t.chunkChannels, t.chunks)
    : forwardProgram(dims, t.forwardWorkgroup, t.forwardPrefetch);
  return runRaw(backend, program, ins, [[dims.b, dims.l, dims.di]])[0];
};

/**
 * The backward's main program and its channel-group count, as scanTuning.backwardMode asks, and the
 * program that computes the chunks' starting states before it where the block-parallel one takes them
 * from a pass of their own.
 */
interface BackwardPlan {
  program: RawProgram;
  g: number;
  /** staged: the staged walk's form (inputs u, x_dbl, dtW, dtBias, A_log) */
  starts?: { program: RawProgram; shape: number[]; staged: boolean };
}

/**
 * The pass that writes the states at every boundary of chunks of k steps ([B, startsSlots, N, Di]):
 * the staged forward's walk where it fits (stagedStartsPlanFor), else the one-lane walk; null where
 * neither fits.
 */
function startsFor(backend: unknown, dims: Dims, k: number, packed: boolean): BackwardPlan['starts'] | null {
  const t = scanTuning;
  const shape = [dims.b, startsSlots(dims.l, k), dims.n, dims.di];
  const storage = maxWorkgroupStorage(backend);
  const staged = stagedStartsPlanFor(dims, k, subgroupMinSize(backend), storage);
  if (staged) return { program: stagedForwardProgram(dims, staged, 'none', k), shape, staged: true };
  const want = { wc: t.blocksStartsChannels, ts: t.blocksStartsSteps };
  const lay = blocksStartsLayout(want, dims.r, dims.n, storage);
  if (!lay) return null;
  return { program: blocksStartsProgram(dims, k, lay, packed), shape, staged: false };
}

/**
 * The staged backward's layout for these sizes on this device: where backwardMode asks for 'staged',
 * fitted to the device; under 'auto' (scanTuning.stagedBackward) only on a hardware GPU and only as
 * timed (the wanted channels, lanes and chunk unchanged); else null. Its chunk starts come from a pass
 * of their own (backwardPlan falls back where none fits).
 */
export function stagedBackwardPlanFor(
  dims: Pick<Dims, 'n' | 'r' | 'b' | 'di'>,
  sgMin: number | null,
  storage: number,
  t: typeof scanTuning = scanTuning,
  hardware = true,
): StagedBackwardLayout | null {
  const auto = t.backwardMode === 'auto' && t.stagedBackward && hardware;
  if (t.backwardMode !== 'staged' && !auto) return null;
  const wanted = {
    ...stagedBackwardFit(dims, t),
    written: t.stagedBackwardWritten,
    share: t.stagedBackwardShare,
    diagnostic: t.stagedBackwardDiagnostic,
  };
  const layout = stagedBackwardLayout(dims.n, dims.r, wanted, sgMin, storage);
  if (!layout || t.backwardMode === 'staged') return layout;
  const asWanted = layout.wc === wanted.wc && layout.sp === wanted.sp && layout.k === wanted.k;
  return asWanted ? layout : null;
}

/**
 * The staged backward's channels a workgroup, lanes a channel and steps a chunk: as set, or
 * (stagedBackwardFill > 0) the fewest lanes (a power of two up to stagedBackwardLanes) giving
 * B x Di x lanes >= Fill invocations, stagedBackwardWorkgroup / lanes channels a workgroup, and as many
 * steps (up to stagedBackwardSteps) as keep a lane's chunk states (K x N / lanes) within
 * stagedBackwardStates.
 */
export function stagedBackwardFit(
  dims: Pick<Dims, 'b' | 'di' | 'n'>,
  t: typeof scanTuning = scanTuning,
): { wc: number; sp: number; k: number } {
  if (!(t.stagedBackwardFill > 0))
    return { wc: t.stagedBackwardChannels, sp: t.stagedBackwardLanes, k: t.stagedBackwardSteps };
  let sp = 1;
  while (sp < t.stagedBackwardLanes && dims.b * dims.di * sp < t.stagedBackwardFill) sp *= 2;
  const k = Math.max(1, Math.min(t.stagedBackwardSteps, Math.floor((t.stagedBackwardStates * sp) / dims.n)));
  return { wc: Math.max(1, Math.floor(t.stagedBackwardWorkgroup / sp)), sp, k };
}

function backwardPlan(backend: unknown, dims: Dims, packed: boolean): BackwardPlan {
  const stagedBwd = stagedBackwardPlanFor(
    dims,
    subgroupMinSize(backend),
    maxWorkgroupStorage(backend),
    scanTuning,
    !softwareAdapter(backend),
  );
  const stagedStarts = stagedBwd ? startsFor(backend, dims, stagedBwd.k, packed) : null;
  if (stagedBwd && stagedStarts) {
    return { ...stagedBackwardProgram(dims, stagedBwd, packed), starts: stagedStarts };
  }
  const blocks = blocksPlan(backend, dims);
  if (blocks) {
    const forms = blocksOptions(backend, dims, blocks);
    const main = blocksBackwardProgram(dims, blocks, packed, forms);
    if (forms.starts !== 'pass') return main;
    const starts = startsFor(backend, dims, blocks.t, packed);
    if (!starts) return blocksBackwardProgram(dims, blocks, packed, { ...forms, starts: 'phase1' });
    return { ...main, starts };
  }
  return backwardProgram(dims, backwardWorkgroup(dims.s), packed);
}

const webgpuBackwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const dims = dimsOf(inputs as Record<string, TensorInfo>, Number(attrs?.zOffset ?? 0));
  if (maxStorageBuffers(backend) < BACKWARD_BUFFERS) {
    if (!warnedLimit) {
      warnedLimit = true;
      console.warn(
        `${SELECTIVE_SCAN_GRAD}: the WebGPU device binds ${maxStorageBuffers(backend)} storage buffers, ` +
          `the fused backward needs ${BACKWARD_BUFFERS}; using the reference backward (initialise with ` +
          'kernels/backend.ts initBackend to raise the limit)',
      );
    }
    return referenceBackwardKernel({ inputs, backend, attrs });
  }
  const { b, l, di, r, n, s, zw } = dims;
  const t = inputs as Record<string, TensorInfo>;
  // the parameters packed into one buffer only where the device binds fewer than 12 buffers
  let packed = scanTuning.backwardPack === 'always' || maxStorageBuffers(backend) < UNPACKED_BACKWARD_BUFFERS;
  let plan: BackwardPlan = backwardPlan(backend, dims, packed);
  // the starts pass's buffer is one more: the parameters packed where the device binds only 12
  if (!packed && plan.starts && maxStorageBuffers(backend) < UNPACKED_BACKWARD_BUFFERS + 1) {
    packed = true;
    plan = backwardPlan(backend, dims, packed);
  }
  const params = packed
    ? runRaw(backend, packProgram(di, r, n), [t.dtW, t.ALog, t.D, t.dtBias], [[di, r + n + 2]])
    : [t.dtW, t.ALog, t.D, t.dtBias];
  const { program, g } = plan;
  const starts = plan.starts
    ? runRaw(
        backend,
        plan.starts.program,
        plan.starts.staged
          ? [t.u, t.xdbl, t.dtW, t.dtBias, t.ALog]
          : [t.u, t.xdbl, ...(packed ? params : [t.dtW, t.ALog, t.dtBias])],
        [plan.starts.shape],
      )
    : [];
  const [du, dz, part, ppart] = runRaw(
    backend,
    program,
    [t.u, t.xdbl, t.z, ...params, t.dy, ...starts],
    [
      [b, l, di],
      [b, l, zw],
      [b, l, g, s],
      [b, di, r + n + 2],
    ],
  );
  const [dx, dW, dAL, dD, dBias] = runRaw(
    backend,
    reduceProgram(dims, g),
    [part, ppart],
    [[b, l, s], [di, r], [di, n], [di], [di]],
  );
  release(backend, ...(packed ? params : []), ...starts, part, ppart);
  return [du, dx, dz, dW, dBias, dAL, dD];
};

const gradConfig: GradConfig = {
  kernelName: SELECTIVE_SCAN,
  inputsToSave: [...INPUT_NAMES],
  gradFunc: (dy, saved, attrs) => {
    const inputs: Record<string, tf.Tensor> = {};
    INPUT_NAMES.forEach((name, i) => {
      inputs[name] = saved[i];
    });
    inputs.dy = dy as tf.Tensor;
    const grads = tf
      .engine()
      .runKernel(
        SELECTIVE_SCAN_GRAD,
        inputs as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
    const out: Record<string, () => tf.Tensor> = {};
    INPUT_NAMES.forEach((name, i) => {
      out[name] = () => grads[i];
    });
    return out;
  },
};

/** Backends that run the scan as plain tfjs ops (cpu and wasm have the host loops instead). */
const REFERENCE_SCAN_BACKENDS = ['webgl', 'tensorflow'] as const;

/** The reference kernels (plain ops forward, explicit plain-ops backward), for tests. */
export const referenceScanKernels = { forward: referenceForwardKernel, backward: referenceBackwardKernel };

/**
 * Register the scan kernels (WGSL on webgpu, host loops on cpu / wasm, reference on webgl /
 * tensorflow) and the gradient. Idempotent.
 */
export function registerSelectiveScanKernels(): void {
  registerKernelOnce({ kernelName: SELECTIVE_SCAN, backendName: 'webgpu', kernelFunc: webgpuForwardKernel });
  registerKernelOnce({
    kernelName: SELECTIVE_SCAN_GRAD,
    backendName: 'webgpu',
    kernelFunc: webgpuBackwardKernel,
  });
  for (const backendName of REFERENCE_SCAN_BACKENDS) {
    registerKernelOnce({ kernelName: SELECTIVE_SCAN, backendName, kernelFunc: referenceForwardKernel });
    registerKernelOnce({ kernelName: SELECTIVE_SCAN_GRAD, backendName, kernelFunc: referenceBackwardKernel });
  }
  registerHostScanKernels();
  if (tf.getGradient(SELECTIVE_SCAN)) tf.unregisterGradient(SELECTIVE_SCAN);
  tf.registerGradient(gradConfig);
}
