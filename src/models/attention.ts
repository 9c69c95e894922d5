/**
 * Causal multi-head self-attention, the hybrids' attention mixer and the GPT-2 layer.
 *
 * Hybrid attention mixer (mamba_simple.CausalSelfAttention of the authors' code), local names:
 *   c_attn.weight [3D, D], c_attn.bias [3D]   nn.Linear(D, 3D) -> q, k, v
 *   c_proj.weight [D, D],  c_proj.bias [D]    nn.Linear(D, D)
 * PyTorch-default weights U(+-1/sqrt(D)); biases zero (MixerModel's _init_weights zeroes Linear biases).
 *
 * GPT-2 layer (HF GPT2Block), local names, Conv1D weights in the layout [in, out]:
 *   ln_1.weight, ln_1.bias [D]
 *   attn.c_attn.weight [D, 3D], attn.c_attn.bias [3D]
 *   attn.c_proj.weight [D, D],  attn.c_proj.bias [D]
 *   ln_2.weight, ln_2.bias [D]
 *   mlp.c_fc.weight [D, 4D],    mlp.c_fc.bias [4D]
 *   mlp.c_proj.weight [4D, D],  mlp.c_proj.bias [D]
 * HF init: weights N(0, 0.02), the two c_proj weights N(0, 0.02 / sqrt(2 n_layer)), biases 0, LN 1/0.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelKernels } from './fused';
import { causalMaskBias, conv1dGpt2, geluTanh, layerNorm, linear } from './ops';
import { constantInit, normalInit, type ParamGetter, type ParamSpec, torchDefaultInit } from './params';

/** Receives the attention weights [B * nHead, L, L] (rows: queries, columns: keys). */
export type AttentionWeightsSink = (weights: tf.Tensor3D) => void;

export function layerNormSpecs(d: number, prefix: string): ParamSpec[] {
  return [
    { name: `${prefix}weight`, shape: [d], init: constantInit(1) },
    { name: `${prefix}bias`, shape: [d], init: constantInit(0) },
  ];
}

/** [B, L, H*hd] -> [B*H, L, hd] */
function splitHeads(x: tf.Tensor, b: number, l: number, h: number, hd: number): tf.Tensor3D {
  return x
    .reshape([b, l, h, hd])
    .transpose([0, 2, 1, 3])
    .reshape([b * h, l, hd]);
}

/**
 * softmax(q k^T / sqrt(hd) + causal mask) v per head. q, k, v: [B, L, D] -> [B, L, D].
 */
export function causalAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  nHead: number,
  sink?: AttentionWeightsSink,
): tf.Tensor3D {
  const [b, l, d] = q.shape as [number, number, number];
  const hd = d / nHead;
  const qh = splitHeads(q, b, l, nHead, hd);
  const kh = splitHeads(k, b, l, nHead, hd);
  const vh = splitHeads(v, b, l, nHead, hd);
  const scores = tf
    .matMul(qh, kh, false, true)
    .mul(1 / Math.sqrt(hd))
    .add(causalMaskBias(l));
  const weights = tf.softmax(scores) as tf.Tensor3D;
  if (sink) sink(weights);
  const out = tf.matMul(weights, vh); // [B*H, L, hd]
  return out.reshape([b, nHead, l, hd]).transpose([0, 2, 1, 3]).reshape([b, l, d]);
}

export function hybridAttentionSpecs(d: number): ParamSpec[] {
  return [
    { name: 'c_attn.weight', shape: [3 * d, d], init: torchDefaultInit(d) },
    { name: 'c_attn.bias', shape: [3 * d], init: constantInit(0) },
    { name: 'c_proj.weight', shape: [d, d], init: torchDefaultInit(d) },
    { name: 'c_proj.bias', shape: [d], init: constantInit(0) },
  ];
}

/** Split the last axis of [.., 3D] into q, k, v. */
function qkv(x: tf.Tensor, d: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const [q, k, v] = tf.split(x, [d, d, d], -1);
  return [q, k, v];
}

/**
 * The hybrids' attention mixer: c_proj(attention(c_attn(x))) (+ `residual` when given, added by
 * c_proj's matmul where fused; `biasInResidual`: the residual already holds c_proj's bias).
 * x: [B, L, D] -> [B, L, D].
 */
export function hybridAttention(
  x: tf.Tensor3D,
  get: ParamGetter,
  nHead: number,
  sink?: AttentionWeightsSink,
  kernels?: ModelKernels,
  residual?: tf.Tensor3D,
  biasInResidual = false,
): tf.Tensor3D {
  const kernel = sink ? undefined : kernels?.linear;
  const packed = linear(x, get('c_attn.weight'), get('c_attn.bias'), { kernel }) as tf.Tensor3D;
  return hybridAttentionFromQkv(packed, get, nHead, sink, kernels, residual, biasInResidual);
}

/**
 * `hybridAttention` from c_attn's output, packed qkv [B, L, 3D] (computed by the caller: above, or
 * a block whose LayerNorm and c_attn are one kernel).
 */
export function hybridAttentionFromQkv(
  packed: tf.Tensor3D,
  get: ParamGetter,
  nHead: number,
  sink?: AttentionWeightsSink,
  kernels?: ModelKernels,
  residual?: tf.Tensor3D,
  biasInResidual = false,
): tf.Tensor3D {
  const d = packed.shape[2] / 3;
  const kernel = sink ? undefined : kernels?.linear;
  let y: tf.Tensor3D;
  if (kernels?.attention && !sink) y = kernels.attention(packed, nHead);
  else {
    const [q, k, v] = qkv(packed, d);
    y = causalAttention(q, k, v, nHead, sink);
  }
  const bias = biasInResidual ? undefined : get('c_proj.bias');
  return linear(y, get('c_proj.weight'), bias, { kernel, residual }) as tf.Tensor3D;
}

