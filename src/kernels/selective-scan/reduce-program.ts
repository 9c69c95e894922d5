/**
 * WGSL: the backward's third dispatch, summing the partials over channel groups (the xdbl
 * gradient) and over the batch (the parameters).
 */
import { bindings, FLAT_INDEX } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

export function reduceProgram(dims: Dims, g: number) {
  const { b, l, di, r, n, s } = dims;
  const p2 = r + n + 2;
  const total = b * l * s + di * p2;
  const dispatch = dispatch1d(total, 64);
  return {
    name: 'ScanReduce',
    key: `scanred_${r}_${n}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [b] },
      { type: 'int32' as const, data: [l] },
      { type: 'int32' as const, data: [di] },
      { type: 'int32' as const, data: [g] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['dx', 'dW', 'dAL', 'dD', 'dBias'], ['part', 'ppart'], 'B: i32, L: i32, Di: i32, G: i32, nx: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const P2 = ${p2};
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  let n1 = uni.B * uni.L * S;
  if (i < n1) {
    let row = i / S;
    let col = i - row * S;
    var acc = 0.0;
    for (var q = 0; q < uni.G; q++) { acc += part[(row * uni.G + q) * S + col]; }
    dx[i] = acc;
    return;
  }
  let k = i - n1;
  if (k >= uni.Di * P2) { return; }
  let d = k / P2;
  let j = k - d * P2;
  var acc = 0.0;
  for (var q = 0; q < uni.B; q++) { acc += ppart[(q * uni.Di + d) * P2 + j]; }
  if (j < R) { dW[d * R + j] = acc; }
  else if (j < R + N) { dAL[d * N + j - R] = acc; }
  else if (j == R + N) { dD[d] = acc; }
  else { dBias[d] = acc; }
}
`,
  };
}
