/**
 * The staged forward's layout (staged-forward-program.ts): channels a workgroup, lanes a channel,
 * steps a tile and how a loop turn is written; the rule that fits it to a device's subgroups and
 * workgroup memory, and the memory it takes.
 */
export interface StagedLayout {
  /** channels per workgroup */
  wc: number;
  /** lanes per channel (1: every state in one invocation) */
  sp: number;
  /** steps per tile */
  t: number;
  /** steps of the tile's loop written out one after the other (a divisor of T; default 1) */
  unroll?: number;
  /** Δ's softplus without branches (softplusb: no divergence between a subgroup's lanes; default false) */
  branchless?: boolean;
  /**
   * a loop turn's U steps in three phases (default false): first what no state depends on (Δ_t, the
   * gate, Δ_t u_t) for all U steps, then the states' updates step after step, then the U stores of
   * y under one branch; the steps' independent chains (Δ's dot product and softplus) side by side
   * in straight-line code, the stores no longer between the steps
   */
  grouped?: boolean;
  /** exp(Δ A_n) as exp2(Δ (A_n log2 e)): log2 e folded into A_n once (default false) */
  exp2?: boolean;
  /**
   * where R and N are multiples of 4 (a staged row is then the x_dbl row itself, S = 4 RS floats),
   * the tile's rows copied as whole vec4s of x_dbl bound as vec4s, one load each, instead of four
   * scalar loads through rowAt's padding arithmetic (default false; ignored elsewhere)
   */
  vecRows?: boolean;
  /**
   * with SP lanes a channel, a turn in phases and U a multiple of SP: step k's Δ, gate and Δ u
   * computed once a channel, by lane k mod SP, Δ and Δ u passed to the other lanes by subgroup
   * shuffles, y_k computed and stored by that lane (default false: every lane computes every step's)
   */
  share?: boolean;
  /**
   * lanes of two states each (N = 2 SP): a lane's B_t and C_t are half of a row's vec4, picked by one
   * select (default false: a lane's states are whole vec4s, N a multiple of 4 SP)
   */
  halves?: boolean;
  /**
   * the next tile's loads and stores written out, each indexing its register array by a constant, not
   * loops over the arrays: nothing a compiler might keep in local memory, where each load would wait
   * for the one before it to be stored (default false)
   */
  namedLoads?: boolean;
  /**
   * (share) each group of SP steps' sums over the channel's lanes by one reduce-scatter (SP - 1
   * shuffles) that leaves lane q holding step q's sum, the step whose y it stores: not log2 SP
   * shuffles a step on every lane, nor y computed for every step and picked by selects (default false)
   */
  scatter?: boolean;
  /**
   * (share) u_t and z_t not staged: each lane loads those of its own steps (m SP + q) from global
   * memory itself, a loop turn ahead, into registers; the workgroup memory then holds only the rows,
   * a quarter of it at 64 channels (default false)
   */
  laneUz?: boolean;
  /**
   * (laneUz) how many loop turns ahead a lane loads its u_t and z_t (default 1): each load has A turns
   * of steps to arrive, in A registers of each a lane rotates through
   */
  laneAhead?: number;
}

/** Whether SP lanes a channel hold N states: whole vec4s each, or (halves) two states each. */
export function lanesFit(n: number, sp: number, halves: boolean): boolean {
  return n % (4 * sp) === 0 || (halves && n === 2 * sp);
}

/** Whether the staged rows can be copied as x_dbl's own vec4s: R and N multiples of 4. */
export function vecRowsFit(r: number, n: number): boolean {
  return r % 4 === 0 && n % 4 === 0;
}

/**
 * Timing diagnostics (bench/gpu.ts only; the output is then wrong by design), each leaving out one
 * part of a step: 'no-exp' replaces exp(Δ A) by 1 + Δ A (no exponential unit), 'no-delta' replaces
 * Δ's projection and softplus by a constant (dt_low's staged loads then go unread), 'no-scan' leaves
 * out the states altogether (what is left: the staging, Δ, the gate, the D skip and the stores).
 */
