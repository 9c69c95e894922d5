/**
 * WGSL: Δ for every (b, t, channel) in a pass of its own, ahead of the row-staged forward
 * (scanTuning.stagedDelta 'pass'):
 *   Δ[b, t, d] = softplus(dt_low[b, t] · W_d + bias_d)
 * One invocation per (channel, block of ROWS rows of [B x L]), channels fastest: an invocation reads
 * its W_d and bias_d once for all its rows, a subgroup's lanes share each dt_low row (one broadcast
 * load a column) and write Δ coalesced. Every (b, t, d) is independent, so the pass runs at full
 * occupancy, where inside the scan's walk Δ sits beside the states' updates at the walk's one or two
 * warps a scheduler.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

const WORKGROUP = 256;
/** rows of [B x L] an invocation computes (its W_d and bias_d loaded once for them) */
export const DELTA_PASS_ROWS = 16;

export function deltaProgram(dims: Dims) {
  const { b, l, di, r, s } = dims;
  const blocks = Math.ceil((b * l) / DELTA_PASS_ROWS);
  const dispatch = dispatch1d(blocks * di, WORKGROUP);
  const dot: string[] = [];
  for (let k = 0; k < r; k++) dot.push(`    a${k & 1} += xdbl[base + ${k}] * w${k};`);
  return {
    name: 'ScanDeltaPass',
    key: `scandelta_${r}_${s}_${DELTA_PASS_ROWS}`,
    dispatch,
    uniforms: [b * l, di, blocks, dispatch[0]].map((v) => ({ type: 'int32' as const, data: [v] })),
    wgsl: () => /* wgsl */ `
${bindings(['delta'], ['xdbl', 'W', 'bias'], 'rows: i32, Di: i32, blocks: i32, nx: i32')}
const S = ${s};
const ROWS = ${DELTA_PASS_ROWS};
${WGSL_MATH}
${FLAT_INDEX}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * ${WORKGROUP} + i32(lid);
  let blk = i / uni.Di;
  let d = i - blk * uni.Di;
  if (blk >= uni.blocks) { return; }
${Array.from({ length: r }, (_, k) => `  let w${k} = W[d * ${r} + ${k}];`).join('\n')}
  let bi = bias[d];
  let end = min(blk * ROWS + ROWS, uni.rows);
  for (var row = blk * ROWS; row < end; row++) {
    let base = row * S;
    // the dot product in two partial sums, the bias first: as the walk sums it
    var a0 = bi;
    var a1 = 0.0;
${dot.join('\n')}
    delta[row * uni.Di + d] = softplusf(a0 + a1);
  }
}
`,
  };
}
