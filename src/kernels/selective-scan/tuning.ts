/**
 * Tunables of the selective scan's WGSL programs, and the workgroup size of the backward they imply.
 */
import type { BlocksBackwardDiagnostic } from './blocks-backward-program';
import type { LanesDiagnostic } from './lanes-forward-program';
import type { StagedBackwardDiagnostic } from './staged-backward-program';
import type { StagedDiagnostic } from './staged-layout';

/**
 * Tunables of the WGSL kernels. bench/gpu.ts sweeps them on the H200 (bench/RESULTS.md); the
 * comments give the measurement behind each default.
 */
export const scanTuning = {
  /**
   * forward algorithm: 'staged', 'lanes', 'sequential' (one invocation per (b, channel) over all t),
   * 'chunked' (one per (b, channel, chunk of t): chunk end states combined through workgroup memory,
   * then each chunk rescanned from its true start state; more parallel, twice the arithmetic), or
   * 'auto' (index.ts: the staged forward where its layout fits, else the lane-parallel one where the
   * device has subgroups, else chunked from `chunkedFromLength` steps on, else sequential)
   */
  forwardMode: 'auto' as 'auto' | 'sequential' | 'chunked' | 'lanes' | 'staged',
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
   * the block-parallel backward (blocks-backward-program.ts: a workgroup of WD channels x TL segments
   * of time, each invocation E consecutive steps, the states one after the other, the segments joined
   * through workgroup memory): WD, TL, E wanted (blocks-layout.ts fits them to the device's
   * workgroup memory). `blocks`: whether the backward's 'auto' picks it wherever the layout fits the
   * device (H200, B 64, L 1024: 3.43-3.50 ms against 3.92-4.06 for the channel-parallel one); off,
   * the channel-parallel backward (bench/replay-step.ts --without blocks). WD 64 x TL 4 x E 4 since
   * session 19 (with `blocksSlim`: 3.29-3.31 ms against 3.60 for WD 32 x TL 8 as it ran before, in
   * the same call)
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
   * subgroups), T and steps written out per loop turn. `staged`: whether 'auto' runs it wherever this layout fits the device's workgroup memory unchanged (H200, B 64,
   * L 1024, Di 256, N 16, session 16: this layout 0.332-0.381 ms in three rows, against 0.55-0.64
   * for the lane-parallel and chunked forwards; bench/RESULTS.md has the sweep). A prepass for Δ and
   * the gate, a "lean" written-out turn and chunks of L walked side by side were timed slower and
   * removed (session 21; bench/RESULTS.md)
   */
  staged: true,
  stagedChannels: 64,
  /**
   * 4 lanes a channel where the device's subgroups passed the layout check and N is a multiple of 16
   * (else 2 or 1: stagedPlan in index.ts keeps the rest of the layout), 4 steps a turn, each step's
   * inputs computed by one lane (stagedShare). Session 24, H100, B 64, L 1024, Di 256, medians:
   * call 24s (10 processes) 0.316 ms against 0.382 for 2 lanes, U 2 without sharing (2 lanes, U 4,
   * shared 0.344); calls 24f, 24f2, 24a (10, 10, 8 processes): 0.291, 0.306, 0.335 ms against 0.374,
   * 0.402, 0.451 for session 23's 1 lane, U 4 (27-30 % of copy against 20-24 %); calls 24r / 24c (12 / 10 processes): 2 lanes, U 2 0.377-0.383 ms against 0.438-
   * 0.486 for session 23's 1 lane, U 4. The H200's call 23ab had 2 lanes ahead of 1 too
   */
  stagedLanes: 4,
  stagedSteps: 16,
  stagedUnroll: 4,
  /**
   * steps a turn of the staged u and z where a turn's inputs are shared (sp > 1; stagedUnroll
   * elsewhere, and for u and z by lane and the backward's starts walk). H100 calls c30l and c30u
   * (bench/RESULTS.md, session 30), GPU time: B 64, L 1024 0.213-0.214 ms against 0.224-0.226 at U 4
   * (4 processes), B 100 0.400 against 0.424, the paper's Mamba shape 0.047 against 0.049; U 16
   * 0.215-0.216. U 8 by lane was level with U 4 (0.237 / 0.358 / 0.043)
   */
  stagedSharedUnroll: 8,
  /**
   * the staged forward's Δ softplus without branches: level with the branches on an H100 in session
   * 22 (0.330-0.353 ms against 0.337-0.356); on since session 29, where with y scattered (below) it
   * took 0.260-0.263 ms against 0.266-0.273 with the branches (H100 call c29s, 3 processes)
   */
  stagedBranchless: true,
  /**
   * the staged forward's loop turn in phases (StagedLayout.grouped: Δ, the gates and Δ u of its U steps
   * first, then the states, then the stores) and exp(Δ A) as exp2 with log2 e folded into A. H200,
   * session 23 (call 23ab: every staged row in 16 processes, medians): 'auto''s layout 0.395 ms with
   * both against 0.450 without (in phases alone 0.400, exp2 alone 0.436; U 2 0.384, U 8 0.459); the
   * paper-size steps level (Mamba 4.54 / 4.43 ms, MambaFormer 5.29 / 5.53). Δ in a pass of its own
   * or for a tile at once, staged as a third column, ran twice as slow as Δ in the walk on an H100
   * and an H200 and were removed (bench/RESULTS.md, sessions 22-23)
   */
  stagedGrouped: true,
  stagedExp2: true,
  /**
   * the staged forward's rows copied as x_dbl's own vec4s where R and N are multiples of 4
   * (StagedLayout.vecRows: one load a vec4, no padding arithmetic). H100 call 24r, medians of 12:
   * 0.377 ms against 0.389 at 2 lanes, U 2; 0.422 against 0.486 at 1 lane, U 4; the no-scan
   * diagnostic 0.269 against 0.286
   */
  stagedVecRows: true,
  /**
   * the staged forward's inputs of a turn (Δ, the gate, Δ u) computed once a channel, by the lane
   * owning the step, and passed on by subgroup shuffles (StagedLayout.share; 2+ lanes, in phases)
   */
  stagedShare: true,
  /**
   * the staged forward's lanes of two states each (StagedLayout.halves: with stagedLanes N / 2, e.g. 8
   * lanes at N 16, 32 channels a workgroup). Off: H100 call c26l (session 27), 0.435-0.512 ms against
   * 0.306-0.329 for 'auto''s 4 lanes of 4 states (bench/RESULTS.md)
   */
  stagedHalves: false,
  /**
   * the staged forward's next tile's loads written out, its register arrays indexed by constants
   * (StagedLayout.namedLoads), not by loops: level on an H100 (0.275-0.305 ms against 0.275-0.294,
   * calls c29f and c29s): the driver's compiler unrolls the loops already. Off
   */
  stagedNamedLoads: false,
  /**
   * the staged forward's sums of y over a channel's lanes by a reduce-scatter a group of SP steps
   * (StagedLayout.scatter, with stagedShare): 3 shuffles a turn of 4 steps at 4 lanes, not 8, and y
   * computed once a lane. H100 call c29s (3 processes, B 64, L 1024, Di 256): 0.266-0.273 ms against
   * 0.275-0.380 for 'auto' as it was; with the softplus without branches 0.260-0.263 (33.7 % of
   * copy), and faster by the median in four of five calls at L 1024. At the paper's Mamba shape
   * mixed: 0.084-0.091 against 0.091-0.097 in c29q, 8-15 % slower on two slow cards (c29d, c29h);
   * the paper-size steps level (bench/RESULTS.md, session 29)
   */
  stagedScatter: true,
  /**
   * the staged forward's u_t and z_t loaded by the lane that needs them, a turn ahead, not staged in
   * workgroup memory (StagedLayout.laneUz, where the inputs are shared), in tiles of
   * `stagedLaneUzSteps`: a fifth of the workgroup memory, so an SM holds more workgroups (the staged
   * layout otherwise: no subgroups, or N not whole vec4s a lane). H100 call c29z (bench/RESULTS.md,
   * session 29), ms, against 'auto' before it: B 64, L 1024 0.292-0.304 against 0.286-0.363; B 67
   * 0.334-0.364 against 0.463-0.511; B 100 0.422-0.448 against 0.488-0.969; the paper's Mamba
   * shape 0.135-0.171 against 0.158-0.160; T 16 lost (0.360-0.378 at B 64): a turn ahead is too
   * little time for the loads. Under 'auto' only from stagedLaneUzFromGroups workgroups on
   */
  stagedLaneUz: true,
  stagedLaneUzSteps: 32,
  /**
   * (stagedLaneUz, under 'auto') only for problems of this many workgroups (B x Di / 64) or more;
   * fewer run the staged u and z (T 16). H200, GPU time (timestamp queries), session 30 (calls c30g,
   * c30a, bench/RESULTS.md): B 64, L 1024, Di 256 (256 workgroups) staged 0.220-0.221 ms, by lane
   * 0.229-0.235; B 100 (400) staged 0.420-0.422, by lane 0.369; the paper's Mamba shape (B 64, Di 512:
   * 512) staged 0.046-0.047, by lane 0.040. Two workgroups an SM or fewer: the staged tile hides u
   * and z's loads better; more: by lane, a workgroup takes less memory and an SM holds more of them
   */
  stagedLaneUzFromGroups: 384,
  /**
   * (stagedLaneUz) how many loop turns ahead a lane loads its u_t and z_t (StagedLayout.laneAhead).
   * H200 call c30a (GPU time, B 64, L 1024, T 32): 1 turn 0.229-0.231 ms, 2 turns 0.242-0.243, 4
   * turns 0.291-0.292; at T 16: 2 and 4 turns 0.309-0.312 (more registers a lane, fewer lanes an SM)
   */
  stagedLaneUzAhead: 1,
  /** timing diagnostics of the staged forward (bench/gpu.ts; wrong output by design) */
  stagedDiagnostic: 'none' as StagedDiagnostic,
  /** timing diagnostics of the lane-parallel forward (bench/gpu.ts; wrong output by design) */
  lanesDiagnostic: 'none' as LanesDiagnostic,
  /**
   * the block-parallel backward's sums over channels: a column of a chunk's steps through workgroup
   * memory by one invocation ('serial'), or by subgroup shuffles over the Q lanes of a segment's
   * channels and one barrier a chunk ('subgroup', blocks-backward-sums.ts; where the device has
   * subgroups and it fits, else 'serial'). H200, session 20 (call 20a, both runs within 1.01x): WD 64
   * x 4 x 4 slim 2.97-3.01 ms against 3.30 serial; the paper-size steps (replayed, batches ahead)
   * Mamba 4.40 / MambaFormer 5.43 ms against 4.74 / 5.64
   */
  blocksSums: 'subgroup' as 'serial' | 'subgroup',
  /**
   * the block-parallel backward with fewer registers: A, W and the chunk's starting states read where
   * used (H200, session 19's call c, both runs within 1.01x: WD 64 x 4 x 4 3.29-3.31 ms slim against
   * 3.41-3.44 not; the registers decide how many of its 256-invocation workgroups an SM holds). Slim
   * with the starts pass too since session 23: at WD 64 x 4 x 4 the slim form was at or ahead of the
   * full one in every call of sessions 21-23 (H200 calls 21k, 21p, 23t: 2.27-2.33 ms against
   * 2.36-2.74 at L 1024, 0.46-0.49 against 0.51 at the paper's L 82; H100 call 23p: 2.31-2.41
   * against 2.65-2.66), where session 20 (one call) had the full form ahead with the pass
   */
  blocksSlim: true,
  /**
   * the block-parallel backward's B_t[n] and C_t[n] read once a state into registers
   * (BlocksBackwardOptions.rows). Level or faster wherever timed in session 25 (medians): H200 call
   * c25r at L 1024, 64 x 4 x 4 2.294 ms against 2.30, 32 x 8 x 4 2.50 against 2.76; H100 call c25s
   * with the staged starts 2.13 against 2.14-3.2 (bimodal); the paper's Mamba shape level (0.45)
   */
  blocksRows: true,
  /**
   * with the subgroup sums: the segment maps of this many states before one barrier
   * (BlocksBackwardOptions.ahead; halved until the workgroup memory holds them), instead of a barrier
   * a state. 1: H100 call c26l (session 27), WD 64 x 4 x 4 with 4 or 8 states a barrier 3.36-3.54 ms
   * against 2.21-2.23 (more registers, fewer warps an SM)
   */
  blocksAhead: 1,
  /**
   * with the subgroup sums: each channel's states split over this many parts of the workgroup
   * (BlocksBackwardOptions.parts: WD x TL x parts invocations, so with WD 64 x TL 4 none; e.g. WD 16 x
   * TL 4 x 4 parts), a quarter of the chain a part. 1: H100 call c26l (session 27), 3.11-3.23 ms at its
   * best layouts against 2.21-2.23 (the parts' sums through workgroup memory cost more than they save)
   */
  blocksParts: 1,
  /**
   * with the subgroup sums: a channel's TL segments on neighbouring lanes of a subgroup, their maps
   * joined by shuffles (BlocksBackwardOptions.segLanes, blocks-segment-lanes.ts): no barrier a state,
   * two a chunk; the sums over channels over Q = 32 / TL channel lanes TL apart. Off: H100 call c26l
   * (session 27), 2.30-2.31 ms at its best (64 x 2 x 8) against 2.21-2.23; at 64 x 4 x 4 2.85-2.88
   */
  blocksSegLanes: false,
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
  /**
   * the starts pass as the staged forward's walk (stagedForwardProgram with startsChunk: the staged
   * layout's lanes a channel, inputs shared, vec4 rows; C_t, z and y left out) instead of the one-lane
   * walk (blocks-starts-program.ts: WC invocations a workgroup, one a channel, a quarter of the
   * staged forward's invocations). Session 25, H100 call c25s (8 processes, medians), B 64, L 1024,
   * Di 256: the starts alone 0.223 ms against 0.380; 'auto''s backward 2.13 ms against 2.28
   */
  blocksStartsStaged: true,
  /** timing diagnostics of the block-parallel backward (bench/gpu.ts; wrong gradients by design) */
  blocksDiagnostic: 'none' as BlocksBackwardDiagnostic,
  /**
   * backward algorithm: 'channels' (backward-program.ts: one invocation per (b, channel), N states
   * in registers, the xdbl gradient summed over the workgroup's channels through workgroup memory
   * at every time step), 'blocks' (blocks-backward-program.ts), 'staged' (staged-backward-program.ts:
   * a channel's states over lanes, chunks of written-out steps, after the starts pass; where its
   * layout or no starts pass fits, as 'auto') or 'auto' (the block-parallel one where `blocks` is on
   * and its layout fits the device, else 'channels')
   */
  backwardMode: 'auto' as 'auto' | 'channels' | 'blocks' | 'staged',
  /**
   * the staged backward (backwardMode 'staged', staged-backward-program.ts): channels a workgroup,
   * lanes a channel (its states split over them, where the device has subgroups) and steps a chunk
   * (the starts pass's chunk: the steps are written out, their h_t, Δ_t and u_t held in registers).
   * `stagedBackwardFill` (0: off) fits them to the problem (index.ts stagedBackwardFit): the fewest
   * lanes a channel (a power of two, at most `stagedBackwardLanes`) giving B x Di x lanes >= Fill
   * invocations, `stagedBackwardWorkgroup` / lanes channels a workgroup, and K up to
   * `stagedBackwardSteps` with K x N / lanes <= `stagedBackwardStates` (a lane's states held over
   * a chunk); `stagedBackwardChannels` is then unused. Timed on an H100 (session 28,
   * bench/plans/h200-28.sh sweep and fit): the fastest layouts have ~32768 invocations and 64 states a
   * lane. B 64, L 1024, Di 256: 64 ch x 2 lanes x K 8 1.70-1.73 ms (K 4 1.72-1.76, K 16 4.97: registers),
   * 1 lane 2.24-2.30, 4 lanes 2.07-3.02, the block-parallel backward 2.47-2.60. B 64, L 82, Di 512 (the
   * paper's Mamba): 128 x 1 x 4 0.325 ms, 2 lanes 0.375-0.40, block-parallel 0.51-0.52. B 128, L 1024,
   * Di 256: 128 x 1 x 4 2.66 ms, 64 x 2 x 8 3.27, block-parallel 4.06. B 16, L 64, Di 128: 32 x 4 x 4
   * 0.186 ms, block-parallel 0.262. `stagedBackward`: 'auto' takes it on hardware GPUs (never on a
   * software adapter, whose compiler cannot take the written-out chunk) where it fits as wanted
   */
  stagedBackward: true,
  stagedBackwardChannels: 64,
  stagedBackwardLanes: 4,
  stagedBackwardSteps: 8,
  stagedBackwardFill: 32768,
  stagedBackwardWorkgroup: 128,
  stagedBackwardStates: 64,
  /**
   * the staged backward's chunk starts by a pass of their own from this many chunks on; below it each
   * invocation writes its own in a forward walk before the chunks (one dispatch fewer a Mamba layer: at
   * the paper's L 82, 21 chunks of 4). Not timed for this form: 32 is the block-parallel backward's
   * blocksStartsFromChunks, timed for that one
   */
  stagedBackwardInlineChunks: 32,
  /**
   * the staged backward's chunk rows of x_dbl staged in workgroup memory, double-buffered (the next
   * chunk's rows loaded before this chunk's walk, stored after it) and read from there by the steps.
   * Session 28's form (loaded and stored in one loop, one barrier more a chunk) was not separable from
   * the spread. Session 29's, H100 calls c29f and c29s: level at L 1024 (1.723-1.736 ms against
   * 1.750-1.761), 0.376-0.387 against 0.414-0.442 at the paper's Mamba shape (3 processes). On
   */
  stagedBackwardRows: true,
  /** timing diagnostics of the staged backward (bench/gpu.ts; wrong gradients by design) */
  stagedBackwardDiagnostic: 'none' as StagedBackwardDiagnostic,
  /** the staged backward's chunk written out step by step (registers), or loops over arrays */
  stagedBackwardWritten: true,
  /** the staged backward's Δ and u of a step computed by one lane of the channel and shuffled to the others */
  stagedBackwardShare: true,
  /** invocations (channels) per workgroup of the backward (clamped by workgroup memory) */
  backwardWorkgroup: 64,
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
