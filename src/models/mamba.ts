/**
 * The Mamba mixer exactly as paper.md section 4 (mamba_simple.Mamba + selective_scan_ref of
 * state-spaces/mamba v1.1.1), in tfjs. Each numbered step of section 4 is marked "(k)" below.
 *
 * Parameters (local names = the keys of Mamba.state_dict(), PyTorch layouts):
 *   in_proj.weight  [2 Di, D]      Linear(D -> 2 Di), no bias
 *   conv1d.weight   [Di, 1, K]     depthwise Conv1d, groups = Di
 *   conv1d.bias     [Di]
 *   x_proj.weight   [R + 2N, Di]   Linear(Di -> R + 2N), no bias
 *   dt_proj.weight  [Di, R]        Linear(R -> Di)
 *   dt_proj.bias    [Di]
 *   A_log           [Di, N]
 *   D               [Di]
 *   out_proj.weight [D, Di]        Linear(Di -> D), no bias
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelKernels } from './fused';
import { causalDepthwiseConv, linear, silu, softplus } from './ops';
import {
  constantInit,
  type Initialiser,
  type ParamGetter,
  type ParamSpec,
  torchDefaultInit,
  uniformInit,
} from './params';
import type { SelectiveScanFn } from './selective-scan-reference';

export interface MambaDims {
  /** D */
  dModel: number;
  /** Di = expand * D */
  dInner: number;
  /** N */
  dState: number;
  /** K */
  dConv: number;
  /** R = ceil(D / 16) unless given */
  dtRank: number;
}

export function mambaDims(dModel: number, dState = 16, dConv = 4, expand = 2, dtRank?: number): MambaDims {
  return {
    dModel,
    dInner: expand * dModel,
    dState,
    dConv,
    dtRank: dtRank ?? Math.ceil(dModel / 16),
  };
}

/** dt range and floor of the Delta-bias initialisation (mamba_simple defaults). */
export const DT_MIN = 1e-3;
export const DT_MAX = 1e-1;
export const DT_INIT_FLOOR = 1e-4;

/**
 * dt_proj.bias = softplus^-1(dt), dt log-uniform in [dtMin, dtMax], floored at `floor`;
 * softplus^-1(dt) = dt + log(-expm1(-dt)) (stable form, as the authors' code).
 */
export const dtBiasInit =
  (dtMin = DT_MIN, dtMax = DT_MAX, floor = DT_INIT_FLOOR): Initialiser =>
  (rng, size) => {
    const out = new Float32Array(size);
    const lo = Math.log(dtMin);
    const hi = Math.log(dtMax);
    for (let i = 0; i < size; i++) {
      const dt = Math.max(Math.exp(rng.uniformIn(lo, hi)), floor);
      out[i] = dt + Math.log(-Math.expm1(-dt));
    }
    return out;
  };

/** A_log[d, n] = ln(n + 1), so A = -(1, 2, ..., N) in every channel (S4D-real). */
export const aLogInit =
  (dState: number): Initialiser =>
  (_rng, size) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = Math.log((i % dState) + 1);
    return out;
  };

/**
 * Parameter specs of one Mamba mixer with the authors' initialisation. `nLayer` is the n_layer of
 * the MixerModel: every out_proj.weight is PyTorch-default initialised, then divided by sqrt(n_layer).
 */
export function mambaMixerSpecs(dims: MambaDims, nLayer: number): ParamSpec[] {
  const { dModel: d, dInner: di, dState: n, dConv: k, dtRank: r } = dims;
  return [
    { name: 'in_proj.weight', shape: [2 * di, d], init: torchDefaultInit(d) },
    // Conv1d default with fan_in = (in_channels / groups) * K = K: U(+-1/sqrt(K)) = U(+-1/2) for K = 4
    { name: 'conv1d.weight', shape: [di, 1, k], init: torchDefaultInit(k) },
    { name: 'conv1d.bias', shape: [di], init: torchDefaultInit(k) },
    { name: 'x_proj.weight', shape: [r + 2 * n, di], init: torchDefaultInit(di) },
    // dt_init "random": U(+-dt_rank^-1/2 * dt_scale), dt_scale = 1
    { name: 'dt_proj.weight', shape: [di, r], init: uniformInit(r ** -0.5) },
    { name: 'dt_proj.bias', shape: [di], init: dtBiasInit() },
    { name: 'A_log', shape: [di, n], init: aLogInit(n) },
    { name: 'D', shape: [di], init: constantInit(1) },
    { name: 'out_proj.weight', shape: [d, di], init: torchDefaultInit(di, 1 / Math.sqrt(nLayer)) },
  ];
}

