/**
 * Tunables of the selective scan's WGSL programs, and the workgroup size of the backward they imply.
 */
import type { BlocksBackwardDiagnostic } from './blocks-backward-program';
import type { LanesDiagnostic } from './lanes-forward-program';

/**
 * Tunables of the WGSL kernels. bench/gpu.ts sweeps them on the H200 (bench/RESULTS.md); the
 * comments give the measurement behind each default.
 */
export const scanTuning = {
  /**
   * forward algorithm: 'sequential' (one invocation per (b, channel) over all t), 'chunked' (one per
   * (b, channel, chunk of t): chunk end states combined through workgroup memory, then each chunk
   * rescanned from its true start state; more parallel, twice the arithmetic), or 'auto'
   * (chunked from `chunkedFromLength` steps on)
   */
  forwardMode: 'auto' as 'auto' | 'sequential' | 'chunked' | 'states' | 'blocks' | 'lanes' | 'staged',
  chunkedFromLength: 128,
  /** invocations per workgroup of the sequential forward */
  forwardWorkgroup: 64,
  /**
   * time steps of u and z loaded ahead in the sequential forward (H200 sweep, bench/RESULTS.md,
   * B 64, L 1024: P 1 1.57 ms, P 4 1.99, P 8 1.62; P 4 kept: it was best on SwiftShader and at the
   * short L where the sequential kernel runs)
   */
  forwardPrefetch: 4,
  /**
   * chunked forward: channels x chunks per workgroup (H200 sweep at B 64, L 1024: 32 x 4 0.584 ms,
   * 16 x 8 0.623, 8 x 16 0.759, 4 x 32 1.258)
   */
  chunkChannels: 32,
  chunks: 4,
  /**
   * 'states' forward (states-forward-program.ts: one invocation per (b, channel, state), the
   * recurrence in chunks of T steps through workgroup memory): invocations per workgroup wanted
   * (channels = this / N) and T. Not in 'auto': slower than the chunked forward on the H200 at
   * B 64, L 1024 (1.44-5.2 vs 0.563 ms, bench/RESULTS.md 2026-12-03 17:56).
   */
  statesInvocations: 64,
  statesChunk: 32,
  /**
   * 'blocks' forward and backward (blocks-*-program.ts: a workgroup of WD channels x TL segments of
   * time, each invocation E consecutive steps, the states one after the other, the segments joined
   * through workgroup memory): WD, TL, E wanted (blocks-layout.ts fits them to the device's
   * workgroup memory). `blocks`: whether the backward's 'auto' picks the block-parallel program
   * wherever the layout fits the device (H200, B 64, L 1024: 3.43-3.50 ms against 3.92-4.06 for the
   * channel-parallel one); off, the channel-parallel backward of before (bench/replay-step.ts
   * --without blocks). The block-parallel forward is not in 'auto': it was slower there
   * (0.582-0.656 ms against the chunked 0.550-0.558, bench/RESULTS.md, session 15). WD 64 x TL 4 x
   * E 4 since session 19 (with `blocksSlim`: 3.29-3.31 ms against 3.60 for WD 32 x TL 8 as it ran
   * before, in the same call)
   */
  blocks: true,
  blocksChannels: 64,
  blocksSegments: 4,
  blocksSteps: 4,
  /**
   * 'lanes' forward (lanes-forward-program.ts, devices with WGSL subgroups): the states of a channel
   * over neighbouring lanes of a subgroup; invocations per workgroup, and whether 'auto' picks it
   * where the device has subgroups (H200, B 64, L 1024: 0.570 / 0.586 / 0.599 ms at 64 / 128 / 256
   * invocations against 0.589 for the chunked forward in the same call; the paper-size Mamba and
   * MambaFormer steps 2-4 % faster with it at 128)
   */
  lanesWorkgroup: 128,
  /** at most this many lanes per channel (fewer: more channels a subgroup, more states a lane) */
  lanesPerChannelMax: 16,
  /**
   * the lane-parallel forward reads a block's B_t and C_t into registers before its steps (no faster
   * on the H200: bench/RESULTS.md, session 15's call 8)
   */
  lanesPrefetch: false,
  lanes: true,
  /**
   * 'staged' forward (staged-forward-program.ts: one invocation per (b, channel, lane), tiles of T
   * steps whose x_dbl rows, u and z are copied into workgroup memory, the next tile's loads in flight
   * during this tile's steps): channels per workgroup, lanes per channel (above 1 only with
   * subgroups), T, steps written out per loop turn, Δ and the gate in a prepass (off: slower on the
   * H200 in all but one layout, session 16's call 4). `staged`: whether
   * 'auto' runs it wherever this layout fits the device's workgroup memory unchanged (H200, B 64,
   * L 1024, Di 256, N 16, session 16: this layout 0.332-0.381 ms in three rows, against 0.55-0.64
   * for the lane-parallel and chunked forwards; bench/RESULTS.md has the sweep)
   */
  staged: true,
  stagedChannels: 64,
  stagedLanes: 1,
  stagedSteps: 16,
  stagedUnroll: 4,
  stagedPrepass: false,
  /**
   * the staged forward's steps as one basic block (staged-forward-program.ts `lean`: branch-free
   * softplus, exp2, the stores after the written-out steps); off: on the H200 (session 18) it led in
   * two calls and was 1.7x slower in a third, and the steps could not tell them apart
   */
  stagedLean: false,
  /**
   * the staged forward's chunks of L walked side by side (staged-forward-program.ts, `chunks`): K
   * times the warps for a second pass over each chunk; 1: none (on the H200, session 18: 0.64-0.83 ms
   * against 0.34-0.53 without chunks)
   */
  stagedChunks: 1,
  /** timing diagnostics of the lane-parallel forward (bench/gpu.ts; wrong output by design) */
  lanesDiagnostic: 'none' as LanesDiagnostic,
  /** the block-parallel forward: states whose segment maps meet at one barrier */
  blocksStateGroup: 1,
  /** the block-parallel programs: each chunk's x_dbl rows copied into workgroup memory first */
  blocksStageRows: false,
  /**
   * the block-parallel backward's sums over channels: a column of a chunk's steps by one invocation
   * ('serial'), or by several and a second level ('parallel', where it fits the workgroup memory;
   * H200, session 19: 3.17-3.22 ms against 3.55 at WD 64 x 4 x 4 while d dt_low went two columns at
   * a time, 4.8-5.1 since it goes in one pass: the one-pass form takes more registers), or by
   * subgroup shuffles over the Q lanes of a segment's channels and one barrier a chunk ('subgroup',
   * blocks-backward-sums.ts; where the device has subgroups and it fits, else 'serial'). 'auto' runs
   * 'subgroup': H200, session 20 (call 20a, both runs within 1.01x), WD 64 x 4 x 4 slim 2.97-3.01 ms
   * against 3.30 serial; the paper-size steps (replayed, batches ahead) Mamba 4.40 / MambaFormer 5.43
   * ms against 4.74 / 5.64
   */
  blocksSums: 'subgroup' as 'serial' | 'parallel' | 'subgroup',
  /**
   * the block-parallel backward's first pass: per state through workgroup memory ('per-state', N
   * barriers a chunk), or all states' maps at once ('together', two barriers a chunk; H200, session
   * 19: faster with the parallel sums at E 8, 3.42-3.46 against 3.56-3.60 at WD 32 x 4 x 8, slower
   * with the serial sums at 64 x 4 x 4, 4.73-4.77 against 3.29-3.31)
   */
  blocksPhase1: 'per-state' as 'per-state' | 'together',
  /**
   * with the parallel sums: states of the block-parallel backward whose maps meet at one barrier and
   * whose sums at the next (halved until it fits the workgroup memory; H200, session 19: slower at
   * every layout timed, 3.9-6.1 ms)
   */
  blocksStates: 1,
  /**
   * the block-parallel backward with fewer registers: A, W and the chunk's starting states read where
   * used (H200, session 19's call c, both runs within 1.01x: WD 64 x 4 x 4 3.29-3.31 ms slim against
   * 3.41-3.44 not; WD 32 x 8 x 4 3.33-3.35 against 3.60; the registers decide how many of its
   * 256-invocation workgroups an SM holds). 'auto': slim unless the chunks' starts come from their
   * own pass; with that pass and the subgroup sums the full form is the faster one at every layout
   * timed (H200, session 20: WD 64 x 4 x 4 2.73-2.75 ms against 3.01-3.03 slim; 32 x 4 x 8 3.13-3.14
   * against 3.44-3.46; 64 x 4 x 8 3.01-3.08 against 3.31-3.32)
   */
  blocksSlim: 'auto' as boolean | 'auto',
  /**
   * the block-parallel backward's dA accumulators in workgroup memory (fewer registers again; H200,
   * session 19: slower, 4.68-4.70 ms against 3.29-3.31 at WD 64 x 4 x 4)
   */
  blocksSharedDA: false,
  /**
   * the block-parallel backward's chunk starting states: from its first pass ('phase1', the segment
   * maps per state through workgroup memory), or from a dispatch of their own before it ('pass',
   * blocks-starts-program.ts: one invocation per (b, channel) walking t with the states in
   * registers; WC channels a workgroup, tiles of TS steps staged; one dispatch and one buffer of
   * B x chunks x N x Di floats more). 'auto': the pass from `blocksStartsFromChunks` chunks on. H200,
   * session 20: at L 1024 (64 chunks) the fastest form, 2.73-2.75 ms with the subgroup sums against
   * 2.97-3.01 without the pass; at the paper's L 82 (6 chunks) the steps were slower with it (Mamba
   * 4.60 / MambaFormer 5.61 ms against 4.40 / 5.43, one run each); lengths between were not timed
   */
  blocksStarts: 'auto' as 'auto' | 'phase1' | 'pass',
  /** 'auto' takes the starts from their own pass from this many chunks on (L 512 at T 16) */
  blocksStartsFromChunks: 32,
  blocksStartsChannels: 64,
  blocksStartsSteps: 16,
  /** timing diagnostics of the block-parallel backward (bench/gpu.ts; wrong gradients by design) */
  blocksDiagnostic: 'none' as BlocksBackwardDiagnostic,
  /**
   * backward algorithm: 'channels' (backward-program.ts: one invocation per (b, channel), N states
   * in registers, the xdbl gradient summed over the workgroup's channels through workgroup memory
   * at every time step), 'states' (states-backward-program.ts: one invocation per (b, channel lane,
   * state), tiles of T steps, sums through workgroup memory once per tile) or 'auto' (= 'channels'
   * until the H200 says otherwise; 'states' is also skipped where its layout does not fit)
   */
  backwardMode: 'auto' as 'auto' | 'channels' | 'states' | 'blocks' | 'staged',
  /**
   * 'staged' backward (staged-backward-program.ts: the channel-parallel backward with each tile's
   * x_dbl rows, u, z and dy staged in workgroup memory as the staged forward does): channels per
   * workgroup, T (at least N); `stagedBackward`: whether 'auto' runs it where that layout fits (off:
   * on the H200 it took 3.37 ms against 3.45 for the block-parallel backward, session 16's call 4,
   * within the spread between calls)
   */
  stagedBackward: false,
  stagedBackwardChannels: 64,
  stagedBackwardSteps: 16,
  /**
   * the staged backward's per-step sums over channels: through workgroup memory, or by subgroup
   * shuffles (a reduce-scatter over min(32, the device's smallest subgroup) lanes, the tile's states
   * in workgroup memory; where the device has subgroups; on the H200, session 18: 6.3 ms against 3.4
   * for the block-parallel backward); 'aligned': the
   * subgroup sums with each lane's states permuted in vec4 blocks so that the reduce-scatter's levels
   * over the low lane bits need no selects (where N / 4 is a power of two above 1; else as
   * 'subgroup'; on the H200 7.1-9.0 ms)
   */
  stagedBackwardSums: 'workgroup' as 'workgroup' | 'subgroup' | 'aligned',
  /**
   * with subgroup sums: lanes a channel in the staged backward (2: its states over 2 neighbouring
   * lanes, N a multiple of 8; twice the warps for the same channels, for a walk that one warp a
   * scheduler leaves latency-bound; on the H200 7.4-7.5 ms)
   */
  stagedBackwardLanes: 1 as 1 | 2,
  /** invocations (channels) per workgroup of the backward (clamped by workgroup memory) */
  backwardWorkgroup: 64,
  /**
   * 'states' backward: invocations per workgroup wanted (channel lanes = this / N), tile length T
   * (raised to N) and channels per lane walked one after the other (partial sums G = Di / (lanes x
   * this): fewer partials, less parallelism); all clamped to 16 KiB of workgroup memory
   */
  statesBackwardInvocations: 64,
  statesBackwardChunk: 16,
  statesBackwardRounds: 1,
  /**
   * workgroup memory the 'states' backward may use, bytes, capped by the device's limit (16 KiB is
   * what every WebGPU device grants; more lets more lanes share a workgroup: fewer partials)
   */
  statesBackwardStorage: 16384,
  /**
   * the backward's parameters packed into one buffer by a dispatch of their own: 'auto' (only
   * where the device binds fewer than 12 storage buffers) or always (tests of that path)
   */
  backwardPack: 'auto' as 'auto' | 'always',
};

/** Workgroup size of the backward: <= requested, power of two, reduction buffer within 16 KiB. */
export function backwardWorkgroup(s: number, requested = scanTuning.backwardWorkgroup): number {
  const stride = s | 1;
  let wg = 1;
  while (wg * 2 <= requested && wg * 2 * stride * 4 <= 16384) wg *= 2;
  return wg;
}
