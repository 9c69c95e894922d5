/**
 * The fused kernels of attention.ts, layer-norm.ts, gelu.ts, conv.ts and linear.ts's column sum as
 * plain JavaScript loops over the tensors' memory, registered for 'wasm' (the backend of machines
 * without a usable GPU). Same kernel names, inputs, outputs and gradients as the WebGPU kernels, so
 * `fusedAttention`, `fusedLayerNorm(Keep)`, `fusedBiasGelu` and `fusedCausalConvSilu(Keep)` run one
 * kernel each on wasm instead of tens of small
 * tfjs ops (wasm: ~0.05-0.1 ms of overhead per op, and batched or transposed matmuls off XNNPACK).
 * 'cpu' keeps the plain ops: it is the reference the WebGPU and wasm kernels are tested against.
 * Row arithmetic is float64; inputs and outputs float32.
 *
 *  - IclCausalAttention / IclCausalAttentionGrad: host-attention.ts.
 *  - IclLayerNorm / IclLayerNormKeep / IclLayerNormGrad: torch LayerNorm (biased variance, eps
 *    LAYER_NORM_EPS); dx = rstd (dy w - mean(dy w) - xhat mean(dy w xhat)) (+ the residual's dres),
 *    dw = sum dy xhat, db = sum dy over rows.
 *  - IclCausalConvSilu / IclCausalConvSiluGrad: Mamba's causal depthwise conv + bias + SiLU read
 *    from channels [offset, offset + C) of x (keep: x handed on, its other gradient dres added to dx).
 *  - IclColumnSum: the sum over the rows of [M, N] (bias gradients; tfjs's sum over axis 0 transposes
 *    first), in float64.
 *  - IclBiasGelu / IclBiasGeluGrad: GELU_tanh(x + bias), the tanh argument clamped to +-15 as in
 *    src/models/ops.ts geluTanh (and its derivative zero outside).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { LAYER_NORM_EPS } from '../models/ops';
import { ATTENTION, ATTENTION_GRAD } from './attention';
import { registerKernelOnce } from './common';
import { CONV_SILU, CONV_SILU_GRAD } from './conv';
import { BIAS_GELU, BIAS_GELU_GRAD } from './gelu';
import { attentionBackward, attentionForward } from './host-attention';
import { expNonPositive, hostIo } from './host-io';
import {
  biasGeluBackwardSimd,
  biasGeluForwardSimd,
  convSiluBackwardSimd,
  convSiluForwardSimd,
  layerNormBackwardSimd,
  layerNormForwardSimd,
  runsSimdConv,
  runsSimdGelu,
  runsSimdLayerNorm,
} from './host-simd-kernels';
import { LAYER_NORM, LAYER_NORM_GRAD, LAYER_NORM_KEEP } from './layer-norm';
import { COLUMN_SUM } from './linear';

/** The backends with these kernels. */
export const HOST_KERNEL_BACKENDS = ['wasm'] as const;

// ---------------------------------------------------------------------------------------------
// LayerNorm

/** y = LayerNorm(x) w + b over rows of c; `kept` (when given) = x + shift. */
export function layerNormForwardHost(
  rows: number,
  c: number,
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array,
  y: Float32Array,
  shift?: Float32Array,
  kept?: Float32Array,
): void {
  for (let row = 0; row < rows; row++) {
    const o = row * c;
    let s = 0;
    for (let k = 0; k < c; k++) s += x[o + k];
    const mean = s / c;
    let v = 0;
    for (let k = 0; k < c; k++) {
      const e = x[o + k] - mean;
      v += e * e;
    }
    const rstd = 1 / Math.sqrt(v / c + LAYER_NORM_EPS);
    for (let k = 0; k < c; k++) y[o + k] = (x[o + k] - mean) * rstd * weight[k] + bias[k];
    if (shift && kept) for (let k = 0; k < c; k++) kept[o + k] = x[o + k] + shift[k];
  }
}

