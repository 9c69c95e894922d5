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

/*
 * Internally the scans run time-major, [L, Bt, Di, N]: every slice along time is then a
 * contiguous block (the cpu backend copies strided slices element by element, ~100x slower), and
 * the outer products and the C read-out are batched matmuls over the L * Bt rows.
 */

/** The pair (A_bar, B_bar u) of every step, time-major: both [L, Bt, Di, N]. */
function discretise(
  u: tf.Tensor3D,
  delta: tf.Tensor3D,
  A: tf.Tensor2D,
  B: tf.Tensor3D,
): { aBar: tf.Tensor4D; bBarU: tf.Tensor4D } {
  const [bt, l, di] = u.shape;
  const n = A.shape[1];
  const deltaT = delta.transpose([1, 0, 2]); // [L, Bt, Di]
  // (6) A_bar = exp(Delta A): [L, Bt, Di, 1] * [Di, N]
  const aBar = tf.exp(deltaT.expandDims(3).mul(A)) as tf.Tensor4D;
  // (6) B_bar u = Delta B u: outer product (Delta u)[Di] x B[N] per (t, b)
  const du = deltaT.mul(u.transpose([1, 0, 2])).reshape([l * bt, di, 1]) as tf.Tensor3D;
  const bT = B.transpose([1, 0, 2]).reshape([l * bt, 1, n]) as tf.Tensor3D;
  const bBarU = tf.matMul(du, bT).reshape([l, bt, di, n]) as tf.Tensor4D;
  return { aBar, bBarU };
}

/** (8) + (9): h [L, Bt, Di, N] read out with C, plus the D skip, gated with SiLU(z): [Bt, L, Di]. */
function readOut(
  h: tf.Tensor4D,
  u: tf.Tensor3D,
  C: tf.Tensor3D,
  D: tf.Tensor1D,
  z?: tf.Tensor3D,
): tf.Tensor3D {
  const [l, bt, di, n] = h.shape;
  const cT = C.transpose([1, 0, 2]).reshape([l * bt, n, 1]) as tf.Tensor3D;
  const hc = tf.matMul(h.reshape([l * bt, di, n]) as tf.Tensor3D, cT); // [L * Bt, Di, 1]
  let y = hc.reshape([l, bt, di]).transpose([1, 0, 2]).add(u.mul(D));
  if (z) y = y.mul(silu(z));
  return y as tf.Tensor3D;
}

/**
 * Log-depth inclusive scan (Hillis-Steele) over the pairs (a_t, b_t) along axis 0 with the
 * associative operator (a1, b1) then (a2, b2) = (a1 a2, a2 b1 + b2); returns the b-part of every
 * prefix, i.e. the states h_t of h_t = a_t h_{t-1} + b_t, h_{-1} = 0. Any shape [L, ...].
 * ceil(log2 L) levels; at each, elements t >= shift combine with t - shift, the first `shift`
 * elements are already complete.
 */
export function associativeScan(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const l = a.shape[0];
  const head = (x: tf.Tensor, len: number) => x.slice(0, len);
  const tail = (x: tf.Tensor, from: number) => x.slice(from, l - from);
  for (let shift = 1; shift < l; shift *= 2) {
    const aTail = tail(a, shift);
    const bNew = tf.concat([head(b, shift), aTail.mul(head(b, l - shift)).add(tail(b, shift))], 0);
    if (shift * 2 < l) a = tf.concat([head(a, shift), aTail.mul(head(a, l - shift))], 0);
    b = bNew;
  }
  return b;
}

/**
 * The reference selective scan: discretise, log-depth associative scan (7), read-out (8), gate (9).
 * Work O(L log L * Bt Di N), ~10 ops per level: few dispatches, suits every backend; memory
 * ~3 [L, Bt, Di, N] tensors per level are kept for the backward pass.
 */
export const selectiveScanReference: SelectiveScanFn = (u, delta, A, B, C, D, z) =>
  tf.tidy(() => {
    const { aBar, bBarU } = discretise(u, delta, A, B);
    const h = associativeScan(aBar, bBarU) as tf.Tensor4D; // (7)
    return readOut(h, u, C, D, z);
  });

/**
 * The same scan as a loop over t (h_t = A_bar_t h_{t-1} + B_bar_t u_t, one step at a time): the
 * most literal form, ~3 ops per step, least memory. Same signature and results as
 * `selectiveScanReference`.
 */
export const selectiveScanSequential: SelectiveScanFn = (u, delta, A, B, C, D, z) =>
  tf.tidy(() => {
    const { aBar, bBarU } = discretise(u, delta, A, B);
    const l = aBar.shape[0];
    const states: tf.Tensor[] = [];
    let h: tf.Tensor | null = null;
    for (let t = 0; t < l; t++) {
      const bt = bBarU.slice(t, 1);
      h = h === null ? bt : aBar.slice(t, 1).mul(h).add(bt); // (7) with h_{-1} = 0
      states.push(h);
    }
    const hAll = (l === 1 ? states[0] : tf.concat(states, 0)) as tf.Tensor4D;
    return readOut(hAll, u, C, D, z);
  });