/** The inputs of the scan, kept for the probes (paper.md section 6). */
export interface MambaTrace {
  /** [B, L, Di] scan input (after conv + SiLU) */
  u: tf.Tensor3D;
  /** [B, L, Di] Delta after softplus */
  delta: tf.Tensor3D;
  /** [Di, N] */
  A: tf.Tensor2D;
  /** [B, L, N] */
  B: tf.Tensor3D;
  /** [B, L, N] */
  C: tf.Tensor3D;
  /** [Di] */
  D: tf.Tensor1D;
}

/**
 * Mamba mixer forward. x: [B, L, D] -> [B, L, D]. `get` resolves the local names above.
 * `trace`, when given, receives the scan inputs (still owned by the surrounding tidy: keep them).
 * With `kernels.selectiveScan` (and no trace), the fused path `mambaMixerFused` runs instead.
 * `residual` [B, L, D], when given, is added to the output (by out_proj's matmul where fused).
 */
export function mambaMixer(
  x: tf.Tensor3D,
  get: ParamGetter,
  dims: MambaDims,
  scan: SelectiveScanFn,
  trace?: (t: MambaTrace) => void,
  kernels?: ModelKernels,
  residual?: tf.Tensor3D,
): tf.Tensor3D {
  if (kernels?.selectiveScan && !trace) return mambaMixerFused(x, get, dims, kernels, residual);
  const { dInner: di, dState: n, dtRank: r } = dims;

  // (1) xz = in_proj(X): [B, L, 2 Di]; x = first Di channels, z = second Di.
  // (computed as two matmuls with the two row blocks of in_proj.weight: the same numbers, and no
  // strided slice of the activations)
  const inProj = get('in_proj.weight');
  const xIn = linear(x, inProj.slice(0, di)) as tf.Tensor3D;
  const z = linear(x, inProj.slice(di, di)) as tf.Tensor3D;

  // (2) causal depthwise conv on x (zero left padding, K taps, bias), then u = SiLU(x').
  const u = silu(causalDepthwiseConv(xIn, get('conv1d.weight'), get('conv1d.bias'))) as tf.Tensor3D;

  // (3) x_proj(u): Linear(Di -> R + 2N), no bias; split [dt_low (R), B_t (N), C_t (N)]
  // (again as the row blocks of x_proj.weight).
  const xProj = get('x_proj.weight');
  const dtLow = linear(u, xProj.slice(0, r));
  const bT = linear(u, xProj.slice(r, n)) as tf.Tensor3D;
  const cT = linear(u, xProj.slice(r + n, n)) as tf.Tensor3D;

  // (4) Delta = softplus(dt_proj(dt_low)), dt_proj = Linear(R -> Di) with bias (stable softplus).
  const delta = softplus(linear(dtLow, get('dt_proj.weight'), get('dt_proj.bias'))) as tf.Tensor3D;

  // (5) A = -exp(A_log): [Di, N].
  const A = tf.exp(get('A_log')).neg() as tf.Tensor2D;
  const D = get('D') as tf.Tensor1D;

  if (trace) trace({ u, delta, A, B: bT, C: cT, D });

  // (6) A_bar = exp(Delta A), B_bar u = Delta B_t u; (7) h_t = A_bar h_{t-1} + B_bar u, h_0 = 0;
  // (8) y_t = sum_n h_t[:, n] C_t[n] + D u_t; (9) y = y * SiLU(z): all inside the selective scan.
  const y = scan(u, delta, A, bT, cT, D, z);

  // (10) out = out_proj(y): Linear(Di -> D), no bias.
  return linear(y, get('out_proj.weight'), undefined, { residual }) as tf.Tensor3D;
}