/** dx (+ dres when given), dw, db of LayerNorm over rows of c. */
export function layerNormBackwardHost(
  rows: number,
  c: number,
  x: Float32Array,
  weight: Float32Array,
  dy: Float32Array,
  dres: Float32Array | undefined,
  dx: Float32Array,
  dw: Float32Array,
  db: Float32Array,
): void {
  const sw = new Float64Array(c);
  const sb = new Float64Array(c);
  const xh = new Float64Array(c);
  for (let row = 0; row < rows; row++) {
    const o = row * c;
    let s = 0;
    for (let k = 0; k < c; k++) s += x[o + k];
    const mean = s / c;
    let v = 0;
    for (let k = 0; k < c; k++) {
      const e = x[o + k] - mean;
      v += e * e;
    }
    const rstd = 1 / Math.sqrt(v / c + LAYER_NORM_EPS);
    let s1 = 0;
    let s2 = 0;
    for (let k = 0; k < c; k++) {
      const g = dy[o + k];
      const xk = (x[o + k] - mean) * rstd;
      xh[k] = xk;
      const gw = g * weight[k];
      s1 += gw;
      s2 += gw * xk;
      sw[k] += g * xk;
      sb[k] += g;
    }
    s1 /= c;
    s2 /= c;
    for (let k = 0; k < c; k++) {
      const r = rstd * (dy[o + k] * weight[k] - s1 - xh[k] * s2);
      dx[o + k] = dres ? r + dres[o + k] : r;
    }
  }
  dw.set(sw);
  db.set(sb);
}

const rowsOf = (x: TensorInfo): [number, number] => {
  const c = x.shape[x.shape.length - 1];
  return [tf.util.sizeFromShape(x.shape) / c, c];
};

const layerNormForward: KernelFunc = ({ inputs, backend }) => {
  const { x, weight, bias } = inputs as Record<string, TensorInfo>;
  const [rows, c] = rowsOf(x);
  const io = hostIo('wasm', backend, LAYER_NORM);
  const { infos, arrays } = io.outputs([x.shape.slice()]);
  if (runsSimdLayerNorm(c))
    layerNormForwardSimd(c, LAYER_NORM_EPS, io.read(x), io.read(weight), io.read(bias), arrays[0]);
  else layerNormForwardHost(rows, c, io.read(x), io.read(weight), io.read(bias), arrays[0]);
  return infos[0];
};

const layerNormKeep: KernelFunc = (args) => {
  const { x, weight, bias, shift } = args.inputs as Record<string, TensorInfo | undefined>;
  if (!x || !weight || !bias) throw new Error(`${LAYER_NORM_KEEP}: x, weight and bias are required`);
  if (!shift) {
    const y = layerNormForward(args) as TensorInfo;
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return [y, { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype }];
  }
  const [rows, c] = rowsOf(x);
  const io = hostIo('wasm', args.backend, LAYER_NORM_KEEP);
  const { infos, arrays } = io.outputs([x.shape.slice(), x.shape.slice()]);
  const [y, kept] = arrays;
  const xs = io.read(x);
  if (runsSimdLayerNorm(c)) {
    layerNormForwardSimd(c, LAYER_NORM_EPS, xs, io.read(weight), io.read(bias), y);
    const sh = io.read(shift);
    for (let i = 0; i < kept.length; i++) kept[i] = xs[i] + sh[i % c];
  } else layerNormForwardHost(rows, c, xs, io.read(weight), io.read(bias), y, io.read(shift), kept);
  return infos;
};

const layerNormBackward: KernelFunc = ({ inputs, backend }) => {
  const { x, weight, dy, dres } = inputs as Record<string, TensorInfo | undefined>;
  if (!x || !weight || !dy) throw new Error(`${LAYER_NORM_GRAD}: x, weight and dy are required`);
  const [rows, c] = rowsOf(x);
  const io = hostIo('wasm', backend, LAYER_NORM_GRAD);
  const { infos, arrays } = io.outputs([x.shape.slice(), [c], [c]]);
  const [dx, dw, db] = arrays;
  const ins = [io.read(x), io.read(weight), io.read(dy), dres ? io.read(dres) : undefined] as const;
  if (runsSimdLayerNorm(c)) layerNormBackwardSimd(c, LAYER_NORM_EPS, ...ins, dx, dw, db);
  else layerNormBackwardHost(rows, c, ...ins, dx, dw, db);
  return infos;
};

// ---------------------------------------------------------------------------------------------
// Bias + GELU (tanh)

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * tanh(clamp(v, -15, 15)) as (1 - e) / (1 + e) with e = exp(-2 |v|) <= 1 (expNonPositive: V8's
 * Math.tanh costs several times more); absolute error ~1e-16.
 */
export function tanhClamped(v: number): number {
  const a = Math.min(15, Math.abs(v));
  const e = expNonPositive(-2 * a);
  const t = (1 - e) / (1 + e);
  return v < 0 ? -t : t;
}

