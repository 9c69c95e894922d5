/**
 * WGSL: the row-staged forward. One invocation per (b, channel, part of the states): with SP parts a
 * channel's N states are split over SP neighbouring lanes of a subgroup (SP 1 needs no subgroups).
 * The scan walks t in tiles of T steps; everything a tile's steps read is staged in workgroup memory:
 *   - the tile's x_dbl rows (T x S floats, contiguous in memory), each row laid out as vec4s:
 *     dt_low | B_t | C_t, each part padded to whole vec4s, so a step's B_t and C_t are N/2 vec4 loads
 *     that all lanes of a subgroup share (one broadcast), not N scalar loads from global memory;
 *   - the tile's u_t and z_t of the workgroup's channels (T rows of WC floats each, coalesced);
 *   - the staging is double-buffered (tile k in buffer k mod 2): the workgroup loads tile k + 1 into
 *     registers before the steps of tile k and stores it after them, so every global load has a
 *     tile's steps to arrive and one barrier per tile suffices;
 *   - the steps are a loop over the tile (the states unrolled, so every register is named by a
 *     constant), the equations of paper.md section 4:
 *       Δ_t = softplus(dt_low_t · W_d + bias_d)
 *       h_t[n] = exp(Δ_t A_n) h_{t-1}[n] + Δ_t u_t B_t[n]
 *       y_t = (Σ_n C_t[n] h_t[n] + D u_t) SiLU(z_t)
 *     with the Σ over a channel's SP lanes done by subgroup shuffles.
 * All global loads and the stores of y are coalesced; each exp(Δ A) is computed once; nothing of
 * size B x L x Di x N is stored.
 * The same walk, without y, is the block-parallel backward's starts pass where it fits
 * (`startsChunk`: the states at every chunk boundary, scanTuning.blocksStartsStaged).
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { remembered } from '../remembered';
import { dispatch1d } from '../runner';
import { reduceScatter } from './reduce-scatter';
import type { Dims } from './shape';
import {
  lanesFit,
  type StagedDiagnostic,
  type StagedLayout,
  startsChunkFits,
  vecRowsFit,
} from './staged-layout';
import { registerLoop, rowAtWgsl, rowsLoadWgsl } from './staged-rows-wgsl';

/**
 * WGSL: the program's bindings, x_dbl as vec4s where its rows are copied whole (vecRows); with
 * `starts` the chunk starting states are the output, and z and D are not bound
 */
function xdblBindings(vecRows: boolean, starts: boolean): string {
  const uniforms = 'B: i32, L: i32, Di: i32, Zw: i32, zOff: i32, nx: i32, gpb: i32';
  const text = starts
    ? bindings(['starts'], ['u', 'xdbl', 'W', 'bias', 'ALog'], `${uniforms}, cT: i32, ch1: i32`)
    : bindings(['y'], ['u', 'xdbl', 'zt', 'W', 'bias', 'ALog', 'Dp'], uniforms);
  if (!vecRows) return text;
  const vec = text.replace('xdbl: array<f32>;', 'xdbl: array<vec4<f32>>;');
  if (vec === text) throw new Error('staged forward: the x_dbl binding was not found');
  return vec;
}

/**
 * The staged forward (y), or with `startsChunk` the same walk writing the states a chunked backward
 * starts from (blocks-starts-program.ts's output): after step c K - 1 (K = startsChunk, c = 1 ..
 * chunks - 1) the states go to starts[b, c - 1, n, d], and what only y needs (C_t, z, the gate, D,
 * the sums over states) is left out; the walk ends at the last of those steps. K must be a multiple of
 * the steps a loop turn writes out (startsChunkFits).
 */
export const stagedForwardProgram = remembered(buildStagedForwardProgram);

