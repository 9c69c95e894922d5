/**
 * WGSL: the row-staged backward's main dispatch, one workgroup per (b, group of WC channels), one
 * invocation per channel with its N states in registers, t in tiles of T >= N steps. It is the
 * channel-parallel backward (backward-program.ts, paper.md section 4's equations) with everything a
 * tile's steps read staged in workgroup memory as in the staged forward (staged-forward-program.ts):
 * the tile's x_dbl rows as vec4s (dt_low | B_t | C_t, each padded), and u, z, dy of the workgroup's
 * channels, double-buffered, the next tile's loads issued before this tile's steps.
 *   1. The forward over all tiles (rows and u staged), storing the state before every tile c >= 1 in
 *      the rows [(c-1)N, cN) of the invocation's own column of du (T >= N, so du overwrites them only
 *      after they were read: tiles are walked from the last).
 *   2. Tile by tile from the last: the tile's states recomputed from its stored start into a private
 *      T x N array, then walked backwards with the adjoint g_t = C_t dy'_t + exp(Δ_{t+1} A) g_{t+1}:
 *      du, dz written, d dtW, dA_log, dD, d dtBias summed in registers; the sums over channels (d
 *      dt_low, dB, dC: the x_dbl gradient) into one partial per group, in one of two ways:
 *      - through workgroup memory at every step (two barriers and a WC-long chain of adds a step),
 *        the tile's states in a private T x N array;
 *      - with `q` (subgroup sums): the S values of a step are summed over each subgroup's Q lanes by
 *        a reduce-scatter of shuffles (Q - 1 a group of Q values; lane λ ends with the sum of value
 *        kQ + λ), no barrier; where a workgroup holds several subgroups their sums wait in
 *        workgroup memory and are added once per tile. The tile's states then live in workgroup
 *        memory ((T - 1) x N x WC floats, each lane its own column), not in a private array that
 *        the compiler would put in slow local memory. That phase is staged-backward-subgroup.ts's;
 *        with it the states may be permuted by lane in vec4 blocks (`nb`, select-free levels of
 *        the reduce-scatter) or split over 2 lanes a channel (`lanes`: twice the invocations, the
 *        staging shared by all of them), and the next tile's loads are stored into the other
 *        buffer right after the recompute rather than held in registers through the walk.
 * Outputs as backward-program.ts's, so reduce-program.ts sums the partials the same way.
 */
