/**
 * Small differentiable building blocks in plain tfjs ops, written to be safe on every backend
 * (webgpu.md): matmuls are always 2-D x 2-D or batched 3-D x 3-D (never 3-D x 2-D, whose gradient
 * is broken), no tf.cumsum, stable softplus, clamped tanh, no synchronous readback.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelKernels } from './fused';

export const LAYER_NORM_EPS = 1e-5;

/** Merge all leading dims: [..., n] -> [prod(...), n]. */
function to2d(x: tf.Tensor): tf.Tensor2D {
  const n = x.shape[x.shape.length - 1];
  return x.reshape([-1, n]);
}

function withLastDim(x2: tf.Tensor, like: tf.Tensor, last: number): tf.Tensor {
  return x2.reshape([...like.shape.slice(0, -1), last]);
}

/** Options of `linear` / `conv1dGpt2`. */
export interface LinearOptions {
  /** the fused linear (src/kernels), which adds the bias and the residual inside the matmul */
  kernel?: ModelKernels['linear'];
  /** added to the output (a residual stream, same shape as the output) */
  residual?: tf.Tensor;
}

function matMulAdd(
  x: tf.Tensor,
  weight: tf.Tensor,
  transposeWeight: boolean,
  bias: tf.Tensor | undefined,
  o: LinearOptions,
): tf.Tensor {
  const out = weight.shape[transposeWeight ? 0 : 1] as number;
  const residual = o.residual ? to2d(o.residual) : undefined;
  if (o.kernel)
    return withLastDim(o.kernel(to2d(x), weight as tf.Tensor2D, transposeWeight, bias, residual), x, out);
  let y = tf.matMul(to2d(x), weight as tf.Tensor2D, false, transposeWeight);
  if (bias) y = y.add(bias);
  if (residual) y = residual.add(y);
  return withLastDim(y, x, out);
}

/**
 * PyTorch `nn.Linear`: y = x W^T + b (+ residual) with W in the PyTorch layout [out, in].
 * x: [..., in] -> [..., out].
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor, o: LinearOptions = {}): tf.Tensor {
  return matMulAdd(x, weight, true, bias, o);
}

/**
 * HF GPT-2 `Conv1D`: y = x W + b (+ residual) with W in the layout [in, out].
 * x: [..., in] -> [..., out].
 */
export function conv1dGpt2(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias?: tf.Tensor,
  o: LinearOptions = {},
): tf.Tensor {
  return matMulAdd(x, weight, false, bias, o);
}

/** LayerNorm over the last axis (biased variance, eps 1e-5 as torch.nn.LayerNorm). */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps = LAYER_NORM_EPS): tf.Tensor {
  const mean = x.mean(-1, true);
  const xc = x.sub(mean);
  const variance = xc.square().mean(-1, true);
  return xc.mul(variance.add(eps).rsqrt()).mul(weight).add(bias);
}

/** SiLU(x) = x sigmoid(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return x.mul(tf.sigmoid(x));
}

/**
 * Stable and accurate softplus, with the gradient sigmoid(x) (a custom gradient: the branch
 * conditions have no gradient in tfjs).
 * x > 20: x (torch's threshold); else log1p(y), y = exp(x). WebGPU computes log1p(y) as
 * log(1 + y), which loses all precision for small y (Delta is often ~1e-3), so for y < 1/16 a
 * series is used: y - y^2/2 + y^3/3 - y^4/4 + y^5/5 (relative error < 3e-6).
 */