function buildStagedForwardProgram(
  dims: Dims,
  layout: StagedLayout,
  diagnostic: StagedDiagnostic = 'none',
  startsChunk?: number,
) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const starts = startsChunk !== undefined;
  if (starts && !startsChunkFits(layout, startsChunk)) {
    throw new Error(`staged starts: chunks of ${startsChunk} steps are not whole loop turns`);
  }
  const { wc, sp, t: T } = layout;
  const unroll = Math.max(1, Math.min(T, layout.unroll ?? 1));
  const grouped = layout.grouped === true;
  const exp2 = layout.exp2 === true;
  const vecRows = layout.vecRows === true && vecRowsFit(r, n);
  const share = layout.share === true && sp > 1 && grouped && unroll % sp === 0;
  // y's sums over lanes by reduce-scatters (share only; not for the starts walk, which has no y)
  const scatter = layout.scatter === true && share && !starts;
  // u_t and z_t by the lane that needs them, a turn ahead (share only; the starts walk stages them)
  const laneUz = layout.laneUz === true && share && !starts;
  // ... that many turns ahead: registers un<m>, un<m>_1 .. un<m>_{A-1} (and zn), the oldest first
  const ahead = laneUz ? Math.max(1, Math.floor(layout.laneAhead ?? 1)) : 1;
  const reg = (name: string, m: number, a: number) => (a === 0 ? `${name}${m}` : `${name}${m}_${a}`);
  // a tile's columns: u, then z, T x WC values each
  const colAt = (part: number, j: string) => `uz[buf * ${2 * T * wc} + ${part * T * wc} + ${j} * ${wc} + c]`;
  const wg = wc * sp;
  const nps = n / sp;
  // two states a lane: half of a vec4 (the half picked by the lane's parity)
  const halves = layout.halves === true && sp > 1 && nps === 2;
  if (sp > 1 && !lanesFit(n, sp, halves))
    throw new Error(`staged forward: ${n} states do not fit ${sp} lanes`);
  const rv = Math.ceil(r / 4);
  const nv = Math.ceil(n / 4);
  const rs = rv + 2 * nv;
  const groupsPerB = Math.ceil(di / wc);
  const dispatch = dispatch1d(b * groupsPerB, 1);
  const rowShare = Math.ceil((T * rs) / wg);
  const colShare = Math.ceil((T * wc) / wg);
  const comp = (i: number) => 'xyzw'[i & 3];

  // invocation `lid` loads elements lid + m WG of the tile at t0: of its T x RS vec4s of padded
  // x_dbl rows, and of its T x WC values of u and of z (step e / WC, channel e % WC). Loops, not
  // unrolled code: a software GPU's compiler slows down steeply with straight-line shared-memory code
  // x_dbl bound as vec4s (vecRows): the tile's rows are vec4s (bc L + t0) RS .. + T RS of it
  const named = layout.namedLoads === true;
  const rowsLoad = (t0: string) =>
    vecRows
      ? registerLoop(
          rowShare,
          named,
          (reg) => `      let v = lid + m * ${wg};
      let ok = v < ${T * rs} && ${t0} + v / RS < L;
      ${reg('xs')} = select(vec4<f32>(0.0), xdbl[select(0, (bc * L + ${t0}) * RS + v, ok)], ok);`,
        )
      : rowsLoadWgsl(t0, rowShare, wg, T * rs, named);
  const load = (t0: string) =>
    laneUz
      ? rowsLoad(t0)
      : `${rowsLoad(t0)}
${registerLoop(
  colShare,
  named,
  (reg) => `      let e = lid + m * ${wg};
      let tj = ${t0} + e / ${wc};
      let dj = g * ${wc} + e % ${wc};
      let ok = e < ${T * wc} && tj < L && dj < Di;
      let row = bc * L + tj;
      ${reg('xu')} = select(0.0, u[select(0, row * Di + dj, ok)], ok);${
        starts
          ? ''
          : `\n      ${reg('xz')} = select(0.0, zt[select(0, row * uni.Zw + uni.zOff + dj, ok)], ok);`
      }`,
)}`;
  // ... and stores them into the buffers at `buf`
  const rowsStore = registerLoop(
    rowShare,
    named,
    (reg) =>
      `      if (lid + m * ${wg} < ${T * rs}) { rows[buf * ${T * rs} + lid + m * ${wg}] = ${reg('xs')}; }`,
  );
  const store = laneUz
    ? rowsStore
    : `${rowsStore}
${registerLoop(
  colShare,
  named,
  (reg) => `      if (lid + m * ${wg} < ${T * wc}) {
        uz[buf * ${2 * T * wc} + lid + m * ${wg}] = ${reg('xu')};${
          starts ? '' : `\n        uz[buf * ${2 * T * wc} + ${T * wc} + lid + m * ${wg}] = ${reg('xz')};`
        }
      }`,
)}`;
  // (laneUz) u and z of this lane's step of group m in the turn at step `turn` into its registers
  // number a (un<m>, zn<m> for a = 0); past L zeros, as the staging has them
  const laneLoad = (m: number, turn: string, a = 0) =>
    `{ let tn = ${turn} + ${m * sp} + part; let rn = bc * L + min(tn, L - 1); ${reg('un', m, a)} = select(0.0, u[rn * Di + dc], tn < L); ${reg('zn', m, a)} = select(0.0, zt[rn * uni.Zw + uni.zOff + dc], tn < L); }`;
  // (laneUz) the registers move up one (the oldest was just read), and the newest gets the turn
  // A turns ahead of this one
  const laneNext = (m: number) =>
    [
      ...Array.from(
        { length: ahead - 1 },
        (_, a) =>
          `      ${reg('un', m, a)} = ${reg('un', m, a + 1)}; ${reg('zn', m, a)} = ${reg('zn', m, a + 1)};`,
      ),
      `      ${laneLoad(m, `t0 + j + ${ahead * unroll}`, ahead - 1)}`,
    ].join('\n');
  // the names of step k's values (grouped: every step of a turn keeps its own)
  const v = (name: string, k: number) => (grouped ? `${name}_${k}` : name);
  // Δ_t = softplus(dt_low_t · W_d + bias_d) in two partial sums (half the chain of dependent adds),
  // the gate SiLU(z_t) and Δ_t u_t: nothing here depends on the states
  const softplus = layout.branchless ? 'softplusb' : 'softplusf';
  // step `at` of the tile (an expression), its values named by k
  const inputsAt = (k: number, at: string) => {
    const lines = [`      let ${v('o', k)} = buf * ${T * rs} + (${at}) * RS;`];
    if (diagnostic === 'no-delta') lines.push(`      let ${v('delta', k)} = 0.05;`);
    else {
      lines.push(`      var ${v('dtp0', k)} = bi;`, `      var ${v('dtp1', k)} = 0.0;`);
      for (let q = 0; q < rv; q++) {
        lines.push(`      let ${v(`x${q}`, k)} = rows[${v('o', k)} + ${q}];`);
        for (let i = 4 * q; i < Math.min(r, 4 * q + 4); i++)
          lines.push(`      ${v(`dtp${i & 1}`, k)} += ${v(`x${q}`, k)}.${comp(i)} * w${i};`);
      }
      lines.push(`      let ${v('delta', k)} = ${softplus}(${v('dtp0', k)} + ${v('dtp1', k)});`);
    }
    if (laneUz) {
      // this lane's own step of group m: u and z loaded a turn ago; then those of the next turn
      const m = k - unroll;
      lines.push(
        `      let ut_${k} = un${m};`,
        `      let zk_${k} = zn${m};`,
        `      let gate_${k} = zk_${k} * sigmoidf(zk_${k});`,
        laneNext(m),
        `      let du_${k} = delta_${k} * ut_${k};`,
      );
      return lines.join('\n');
    }
    lines.push(`      let ${v('ut', k)} = ${colAt(0, `(${at})`)};`);
    if (!starts)
      lines.push(
        `      let ${v('zk', k)} = ${colAt(1, `(${at})`)};`,
        `      let ${v('gate', k)} = ${v('zk', k)} * sigmoidf(${v('zk', k)});`,
      );
    lines.push(`      let ${v('du', k)} = ${v('delta', k)} * ${v('ut', k)};`);
    if (grouped && !share && !starts) lines.push(`      var ${v('yv', k)} = 0.0;`);
    return lines.join('\n');
  };
  const inputs = (k: number) => inputsAt(k, `j + ${k}`);
  // share: lane `part` computes the inputs of steps m SP + part (named m), and step k = m SP + q takes
  // Δ and Δ u from lane q of its channel (y_k is right on lane q only: the gate and u_t are its own)
  const per = share ? unroll / sp : 0;
  const sharedInputs = () =>
    Array.from({ length: per }, (_, m) => inputsAt(unroll + m, `j + ${m * sp} + part`))
      .concat(
        Array.from({ length: unroll }, (_, k) => {
          const own = unroll + Math.floor(k / sp);
          return [
            `      let src_${k} = sgl - u32(part) + ${k % sp}u;`,
            `      let o_${k} = buf * ${T * rs} + (j + ${k}) * RS;`,
            `      let delta_${k} = subgroupShuffle(delta_${own}, src_${k});`,
            `      let du_${k} = subgroupShuffle(du_${own}, src_${k});`,
            ...(starts ? [] : [`      var ${scatter ? 'ya' : 'yv'}_${k} = 0.0;`]),
          ].join('\n');
        }),
      )
      .join('\n');
  // the names of step k's u_t and gate (share: the lane's own step of its group)
  const own = (name: string, k: number) => (share ? `${name}_${unroll + Math.floor(k / sp)}` : v(name, k));
  // h_t[n] = exp(Δ_t A_n) h_{t-1}[n] + Δ_t u_t B_t[n]; y_t = (Σ_n C_t[n] h_t[n] + D u_t) SiLU(z_t),
  // the sum over states in two partial sums and over a channel's SP lanes by subgroup shuffles
  const scan = (k: number) => {
    const lines = starts ? [] : ['      var acc0 = 0.0;', '      var acc1 = 0.0;'];
    for (let q = 0; q < Math.ceil(nps / 4) && diagnostic !== 'no-scan'; q++) {
      const pick = (x: string) => (halves ? `select(${x}.xy, ${x}.zw, hi)` : x);
      lines.push(`      let bq${q} = ${pick(`rows[${v('o', k)} + ${rv} + so + ${q}]`)};`);
      if (!starts) lines.push(`      let cq${q} = ${pick(`rows[${v('o', k)} + ${rv + nv} + so + ${q}]`)};`);
      for (let i = 4 * q; i < Math.min(nps, 4 * q + 4); i++) {
        const arg = `${v('delta', k)} * A${i}`;
        const decay = diagnostic === 'no-exp' ? `(1.0 + ${arg})` : exp2 ? `exp2(${arg})` : `exp(${arg})`;
        lines.push(`      h${i} = ${decay} * h${i} + ${v('du', k)} * bq${q}.${comp(i)};`);
        if (!starts) lines.push(`      acc${i & 1} += h${i} * cq${q}.${comp(i)};`);
      }
    }
    if (starts) return lines.join('\n');
    if (scatter) {
      // this lane's part of the sum; summed over the lanes after the turn's steps
      lines.push(`      ya_${k} = acc0 + acc1;`);
      return lines.join('\n');
    }
    lines.push('      var acc = acc0 + acc1;');
    for (let m = 1; m < sp; m *= 2) lines.push(`      acc += subgroupShuffleXor(acc, ${m}u);`);
    lines.push(
      // grouped: into the register declared with the step's inputs, stored after the turn's steps
      `      ${grouped ? '' : 'let '}${v('yv', k)} = select(nanv, (acc + dd * ${own('ut', k)}) * ${own('gate', k)}, mapped);`,
    );
    return lines.join('\n');
  };
  const put = (k: number) =>
    `if (t0 + j + ${k} < L) { y[(bc * L + t0 + j + ${k}) * Di + d] = ${v('yv', k)}; }`;
  const steps = Array.from({ length: unroll }, (_, k) => k);
  // share: each lane stores the y of its own step of each group
  // scatter: the turn's sums over lanes, lane q holding group m's step m SP + q (sv<m>_0), and the y
  // of that step, the lane's own (its u_t and gate)
  const scattered = scatter
    ? reduceScatter(
        steps.map((k) => `ya_${k}`),
        sp,
      )
    : { code: [], live: [] };
  const scatterY = (m: number) =>
    `      let yo_${m} = select(nanv, (sv${m}_0 + dd * ut_${unroll + m}) * gate_${unroll + m}, mapped);`;
  const putOwn = (m: number) => {
    if (scatter)
      return `if (t0 + j + ${m * sp} + part < L) { y[(bc * L + t0 + j + ${m * sp} + part) * Di + d] = yo_${m}; }`;
    let mine = `yv_${m * sp}`;
    for (let q = 1; q < sp; q++) mine = `select(${mine}, yv_${m * sp + q}, part == ${q})`;
    return `if (t0 + j + ${m * sp} + part < L) { y[(bc * L + t0 + j + ${m * sp} + part) * Di + d] = ${mine}; }`;
  };
  // starts: after a turn that ends a chunk (step c K - 1, c = 1 .. chunks - 1), the lane's states
  const startsWrite = `      {
        let tn = t0 + j + ${unroll};
        let slot = tn / uni.cT - 1;
        if (storeOwn && tn == (slot + 1) * uni.cT && slot < uni.ch1) {
${Array.from(
  { length: nps },
  (_, i) =>
    `          starts[((b * uni.ch1 + slot) * N + part * ${nps} + ${i}) * Di + d] = select(nanv, h${i}, mapped);`,
).join('\n')}
        }
      }`;
  const turn = starts
    ? `${share ? sharedInputs() : steps.map(inputs).join('\n')}
${steps.map((k) => `      {\n${scan(k)}\n      }`).join('\n')}
${startsWrite}`
    : share
      ? `${sharedInputs()}
${steps.map((k) => `      {\n${scan(k)}\n      }`).join('\n')}${
  scatter
    ? `\n${scattered.code.join('\n')}\n${Array.from({ length: per }, (_, m) => scatterY(m)).join('\n')}`
    : ''
}
      if (storeOwn) {
${Array.from({ length: per }, (_, m) => `        ${putOwn(m)}`).join('\n')}
      }`
      : grouped
        ? `${steps.map(inputs).join('\n')}
${steps.map((k) => `      {\n${scan(k)}\n      }`).join('\n')}
      if (store) {
${steps.map((k) => `        ${put(k)}`).join('\n')}
      }`
        : steps
            .map(
              (k) => `      {
${inputs(k)}
${scan(k)}
      if (store) { ${put(k)} }
      }`,
            )
            .join('\n');
  // with exp2, A_n carries log2 e: exp2(Δ A_n log2 e) = exp(Δ A_n)
  const aScale = exp2 ? ' * 1.4426950408889634' : '';

  return {
    name: starts ? 'ScanStartsStaged' : 'ScanForwardStaged',
    key: `scanfwds_${r}_${n}_${wc}_${sp}_${T}_${unroll}_${layout.branchless === true}_${grouped}_${exp2}_${vecRows}_${share}_${halves}_${named}_${scatter}_${laneUz}_${ahead}_${diagnostic}_${starts}`,
    dispatch,
    uniforms: [
      ...[b, l, di, zw, zOffset, dispatch[0], groupsPerB],
      ...(starts ? [startsChunk, Math.ceil(l / startsChunk) - 1] : []),
    ].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `${sp > 1 ? 'enable subgroups;' : ''}
${xdblBindings(vecRows, starts)}
const N = ${n};
const R = ${r};
const S = ${s};
const RS = ${rs};
var<workgroup> rows: array<vec4<f32>, ${2 * T * rs}>;
${laneUz ? '' : `var<workgroup> uz: array<f32, ${4 * T * wc}>;`}
${WGSL_MATH}
${FLAT_INDEX}
${vecRows ? '' : rowAtWgsl(rv, nv)}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32${sp > 1 ? ', @builtin(subgroup_invocation_id) sgl: u32' : ''}) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = wgi / uni.gpb;
  let g = wgi - b * uni.gpb;
  let part = lid % ${sp};
  let c = lid / ${sp};
  let d = g * ${wc} + c;
  let store = d < Di && b < uni.B && part == 0;
  let storeOwn = d < Di && b < uni.B;
  let dc = min(d, Di - 1);
  let bc = min(b, uni.B - 1);
  // a device whose subgroups do not follow the invocation index writes NaN: loud, never wrong
  let mapped = ${sp > 1 ? `i32(sgl % ${sp}u) == part` : 'true'};
  let nanv = bitcast<f32>(0x7fc00000u | (lidu & 0u));${
    scatter
      ? `\n  // the reduce-scatter's lane bits\n${Array.from({ length: Math.log2(sp) }, (_, m) => `  let bm${1 << m} = (part & ${1 << m}) != 0;`).join('\n')}`
      : ''
  }
  // this lane's states: part * ${nps} .. + ${nps - 1}; their vec4s start at so in a row's B_t and C_t
  let so = ${halves ? 'part / 2' : `part * ${sp > 1 ? nps / 4 : 0}`};
  ${halves ? 'let hi = (part & 1) == 1;' : ''}
