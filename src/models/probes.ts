/**
 * What the visualisations read from a model on one probe prompt (paper.md section 6), as plain
 * typed arrays, and the float64 JavaScript that derives them from the traced tensors.
 */
import type { ArchKind } from './config';

export interface AttentionProbe {
  kind: 'attention';
  /** block index in the backbone */
  layer: number;
  /** parameter prefix of the block's mixer, e.g. '_backbone.layers.1.mixer' */
  name: string;
  nHead: number;
  seqLen: number;
  /** [nHead, L, L] softmax(QK^T / sqrt(hd)) per head, rows = queries (zero above the diagonal) */
  weights: Float32Array;
}

export interface MambaProbe {
  kind: 'mamba';
  layer: number;
  name: string;
  seqLen: number;
  dInner: number;
  dState: number;
  /** [L, Di] Delta_t per channel (after softplus) */
  delta: Float32Array;
  /** [L] ||h_t|| over all channels and states (Frobenius) */
  stateNorm: Float32Array;
  /** [L, Di] ||h_t[d, :]|| per channel */
  stateNormPerChannel: Float32Array;
  /**
   * [L, L] implicit attention averaged over channels, alpha[t, s] = mean_d alpha_d[t, s], with
   * alpha_d[t, s] = sum_n C_t[n] exp(A[d, n] sum_{k=s+1..t} Delta_k[d]) Delta_s[d] B_s[n] (s <= t,
   * 0 above the diagonal), so that y_t[d] = sum_{s<=t} alpha_d[t, s] u_s[d] + D u_t before the gate.
   * null when the probe was asked to skip it.
   */
  implicitAttention: Float32Array | null;
}

export interface S4Probe {
  kind: 's4';
  layer: number;
  name: string;
  seqLen: number;
  channels: number;
  /** [H, L] the LTI convolution kernel K[h, l] */
  kernel: Float32Array;
  /** [L, L] mean_h K[h, t - s] for s <= t: the S4 counterpart of the implicit attention */
  implicitAttention: Float32Array;
}

export type LayerProbe = AttentionProbe | MambaProbe | S4Probe;

export interface ProbeResult {
  arch: ArchKind;
  seqLen: number;
  /** one entry per backbone block that has something to show, in block order */
  layers: LayerProbe[];
  /** per head, [L, dim]: the head's read-out at every position of the probe prompt */
  outputs: Float32Array[];
}

export interface ProbeOptions {
  /** which prompt of the batch (default 0) */
  index?: number;
  /** compute Mamba's implicit attention, O(L^2 Di N) (default true) */
  implicitAttention?: boolean;
}

/** One prompt's scan inputs: u, delta [L, Di]; A [Di, N]; B, C [L, N]. */
export interface ScanInputs {
  seqLen: number;
  dInner: number;
  dState: number;
  u: ArrayLike<number>;
  delta: ArrayLike<number>;
  A: ArrayLike<number>;
  B: ArrayLike<number>;
  C: ArrayLike<number>;
}

/** ||h_t|| (all channels) and ||h_t[d, :]|| per channel, by running the recurrence in float64. */
export function mambaStateNorms(s: ScanInputs): { stateNorm: Float32Array; perChannel: Float32Array } {
  const { seqLen: l, dInner: di, dState: n, u, delta, A, B } = s;
  const h = new Float64Array(di * n);
  const stateNorm = new Float32Array(l);
  const perChannel = new Float32Array(l * di);
  for (let t = 0; t < l; t++) {
    let total = 0;
    for (let d = 0; d < di; d++) {
      const dt = delta[t * di + d];
      const du = dt * u[t * di + d];
      let ch = 0;
      for (let k = 0; k < n; k++) {
        const v = Math.exp(dt * A[d * n + k]) * h[d * n + k] + du * B[t * n + k];
        h[d * n + k] = v;
        ch += v * v;
      }
      perChannel[t * di + d] = Math.sqrt(ch);
      total += ch;
    }
    stateNorm[t] = Math.sqrt(total);
  }
  return { stateNorm, perChannel };
}

/**
 * Implicit attention alpha_d[t, s] (see MambaProbe), averaged over the channels in `channels`
 * (default all). [L, L], row t = query. O(L^2 |channels| N).
 */
export function mambaImplicitAttention(s: ScanInputs, channels?: readonly number[]): Float64Array {
  const { seqLen: l, dInner: di, dState: n, delta, A, B, C } = s;
  const chans = channels ?? Array.from({ length: di }, (_, d) => d);
  const out = new Float64Array(l * l);
  const p = new Float64Array(n);
  for (const d of chans) {
    for (let t = 0; t < l; t++) {
      // p[k] = exp(A[d, k] sum_{j=s+1..t} Delta_j[d]), built from s = t downwards.
      p.fill(1);
      for (let s0 = t; s0 >= 0; s0--) {
        const ds = delta[s0 * di + d];
        let acc = 0;
        for (let k = 0; k < n; k++) acc += C[t * n + k] * p[k] * B[s0 * n + k];
        out[t * l + s0] += acc * ds;
        for (let k = 0; k < n; k++) p[k] *= Math.exp(A[d * n + k] * ds);
      }
    }
  }
  const scale = 1 / chans.length;
  for (let i = 0; i < out.length; i++) out[i] *= scale;
  return out;
}

/** mean_h K[h, t - s] for s <= t (0 above the diagonal). kernel: [H, L]. */
export function s4ImplicitAttention(kernel: ArrayLike<number>, channels: number, l: number): Float32Array {
  const mean = new Float64Array(l);
  for (let h = 0; h < channels; h++) for (let j = 0; j < l; j++) mean[j] += kernel[h * l + j] / channels;
  const out = new Float32Array(l * l);
  for (let t = 0; t < l; t++) for (let s = 0; s <= t; s++) out[t * l + s] = mean[t - s];
  return out;
}