export function gpt2LayerSpecs(d: number, nLayer: number): ParamSpec[] {
  const std = 0.02;
  const projStd = std / Math.sqrt(2 * nLayer);
  return [
    ...layerNormSpecs(d, 'ln_1.'),
    { name: 'attn.c_attn.weight', shape: [d, 3 * d], init: normalInit(std) },
    { name: 'attn.c_attn.bias', shape: [3 * d], init: constantInit(0) },
    { name: 'attn.c_proj.weight', shape: [d, d], init: normalInit(projStd) },
    { name: 'attn.c_proj.bias', shape: [d], init: constantInit(0) },
    ...layerNormSpecs(d, 'ln_2.'),
    { name: 'mlp.c_fc.weight', shape: [d, 4 * d], init: normalInit(std) },
    { name: 'mlp.c_fc.bias', shape: [4 * d], init: constantInit(0) },
    { name: 'mlp.c_proj.weight', shape: [4 * d, d], init: normalInit(projStd) },
    { name: 'mlp.c_proj.bias', shape: [d], init: constantInit(0) },
  ];
}

/** One GPT-2 layer: r += Attn(LN_1(r)); r += MLP(LN_2(r)). x: [B, L, D] -> [B, L, D]. */
export function gpt2Layer(
  x: tf.Tensor3D,
  get: ParamGetter,
  nHead: number,
  sink?: AttentionWeightsSink,
  kernels?: ModelKernels,
): tf.Tensor3D {
  const d = x.shape[2];
  const ln = kernels?.layerNorm ?? layerNorm;
  const kernel = sink ? undefined : kernels?.linear;
  // LN(v) and v for the residual; through the LayerNorm kernel when fused (see ModelKernels), which
  // then also adds the bias of the matmul that adds the residual (so that matmul takes no bias)
  const keep = kernels?.layerNormKeep;
  // LN(v) and the linear after it as one kernel where fused (which also hands on v + the shift)
  const fold = sink ? undefined : kernels?.layerNormLinear;
  const lnKeep = (v: tf.Tensor, p: string, proj: string): [tf.Tensor, tf.Tensor] =>
    keep
      ? keep(v, get(`${p}weight`), get(`${p}bias`), get(`${proj}bias`))
      : [ln(v, get(`${p}weight`), get(`${p}bias`)), v];
  const lnLinear = (
    v: tf.Tensor,
    p: string,
    w: string,
    proj: string,
    bias?: tf.Tensor,
  ): [tf.Tensor3D, tf.Tensor] => {
    const [b, l] = v.shape;
    const [y, kept] = fold!(
      v.reshape([b * l, d]) as tf.Tensor2D,
      get(`${p}weight`),
      get(`${p}bias`),
      get(w) as tf.Tensor2D,
      false,
      bias,
      get(`${proj}bias`),
    );
    return [y.reshape([b, l, -1]), kept.reshape([b, l, d])];
  };
  const projBias = (proj: string) => (keep || fold ? undefined : get(`${proj}bias`));
  let packed: tf.Tensor3D;
  let x1: tf.Tensor;
  if (fold)
    [packed, x1] = lnLinear(x, 'ln_1.', 'attn.c_attn.weight', 'attn.c_proj.', get('attn.c_attn.bias'));
  else {
    const [h1, kept] = lnKeep(x, 'ln_1.', 'attn.c_proj.');
    x1 = kept;
    packed = conv1dGpt2(h1, get('attn.c_attn.weight'), get('attn.c_attn.bias'), { kernel }) as tf.Tensor3D;
  }
  let att: tf.Tensor3D;
  if (kernels?.attention && !sink) att = kernels.attention(packed, nHead);
  else {
    const [q, k, v] = qkv(packed, d);
    att = causalAttention(q, k, v, nHead, sink);
  }
  // r = x + c_proj(att), m = r + c_proj(MLP(..)): the residual adds inside the matmuls where fused
  const r = conv1dGpt2(att, get('attn.c_proj.weight'), projBias('attn.c_proj.'), { kernel, residual: x1 });
  let fc: tf.Tensor;
  let r2: tf.Tensor;
  if (fold) {
    // the MLP's bias goes with its GELU where that is fused, else into the matmul
    const gelu = kernels?.biasGelu;
    const [pre, kept] = lnLinear(
      r,
      'ln_2.',
      'mlp.c_fc.weight',
      'mlp.c_proj.',
      gelu ? undefined : get('mlp.c_fc.bias'),
    );
    r2 = kept;
    fc = gelu ? gelu(pre, get('mlp.c_fc.bias')) : geluTanh(pre);
  } else {
    const [h2, kept] = lnKeep(r, 'ln_2.', 'mlp.c_proj.');
    r2 = kept;
    fc = kernels?.biasGelu
      ? kernels.biasGelu(conv1dGpt2(h2, get('mlp.c_fc.weight')), get('mlp.c_fc.bias'))
      : geluTanh(conv1dGpt2(h2, get('mlp.c_fc.weight'), get('mlp.c_fc.bias'), { kernel }));
  }
  return conv1dGpt2(fc, get('mlp.c_proj.weight'), projBias('mlp.c_proj.'), {
    kernel,
    residual: r2,
  }) as tf.Tensor3D;
}
