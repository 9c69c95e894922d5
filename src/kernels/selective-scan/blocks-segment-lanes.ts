/**
 * WGSL: the block-parallel backward's segments joined on neighbouring lanes of a subgroup
 * (`BlocksBackwardOptions.segLanes`; blocks-backward-program.ts). A channel's TL segments sit on TL
 * neighbouring lanes (lid = dl TL + seg), each holding its forward map h -> P h + F and its backward
 * one m -> P m + R for one state. An inclusive scan over the segments' lanes (log2 TL levels of
 * shuffles, Hillis-Steele) composes the maps of segments 0..seg (forward) and seg..TL-1 (backward);
 * the neighbouring lane's result, applied to the chunk's starting state h0 and to the adjoint m0 that
 * flows in from the next chunk, gives the state entering the segment and the adjoint flowing into its
 * right end. Composing a map (P, F) after the maps before it (P', F'): h -> P (P' h + F') + F, so
 * F <- P F' + F, P <- P P' (the same for the backward maps, the later segments applied first).
 * Every lane runs every shuffle (uniform control flow); a lane whose partner lies outside its channel
 * keeps its own map by a select.
 */

/** An inclusive scan over the segments' lanes of the maps (p, f), both WGSL `var`s, upwards or down. */
export function segmentScanWgsl(tl: number, p: string, f: string, direction: 'up' | 'down'): string {
  const lines: string[] = [];
  for (let s = 1; s < tl; s *= 2) {
    const shuffle = direction === 'up' ? 'subgroupShuffleUp' : 'subgroupShuffleDown';
    const inside = direction === 'up' ? `seg >= ${s}` : `seg + ${s} < TL`;
    lines.push(`      {
        let np = ${shuffle}(${p}, ${s}u);
        let nf = ${shuffle}(${f}, ${s}u);
        if (${inside}) {
          ${f} = ${p} * nf + ${f};
          ${p} = ${p} * np;
        }
      }`);
  }
  return lines.join('\n');
}

/**
 * Phase 2's join for one state (registers P, F: the segment's forward map; m: its backward map's R;
 * `h0` and `m0` WGSL expressions of the chunk's starting state and the adjoint flowing in from the
 * next chunk): sets `h` (the state entering the segment) and `m` (the adjoint flowing into its right
 * end), and on segment 0's lane writes the adjoint leaving the chunk into `carry`.
 */
export function segmentJoinWgsl(tl: number, h0: string, m0: string, carry: string): string {
  if (tl === 1)
    return `      let hz = ${h0};
      let mz = ${m0};
      var h = hz;
      ${carry} = P * mz + m;
      m = mz;`;
  return `      let hz = ${h0};
      let mz = ${m0};
      var fP = P;
      var fF = F;
      var bP = P;
      var bR = m;
${segmentScanWgsl(tl, 'fP', 'fF', 'up')}
${segmentScanWgsl(tl, 'bP', 'bR', 'down')}
      // the maps of the segments before this one (from the lane below) and after it (from above)
      let eP = subgroupShuffleUp(fP, 1u);
      let eF = subgroupShuffleUp(fF, 1u);
      let aP = subgroupShuffleDown(bP, 1u);
      let aR = subgroupShuffleDown(bR, 1u);
      var h = select(hz, eP * hz + eF, seg > 0);
      if (seg == 0) { ${carry} = bP * mz + bR; }
      m = select(mz, aP * mz + aR, seg < TL - 1);`;
}

/**
 * Phase 1's step for one state (registers P, H: the segment's forward map): the last segment's lane
 * composes every segment's map onto `h` (a WGSL place holding the chunk's starting state) in place.
 */
export function segmentStartsWgsl(tl: number, h: string): string {
  return `      var fP = P;
      var fF = H;
${segmentScanWgsl(tl, 'fP', 'fF', 'up')}
      if (seg == TL - 1) { ${h} = fP * ${h} + fF; }`;
}
