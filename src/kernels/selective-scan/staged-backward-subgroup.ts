/**
 * WGSL of the row-staged backward's phase 2 with the per-step sums over channels by subgroup shuffles
 * (staged-backward-program.ts, layout.q): tile by tile from the last, the tile's states recomputed
 * into workgroup memory (hb[(j N' + i) I + lid] = h_{t0 + j}[i] for j < T - 1, N' the states a lane
 * holds, I the invocations; h of the tile's last step stays in registers), then walked backwards
 * with the adjoint of paper.md section 4:
 *   g_t = C_t dy'_t + exp(Δ_{t+1} A) g_{t+1}            (gn, gc: g of this step and of the next)
 *   du_t = D dy'_t + Δ_t Σ_n g_t[n] B_t[n]
 *   dΔ_t = Σ_n g_t[n] (B_t[n] u_t + A_n exp(Δ_t A_n) h_{t-1}[n])
 *        = u_t Σ_n g_t[n] B_t[n] + Σ_n A_n p_n,   p_n = g_t[n] exp(Δ_t A_n) h_{t-1}[n]
 *   dA_n += Δ_t p_n,   dB_t[n] = Σ_channels g_t[n] Δ_t u_t,   dC_t[n] = Σ_channels dy'_t h_t[n]
 * Only A_n log2 e (A2_n, for exp2) is kept in registers: Σ_n A_n p_n is summed as ln 2 Σ_n A2_n p_n.
 * The S values a step adds over channels (d dt_low = dΔ_t σ(dt) W, dB_t, dC_t) go through one
 * reduce-scatter (reduce-scatter.ts) whose registers are laid out as
 *   register b + NB κ + 2 NB c: state slot 4 b + c's dB (κ 0) or dC (κ 1) value, NB = ceil(N / 4);
 *   register 8 NB + k: d dt_low's k-th value (k < R, rounded up to a multiple of the aligned blocks).
 * With `nb` (states permuted by lane in vec4 blocks, slot block b holding state block b ^ π), the
 * reduce-scatter's levels over the low lane bits need no selects. With `lanes` 2 (a channel's states
 * over 2 neighbouring lanes, part p holding states p N/2 ..), a lane's registers are its N/2 states'
 * dB, then their dC, then d dt_low's values p ceil(R/2) + k; the sums over states add the
 * neighbour's partial sum (one shuffle), and the reduce-scatter skips lane bit 1.
 */
import { reduceScatter } from './reduce-scatter';
import type { StagedBackwardLayout } from './staged-backward-layout';

/** What the main program (staged-backward-program.ts) shares with this phase. */
export interface StagedWalkParts {
  n: number;
  r: number;
  layout: StagedBackwardLayout;
  /** steps a turn of the forward walks */
  turn: number;
  /**
   * the walk over the tiles from the last, up to and including the tile's starting state, the next
   * tile's loads in registers
   */
  tileStart: string;
  /** those loads stored into the other buffer (free while this tile is walked) */
  storeNext: string;
  /** what a step of the backward walk reads (its row, σ of dt, u, z, dy; `jp`) */
  reverseReads: string;
  /** a turn of the forward walk, keeping each step's states in hb */
  forwardTurn: (keep: boolean) => string;
  /** slot i's B_t, C_t and decay exp(Δ_t A) as WGSL */
  bAt: (i: number) => string;
  cAt: (i: number) => string;
  decay: (i: number) => string;
}

/** Lane bits whose reduce-scatter levels need no selects: the lane's block permutation π's bits. */
export function alignedBits(layout: StagedBackwardLayout): number {
  return ((layout.nb ?? 1) - 1) & ((layout.q ?? 1) - 1);
}

/**
 * d dt_low values a lane scatters: R, rounded up to a multiple of the aligned blocks; with a
 * channel's states over 2 lanes, each lane takes half of them.
 */
export function scatteredDtValues(r: number, layout: StagedBackwardLayout): number {
  if ((layout.lanes ?? 1) > 1) return Math.ceil(r / 2);
  const nb = layout.nb ?? 1;
  return Math.ceil(r / nb) * nb;
}