${Array.from(
  { length: nps },
  (_, i) => `  let A${i} = -exp(ALog[dc * N + min(part * ${nps} + ${i}, N - 1)])${aScale};
  var h${i} = 0.0;`,
).join('\n')}
${Array.from({ length: r }, (_, k) => `  let w${k} = W[dc * R + ${k}];`).join('\n')}
  let bi = bias[dc];
  ${starts ? '' : 'let dd = Dp[dc];'}
  var xs: array<vec4<f32>, ${rowShare}>;
${
  laneUz
    ? Array.from({ length: unroll / sp }, (_, m) =>
        Array.from(
          { length: ahead },
          (_, a) =>
            `  var ${reg('un', m, a)} = 0.0;\n  var ${reg('zn', m, a)} = 0.0;\n  ${laneLoad(m, `${a * unroll}`, a)}`,
        ).join('\n'),
      ).join('\n')
    : `  var xu: array<f32, ${colShare}>;\n  ${starts ? '' : `var xz: array<f32, ${colShare}>;`}`
}
  {
    let t0 = 0;
${load('t0')}
  }
  for (var t0 = 0; t0 < ${starts ? 'uni.ch1 * uni.cT' : 'L'}; t0 += ${T}) {
    let buf = (t0 / ${T}) & 1;
${store}
    workgroupBarrier();
${load(`(t0 + ${T})`)}
    // every step of the tile, U at a time: past L the staged rows, u and z are zeros, so those steps
    // only move h (no longer needed) and store nothing
    for (var j = 0; j < ${T}; j += ${unroll}) {
${turn}
    }
  }
}
`,
  };
}