import { bindings, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';
import type { StagedBackwardLayout } from './staged-backward-layout';
import { alignedBits, scatteredDtValues, subgroupWalk, sumColumnFn } from './staged-backward-subgroup';

export function stagedBackwardProgram(dims: Dims, layout: StagedBackwardLayout, packed: boolean) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const { wc, t: T, q } = layout;
  // lanes a channel (layout.lanes: its states split over 2 neighbouring lanes), invocations a
  // workgroup, states a lane, and their B_t / C_t vec4s
  const P = layout.lanes ?? 1;
  const inv = wc * P;
  const ns = n / P;
  const rv = Math.ceil(r / 4);
  const nv = Math.ceil(n / 4);
  const rs = rv + 2 * nv;
  const rsr = s | 1;
  const g = Math.ceil(di / wc);
  const nT = Math.ceil(l / T);
  const dispatch = dispatch1d(b * g, 1);
  const rowShare = Math.ceil((T * rs) / inv);
  const colShare = Math.ceil((T * wc) / inv);
  const nvl = P === 1 ? nv : ns / 4;
  const comp = (i: number) => 'xyzw'[i & 3];
  const colBase = (buf: string, part: number) => `${buf} * ${3 * T * wc} + ${part * T * wc}`;
  // with the states permuted by lane (layout.nb): state slot i holds state i ^ pi4, so its B_t, C_t
  // vec4s sit at lane-dependent offsets and its parameters load from lane-dependent indices
  const nb = layout.nb;
  // (with 2 lanes a channel, slot i of part p holds state p N/2 + i)
  const laneOffsets = nb !== undefined || P > 1;
  const sidx = (i: number) => (P > 1 ? `(spart * ${ns} + ${i})` : nb === undefined ? `${i}` : `(${i} ^ pi4)`);
  const bOff = (v: number) => (laneOffsets ? `pb${v}` : `${rv + v}`);
  const cOff = (v: number) => (laneOffsets ? `pc${v}` : `${rv + nv + v}`);
  const wAt = (k: string) => (packed ? `pk[dc * P2 + ${k}]` : `pW[dc * R + ${k}]`);
  const aLogAt = (i: string) => (packed ? `pk[dc * P2 + R + ${i}]` : `pALog[dc * N + ${i}]`);
  // the d dt_low weights a lane scatters (subgroup sums): register k holds w[k ^ pi], zero past R
  const rw = scatteredDtValues(r, layout);
  const laneParams = [
    ...(P > 1
      ? Array.from(
          { length: rw },
          (_, k) =>
            `  let wk${k} = spart * ${rw} + ${k};\n  let wp${k} = select(0.0, ${wAt(`select(0, wk${k}, wk${k} < R)`)}, wk${k} < R);`,
        )
      : nb === undefined
        ? Array.from({ length: rw }, (_, k) => `  let wp${k} = w${k};`)
        : Array.from(
            { length: rw },
            (_, k) =>
              `  let wk${k} = ${k} ^ pi;\n  let wp${k} = select(0.0, ${wAt(`select(0, wk${k}, wk${k} < R)`)}, wk${k} < R);`,
          )),
    ...(!laneOffsets
      ? []
      : Array.from({ length: nvl }, (_, v) => {
          const block = P > 1 ? `spart * ${nvl} + ${v}` : `(${v} ^ pi)`;
          return `  let pb${v} = ${rv} + ${block};\n  let pc${v} = ${rv + nv} + ${block};`;
        })),
  ].join('\n');

  // invocation `lid` loads vec4s lid + m I of the tile's T x RS padded rows, and elements lid + m I of
  // the tile's T x WC u (and z, dy with `all`) of the workgroup's channels (I invocations); `ok`
  // false loads zeros (a tile before the first)
  const load = (t0: string, ok: string, all: boolean) => `    for (var m = 0; m < ${rowShare}; m++) {
      let v = lid + m * ${inv};
      let j = v / RS;
      let q = v - j * RS;
      let base = (bc * L + ${t0} + j) * S;
      let okr = ${ok} && v < ${T * rs} && ${t0} + j < L;
      xs[m] = vec4<f32>(rowAt(base, 4 * q, okr), rowAt(base, 4 * q + 1, okr), rowAt(base, 4 * q + 2, okr), rowAt(base, 4 * q + 3, okr));
    }
    for (var m = 0; m < ${colShare}; m++) {
      let e = lid + m * ${inv};
      let jj = e / ${wc};
      let dd = g * ${wc} + e - jj * ${wc};
      let tj = ${t0} + jj;
      let okc = ${ok} && e < ${T * wc} && tj < L && dd < Di;
      let row = bc * L + tj;
      xu[m] = select(0.0, u[select(0, row * Di + dd, okc)], okc);${
        all
          ? `
      xz[m] = select(0.0, zt[select(0, row * uni.Zw + uni.zOff + dd, okc)], okc);
      xg[m] = select(0.0, dout[select(0, row * Di + dd, okc)], okc);`
          : ''
      }
    }`;
  const store = (all: boolean, into = 'buf') => `    for (var m = 0; m < ${rowShare}; m++) {
      if (lid + m * ${inv} < ${T * rs}) { rows[${into} * ${T * rs} + lid + m * ${inv}] = xs[m]; }
    }
    for (var m = 0; m < ${colShare}; m++) {
      let e = lid + m * ${inv};${P > 1 ? `\n      if (e >= ${T * wc}) { break; }` : ''}
      cols[${colBase(into, 0)} + e] = xu[m];${
        all
          ? `
      cols[${colBase(into, 1)} + e] = xz[m];
      cols[${colBase(into, 2)} + e] = xg[m];`
          : ''
      }
    }`;
  // Δ of step j of the staged tile in `buf`, and the step's B_t, C_t as vec4s
  const rowRead = `      let o = buf * ${T * rs} + j * RS;
      var dtp = bias;
${Array.from({ length: rv }, (_, q) => {
  const terms = [];
  for (let k = 4 * q; k < Math.min(r, 4 * q + 4); k++) terms.push(`x${q}.${comp(k)} * w${k}`);
  return `      let x${q} = rows[o + ${q}];\n      dtp += ${terms.join(' + ')};`;
}).join('\n')}
${Array.from(
  { length: nvl },
  (_, q) => `      let bq${q} = rows[o + ${bOff(q)}];
      let cq${q} = rows[o + ${cOff(q)}];`,
).join('\n')}
      let delta = ${q === undefined ? 'softplusf' : 'softplusb'}(dtp);`;
  // exp(Δ A_n): with subgroup sums as exp2 of A_n log2 e (A2_n) and a branch-free softplus (one basic
  // block a step); the workgroup-memory form keeps what it was timed with
  const decay = (i: number) => (q === undefined ? `exp(delta * A${i})` : `exp2(delta * A2_${i})`);
  const bAt = (i: number) => `bq${i >> 2}.${comp(i)}`;
  const cAt = (i: number) => `cq${i >> 2}.${comp(i)}`;
  const states = (f: (i: number) => string) => Array.from({ length: ns }, (_, i) => f(i)).join('\n');
  // with subgroup sums, the forward walks (step 1, and step 2's recompute) go U steps a turn, in
  // phases: every Δ_t and Δ_t u_t of the turn, then every decay, then the states' chains (one FMA a
  // state and step), so what does not wait for h is issued first; `keep` also stores each h_t of the
  // tile but the last in hb
  const U = [4, 2, 1].find((u) => T % u === 0) ?? 1;
  const forwardTurn = (keep: boolean) => {
    const out: string[] = [];
    for (let k = 0; k < U; k++) {
      out.push(`      let o${k} = buf * ${T * rs} + (j + ${k}) * RS;
      var dtp${k} = bias;`);
      for (let v = 0; v < rv; v++) {
        const terms = [];
        for (let m = 4 * v; m < Math.min(r, 4 * v + 4); m++) terms.push(`x${k}_${v}.${comp(m)} * w${m}`);
        out.push(`      let x${k}_${v} = rows[o${k} + ${v}];\n      dtp${k} += ${terms.join(' + ')};`);
      }
      out.push(`      let delta${k} = softplusb(dtp${k});
      let dlu${k} = delta${k} * cols[${colBase('buf', 0)} + (j + ${k}) * ${wc} + ch];`);
    }
    for (let k = 0; k < U; k++)
      for (let i = 0; i < ns; i++) out.push(`      let a${k}_${i} = exp2(delta${k} * A2_${i});`);
    for (let k = 0; k < U; k++) {
      for (let v = 0; v < nvl; v++) out.push(`      let b${k}_${v} = rows[o${k} + ${bOff(v)}];`);
      for (let i = 0; i < ns; i++)
        out.push(`      h${i} = a${k}_${i} * h${i} + dlu${k} * b${k}_${i >> 2}.${comp(i)};`);
      if (keep && T > 1) {
        const save = states((i) => `        hb[((j + ${k}) * ${ns} + ${i}) * ${inv} + lid] = h${i};`);
        // only the turn's last step can be the tile's last (T is a multiple of U)
        out.push(
          k < U - 1
            ? save.replaceAll('        hb', '      hb')
            : `      if (j + ${k} < ${T - 1}) {\n${save}\n      }`,
        );
      }
    }
    return out.join('\n');
  };

  // what a step of the backward walk reads: its row (Δ, B_t, C_t), σ of dt, u, z and dy
  const reverseReads = `      let row = bc * L + t0 + j;
${rowRead}
      let sig = sigmoidf(dtp);
      let ut = cols[${colBase('buf', 0)} + j * ${wc} + ch];
      let zv = cols[${colBase('buf', 1)} + j * ${wc} + ch];
      let go = cols[${colBase('buf', 2)} + j * ${wc} + ch];
      let jp = max(j - 1, 0);`;

  // the walk over the tiles from the last: the first tile's loads, then each tile's staging, the next
  // tile's loads in flight, and its starting state (kept in du's rows by step 1). With `early` the
  // next tile's loads are stored into the other buffer by the caller as soon as the tile's states
  // are recomputed (that buffer's last reader, the tile after this one, finished before this
  // tile's barrier), so they are not held in registers through the walk
  const tileStart = (early: boolean) => `  {
    let t0 = (uni.nT - 1) * ${T};
${load('t0', 'true', true)}${early ? `\n${store(true, '((uni.nT - 1) & 1)')}` : ''}
  }
  for (var c = uni.nT - 1; c >= 0; c--) {
    let t0 = c * ${T};
    let buf = c & 1;
${early ? '' : store(true)}
    workgroupBarrier();
${load(`(t0 - ${T})`, 'c > 0', true)}
${states((i) => `    hs${i} = select(0.0, du[select(0, (bc * L + (c - 1) * N + ${sidx(i)}) * Di + dc, c > 0)], c > 0);\n    h${i} = hs${i};`)}`;

  // phase 2 with the per-step sums over channels through workgroup memory
  const workgroupPhase2 = `  var hb: array<f32, ${T * n}>;
${tileStart(false)}
    for (var j = 0; j < ${T}; j++) {
${rowRead}
      let dlu = delta * cols[${colBase('buf', 0)} + j * ${wc} + ch];
${states((i) => `      h${i} = exp(delta * A${i}) * h${i} + dlu * ${bAt(i)};\n      hb[j * N + ${i}] = h${i};`)}
    }
    for (var j = min(${T}, L - t0) - 1; j >= 0; j--) {
${reverseReads}
      var ypre = Dd * ut;
${states((i) => `      ypre += ${cAt(i)} * hb[j * N + ${i}];`)}
      let sz = sigmoidf(zv);
      let dy = go * zv * sz;
      let dzv = go * ypre * sz * (1.0 + zv * (1.0 - sz));
      var sumGB = 0.0;
      var dDelta = 0.0;
      let base = lid * RSR;
${states(
  (i) => `      {
        let hp = select(hs${i}, hb[jp * N + ${i}], j > 0);
        let ab = exp(delta * A${i});
        let gn = ${cAt(i)} * dy + gc${i};
        sumGB += gn * ${bAt(i)};
        dDelta += gn * (${bAt(i)} * ut + A${i} * ab * hp);
        dA${i} += gn * delta * ab * hp;
        red[base + R + ${i}] = select(0.0, gn * delta * ut, live);
        red[base + R + N + ${i}] = select(0.0, dy * hb[j * N + ${i}], live);
        gc${i} = ab * gn;
      }`,
)}
      let ddt = dDelta * sig;
${Array.from(
  { length: r },
  (_, k) => `      red[base + ${k}] = select(0.0, ddt * w${k}, live);
      dW${k} += ddt * x${k >> 2}.${comp(k)};`,
).join('\n')}
      dD += dy * ut;
      dBias += ddt;
      if (live) {
        du[row * Di + d] = Dd * dy + delta * sumGB;
        let zrow = row * uni.Zw;
        for (var mz = 0; mz < uni.Zw; mz += Di) {
          dz[zrow + mz + d] = select(0.0, dzv, mz == uni.zOff);
        }
      }
      workgroupBarrier();
      if (bw < uni.B) {
        for (var col = lid; col < S; col += ${wc}) {
          var acc = 0.0;
          for (var i = 0; i < ${wc}; i++) { acc += red[i * RSR + col]; }
          part[(row * uni.G + g) * S + col] = acc;
        }
      }
      workgroupBarrier();
    }
  }`;
  const qv = q ?? 1;
  const subgroups = inv / qv;
  const subgroupPhase2 =
    q === undefined
      ? ''
      : subgroupWalk({
          n,
          r,
          layout,
          turn: U,
          tileStart: tileStart(true),
          storeNext: store(true, '(1 - buf)'),
          reverseReads,
          forwardTurn,
          bAt,
          cAt,
          decay,
        });
  return {
    program: {
      name: 'ScanBackwardStaged',
      key: `scanbwds_${r}_${n}_${wc}_${T}_${packed}_${q ?? 0}_${layout.nb ?? 1}_${P}`,
      dispatch,
      uniforms: [b, l, di, g, zw, zOffset, nT, dispatch[0]].map((v) => ({
        type: 'int32' as const,
        data: [v],
      })),
      wgsl: () => /* wgsl */ `${q === undefined ? '' : 'enable subgroups;'}
${bindings(
  ['du', 'dz', 'part', 'ppart'],
  packed ? ['u', 'xdbl', 'zt', 'pk', 'dout'] : ['u', 'xdbl', 'zt', 'pW', 'pALog', 'pD', 'pBias', 'dout'],
  'B: i32, L: i32, Di: i32, G: i32, Zw: i32, zOff: i32, nT: i32, nx: i32',
)}
const N = ${n};
const R = ${r};
const S = ${s};
const RS = ${rs};
const RSR = ${rsr};
const P2 = ${r + n + 2};
const LN2 = 0.6931472;
var<workgroup> rows: array<vec4<f32>, ${2 * T * rs}>;
var<workgroup> cols: array<f32, ${2 * 3 * T * wc}>;
${
  q === undefined
    ? `var<workgroup> red: array<f32, ${wc * rsr}>;`
    : `var<workgroup> hb: array<f32, ${Math.max(1, (T - 1) * n * wc)}>;${subgroups > 1 ? `\nvar<workgroup> sred: array<f32, ${T * s * subgroups}>;` : ''}`
}
${WGSL_MATH}
fn flatGroup(wid: vec3<u32>) -> i32 { return i32(wid.x + wid.y * u32(uni.nx)); }
// slot k of a staged row (dt_low | B_t | C_t, each padded to whole vec4s) from the x_dbl row at
// base; 0 for padding and where !ok (branch-free: software GPUs compile branches poorly)
fn rowAt(base: i32, k: i32, ok: bool) -> f32 {
  let inB = k >= ${4 * rv};
  let inC = k >= ${4 * (rv + nv)};
  let kk = select(select(k, k - ${4 * rv}, inB), k - ${4 * (rv + nv)}, inC);
  let col = select(select(kk, R + kk, inB), R + N + kk, inC);
  let valid = ok && kk < select(R, N, inB);
  return select(0.0, xdbl[select(0, base + col, valid)], valid);
}
${q === undefined ? '' : sumColumnFn(n, r, layout)}
@compute @workgroup_size(${inv})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32${q === undefined ? '' : ', @builtin(subgroup_invocation_id) sgl: u32'}) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let bw = wgi / uni.G;
  let g = wgi - bw * uni.G;
  // the invocation's channel in the workgroup, and which part of its states it holds
  let ch = ${P > 1 ? `lid / ${P}` : 'lid'};
  let spart = ${P > 1 ? `lid % ${P}` : '0'};
  let d = g * ${wc} + ch;
  let live = d < Di && bw < uni.B;
  let dc = min(d, Di - 1);
  let bc = min(bw, uni.B - 1);
${
  q === undefined
    ? ''
    : `  // lane λ of a group of Q = ${qv} channels, and which group; a device whose subgroups do not
  // follow the invocation index writes NaN (bad): loud, never wrong
  let lane = lid % ${qv};
  let sg = lid / ${qv};
${Array.from({ length: Math.log2(qv) }, (_, k) => `  let bm${1 << k} = (lid & ${1 << k}) != 0;`).join('\n')}
  let mapped = i32(sgl % ${qv}u) == lane;
  let bad = select(bitcast<f32>(0x7fc00000u | (lidu & 0u)), 0.0, mapped);
  // with the states permuted by lane (layout.nb), slot block b holds the states of block b ^ pi
  let pi = lane & ${alignedBits(layout)};
  let pi4 = 4 * pi;`
}
${Array.from({ length: r }, (_, k) => `  let w${k} = ${wAt(`${k}`)};`).join('\n')}
${states((i) =>
  q === undefined
    ? `  let A${i} = -exp(${aLogAt(sidx(i))});`
    : `  let A2_${i} = -exp(${aLogAt(sidx(i))}) * 1.442695;`,
)}
  let Dd = ${packed ? 'pk[dc * P2 + R + N]' : 'pD[dc]'};
  let bias = ${packed ? 'pk[dc * P2 + R + N + 1]' : 'pBias[dc]'};
${q === undefined ? '' : laneParams}
  var xs: array<vec4<f32>, ${rowShare}>;
  var xu: array<f32, ${colShare}>;
  var xz: array<f32, ${colShare}>;
  var xg: array<f32, ${colShare}>;
${states((i) => `  var h${i} = 0.0;`)}
  // 1. the forward over all tiles, the state before tile c >= 1 kept in du rows [(c-1)N, cN)
  {
    let t0 = 0;
${load('t0', 'true', false)}
  }
  for (var t0 = 0; t0 < L; t0 += ${T}) {
    let buf = (t0 / ${T}) & 1;
${store(false)}
    workgroupBarrier();
${load(`(t0 + ${T})`, 'true', false)}
    let c = t0 / ${T};
    if (c > 0 && live) {
${states((i) => `      du[(bc * L + (c - 1) * N + ${sidx(i)}) * Di + d] = h${i};`)}
    }
${
  q === undefined
    ? `    for (var j = 0; j < ${T}; j++) {
${rowRead}
      let dlu = delta * cols[${colBase('buf', 0)} + j * ${wc} + ch];
${states((i) => `      h${i} = ${decay(i)} * h${i} + dlu * ${bAt(i)};`)}
    }`
    : `    for (var j = 0; j < ${T}; j += ${U}) {
${forwardTurn(false)}
    }`
}
  }
  // (the first tile of step 2 may reuse the buffer the last tile of step 1 is still read from)
  workgroupBarrier();
  // 2. tiles from the last: recompute the tile's states, then walk it backwards
${states((i) => `  var gc${i} = 0.0;\n  var dA${i} = 0.0;\n  var hs${i} = 0.0;`)}
${Array.from({ length: r }, (_, k) => `  var dW${k} = 0.0;`).join('\n')}
  var dD = 0.0;
  var dBias = 0.0;
${q === undefined ? workgroupPhase2 : subgroupPhase2}
  if (live) {
    let o = (bw * Di + d) * P2;
${states((i) => `    ppart[o + R + ${sidx(i)}] = dA${i} * ${q === undefined ? `A${i}` : `(A2_${i} * LN2)`};`)}
    if (spart == 0) {
${Array.from({ length: r }, (_, k) => `      ppart[o + ${k}] = dW${k};`).join('\n')}
      ppart[o + R + N] = dD;
      ppart[o + R + N + 1] = dBias;
    }
  }
}
`,
    },
    g,
  };
}