/**
 * WGSL helper: the x_dbl-gradient column of reduce-scatter value v (the register layout above) of
 * the lane holding part `half` of its channel's states, -1 for padding.
 */
export function sumColumnFn(n: number, r: number, layout: StagedBackwardLayout): string {
  if ((layout.lanes ?? 1) > 1) {
    // 2 lanes a channel: part p's registers are its N/2 states' dB, then their dC, then d dt_low's
    // values p RW + k
    const ns = n / 2;
    const rw = scatteredDtValues(r, layout);
    return `fn sumColumn(v: i32, half: i32) -> i32 {
  if (v >= ${2 * ns}) {
    let k = half * ${rw} + v - ${2 * ns};
    return select(-1, k, k < ${r} && v < ${2 * ns + rw});
  }
  let kappa = v / ${ns};
  return ${r} + kappa * ${n} + half * ${ns} + v - kappa * ${ns};
}`;
  }
  const nbk = Math.ceil(n / 4);
  return `fn sumColumn(v: i32, half: i32) -> i32 {
  if (v >= ${8 * nbk}) {
    let k = v - ${8 * nbk};
    return select(-1, k, k < ${r});
  }
  let b = v % ${nbk};
  let kappa = (v / ${nbk}) % 2;
  let i = 4 * b + v / ${2 * nbk};
  return select(-1, ${r} + kappa * ${n} + i, i < ${n});
}`;
}

