/**
 * S4D (diagonal LTI state space) kernel, the S4 block and the S4-Mamba block (paper.md section 3;
 * s4d.py and mamba_simple.S4Mamba of the authors' code).
 *
 * S4D kernel, H channels, M = N / 2 complex modes, local names under `kernel.`:
 *   kernel.C          [H, M, 2]  complex C as (re, im) (torch.view_as_real), C ~ complex N(0, 1):
 *                                 re and im each N(0, 1/2) (torch.randn with cfloat)
 *   kernel.log_dt     [H]        U[ln 1e-3, ln 1e-1]
 *   kernel.log_A_real [H, M]     ln 0.5
 *   kernel.A_imag     [H, M]     pi * m
 * dt = exp(log_dt); A = -exp(log_A_real) + i A_imag; C' = C (exp(dt A) - 1) / A;
 * K[h, l] = 2 Re sum_m C'[h, m] exp(dt A[h, m] l), l = 0..L-1; y = K * u (causal) + D u.
 *
 * S4 mixer (S4Wrapper -> S4D), local names: s4.D [H] ~ N(0, 1), s4.kernel.*,
 *   s4.output_linear.0.weight [2H, H, 1], s4.output_linear.0.bias [2H] (Conv1d(H, 2H, 1), default init)
 *   y = GELU(K * u + D u) (exact erf GELU, nn.GELU()); out = GLU(Conv1d(y)) = a * sigmoid(b).
 *
 * S4-Mamba mixer (S4Mamba), local names: in_proj.weight [2Di, D], conv1d.weight [Di, 1, K],
 *   conv1d.bias [Di], S4DMamba.D [Di], S4DMamba.kernel.*, out_proj.weight [D, Di]:
 *   x, z = in_proj(X); u = SiLU(conv(x)); y = K * u + D u; y = y * z; out = out_proj(y).
 *   As in the released code the gate is z itself (S4DMamba multiplies by `gate` = z, no SiLU).
 *   Training only: dropout p = S4_MAMBA_DROPOUT (0.1, S4Mamba's default in the released code) on
 *   K * u + D u before the gate, tied over L (DropoutNd: one keep/drop per (batch, channel), the kept
 *   ones scaled by 1 / (1 - p)); the mask is passed in (`s4MambaDropoutMask`, seeded by the caller).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random/rng';
import type { ModelKernels } from './fused';
import { causalDepthwiseConv, geluErf, linear, silu } from './ops';
import {
  constantInit,
  type Initialiser,
  normalInit,
  type ParamGetter,
  type ParamSpec,
  torchDefaultInit,
} from './params';

export const S4D_DT_MIN = 1e-3;
export const S4D_DT_MAX = 1e-1;

const logUniformInit =
  (lo: number, hi: number): Initialiser =>
  (rng, size) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = rng.uniformIn(Math.log(lo), Math.log(hi));
    return out;
  };

const aImagInit =
  (modes: number): Initialiser =>
  (_rng, size) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = Math.PI * (i % modes);
    return out;
  };

/** Specs of an S4D kernel with H channels and state size N (M = N / 2 modes), names `kernel.*`. */
export function s4dKernelSpecs(h: number, dState: number): ParamSpec[] {
  const m = dState / 2;
  return [
    { name: 'kernel.C', shape: [h, m, 2], init: normalInit(Math.SQRT1_2) },
    { name: 'kernel.log_dt', shape: [h], init: logUniformInit(S4D_DT_MIN, S4D_DT_MAX) },
    { name: 'kernel.log_A_real', shape: [h, m], init: constantInit(Math.log(0.5)) },
    { name: 'kernel.A_imag', shape: [h, m], init: aImagInit(m) },
  ];
}

/** The S4D convolution kernel K [H, L] from the `kernel.*` parameters (fused when `kernels` has it). */
export function s4dKernel(get: ParamGetter, l: number, kernels?: ModelKernels): tf.Tensor2D {
  const params = [
    get('kernel.C'),
    get('kernel.log_dt'),
    get('kernel.log_A_real'),
    get('kernel.A_imag'),
  ] as const;
  return (kernels?.s4dKernel ?? s4dKernelFromParams)(...params, l);
}

/**
 * K [H, L] from C [H, M, 2] (re, im), log_dt [H], log_A_real [H, M], A_imag [H, M], plain tfjs ops:
 * the reference path of the fused kernel (src/kernels/s4d.ts).
 */
