/**
 * WGSL: pack dtW | A_log | D | dtBias into [Di, R+N+2] (the backward's first dispatch: fewer bindings).
 */
import { bindings, FLAT_INDEX } from '../common';
import { dispatch1d } from '../runner';

export function packProgram(di: number, r: number, n: number) {
  const p2 = r + n + 2;
  const dispatch = dispatch1d(di * p2, 64);
  return {
    name: 'ScanPackParams',
    key: `scanpack_${r}_${n}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [di] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['pk'], ['W', 'ALog', 'Dp', 'bias'], 'Di: i32, nx: i32')}
const N = ${n};
const R = ${r};
const P2 = ${p2};
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.Di * P2) { return; }
  let d = i / P2;
  let k = i - d * P2;
  var v: f32;
  if (k < R) { v = W[d * R + k]; }
  else if (k < R + N) { v = ALog[d * N + k - R]; }
  else if (k == R + N) { v = Dp[d]; }
  else { v = bias[d]; }
  pk[i] = v;
}
`,
  };
}
