/**
 * WGSL: the lane-parallel forward, for devices with WGSL `subgroups`. One invocation per (b, channel,
 * lane): the N states of a channel are spread over LPC neighbouring lanes of a hardware subgroup
 * (lane l holds states l NPL .. l NPL + NPL - 1, NPL = N / LPC), so the recurrence h_t[n] = exp(Δ_t A_n) h_{t-1}[n] + Δ_t u_t B_t[n]
 * runs N-wide in parallel with no workgroup memory and no barrier:
 *   - the channel's lanes walk t in blocks of LPC steps; lane j first computes Δ, Δ u, u and the gate
 *     SiLU(z) of step t0 + j, and each step of the block reads Δ_t and Δ_t u_t from lane t - t0
 *     (subgroupShuffle);
 *   - each lane keeps its partial Σ_n C_t[n] h_t[n] for every step of the block, and at the block's
 *     end the partials are summed over the lanes by a transposing butterfly (LPC - 1 shuffles for LPC
 *     steps), which leaves step t0 + j's sum on lane j;
 *   - lane j writes y_{t0+j} = (Σ_n C h + D u) SiLU(z).
 * LPC is a power of two <= N and <= the device's smallest subgroup; the lanes of a channel must be
 * neighbouring lanes of one subgroup, which holds where a 1-D workgroup's invocations fill its
 * subgroups in index order (every WebGPU implementation we run on; the kernel checks compare it with
 * the reference on each device, and a lane that finds itself elsewhere writes NaN, so a device that
 * breaks the rule fails loudly, never quietly). Loops over the block's steps, the lane's states and the butterfly are
 * unrolled here, so every register array is indexed by constants.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

/**
 * Lanes per channel for N states on a device whose subgroups have at least `subgroupMin` lanes, at
 * most `max` (fewer lanes: more channels a subgroup, more states a lane).
 */
export function lanesPerChannel(n: number, subgroupMin: number, max = Number.POSITIVE_INFINITY): number {
  let lpc = 1;
  while (lpc * 2 <= n && lpc * 2 <= subgroupMin && lpc * 2 <= max) lpc *= 2;
  return lpc;
}

/**
 * Timing diagnostics (bench/gpu.ts only; the output is then wrong by design): 'no-exp' replaces
 * exp(Δ A) by 1 + Δ A, 'no-loads' reads B_t and C_t as constants instead of from x_dbl, 'no-sum'
 * leaves out the sums over lanes, 'no-scan' leaves out the block's steps altogether (what is left:
 * Δ, the gate, u, z and y moved, the floor under any forward of this layout).
 */
export type LanesDiagnostic = 'none' | 'no-exp' | 'no-loads' | 'no-sum' | 'no-scan';