/**
 * The same mixer through fused kernels (src/kernels): in_proj as one matmul (x and z stay in its
 * [B, L, 2 Di] output), the conv + SiLU reads x from it, x_proj as one matmul, and one selective-scan
 * kernel does steps (4)-(9) (dt_proj, softplus, A = -exp(A_log), the scan, D skip, SiLU(z) gate).
 */
export function mambaMixerFused(
  x: tf.Tensor3D,
  get: ParamGetter,
  dims: MambaDims,
  kernels: ModelKernels,
  residual?: tf.Tensor3D,
): tf.Tensor3D {
  const xz = linear(x, get('in_proj.weight'), undefined, { kernel: kernels.linear }) as tf.Tensor3D; // (1) [B, L, 2 Di]
  return mambaMixerFusedFromInProj(xz, get, dims, kernels, residual);
}

/** Steps (2)-(3) as two kernels (or plain ops): [xdbl, u, xz], u and xz handed on to the scan. */
function convThenXProj(
  xz: tf.Tensor3D,
  get: ParamGetter,
  di: number,
  xProj: tf.Tensor2D,
  kernels: ModelKernels,
): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const [u, xzScan] = kernels.causalConvSiluKeep
    ? kernels.causalConvSiluKeep(xz, get('conv1d.weight'), get('conv1d.bias'), 0)
    : [
        kernels.causalConvSilu
          ? kernels.causalConvSilu(xz, get('conv1d.weight'), get('conv1d.bias'), 0)
          : (silu(
              causalDepthwiseConv(
                xz.slice([0, 0, 0], [xz.shape[0], xz.shape[1], di]) as tf.Tensor3D,
                get('conv1d.weight'),
                get('conv1d.bias'),
              ),
            ) as tf.Tensor3D),
        xz,
      ];
  const [b, l] = u.shape;
  const [xdbl, uScan] = kernels.linearKeep
    ? kernels.linearKeep(u.reshape([b * l, di]), xProj, true).map((t) => t.reshape([b, l, -1]) as tf.Tensor3D)
    : [linear(u, xProj) as tf.Tensor3D, u];
  return [xdbl, uScan, xzScan];
}

/**
 * Steps (2)-(10) of the fused mixer, from (1)'s xz = in_proj(x) [B, L, 2 Di] (computed by the caller:
 * `mambaMixerFused`, or a block whose LayerNorm and in_proj are one kernel).
 */
export function mambaMixerFusedFromInProj(
  xz: tf.Tensor3D,
  get: ParamGetter,
  dims: MambaDims,
  kernels: ModelKernels,
  residual?: tf.Tensor3D,
): tf.Tensor3D {
  const { dInner: di } = dims;
  const xProj = get('x_proj.weight') as tf.Tensor2D;
  // (2) u = SiLU(conv(x)) and (3) xdbl = x_proj(u) [B, L, R + 2N]: one kernel when fused (u and xz
  // reach the scan through it, their gradients then add in its backward), else the conv kernel (xz
  // handed on to the scan, z's gradient adding in the conv's backward) and x_proj's (u handed on,
  // its gradient adding in du's matmul)
  const [xdbl, uScan, xzScan] = kernels.convSiluLinear
    ? kernels.convSiluLinear(xz, get('conv1d.weight'), get('conv1d.bias'), 0, xProj)
    : convThenXProj(xz, get, di, xProj, kernels);
  const y = kernels.selectiveScan!({
    u: uScan,
    xdbl,
    z: xzScan,
    zOffset: di,
    dtW: get('dt_proj.weight') as tf.Tensor2D,
    dtBias: get('dt_proj.bias') as tf.Tensor1D,
    ALog: get('A_log') as tf.Tensor2D,
    D: get('D') as tf.Tensor1D,
  }); // (4)-(9)
  // (10), plus the residual when given
  return linear(y, get('out_proj.weight'), undefined, { kernel: kernels.linear, residual }) as tf.Tensor3D;
}
