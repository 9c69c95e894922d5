/**
 * Which program, layout and form each dispatch of the scan takes on a device, as scanTuning asks:
 * the staged forward's layout, the block-parallel backward's forms, the staged backward's layout
 * fitted to the problem, and the pass that writes the chunks' starting states before a backward.
 */
import {
  maxStorageBuffers,
  maxWorkgroupStorage,
  type RawProgram,
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
import type { Dims } from './shape';
import {
  type StagedBackwardLayout,
  stagedBackwardLayout,
  stagedBackwardProgram,
} from './staged-backward-program';
import { stagedForwardProgram } from './staged-forward-program';
import { type StagedLayout, stagedLayout, startsChunkFits } from './staged-layout';
import { backwardWorkgroup, scanTuning } from './tuning';

/** Storage buffers the backward needs in one program (4 outputs + 5 inputs). */
export const BACKWARD_BUFFERS = 9;
/** without the pack dispatch: dtW, A_log, D, dtBias bound as they are */
export const UNPACKED_BACKWARD_BUFFERS = 12;

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
export function stagedPlan(backend: unknown, dims: Dims, sgMin: number | null) {
  return stagedPlanFor(dims, sgMin, maxWorkgroupStorage(backend));
}

/**
 * stagedPlan for a device whose subgroups have at least `sgMin` lanes (null: none usable) and
 * `storage` bytes of workgroup memory, with these tunables.
 */
export function stagedPlanFor(
  dims: Pick<Dims, 'n' | 'r'> & Partial<Pick<Dims, 'b' | 'di'>>,
  sgMin: number | null,
  storage: number,
  t: typeof scanTuning = scanTuning,
): StagedLayout | null {
  if (t.forwardMode !== 'staged' && !(t.forwardMode === 'auto' && t.staged)) return null;
  const wanted = stagedWanted(t);
  // u and z by lane (stagedLaneUz), with its own tile (stagedLaneUzSteps), where the inputs are
  // shared on this device and (under 'auto') the problem has stagedLaneUzFromGroups workgroups or more
  // (B and Di unknown: any); else the staged layout as it was
  if (t.stagedLaneUz) {
    const lane = stagedLayout(
      dims.n,
      dims.r,
      { ...wanted, t: t.stagedLaneUzSteps, laneUz: true, laneAhead: t.stagedLaneUzAhead },
      sgMin,
      storage,
    );
    const timed = lane?.wc === wanted.wc && lane.t === t.stagedLaneUzSteps;
    const groups =
      lane && dims.b !== undefined && dims.di !== undefined
        ? dims.b * Math.ceil(dims.di / lane.wc)
        : Number.POSITIVE_INFINITY;
    const many = groups >= t.stagedLaneUzFromGroups;
    if (lane?.laneUz && (t.forwardMode === 'staged' || (timed && many))) return lane;
  }
  // the staged u and z where a turn's inputs are shared: stagedSharedUnroll steps a turn; where they
  // are not (1 lane), the turn as timed for that
  const shared = stagedLayout(dims.n, dims.r, { ...wanted, unroll: t.stagedSharedUnroll }, sgMin, storage);
  const layout = shared?.share ? shared : stagedLayout(dims.n, dims.r, wanted, sgMin, storage);
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
    namedLoads: t.stagedNamedLoads,
    scatter: t.stagedScatter,
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

/**
 * The backward's main program and its channel-group count, as scanTuning.backwardMode asks, and the
 * program that computes the chunks' starting states before it where the block-parallel one takes them
 * from a pass of their own.
 */
export interface BackwardPlan {
  program: RawProgram;
  g: number;
  /** staged: the staged walk's form (inputs u, x_dbl, dtW, dtBias, A_log) */
  starts?: { program: RawProgram; shape: number[]; staged: boolean };
  /** the chunk starts' shape where the main program writes them itself (a fifth output) */
  inlineStarts?: number[];
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
    rows: t.stagedBackwardRows,
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

export function backwardPlan(backend: unknown, dims: Dims, packed: boolean): BackwardPlan {
  const stagedBwd = stagedBackwardPlanFor(
    dims,
    subgroupMinSize(backend),
    maxWorkgroupStorage(backend),
    scanTuning,
    !softwareAdapter(backend),
  );
  if (stagedBwd) {
    // the chunk starts by a pass of their own from stagedBackwardInlineChunks chunks on (where one
    // fits), else written by the backward itself: one dispatch fewer where L is short
    const chunks = Math.ceil(dims.l / stagedBwd.k);
    const own = chunks >= scanTuning.stagedBackwardInlineChunks;
    const starts = own ? startsFor(backend, dims, stagedBwd.k, packed) : null;
    if (starts) return { ...stagedBackwardProgram(dims, stagedBwd, packed), starts };
    const layout = { ...stagedBwd, inlineStarts: true };
    return {
      ...stagedBackwardProgram(dims, layout, packed),
      inlineStarts: [dims.b, startsSlots(dims.l, stagedBwd.k), dims.n, dims.di],
    };
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