/** out = GELU_tanh(x + bias[i % c]). */
export function biasGeluForwardHost(c: number, x: Float32Array, bias: Float32Array, out: Float32Array): void {
  for (let o = 0; o < x.length; o += c) {
    for (let k = 0; k < c; k++) {
      const a = x[o + k] + bias[k];
      const th = tanhClamped(GELU_C * (a + 0.044715 * a * a * a));
      out[o + k] = 0.5 * a * (1 + th);
    }
  }
}

/** dx = dy GELU_tanh'(x + bias[i % c]). */
export function biasGeluBackwardHost(
  c: number,
  x: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  for (let o = 0; o < x.length; o += c) {
    for (let k = 0; k < c; k++) {
      const i = o + k;
      const a = x[i] + bias[k];
      const v = GELU_C * (a + 0.044715 * a * a * a);
      const th = tanhClamped(v);
      const dv = Math.abs(v) <= 15 ? GELU_C * (1 + 3 * 0.044715 * a * a) : 0;
      dx[i] = dy[i] * (0.5 * (1 + th) + 0.5 * a * (1 - th * th) * dv);
    }
  }
}

const biasGeluForward: KernelFunc = ({ inputs, backend }) => {
  const { x, bias } = inputs as Record<string, TensorInfo>;
  const io = hostIo('wasm', backend, BIAS_GELU);
  const { infos, arrays } = io.outputs([x.shape.slice()]);
  const c = bias.shape[0];
  if (runsSimdGelu(c)) biasGeluForwardSimd(c, io.read(x), io.read(bias), arrays[0]);
  else biasGeluForwardHost(c, io.read(x), io.read(bias), arrays[0]);
  return infos[0];
};

const biasGeluBackward: KernelFunc = ({ inputs, backend }) => {
  const { x, bias, dy } = inputs as Record<string, TensorInfo>;
  const io = hostIo('wasm', backend, BIAS_GELU_GRAD);
  const { infos, arrays } = io.outputs([x.shape.slice()]);
  const c = bias.shape[0];
  if (runsSimdGelu(c)) biasGeluBackwardSimd(c, io.read(x), io.read(bias), io.read(dy), arrays[0]);
  else biasGeluBackwardHost(c, io.read(x), io.read(bias), io.read(dy), arrays[0]);
  return infos[0];
};

// ---------------------------------------------------------------------------------------------
// Causal depthwise convolution + bias + SiLU (Mamba)

/** sigmoid(p) through expNonPositive(-|p|). */
export function sigmoidHost(p: number): number {
  const e = expNonPositive(-Math.abs(p));
  return p >= 0 ? 1 / (1 + e) : e / (1 + e);
}

export interface ConvDims {
  b: number;
  l: number;
  cx: number;
  c: number;
  k: number;
  offset: number;
}

function convDims(x: TensorInfo, w: TensorInfo, offset: number): ConvDims {
  const [b, l, cx] = x.shape;
  const c = w.shape[0];
  const k = w.shape[w.shape.length - 1];
  if (x.shape.length !== 3 || offset < 0 || offset + c > cx) {
    throw new Error(`${CONV_SILU}: channels [${offset}, ${offset + c}) outside x [${x.shape}]`);
  }
  return { b, l, cx, c, k, offset };
}

/** u [B, L, C] = SiLU(bias + causal depthwise conv of x's channels [offset, offset + C)). */
export function convSiluForwardHost(
  dims: ConvDims,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  u: Float32Array,
): void {
  const { b: nb, l: nl, cx, c: nc, k: nk, offset } = dims;
  for (let b = 0; b < nb; b++) {
    for (let t = 0; t < nl; t++) {
      const uo = (b * nl + t) * nc;
      for (let c = 0; c < nc; c++) {
        let pre = bias[c];
        for (let j = Math.max(0, nk - 1 - t); j < nk; j++) {
          pre += w[c * nk + j] * x[(b * nl + t - nk + 1 + j) * cx + offset + c];
        }
        u[uo + c] = pre * sigmoidHost(pre);
      }
    }
  }
}