export function subgroupWalk(p: StagedWalkParts): string {
  const { n, r, layout, turn: U } = p;
  const { wc, t: T } = layout;
  const qv = layout.q ?? 1;
  const P = layout.lanes ?? 1;
  const inv = wc * P;
  const ns = n / P;
  const subgroups = inv / qv;
  const nbk = Math.ceil(n / 4);
  const states = (f: (i: number) => string) => Array.from({ length: ns }, (_, i) => f(i)).join('\n');
  const hbAt = (j: string, i: number) => `hb[(${j} * ${ns} + ${i}) * ${inv} + lid]`;
  const registers: Array<string | null> = [];
  if (P > 1) {
    for (let i = 0; i < ns; i++) registers.push(`vb${i}`);
    for (let i = 0; i < ns; i++) registers.push(`vc${i}`);
  } else
    for (let c = 0; c < 4; c++)
      for (let kappa = 0; kappa < 2; kappa++)
        for (let b = 0; b < nbk; b++) {
          const slot = 4 * b + c;
          registers[b + nbk * kappa + 2 * nbk * c] = slot < n ? `v${kappa === 0 ? 'b' : 'c'}${slot}` : null;
        }
  const rw = scatteredDtValues(r, layout);
  for (let k = 0; k < rw; k++) registers.push(`vw${k}`);
  // with 2 lanes a channel the sums run over the channel bits of the lane index only (not bit 1)
  const scatter = reduceScatter(registers, qv, alignedBits(layout), P - 1);
  const group = qv / P;
  const liveGroups = scatter.live.flatMap((isLive, k) => (isLive ? [k] : []));
  // a sum over the channel's states: its lanes' partial sums added (the same order on both lanes)
  const overLanes = (name: string, x: string) =>
    P > 1
      ? `      let ${name}Own = ${x};\n      let ${name} = ${name}Own + subgroupShuffleXor(${name}Own, 1u);`
      : `      let ${name} = ${x};`;
  const sumStores = liveGroups
    .map((k) =>
      subgroups === 1
        ? `      if (bw < uni.B && scol${k} >= 0) { part[(row * uni.G + g) * S + scol${k}] = sv${k}_0 + bad; }`
        : `      if (scol${k} >= 0) { sred[(j * S + scol${k}) * ${subgroups} + sg] = sv${k}_0 + bad; }`,
    )
    .join('\n');
  const sum4 = (name: string, first = '0.0') =>
    [0, 1, 2, 3].map((k) => `      var ${name}${k} = ${k === 0 ? first : '0.0'};`).join('\n');
  const total4 = (name: string) => `((${name}0 + ${name}1) + (${name}2 + ${name}3))`;
  return `  // the x_dbl-gradient column each scattered group of this lane lands in
${liveGroups.map((k) => `  let scol${k} = sumColumn(${k * group} + ${P > 1 ? `(lane >> ${Math.log2(P)})` : 'lane'}, spart);`).join('\n')}
${states((i) => `  var hc${i} = 0.0;`)}
${p.tileStart}
    for (var j = 0; j < ${T}; j += ${U}) {
${p.forwardTurn(true)}
    }
    // the next tile's staging, its loads in by now: not held in registers through the walk
${p.storeNext}
    // h of the last live step: the tile's last state, or one kept in hb
    let j0 = min(${T}, L - t0) - 1;
${states((i) => (T > 1 ? `    hc${i} = select(h${i}, ${hbAt(`max(0, min(j0, ${T - 2}))`, i)}, j0 < ${T - 1});` : `    hc${i} = h${i};`))}
    for (var j = j0; j >= 0; j--) {
${p.reverseReads}
      // the sums over states in 4 partial sums each: chains of N / 4 dependent adds, not N
${sum4('ypre', P > 1 ? '0.0' : 'Dd * ut')}
${states((i) => `      ypre${i & 3} += ${p.cAt(i)} * hc${i};`)}
${
  P > 1
    ? `${overLanes('yst', total4('ypre'))}
      let ypre = Dd * ut + yst;`
    : `      let ypre = ${total4('ypre')};`
}
      let sz = sigmoidf(zv);
      let dy = go * zv * sz;
      let dzv = go * ypre * sz * (1.0 + zv * (1.0 - sz));
      // what the sums over channels take (zero for a channel past Di or a batch row past B)
      let dut = select(0.0, delta * ut, live);
      let dyl = select(0.0, dy, live);
${sum4('sumGB')}
${sum4('sumAP')}
${states(
  (i) => `      let hp${i} = ${T > 1 ? `select(hs${i}, ${hbAt('jp', i)}, j > 0)` : `hs${i}`};
      let ab${i} = ${p.decay(i)};
      let gn${i} = ${p.cAt(i)} * dy + gc${i};
      sumGB${i & 3} += gn${i} * ${p.bAt(i)};
      let p${i} = gn${i} * ab${i} * hp${i};
      sumAP${i & 3} += A2_${i} * p${i};
      dA${i} += delta * p${i};
      let vb${i} = gn${i} * dut;
      let vc${i} = dyl * hc${i};
      gc${i} = ab${i} * gn${i};
      hc${i} = hp${i};`,
)}
${overLanes('sumGB', total4('sumGB'))}
${overLanes('sumAP', total4('sumAP'))}
      let ddt = (ut * sumGB + sumAP * LN2) * sig;
      let ddtl = select(0.0, ddt, live);
${Array.from({ length: r }, (_, k) => `      dW${k} += ddt * x${k >> 2}.${'xyzw'[k & 3]};`).join('\n')}
${Array.from({ length: rw }, (_, k) => `      let vw${k} = ddtl * wp${k};`).join('\n')}
      dD += dy * ut;
      dBias += ddt;
      // the sums over the subgroup's channels: lane λ ends with value kQ + λ of each group k
${scatter.code.join('\n')}
${sumStores}
      if (live && spart == 0) {
        du[row * Di + d] = Dd * dy + delta * sumGB + bad;
        let zrow = row * uni.Zw;
        for (var mz = 0; mz < uni.Zw; mz += Di) {
          dz[zrow + mz + d] = select(0.0, dzv, mz == uni.zOff);
        }
      }
    }
${
  subgroups > 1
    ? `    // the subgroups' sums of the tile, added once
    workgroupBarrier();
    if (bw < uni.B) {
      for (var e = lid; e < ${T} * S; e += ${inv}) {
        let jj = e / S;
        if (t0 + jj < L) {
          var acc = 0.0;
          for (var k = 0; k < ${subgroups}; k++) { acc += sred[e * ${subgroups} + k]; }
          part[((bc * L + t0 + jj) * uni.G + g) * S + e - jj * S] = acc;
        }
      }
    }`
    : ''
}
  }`;
}