export const softplus: (x: tf.Tensor) => tf.Tensor = tf.customGrad((x, save) => {
  const input = x as tf.Tensor;
  (save as (ts: tf.Tensor[]) => void)([input]);
  const y = tf.exp(tf.minimum(input, 20));
  const series = y.mul(
    tf
      .scalar(1)
      .sub(y.mul(tf.scalar(0.5).sub(y.mul(tf.scalar(1 / 3).sub(y.mul(tf.scalar(0.25).sub(y.mul(0.2)))))))),
  );
  const small = tf.where(tf.less(y, 0.0625), series, tf.log1p(y));
  const value = tf.where(tf.greater(input, 20), input, small);
  return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [dy.mul(tf.sigmoid(saved[0]))] };
}) as (x: tf.Tensor) => tf.Tensor;

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (HF "gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  // tanh saturates to +-1 in float32 well before |t| = 15; the clamp keeps webgpu's tanh finite.
  const t = tf.clipByValue(x.add(x.pow(3).mul(0.044715)).mul(GELU_C), -15, 15);
  return x.mul(tf.tanh(t).add(1)).mul(0.5);
}

/** Exact GELU (torch.nn.GELU default): 0.5 x (1 + erf(x / sqrt(2))). */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

/**
 * Causal depthwise convolution along time (PyTorch Conv1d with groups = channels, padding K - 1,
 * output cut to the first L steps):
 *   y[b, t, c] = bias[c] + sum_{j<K} w[c, 0, j] x[b, t - K + 1 + j, c], with x = 0 before t = 0.
 * x: [B, L, C], weight: [C, 1, K], bias: [C] -> [B, L, C].
 */
export function causalDepthwiseConv(x: tf.Tensor3D, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor3D {
  const [b, l, c] = x.shape;
  const k = weight.shape[2] as number;
  const w = weight.reshape([c, k]).transpose(); // [K, C]: tap j is row j
  // time-major, so that every shifted window is a contiguous slice
  const xt = x.transpose([1, 0, 2]);
  const xp = k > 1 ? tf.concat([tf.zeros([k - 1, b, c]), xt], 0) : xt;
  let y: tf.Tensor = bias;
  for (let j = 0; j < k; j++) y = xp.slice(j, l).mul(w.slice(j, 1)).add(y);
  return y.transpose([1, 0, 2]) as tf.Tensor3D;
}

/** Additive causal mask [L, L]: 0 where key s <= query t, -1e9 above the diagonal. */
export function causalMaskBias(l: number): tf.Tensor2D {
  const m = new Float32Array(l * l);
  for (let t = 0; t < l; t++) for (let s = t + 1; s < l; s++) m[t * l + s] = -1e9;
  return tf.tensor2d(m, [l, l]);
}

/**
 * `x[:, positions, :]`. Read-outs sit at evenly spaced tokens (every x-token: 0, 2, 4, ...; every
 * third token for chain-of-thought), so an arithmetic progression is taken with a pad, a reshape
 * and a slice, whose gradients exist on every backend (gather's gradient, UnsortedSegmentSum, is
 * missing on wasm and costs extra dispatches on WebGPU). Any other set of positions uses gather.
 */
export function selectPositions(x: tf.Tensor3D, positions: Int32Array): tf.Tensor3D {
  const [b, l, d] = x.shape;
  const even = evenlySpaced(positions, l);
  if (!even) return tf.gather(x, tf.tensor1d(positions, 'int32'), 1);
  const { start, stride, count: n } = even;
  if (n === l && stride === 1) return x;
  const groups = Math.ceil(l / stride);
  const padded =
    groups * stride === l
      ? x
      : x.pad([
          [0, 0],
          [0, groups * stride - l],
          [0, 0],
        ]);
  const grouped = padded.reshape([b, groups, stride, d]);
  return grouped.slice([0, 0, start, 0], [b, n, 1, d]).reshape([b, n, d]);
}

/**
 * Positions start, start + stride, ... (count of them, start < stride, all < l) as such; null when
 * they are not evenly spaced that way.
 */
export function evenlySpaced(
  positions: Int32Array,
  l: number,
): { start: number; stride: number; count: number } | null {
  const n = positions.length;
  const start = positions[0] ?? 0;
  const stride = n > 1 ? positions[1] - start : 1;
  if (!(n > 0 && stride > 0 && start >= 0 && start < stride)) return null;
  for (let i = 0; i < n; i++) {
    if (positions[i] !== start + i * stride || positions[i] >= l) return null;
  }
  return { start, stride, count: n };
}