/** dx [B, L, Cx] (+ dres, zeros elsewhere), dw [C, 1, K], db [C] of the conv + SiLU. */
export function convSiluBackwardHost(
  dims: ConvDims,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  dres: Float32Array | undefined,
  dx: Float32Array,
  dw: Float32Array,
  db: Float32Array,
): void {
  const { b: nb, l: nl, cx, c: nc, k: nk, offset } = dims;
  const dpre = new Float64Array(nl * nc);
  const sw = new Float64Array(nc * nk);
  const sb = new Float64Array(nc);
  if (dres) dx.set(dres);
  else dx.fill(0);
  for (let b = 0; b < nb; b++) {
    for (let t = 0; t < nl; t++) {
      for (let c = 0; c < nc; c++) {
        let pre = bias[c];
        for (let j = Math.max(0, nk - 1 - t); j < nk; j++) {
          pre += w[c * nk + j] * x[(b * nl + t - nk + 1 + j) * cx + offset + c];
        }
        const sg = sigmoidHost(pre);
        const g = dy[(b * nl + t) * nc + c] * sg * (1 + pre * (1 - sg));
        dpre[t * nc + c] = g;
        sb[c] += g;
        for (let j = Math.max(0, nk - 1 - t); j < nk; j++) {
          sw[c * nk + j] += g * x[(b * nl + t - nk + 1 + j) * cx + offset + c];
        }
      }
    }
    for (let s = 0; s < nl; s++) {
      const xo = (b * nl + s) * cx + offset;
      for (let c = 0; c < nc; c++) {
        // x[s] feeds the outputs t = s + K - 1 - j for the taps j with t < L
        let acc = 0;
        for (let j = Math.max(0, s + nk - nl); j < nk; j++)
          acc += dpre[(s + nk - 1 - j) * nc + c] * w[c * nk + j];
        dx[xo + c] += acc;
      }
    }
  }
  dw.set(sw);
  db.set(sb);
}

const convForward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias } = inputs as Record<string, TensorInfo>;
  const dims = convDims(x, weight, Number(attrs?.offset ?? 0));
  const io = hostIo('wasm', backend, CONV_SILU);
  const { infos, arrays } = io.outputs([[dims.b, dims.l, dims.c]]);
  const run = runsSimdConv(dims) ? convSiluForwardSimd : convSiluForwardHost;
  run(dims, io.read(x), io.read(weight), io.read(bias), arrays[0]);
  if (!attrs?.keep) return infos[0];
  (backend as tf.KernelBackend).incRef(x.dataId);
  return [infos[0], { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype }];
};

const convBackward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias, dy, dres } = inputs as Record<string, TensorInfo | undefined>;
  if (!x || !weight || !bias || !dy)
    throw new Error(`${CONV_SILU_GRAD}: x, weight, bias and dy are required`);
  const dims = convDims(x, weight, Number(attrs?.offset ?? 0));
  const io = hostIo('wasm', backend, CONV_SILU_GRAD);
  const { infos, arrays } = io.outputs([x.shape.slice(), weight.shape.slice(), [dims.c]]);
  const [dx, dw, db] = arrays;
  const run = runsSimdConv(dims) ? convSiluBackwardSimd : convSiluBackwardHost;
  run(
    dims,
    io.read(x),
    io.read(weight),
    io.read(bias),
    io.read(dy),
    dres ? io.read(dres) : undefined,
    dx,
    dw,
    db,
  );
  return infos;
};

// ---------------------------------------------------------------------------------------------
// Column sum (bias gradients)

/** out [N] = sum over the rows of x [M, N], in float64. */
export function columnSumHost(m: number, n: number, x: Float32Array, out: Float32Array): void {
  const acc = new Float64Array(n);
  for (let row = 0; row < m; row++) {
    const o = row * n;
    for (let c = 0; c < n; c++) acc[c] += x[o + c];
  }
  out.set(acc);
}

const columnSum: KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as Record<string, TensorInfo>;
  const [m, n] = x.shape;
  const io = hostIo('wasm', backend, COLUMN_SUM);
  const { infos, arrays } = io.outputs([[n]]);
  columnSumHost(m, n, io.read(x), arrays[0]);
  return infos[0];
};

// ---------------------------------------------------------------------------------------------

/** Register the host kernels for 'wasm' (replacing earlier registrations). */
export function registerHostKernels(): void {
  const kernels: Array<[string, KernelFunc]> = [
    [ATTENTION, attentionForward],
    [ATTENTION_GRAD, attentionBackward],
    [LAYER_NORM, layerNormForward],
    [LAYER_NORM_KEEP, layerNormKeep],
    [LAYER_NORM_GRAD, layerNormBackward],
    [BIAS_GELU, biasGeluForward],
    [BIAS_GELU_GRAD, biasGeluBackward],
    [CONV_SILU, convForward],
    [CONV_SILU_GRAD, convBackward],
    [COLUMN_SUM, columnSum],
  ];
  for (const backendName of HOST_KERNEL_BACKENDS) {
    for (const [kernelName, kernelFunc] of kernels)
      registerKernelOnce({ kernelName, backendName, kernelFunc });
  }
}