export type StagedDiagnostic = 'none' | 'no-exp' | 'no-delta' | 'no-scan';

/** Whether the staged walk can write the starts of chunks of K steps: K whole loop turns. */
export function startsChunkFits(layout: StagedLayout, k: number): boolean {
  const unroll = Math.max(1, Math.min(layout.t, layout.unroll ?? 1));
  return Number.isInteger(k) && k >= 1 && k % unroll === 0;
}

/** vec4s of a staged row: dt_low, B_t and C_t, each padded to whole vec4s */
export function stagedRowVecs(r: number, n: number): number {
  return Math.ceil(r / 4) + 2 * Math.ceil(n / 4);
}

/** Workgroup memory of the staged forward, bytes: two tiles of rows, u and z (not with laneUz). */
export function stagedForwardBytes(t: number, r: number, n: number, wc: number, laneUz = false) {
  return 2 * t * (stagedRowVecs(r, n) * 16 + (laneUz ? 0 : 2 * wc * 4));
}

/**
 * The layout for wanted channels per workgroup, lanes per channel and steps per tile, on a device
 * whose subgroups have at least `subgroupMin` lanes (null: no subgroups) and `storage` bytes of
 * workgroup memory. Lanes per channel above 1 need subgroups, at least that many lanes, and N a
 * multiple of 4 x SP (each lane's states are whole vec4s of a row); otherwise 1. Channels x lanes
 * are at most 256 invocations; the tile, then the channels, halve until the staging fits.
 */
export function stagedLayout(
  n: number,
  r: number,
  wanted: StagedLayout,
  subgroupMin: number | null,
  storage: number,
): StagedLayout | null {
  const pow2 = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(x))));
  let sp = pow2(wanted.sp);
  const halvesWanted = wanted.halves === true;
  while (sp > 1 && (subgroupMin === null || sp > subgroupMin || !lanesFit(n, sp, halvesWanted))) sp >>= 1;
  let wc = pow2(wanted.wc);
  while (wc * sp > 256 && wc > 1) wc >>= 1;
  if (wc * sp > 256) return null;
  let t = pow2(wanted.t);
  // shared inputs (and laneUz with them) need U, as the tile allows it, a multiple of SP
  const shares = (tt: number) =>
    wanted.share === true &&
    sp > 1 &&
    wanted.grouped === true &&
    Math.min(tt, pow2(wanted.unroll ?? 1)) % sp === 0;
  const laneUz = (tt: number) => wanted.laneUz === true && shares(tt);
  while (stagedForwardBytes(t, r, n, wc, laneUz(t)) > storage) {
    if (t > 4 || (t > 1 && wc === 1)) t >>= 1;
    else if (wc > 1) wc >>= 1;
    else return null;
  }
  const unroll = Math.min(t, pow2(wanted.unroll ?? 1));
  return {
    wc,
    sp,
    t,
    ...(unroll > 1 ? { unroll } : {}),
    ...(wanted.branchless ? { branchless: true } : {}),
    ...(wanted.grouped ? { grouped: true } : {}),
    ...(wanted.exp2 ? { exp2: true } : {}),
    ...(wanted.vecRows && vecRowsFit(r, n) ? { vecRows: true } : {}),
    ...(wanted.share && sp > 1 && wanted.grouped && unroll % sp === 0 ? { share: true } : {}),
    ...(halvesWanted && sp > 1 && n % (4 * sp) !== 0 ? { halves: true } : {}),
    ...(wanted.namedLoads ? { namedLoads: true } : {}),
    ...(wanted.scatter && wanted.share && sp > 1 && wanted.grouped && unroll % sp === 0
      ? { scatter: true }
      : {}),
    ...(laneUz(t) ? { laneUz: true } : {}),
    ...(laneUz(t) && (wanted.laneAhead ?? 1) > 1 ? { laneAhead: Math.floor(wanted.laneAhead ?? 1) } : {}),
  };
}
