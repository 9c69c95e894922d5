/**
 * Float64 reference of the Mamba mixer (paper.md section 4), step by step, with a plain
 * sequential scan. Parameter names as in ../mamba.ts.
 */
import type { MambaDims } from '../mamba';
import { causalDepthwiseConv64, type Get64, linear64, silu64, softplus64 } from './math';

/** The sequential selective scan: shapes as SelectiveScanFn, float64, z optional. */
export function selectiveScan64(
  bt: number,
  l: number,
  di: number,
  n: number,
  u: ArrayLike<number>,
  delta: ArrayLike<number>,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  C: ArrayLike<number>,
  D: ArrayLike<number>,
  z?: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(bt * l * di);
  const h = new Float64Array(n);
  for (let b = 0; b < bt; b++) {
    for (let d = 0; d < di; d++) {
      h.fill(0);
      for (let t = 0; t < l; t++) {
        const i = (b * l + t) * di + d;
        const dt = delta[i];
        let acc = 0;
        for (let k = 0; k < n; k++) {
          const bc = (b * l + t) * n + k;
          h[k] = Math.exp(dt * A[d * n + k]) * h[k] + dt * B[bc] * u[i];
          acc += h[k] * C[bc];
        }
        acc += D[d] * u[i];
        y[i] = z ? acc * silu64(z[i]) : acc;
      }
    }
  }
  return y;
}

/** Mamba mixer: x [B, L, D] -> [B, L, D]. */
export function mambaMixer64(
  x: Float64Array,
  bt: number,
  l: number,
  dims: MambaDims,
  get: Get64,
): Float64Array {
  const { dModel: dm, dInner: di, dState: n, dtRank: r } = dims;
  const rows = bt * l;
  // (1) in_proj, split x / z
  const xz = linear64(x, rows, dm, get('in_proj.weight'));
  const xIn = new Float64Array(rows * di);
  const z = new Float64Array(rows * di);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < di; c++) {
      xIn[i * di + c] = xz[i * 2 * di + c];
      z[i * di + c] = xz[i * 2 * di + di + c];
    }
  }
  // (2) causal depthwise conv + SiLU
  const u = causalDepthwiseConv64(xIn, bt, l, di, get('conv1d.weight'), get('conv1d.bias')).map(silu64);
  // (3) x_proj, split [dt_low, B, C]
  const w = r + 2 * n;
  const xDbl = linear64(u, rows, di, get('x_proj.weight'));
  const dtLow = new Float64Array(rows * r);
  const B = new Float64Array(rows * n);
  const C = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < r; j++) dtLow[i * r + j] = xDbl[i * w + j];
    for (let k = 0; k < n; k++) {
      B[i * n + k] = xDbl[i * w + r + k];
      C[i * n + k] = xDbl[i * w + r + n + k];
    }
  }
  // (4) Delta = softplus(dt_proj(dt_low))
  const delta = linear64(dtLow, rows, r, get('dt_proj.weight'), get('dt_proj.bias')).map(softplus64);
  // (5) A = -exp(A_log)
  const A = get('A_log').map((v) => -Math.exp(v));
  // (6)-(9)
  const y = selectiveScan64(bt, l, di, n, u, delta, A, B, C, get('D'), z);
  // (10) out_proj
  return linear64(y, rows, di, get('out_proj.weight'));
}
