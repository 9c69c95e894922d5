/**
 * WGSL: the state-parallel forward, one invocation per (b, channel, state n). A workgroup holds CH
 * channels x N states and walks t in chunks of T steps, three phases a chunk:
 *   A. Δ_t = softplus(x_dbl[:R] · W + b) and u_t for each (t, channel) of the chunk, into workgroup memory;
 *   B. each invocation runs its state's recurrence h_t = exp(Δ_t A_n) h_{t-1} + Δ_t u_t B_t[n] over the
 *      chunk and leaves h_t C_t[n] in workgroup memory;
 *   C. y_t = (Σ_n h_t C_t[n] + D u_t) · z_t σ(z_t) for each (t, channel), written out.
 * Same arithmetic, in the same order per output, as the sequential forward (forward-program.ts), with
 * N times the invocations: many more loads in flight, for the long L where that kernel waits on memory.
 */
import { bindings, FLAT_INDEX, WGSL_MATH } from '../common';
import { dispatch1d } from '../runner';
import type { Dims } from './shape';

/** Workgroup memory of the program, bytes: Δ and u per (t, channel), h·C per (t, channel, state). */
const bytesOf = (ch: number, t: number, n: number) => 4 * t * ch * (n + 2);

/** Channels per workgroup and chunk length for a wanted invocation count and chunk, within 16 KiB. */
export function statesLayout(n: number, invocations: number, chunk: number): { ch: number; t: number } {
  const ch = Math.max(1, Math.min(Math.floor(invocations / n), Math.floor(256 / n)));
  let t = Math.max(1, Math.floor(chunk));
  while (t > 1 && bytesOf(ch, t, n) > 16384) t = Math.max(1, t >> 1);
  return { ch, t };
}

export function statesForwardProgram(dims: Dims, invocations: number, chunk: number) {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  if (n > 256) throw new Error(`the state-parallel scan needs N <= 256, got ${n}`);
  const { ch, t } = statesLayout(n, invocations, chunk);
  const wg = ch * n;
  const groupsPerB = Math.ceil(di / ch);
  const dispatch = dispatch1d(b * groupsPerB, 1);
  const tc = t * ch;
  return {
    name: 'ScanForwardStates',
    key: `scanfwds_${r}_${n}_${ch}_${t}`,
    dispatch,
    uniforms: [b, l, di, zw, zOffset, dispatch[0], groupsPerB].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `
${bindings(['y'], ['u', 'xdbl', 'zt', 'W', 'bias', 'ALog', 'Dp'], 'B: i32, L: i32, Di: i32, Zw: i32, zOff: i32, nx: i32, gpb: i32')}
const N = ${n};
const R = ${r};
const S = ${s};
const CH = ${ch};
const T = ${t};
const WG = ${wg};
const TC = ${tc};
var<workgroup> dsh: array<f32, ${tc}>;
var<workgroup> ush: array<f32, ${tc}>;
var<workgroup> psh: array<f32, ${tc * n}>;
${WGSL_MATH}
${FLAT_INDEX}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let L = uni.L;
  let Di = uni.Di;
  let wgi = flatGroup(wid);
  let b = min(wgi / uni.gpb, uni.B - 1);
  let inGrid = wgi < uni.B * uni.gpb;
  let g = wgi - (wgi / uni.gpb) * uni.gpb;
  let c = lid / N;
  let k = lid - c * N;
  let d = g * CH + c;
  let live = inGrid && d < Di;
  let A = -exp(ALog[min(d, Di - 1) * N + k]);
  var h = 0.0;
  for (var t0 = 0; t0 < L; t0 += T) {
    let tn = min(T, L - t0);
    // A. delta and u of every (t, channel) of the chunk
    for (var i = lid; i < TC; i += WG) {
      let j = i / CH;
      let d2 = g * CH + (i - j * CH);
      var dl = 0.0;
      var uv = 0.0;
      if (inGrid && j < tn && d2 < Di) {
        let row = b * L + t0 + j;
        let xo = row * S;
        var dtp = bias[d2];
        for (var q = 0; q < R; q++) { dtp += xdbl[xo + q] * W[d2 * R + q]; }
        dl = softplusf(dtp);
        uv = u[row * Di + d2];
      }
      dsh[i] = dl;
      ush[i] = uv;
    }
    workgroupBarrier();
    // B. state k of channel c through the chunk
    for (var j = 0; j < tn; j++) {
      let i = j * CH + c;
      var bv = 0.0;
      var cv = 0.0;
      if (live) {
        let xo = (b * L + t0 + j) * S + R + k;
        bv = xdbl[xo];
        cv = xdbl[xo + N];
      }
      let dl = dsh[i];
      h = exp(dl * A) * h + (dl * ush[i]) * bv;
      psh[i * N + k] = h * cv;
    }
    workgroupBarrier();
    // C. y of every (t, channel) of the chunk
    for (var i = lid; i < tn * CH; i += WG) {
      let j = i / CH;
      let d2 = g * CH + (i - j * CH);
      if (inGrid && d2 < Di) {
        var acc = Dp[d2] * ush[i];
        for (var q = 0; q < N; q++) { acc += psh[i * N + q]; }
        let row = b * L + t0 + j;
        let zv = zt[row * uni.Zw + uni.zOff + d2];
        y[row * Di + d2] = acc * zv * sigmoidf(zv);
      }
    }
    workgroupBarrier();
  }
}
`,
  };
}