export function lanesForwardProgram(
  dims: Dims,
  lpc: number,
  workgroup: number,
  diagnostic: LanesDiagnostic = 'none',
  prefetch = false,
) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const npl = Math.ceil(n / lpc);
  const wg = Math.max(lpc, workgroup - (workgroup % lpc));
  const cpw = wg / lpc;
  const groupsPerB = Math.ceil(di / cpw);
  const dispatch = dispatch1d(b * groupsPerB, 1);
  const decay = (x: string) => (diagnostic === 'no-exp' ? `(1.0 + ${x})` : `exp(${x})`);
  // B_t[k] and C_t[k] of step j, state i: read where used, or (prefetch) all read at the block's start
  const bAt = (j: number, i: number, k: string) =>
    diagnostic === 'no-loads' ? '0.5' : prefetch ? `pb${j}_${i}` : `xdbl[xo + ${k}]`;
  const cAt = (j: number, i: number, k: string) =>
    diagnostic === 'no-loads' ? '0.25' : prefetch ? `pc${j}_${i}` : `xdbl[xo + N + ${k}]`;
  const loads: string[] = [];
  for (let j = 0; j < lpc && prefetch && diagnostic === 'none'; j++) {
    loads.push(`    let xo${j} = (bc * L + min(t0 + ${j}, L - 1)) * S + R;`);
    for (let i = 0; i < npl; i++) {
      const k = `min(lane * ${npl} + ${i}, N - 1)`;
      loads.push(`    let pb${j}_${i} = xdbl[xo${j} + ${k}];
    let pc${j}_${i} = xdbl[xo${j} + N + ${k}];`);
    }
  }
  const lines: string[] = [];
  // one step j of the block: the lane's states, its partial of Σ_n C h into v[j]
  for (let j = 0; j < lpc && diagnostic !== 'no-scan'; j++) {
    lines.push(`  {
      let dt = subgroupShuffle(dl, base + ${j}u);
      let dut = subgroupShuffle(dul, base + ${j}u);
      let xo = (bc * L + min(t0 + ${j}, L - 1)) * S + R;
      var part = 0.0;`);
    for (let i = 0; i < npl; i++) {
      const k = `lane * ${npl} + ${i}`;
      const guard = lpc * npl > n;
      lines.push(
        guard
          ? `      if (${k} < N) {
        h${i} = ${decay(`dt * A${i}`)} * h${i} + dut * ${bAt(j, i, k)};
        part += h${i} * ${cAt(j, i, k)};
      }`
          : `      h${i} = ${decay(`dt * A${i}`)} * h${i} + dut * ${bAt(j, i, k)};
      part += h${i} * ${cAt(j, i, k)};`,
      );
    }
    lines.push(`      v${j} = part;
    }`);
  }
  // the transposing butterfly: after the round of mask m, a lane keeps the indices whose bit m is its own
  const butterfly: string[] = [];
  for (let m = lpc / 2; m >= 1 && diagnostic !== 'no-sum'; m /= 2) {
    butterfly.push(`    let up${m} = (lane & ${m}) != 0;`);
    for (let i = 0; i < m; i++) {
      butterfly.push(`    {
      let give = select(v${i + m}, v${i}, up${m});
      let keep = select(v${i}, v${i + m}, up${m});
      v${i} = keep + subgroupShuffleXor(give, ${m}u);
    }`);
    }
  }
  return {
    name: 'ScanForwardLanes',
    key: `scanfwdl_${r}_${n}_${lpc}_${wg}_${diagnostic}_${prefetch}`,
    dispatch,
    uniforms: [b, l, di, zw, zOffset, dispatch[0], groupsPerB].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `enable subgroups;
${bindings(['y'], ['u', 'xdbl', 'zt', 'W', 'bias', 'ALog', 'Dp'], 'B: i32, L: i32, Di: i32, Zw: i32, zOff: i32, nx: i32, gpb: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const LPC = ${lpc};
const CPW = ${cpw};
${WGSL_MATH}
${FLAT_INDEX}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32,
        @builtin(subgroup_invocation_id) sgl: u32) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.gpb;
  let g = wgi - b * uni.gpb;
  let lane = lid % LPC;
  let d = g * CPW + lid / LPC;
  let base = sgl - u32(lane);
  let mapped = (sgl % ${lpc}u) == u32(lane);
  let live = d < Di && b < uni.B;
  let dc = min(d, Di - 1);
  let bc = min(b, uni.B - 1);
${Array.from({ length: npl }, (_, i) => {
  const k = `lane * ${npl} + ${i}`;
  return `  let A${i} = -exp(ALog[dc * N + min(${k}, N - 1)]);
  var h${i} = 0.0;`;
}).join('\n')}
  var w: array<f32, R>;
  for (var k = 0; k < R; k++) { w[k] = W[dc * R + k]; }
  let bi = bias[dc];
  let dd = Dp[dc];
${Array.from({ length: lpc }, (_, j) => `  var v${j} = 0.0;`).join('\n')}
  for (var t0 = 0; t0 < L; t0 += LPC) {
    // this lane's step of the block: Δ, Δ u, D u and the gate
    let tl = t0 + lane;
    let rowl = bc * L + min(tl, L - 1);
    var dtp = bi;
    for (var k = 0; k < R; k++) { dtp += xdbl[rowl * S + k] * w[k]; }
    let ul = u[rowl * Di + dc];
    var dl = 0.0;
    if (tl < L) { dl = softplusf(dtp); }
    let dul = dl * ul;
    let zl = zt[rowl * uni.Zw + uni.zOff + dc];
    let gate = zl * sigmoidf(zl);
    // the block's steps, each lane its states
${loads.join('\n')}
${lines.join('\n')}
    // Σ over the channel's lanes: step t0 + lane's sum lands in v0 of this lane
${butterfly.join('\n')}
    if (live && tl < L) {
      // a device whose subgroups do not follow the invocation index writes NaN: loud, never wrong
      y[rowl * Di + d] = select(bitcast<f32>(0x7fc00000u | (sgl & 0u)), (v0 + dd * ul) * gate, mapped);
    }
  }
}
`,
  };
}
