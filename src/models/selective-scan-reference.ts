/**
 * The selective scan of Mamba (paper.md section 4, steps 6-9) in plain differentiable tfjs ops.
 *
 * This is the oracle for the fused WGSL kernels and the fallback on every backend. It never uses
 * tf.cumsum (webgpu.md: its reverse mode is wrong on WebGPU, and its gradient is a reverse cumsum).
 * A fused kernel replaces it behind the same `SelectiveScanFn` signature.
 *
 * Layout is "batch, length, channels" throughout (tfjs-friendly; the CUDA kernel uses b d l):
 *   u     [Bt, L, Di]  input of the scan (after the causal conv and SiLU)
 *   delta [Bt, L, Di]  step sizes, already through softplus (Delta > 0)
 *   A     [Di, N]      A = -exp(A_log) (negative)
 *   B     [Bt, L, N]   input-dependent B_t
 *   C     [Bt, L, N]   input-dependent C_t
 *   D     [Di]         skip
 *   z     [Bt, L, Di]  optional gate: y <- y * SiLU(z)
 * returns y [Bt, L, Di]:
 *   A_bar_t = exp(Delta_t A)                 (6, zero-order hold)
 *   h_t = A_bar_t h_{t-1} + Delta_t B_t u_t  (6-7, Euler for B, h_{-1} = 0; h_t is [Di, N])
 *   y_t = sum_n h_t[:, n] C_t[n] + D u_t     (8)
 *   y_t <- y_t * SiLU(z_t)                   (9, when z is given)
 */
import * as tf from '@tensorflow/tfjs';
import { silu } from './ops';

export type SelectiveScanFn = (
  u: tf.Tensor3D,
  delta: tf.Tensor3D,
  A: tf.Tensor2D,
  B: tf.Tensor3D,
  C: tf.Tensor3D,
  D: tf.Tensor1D,
  z?: tf.Tensor3D,
) => tf.Tensor3D;

/** The pair (A_bar, B_bar u) of every step: both [Bt, L, Di, N]. */
function discretise(
  u: tf.Tensor3D,
  delta: tf.Tensor3D,
  A: tf.Tensor2D,
  B: tf.Tensor3D,
): { aBar: tf.Tensor4D; bBarU: tf.Tensor4D } {
  // (6) A_bar = exp(Delta A): [Bt, L, Di, 1] * [Di, N]
  const aBar = tf.exp(delta.expandDims(3).mul(A)) as tf.Tensor4D;
  // (6) B_bar u = Delta B u: [Bt, L, Di, 1] * [Bt, L, 1, N]
  const bBarU = delta.mul(u).expandDims(3).mul(B.expandDims(2)) as tf.Tensor4D;
  return { aBar, bBarU };
}

/** (8) + (9): read the states out with C, add the D skip, gate with SiLU(z). */
function readOut(h: tf.Tensor4D, u: tf.Tensor3D, C: tf.Tensor3D, D: tf.Tensor1D, z?: tf.Tensor3D): tf.Tensor3D {
  let y = h.mul(C.expandDims(2)).sum(3).add(u.mul(D));
  if (z) y = y.mul(silu(z));
  return y as tf.Tensor3D;
}

/**
 * Log-depth inclusive scan (Hillis-Steele) over the pairs (a_t, b_t) with the associative operator
 * (a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2), along axis 1 of [Bt, L, Di, N] tensors.
 * ceil(log2 L) levels of slice + pad + multiply-add; returns the states h_t = b-part of the prefix.
 */
export function associativeScan(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  const [bt, l, di, n] = a.shape;
  for (let shift = 1; shift < l; shift *= 2) {
    const pad: Array<[number, number]> = [
      [0, 0],
      [shift, 0],
      [0, 0],
      [0, 0],
    ];
    // prefix ending `shift` steps earlier; identity element (1, 0) before the start.
    const bPrev = tf.pad(b.slice([0, 0, 0, 0], [bt, l - shift, di, n]), pad, 0);
    const last = shift * 2 >= l;
    const aPrev = last ? null : tf.pad(a.slice([0, 0, 0, 0], [bt, l - shift, di, n]), pad, 1);
    b = a.mul(bPrev).add(b);
    if (aPrev) a = a.mul(aPrev);
  }
  return b;
}

/**
 * The reference selective scan: discretise, log-depth associative scan (7), read-out (8), gate (9).
 * Work O(L log L * Bt Di N), ~7 ops per level: few dispatches, suits every backend.
 */
export const selectiveScanReference: SelectiveScanFn = (u, delta, A, B, C, D, z) =>
  tf.tidy(() => {
    const { aBar, bBarU } = discretise(u, delta, A, B);
    const h = associativeScan(aBar, bBarU); // (7)
    return readOut(h, u, C, D, z);
  });

/**
 * The same scan as a loop over t (h_t = A_bar_t h_{t-1} + B_bar_t u_t, one step at a time): the
 * most literal form, ~4 ops per step. Same signature and results as `selectiveScanReference`.
 */
export const selectiveScanSequential: SelectiveScanFn = (u, delta, A, B, C, D, z) =>
  tf.tidy(() => {
    const { aBar, bBarU } = discretise(u, delta, A, B);
    const [bt, l, di, n] = aBar.shape;
    const states: tf.Tensor[] = [];
    let h: tf.Tensor | null = null;
    for (let t = 0; t < l; t++) {
      const at = aBar.slice([0, t, 0, 0], [bt, 1, di, n]);
      const bt_ = bBarU.slice([0, t, 0, 0], [bt, 1, di, n]);
      h = h === null ? bt_ : at.mul(h).add(bt_); // (7) with h_{-1} = 0
      states.push(h);
    }
    const hAll = (l === 1 ? states[0] : tf.concat(states, 1)) as tf.Tensor4D;
    return readOut(hAll, u, C, D, z);
  });