export function s4dKernelFromParams(
  cParts: tf.Tensor,
  logDt: tf.Tensor,
  logAReal: tf.Tensor,
  aImag: tf.Tensor,
  l: number,
): tf.Tensor2D {
  const [h, m] = cParts.shape as [number, number, number];
  const cRe = cParts.slice([0, 0, 0], [h, m, 1]).reshape([h, m]);
  const cIm = cParts.slice([0, 0, 1], [h, m, 1]).reshape([h, m]);
  const dt = tf.exp(logDt).reshape([h, 1]);
  const aRe = tf.exp(logAReal).neg();
  const aIm = aImag;
  const dtARe = aRe.mul(dt);
  const dtAIm = aIm.mul(dt);
  // exp(dt A) - 1
  const mag = tf.exp(dtARe);
  const eRe = mag.mul(tf.cos(dtAIm)).sub(1);
  const eIm = mag.mul(tf.sin(dtAIm));
  // C (exp(dt A) - 1)
  const nRe = cRe.mul(eRe).sub(cIm.mul(eIm));
  const nIm = cRe.mul(eIm).add(cIm.mul(eRe));
  // ... / A
  const den = aRe.square().add(aIm.square());
  const pRe = nRe.mul(aRe).add(nIm.mul(aIm)).div(den);
  const pIm = nIm.mul(aRe).sub(nRe.mul(aIm)).div(den);
  // exp(dt A l) = exp(dt Re(A) l) (cos(dt Im(A) l) + i sin(dt Im(A) l)), l = 0..L-1: [H, M, L]
  const steps = tf.range(0, l, 1, 'float32');
  const re = dtARe.expandDims(2).mul(steps);
  const im = dtAIm.expandDims(2).mul(steps);
  const decay = tf.exp(re);
  const realPart = pRe
    .expandDims(2)
    .mul(tf.cos(im))
    .sub(pIm.expandDims(2).mul(tf.sin(im)))
    .mul(decay);
  return realPart.sum(1).mul(2) as tf.Tensor2D;
}

/** Toeplitz gather indices: idx[t * L + s] = t - s for s <= t, else L (a zero column). */
function toeplitzIndices(l: number): Int32Array {
  const idx = new Int32Array(l * l);
  for (let t = 0; t < l; t++) for (let s = 0; s < l; s++) idx[t * l + s] = s <= t ? t - s : l;
  return idx;
}

/**
 * On WebGPU, up to this length, the Toeplitz matrix is taken as a product with a constant 0/1
 * selection matrix [(L + 1), L^2] (at most 2.1M floats) instead of a gather: the gather's gradient
 * is a segment sum, which tfjs's WebGPU backend runs with float atomics emulated by
 * compare-and-swap loops, many threads on the same few bins; the product's gradient is a plain
 * matmul. On the CPU backends the gather is cheaper (the product costs H L^3 multiply-adds).
 * Measured on the H200 (bench/s4-step.ts), this was not what made S4-Mamba slow (176 vs 196 ms a
 * step): the ~900 small dispatches of the unfused S4D kernel were. Training on WebGPU now takes the
 * fused kernel and convolution (src/kernels/s4d.ts); this path serves the probes and the tests.
 */
export const TOEPLITZ_MATMUL_MAX_L = 128;

const selections = new Map<number, tf.Tensor2D>();

/** How the Toeplitz matrix is built: 'auto' (the product on WebGPU up to the limit), or forced. */
export type ToeplitzMode = 'auto' | 'matmul' | 'gather';
let toeplitzMode: ToeplitzMode = 'auto';
/** Tests and benchmarks only (s4-conv.test.ts, bench/s4-step.ts). */
export function setToeplitzMode(mode: ToeplitzMode): void {
  toeplitzMode = mode;
}

function bySelection(l: number): boolean {
  if (toeplitzMode !== 'auto') return toeplitzMode === 'matmul';
  return l <= TOEPLITZ_MATMUL_MAX_L && tf.getBackend() === 'webgpu';
}

/** The constant selection matrix of length `l`: S[j, t * L + s] = 1 where idx[t * L + s] = j. */
function toeplitzSelection(l: number): tf.Tensor2D {
  let sel = selections.get(l);
  if (!sel || sel.isDisposed) {
    const idx = toeplitzIndices(l);
    const values = new Float32Array((l + 1) * l * l);
    for (let k = 0; k < idx.length; k++) values[idx[k] * l * l + k] = 1;
    sel = tf.keep(tf.tensor2d(values, [l + 1, l * l]));
    selections.set(l, sel);
  }
  return sel;
}

/**
 * Causal convolution y[b, t, h] = sum_{s<=t} K[h, t - s] u[b, s, h] (as the FFT convolution of
 * s4d.py, computed directly): a Toeplitz matrix per channel, one batched matmul.
 * u: [B, L, H], K: [H, L] -> [B, L, H].
 */
export function causalConvolve(u: tf.Tensor3D, k: tf.Tensor2D): tf.Tensor3D {
  const [, l, h] = u.shape;
  const padded = tf.concat([k, tf.zeros([h, 1])], 1);
  const flat = bySelection(l)
    ? tf.matMul(padded, toeplitzSelection(l))
    : tf.gather(padded, tf.tensor1d(toeplitzIndices(l), 'int32'), 1);
  const toeplitz = flat.reshape([h, l, l]) as tf.Tensor3D;
  const y = tf.matMul(toeplitz, u.transpose([2, 1, 0]) as tf.Tensor3D); // [H, L, B]
  return y.transpose([2, 1, 0]) as tf.Tensor3D;
}

/** Kernel and skip of an S4D layer, kept for the probes. */
export interface S4Trace {
  /** [H, L] convolution kernel */
  kernel: tf.Tensor2D;
  /** [H] */
  D: tf.Tensor1D;
}

