/**
 * The seam for fused kernels (src/kernels): optional replacements of the hot paths, each with the
 * same maths as the plain-ops code it replaces. `buildModel(..., { kernels })` uses whichever are
 * given; absent ones keep the reference path (and the probes always use the reference path, which
 * exposes the intermediate tensors they show).
 */
import type * as tf from '@tensorflow/tfjs';

/** Inputs of the fused selective scan (paper.md section 4 steps 4-9), see kernels/selective-scan/. */
export interface FusedScanArgs {
  /** [B, L, Di] scan input (after the causal conv and SiLU) */
  u: tf.Tensor3D;
  /** [B, L, R + 2N] x_proj(u) unsplit: dt_low, B_t, C_t */
  xdbl: tf.Tensor3D;
  /** [B, L, Zw]: the gate is z[..., zOffset : zOffset + Di] (Zw a multiple of Di) */
  z: tf.Tensor3D;
  zOffset?: number;
  /** dt_proj.weight [Di, R] */
  dtW: tf.Tensor2D;
  /** dt_proj.bias [Di] (Delta = softplus(dt_low dtW^T + dtBias), computed inside) */
  dtBias: tf.Tensor1D;
  /** A_log [Di, N] (A = -exp(A_log), computed inside) */
  ALog: tf.Tensor2D;
  /** [Di] */
  D: tf.Tensor1D;
}

export interface ModelKernels {
  /** y = selective scan with softplus(dt + bias), A = -exp(A_log), D skip and SiLU(z) gate -> [B, L, Di] */
  selectiveScan?: (args: FusedScanArgs) => tf.Tensor3D;
  /**
   * SiLU(causal depthwise conv(x[..., offset : offset + C]) + bias) -> [B, L, C], with
   * weight [C, 1, K], bias [C], x [B, L, Cx] (Cx a multiple of C).
   */
  causalConvSilu?: (x: tf.Tensor3D, weight: tf.Tensor, bias: tf.Tensor, offset: number) => tf.Tensor3D;
  /** `causalConvSilu` and x itself, handed on (the scan reads z from it): one consumer of x */
  causalConvSiluKeep?: (
    x: tf.Tensor3D,
    weight: tf.Tensor,
    bias: tf.Tensor,
    offset: number,
  ) => [tf.Tensor3D, tf.Tensor3D];
  /**
   * [x_proj(u), u, x] with u = `causalConvSilu(x, weight, bias, offset)` and x_proj's weight [N, C]
   * (nn.Linear's layout): the conv and the matmul that reads it (Mamba's steps (2)-(3)) in one
   * kernel; u and x handed on (the scan reads both), their gradients added in its backward
   */
  convSiluLinear?: (
    x: tf.Tensor3D,
    weight: tf.Tensor,
    bias: tf.Tensor,
    offset: number,
    projWeight: tf.Tensor2D,
  ) => [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  /** LayerNorm over the last axis (eps 1e-5) */
  layerNorm?: (x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor) => tf.Tensor;
  /**
   * [LayerNorm(x), x (+ shift)]: x handed on for the residual stream, so that its gradient is added
   * in the LayerNorm's backward (one consumer of x instead of two, no separate gradient add); the
   * shift, when given, is the bias of the matmul that adds the residual (added here instead)
   */
  layerNormKeep?: (
    x: tf.Tensor,
    weight: tf.Tensor,
    bias: tf.Tensor,
    shift?: tf.Tensor,
  ) => [tf.Tensor, tf.Tensor];
  /**
   * [LN(x) W (+ bias), x (+ shift)] for x [M, K]: a block's LayerNorm and the linear that reads it
   * (in_proj, c_attn, c_fc; W as `linear` takes it), the second output the residual stream as
   * `layerNormKeep`'s
   */
  layerNormLinear?: (
    x: tf.Tensor2D,
    lnWeight: tf.Tensor,
    lnBias: tf.Tensor,
    weight: tf.Tensor2D,
    transposeWeight: boolean,
    bias?: tf.Tensor,
    shift?: tf.Tensor,
  ) => [tf.Tensor2D, tf.Tensor2D];
  /** causal multi-head softmax attention from packed qkv [B, L, 3D] (q | k | v) -> [B, L, D] */
  attention?: (qkv: tf.Tensor3D, nHead: number) => tf.Tensor3D;
  /** GELU (tanh approximation) of x + bias, bias broadcast over the last axis */
  biasGelu?: (x: tf.Tensor, bias: tf.Tensor) => tf.Tensor;
  /** the S4D convolution kernel K [H, L] from C [H, M, 2], log_dt [H], log_A_real [H, M], A_imag [H, M] */
  s4dKernel?: (
    cParts: tf.Tensor,
    logDt: tf.Tensor,
    logAReal: tf.Tensor,
    aImag: tf.Tensor,
    l: number,
  ) => tf.Tensor2D;
  /** K * u (causal, per channel) + D u: u [B, L, H], K [H, L], D [H] -> [B, L, H] */
  s4dConv?: (u: tf.Tensor3D, k: tf.Tensor2D, d: tf.Tensor1D) => tf.Tensor3D;
  /**
   * x [M, in] times the weight (transposed: nn.Linear's [out, in]; else GPT-2 Conv1D's [in, out])
   * plus bias [out] and / or a residual [M, out] -> [M, out], the additions inside the matmul
   */
  linear?: (
    x: tf.Tensor2D,
    weight: tf.Tensor2D,
    transposeWeight: boolean,
    bias?: tf.Tensor,
    residual?: tf.Tensor2D,
  ) => tf.Tensor2D;
  /**
   * a read-out: x [B, L, in] at positions start + i stride (i < count) times the weight (layouts as
   * `linear`) plus bias -> [B, count, out], reading the rows in place (no slice of x)
   */
  linearRows?: (
    x: tf.Tensor3D,
    rows: { start: number; stride: number; count: number },
    weight: tf.Tensor2D,
    transposeWeight: boolean,
    bias?: tf.Tensor,
  ) => tf.Tensor3D;
  /**
   * the model's final LayerNorm and a read-out at evenly spaced positions (as `linearRows`), only
   * the rows read normalised
   */
  layerNormLinearRows?: (
    x: tf.Tensor3D,
    rows: { start: number; stride: number; count: number },
    lnWeight: tf.Tensor,
    lnBias: tf.Tensor,
    weight: tf.Tensor2D,
    transposeWeight: boolean,
    bias?: tf.Tensor,
  ) => tf.Tensor3D;
  /** [x W^T (or x W), x] (layouts as `linear`): x handed on, its gradient added in dx's matmul */
  linearKeep?: (x: tf.Tensor2D, weight: tf.Tensor2D, transposeWeight: boolean) => [tf.Tensor2D, tf.Tensor2D];
  /** the training loss sum(mask (pred - target)^2) / denom; pred, target [B, T, dim], mask [B, T, 1] */
  /** `denom`: [the divisor] (uploaded as that array) */
  /** `objective`: the loss is differentiated with an upstream gradient of 1 (the training step's sum of losses) */
  maskedMse?: (
    pred: tf.Tensor,
    target: tf.Tensor,
    mask: tf.Tensor,
    denom: Float32Array,
    objective?: boolean,
  ) => tf.Scalar;
}
