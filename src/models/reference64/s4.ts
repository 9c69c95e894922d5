/** Float64 reference of the S4D kernel, the S4 mixer and the S4-Mamba mixer (names as ../s4.ts). */
import type { S4MambaDims } from '../s4';
import { causalDepthwiseConv64, type Get64, geluErf64, linear64, sigmoid64, silu64 } from './math';

/** K [H, L] = 2 Re sum_m C'[h, m] exp(dt A[h, m] l), C' = C (exp(dt A) - 1) / A. */
export function s4dKernel64(get: Get64, h: number, l: number): Float64Array {
  const c = get('kernel.C');
  const logDt = get('kernel.log_dt');
  const logARe = get('kernel.log_A_real');
  const aImag = get('kernel.A_imag');
  const m = logARe.length / h;
  const k = new Float64Array(h * l);
  for (let ch = 0; ch < h; ch++) {
    const dt = Math.exp(logDt[ch]);
    for (let j = 0; j < m; j++) {
      const aRe = -Math.exp(logARe[ch * m + j]);
      const aIm = aImag[ch * m + j];
      // e = exp(dt A) - 1
      const eRe = Math.exp(dt * aRe) * Math.cos(dt * aIm) - 1;
      const eIm = Math.exp(dt * aRe) * Math.sin(dt * aIm);
      const cRe = c[(ch * m + j) * 2];
      const cIm = c[(ch * m + j) * 2 + 1];
      // C e / A
      const nRe = cRe * eRe - cIm * eIm;
      const nIm = cRe * eIm + cIm * eRe;
      const den = aRe * aRe + aIm * aIm;
      const pRe = (nRe * aRe + nIm * aIm) / den;
      const pIm = (nIm * aRe - nRe * aIm) / den;
      for (let t = 0; t < l; t++) {
        const mag = Math.exp(dt * aRe * t);
        const ph = dt * aIm * t;
        k[ch * l + t] += 2 * mag * (pRe * Math.cos(ph) - pIm * Math.sin(ph));
      }
    }
  }
  return k;
}

/** y[b, t, h] = sum_{s<=t} K[h, t-s] u[b, s, h] + D[h] u[b, t, h]. */
function s4dConv64(u: Float64Array, bt: number, l: number, h: number, get: Get64): Float64Array {
  const k = s4dKernel64(get, h, l);
  const D = get('D');
  const y = new Float64Array(bt * l * h);
  for (let b = 0; b < bt; b++) {
    for (let t = 0; t < l; t++) {
      for (let ch = 0; ch < h; ch++) {
        let acc = D[ch] * u[(b * l + t) * h + ch];
        for (let s = 0; s <= t; s++) acc += k[ch * l + (t - s)] * u[(b * l + s) * h + ch];
        y[(b * l + t) * h + ch] = acc;
      }
    }
  }
  return y;
}

/** S4 mixer: GLU(Conv1d(GELU(K * u + D u))). x [B, L, D] -> [B, L, D]. */
export function s4Mixer64(x: Float64Array, bt: number, l: number, d: number, get: Get64): Float64Array {
  const rows = bt * l;
  const y = s4dConv64(x, bt, l, d, (n) => get(`s4.${n}`)).map(geluErf64);
  const g = linear64(y, rows, d, get('s4.output_linear.0.weight'), get('s4.output_linear.0.bias'));
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < d; c++) out[r * d + c] = g[r * 2 * d + c] * sigmoid64(g[r * 2 * d + d + c]);
  }
  return out;
}

/** S4-Mamba mixer. x [B, L, D] -> [B, L, D]. */
export function s4MambaMixer64(x: Float64Array, bt: number, l: number, dims: S4MambaDims, get: Get64) {
  const { dModel: dm, dInner: di } = dims;
  const rows = bt * l;
  const xz = linear64(x, rows, dm, get('in_proj.weight'));
  const xIn = new Float64Array(rows * di);
  const z = new Float64Array(rows * di);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < di; c++) {
      xIn[i * di + c] = xz[i * 2 * di + c];
      z[i * di + c] = xz[i * 2 * di + di + c];
    }
  }
  const u = causalDepthwiseConv64(xIn, bt, l, di, get('conv1d.weight'), get('conv1d.bias')).map(silu64);
  const y = s4dConv64(u, bt, l, di, (n) => get(`S4DMamba.${n}`));
  for (let i = 0; i < y.length; i++) y[i] *= z[i];
  return linear64(y, rows, di, get('out_proj.weight'));
}