/** K * u + D u with the S4D parameters under `get` (`kernel.*`, `D`). u: [B, L, H]. */
function s4dConv(
  u: tf.Tensor3D,
  get: ParamGetter,
  trace?: (t: S4Trace) => void,
  kernels?: ModelKernels,
): tf.Tensor3D {
  const k = s4dKernel(get, u.shape[1], kernels);
  const D = get('D') as tf.Tensor1D;
  if (trace) trace({ kernel: k, D });
  if (kernels?.s4dConv) return kernels.s4dConv(u, k, D);
  return causalConvolve(u, k).add(u.mul(D)) as tf.Tensor3D;
}

export function s4MixerSpecs(d: number, dState: number): ParamSpec[] {
  return [
    { name: 's4.D', shape: [d], init: normalInit(1) },
    ...s4dKernelSpecs(d, dState).map((s) => ({ ...s, name: `s4.${s.name}` })),
    { name: 's4.output_linear.0.weight', shape: [2 * d, d, 1], init: torchDefaultInit(d) },
    { name: 's4.output_linear.0.bias', shape: [2 * d], init: torchDefaultInit(d) },
  ];
}

/** The S4 mixer: GLU(Conv1d(GELU(K * u + D u))). x: [B, L, D] -> [B, L, D]. */
export function s4Mixer(
  x: tf.Tensor3D,
  get: ParamGetter,
  trace?: (t: S4Trace) => void,
  kernels?: ModelKernels,
): tf.Tensor3D {
  const d = x.shape[2];
  const s4get: ParamGetter = (name) => get(`s4.${name}`);
  const y = geluErf(s4dConv(x, s4get, trace, kernels));
  // Conv1d(H, 2H, 1) then GLU over channels: a * sigmoid(b), a / b = first / second H outputs
  const w = get('s4.output_linear.0.weight').reshape([2 * d, d]);
  const bias = get('s4.output_linear.0.bias');
  const a = linear(y, w.slice(0, d), bias.slice(0, d));
  const gate = linear(y, w.slice(d, d), bias.slice(d, d));
  return a.mul(tf.sigmoid(gate)) as tf.Tensor3D;
}

export interface S4MambaDims {
  dModel: number;
  dInner: number;
  dState: number;
  dConv: number;
}

export function s4MambaMixerSpecs(dims: S4MambaDims, nLayer: number): ParamSpec[] {
  const { dModel: d, dInner: di, dState: n, dConv: k } = dims;
  return [
    { name: 'in_proj.weight', shape: [2 * di, d], init: torchDefaultInit(d) },
    { name: 'conv1d.weight', shape: [di, 1, k], init: torchDefaultInit(k) },
    { name: 'conv1d.bias', shape: [di], init: torchDefaultInit(k) },
    { name: 'S4DMamba.D', shape: [di], init: normalInit(1) },
    ...s4dKernelSpecs(di, n).map((s) => ({ ...s, name: `S4DMamba.${s.name}` })),
    { name: 'out_proj.weight', shape: [d, di], init: torchDefaultInit(di, 1 / Math.sqrt(nLayer)) },
  ];
}

/** S4Mamba's dropout probability in the released code (S4Mamba(dropout=0.1)), training only. */
export const S4_MAMBA_DROPOUT = 0.1;

/**
 * A dropout mask tied over L, [B, 1, channels]: each entry 1 / (1 - p) with probability 1 - p,
 * else 0, drawn in (batch, channel) order from `rng`.
 */
export function s4MambaDropoutMask(
  rng: Rng,
  batch: number,
  channels: number,
  p = S4_MAMBA_DROPOUT,
): tf.Tensor3D {
  const keep = 1 - p;
  const mask = new Float32Array(batch * channels);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < keep ? 1 / keep : 0;
  return tf.tensor3d(mask, [batch, 1, channels]);
}

/**
 * The S4-Mamba mixer. x: [B, L, D] -> [B, L, D]. `dropoutMask` ([B, 1, dInner], training only)
 * multiplies K * u + D u before the gate.
 */
export function s4MambaMixer(
  x: tf.Tensor3D,
  get: ParamGetter,
  dims: S4MambaDims,
  trace?: (t: S4Trace) => void,
  dropoutMask?: tf.Tensor3D,
  kernels?: ModelKernels,
): tf.Tensor3D {
  const di = dims.dInner;
  // x, z = in_proj(X), as the two row blocks of in_proj.weight
  const inProj = get('in_proj.weight');
  const xIn = linear(x, inProj.slice(0, di)) as tf.Tensor3D;
  const z = linear(x, inProj.slice(di, di));
  const convW = get('conv1d.weight');
  const convB = get('conv1d.bias');
  const u = kernels?.causalConvSilu
    ? kernels.causalConvSilu(xIn, convW, convB, 0)
    : (silu(causalDepthwiseConv(xIn, convW, convB)) as tf.Tensor3D);
  const ssm = s4dConv(u, (name) => get(`S4DMamba.${name}`), trace, kernels);
  const y = (dropoutMask ? ssm.mul(dropoutMask) : ssm).mul(z);
  return linear(y, get('out_proj.weight')) as tf.Tensor3D;
}
