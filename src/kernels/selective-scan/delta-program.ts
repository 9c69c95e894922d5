/**
 * WGSL: Δ for every (b, t, channel) in a pass of its own, ahead of the row-staged forward
 * (scanTuning.stagedDelta 'pass'):
 *   Δ[b, t, d] = softplus(dt_low[b, t] · W_d + bias_d)
 * One invocation per element, channels fastest: a subgroup's lanes share one dt_low row (one
 * broadcast load a column) and write Δ coalesced. Δ costs nothing of the scan's order in time here:
 * every (b, t, d) is independent, so the pass runs at full occupancy, where inside the scan's walk it
 * sits beside the states' updates at the walk's one or two warps a scheduler.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

const WORKGROUP = 256;

export function deltaProgram(dims: Dims) {
  const { b, l, di, r, s } = dims;
  const total = b * l * di;
  const dispatch = dispatch1d(total, WORKGROUP);
  const dot: string[] = [];
  for (let k = 0; k < r; k++) dot.push(`  a${k & 1} += xdbl[base + ${k}] * W[d * R + ${k}];`);
  return {
    name: 'ScanDeltaPass',
    key: `scandelta_${r}_${s}`,
    dispatch,
    uniforms: [total, di, dispatch[0]].map((v) => ({ type: 'int32' as const, data: [v] })),
    wgsl: () => /* wgsl */ `
${bindings(['delta'], ['xdbl', 'W', 'bias'], 'total: i32, Di: i32, nx: i32')}
const R = ${r};
const S = ${s};
${WGSL_MATH}
${FLAT_INDEX}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * ${WORKGROUP} + i32(lid);
  if (i >= uni.total) { return; }
  let row = i / uni.Di;
  let d = i - row * uni.Di;
  let base = row * S;
  // the dot product in two partial sums, the bias first: as the fused walk sums it
  var a0 = bias[d];
  var a1 = 0.0;
${dot.join('\n')}
  delta[i] = softplusf(a0 + a1);
}
`,
  };
}
