/**
 * The block-parallel backward's forms (blocks-backward-program.ts): the options that pick them, the
 * arrays each declares in workgroup memory, and the bytes that adds up to (what blocksOptions in
 * index.ts fits to the device).
 */
import { type SubgroupSums, subgroupSumsBytes } from './blocks-backward-sums';
import type { BlocksLayout } from './blocks-layout';
import type { Dims } from './shape';

/**
 * Timing diagnostics (bench/gpu.ts only; the gradients are then wrong by design), each leaving out
 * one part of the work: 'no-phase1' the first pass (the chunks' starting states taken as 0),
 * 'no-sums' the sums over channels (dB, dC, d dt_low), 'no-compose' the segments' maps joined
 * in workgroup memory, 'no-loads' the reads of x_dbl (a register instead), 'no-exp' exp(Δ A)
 * (1 + Δ A instead).
 */
export type BlocksBackwardDiagnostic =
  | 'none'
  | 'no-phase1'
  | 'no-sums'
  | 'no-compose'
  | 'no-loads'
  | 'no-exp';

export interface BlocksBackwardOptions {
  /** the sums over the workgroup's channels (blocks-backward-sums.ts; 'subgroup' needs `q`) */
  sums?: 'serial' | 'subgroup';
  /** with the subgroup sums: the lanes a sum runs over (a power of two dividing WD, at most a subgroup) */
  q?: number;
  /**
   * fewer registers: A, W and the chunk's starting states read where used instead of held in
   * private arrays (at one warp a scheduler, the registers an invocation takes decide how many
   * workgroups an SM holds at once)
   */
  slim?: boolean;
  /**
   * the chunks' starting states: from the first pass ('phase1'), or from a pass of their own run
   * before this program (blocks-starts-program.ts), bound as the input `starts` ('pass')
   */
  starts?: 'phase1' | 'pass';
  /**
   * each state's B_t[n] and C_t[n] at the segment's E steps read from x_dbl once into registers,
   * instead of at each of their uses (B three times, C three times: the maps, the walks)
   */
  rows?: boolean;
  /**
   * with the subgroup sums: the segment maps of this many states computed before one barrier (each
   * state's walks after it, exp(Δ A) computed again), instead of one barrier a state; the maps then
   * take this many halves of workgroup memory (default 1)
   */
  ahead?: number;
  /**
   * with the subgroup sums: each channel's states split over this many parts of the workgroup (a
   * divisor of N; WD x TL x parts invocations), state n in part n mod parts, their per-step sums over
   * states joined through workgroup memory once a chunk; part 0 writes du, dz and the parameters'
   * sums (default 1; not with `ahead`)
   */
  parts?: number;
  /**
   * with the subgroup sums: a channel's TL segments on neighbouring lanes of a subgroup (lid = dl TL +
   * seg), their maps joined by shuffles (a scan over the segments' lanes) instead of through
   * workgroup memory, so a state needs no barrier (two a chunk); the sums over channels then run over
   * the Q channel lanes TL apart (`q` counts channels; Q TL lanes at most a subgroup). Not with
   * `ahead` or `parts`
   */
  segLanes?: boolean;
  diagnostic?: BlocksBackwardDiagnostic;
}

/** The arrays' sizes in workgroup memory, floats (no maps where the segments' lanes join them). */
export function blocksArrays(
  layout: BlocksLayout,
  subgroup: boolean,
  ahead = 1,
  parts = 1,
  segLanes = false,
) {
  const half = layout.wd * layout.tl * (subgroup ? parts : 1);
  return {
    // per state, the maps alternate between two halves; `ahead` states' maps at once (subgroup sums)
    map: segLanes ? 0 : Math.max(2, subgroup ? Math.floor(ahead) : 1) * half,
    // the columns of the serial sums (with the subgroup sums: the parameters' sums only)
    red: subgroup ? half : 2 * layout.t * (layout.wd + 1),
  };
}

/**
 * The subgroup sums' plan where asked for and possible (Q lanes of a segment's WD; with `segLanes`, Q
 * channels TL lanes apart, where TL is a power of two: the caller keeps Q TL within a subgroup), else
 * null.
 */
export function subgroupPlan(layout: BlocksLayout, options: BlocksBackwardOptions): SubgroupSums | null {
  if (options.sums !== 'subgroup' || !options.q) return null;
  const q = Math.min(options.q, layout.wd);
  const pow2 = (x: number) => (x & (x - 1)) === 0;
  if (options.segLanes === true && segmentLanesFit(layout, options)) {
    if (q < 1 || !pow2(q) || layout.wd % q !== 0) return null;
    return { q, subs: layout.wd / q, stride: layout.tl };
  }
  if (q < 2 || !pow2(q) || layout.wd % q !== 0) return null;
  return { q, subs: layout.wd / q, stride: 1 };
}

/** Whether the segments' lanes can join the maps: TL a power of two, no `ahead`, no `parts`. */
function segmentLanesFit(layout: BlocksLayout, options: BlocksBackwardOptions): boolean {
  return (layout.tl & (layout.tl - 1)) === 0 && (options.ahead ?? 1) <= 1 && (options.parts ?? 1) <= 1;
}

/** Whether the program runs with the segments on neighbouring lanes (segLanes asked for and possible). */
export function segmentLanes(layout: BlocksLayout, options: BlocksBackwardOptions): boolean {
  return (
    options.segLanes === true && segmentLanesFit(layout, options) && subgroupPlan(layout, options) !== null
  );
}

/**
 * The parts a channel's states are split over as `options.parts` asks, where it can be: the subgroup
 * sums, no `ahead`, a divisor of N, at most 256 invocations; else 1.
 */
export function statesParts(layout: BlocksLayout, n: number, options: BlocksBackwardOptions): number {
  const p = Math.floor(options.parts ?? 1);
  if (p <= 1 || subgroupPlan(layout, options) === null || (options.ahead ?? 1) > 1 || options.segLanes)
    return 1;
  return n % p === 0 && layout.wd * layout.tl * p <= 256 ? p : 1;
}

/** Workgroup memory of the program for these forms, bytes. */
export function blocksBackwardProgramBytes(
  layout: BlocksLayout,
  dims: Pick<Dims, 'n' | 'r' | 's'>,
  options: BlocksBackwardOptions,
): number {
  const sgs = subgroupPlan(layout, options);
  const parts = statesParts(layout, dims.n, options);
  const { map, red } = blocksArrays(
    layout,
    sgs !== null,
    options.ahead,
    parts,
    segmentLanes(layout, options),
  );
  const extra = sgs ? subgroupSumsBytes(sgs, dims.n, dims.r, layout.t) : 0;
  // the per-step sums over states of each part (3 E values an invocation)
  const join = parts > 1 ? 3 * layout.e * layout.wd * layout.tl * parts : 0;
  return 4 * (3 * map + 2 * layout.wd * dims.n + red + join) + extra;
}
