/**
 * Causal multi-head attention from packed qkv [B, L, 3D] as JavaScript loops over the wasm heap
 * (host-kernels.ts registers it): per (b, head, query t) the scores over keys s <= t, softmax with
 * the row maximum, out = P V and the row's log-sum-exp; backward (FlashAttention's equations, P from
 * q, k and the log-sum-exp): dq_t = scale sum_s dS_ts k_s, dk_s = scale sum_t dS_ts q_t,
 * dv_s = sum_t P_ts dout_t with dS_ts = P_ts (dout_t . v_s - dout_t . out_t). Same kernel names,
 * inputs and outputs as the WGSL kernels of attention.ts; row arithmetic in float64.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { ATTENTION, ATTENTION_GRAD } from './attention';
import { expNonPositive, hostIo } from './host-io';

export interface AttentionDims {
  b: number;
  l: number;
  d: number;
  h: number;
  hd: number;
}

function attentionDims(qkv: TensorInfo, nHead: number): AttentionDims {
  const [b, l, d3] = qkv.shape;
  const d = d3 / 3;
  if (qkv.shape.length !== 3 || !Number.isInteger(d) || d % nHead !== 0) {
    throw new Error(`${ATTENTION}: qkv [B, L, 3D] with D a multiple of ${nHead} heads, got [${qkv.shape}]`);
  }
  return { b, l, d, h: nHead, hd: d / nHead };
}

/** out [B, L, D] and lse [B, H, L] from qkv [B, L, 3D]. */
export function attentionForwardHost(
  dims: AttentionDims,
  qkv: Float32Array,
  out: Float32Array,
  lse: Float32Array,
): void {
  const { b: nb, l: nl, d, h: nh, hd } = dims;
  const scale = 1 / Math.sqrt(hd);
  const w = 3 * d;
  const p = new Float64Array(nl);
  const acc = new Float64Array(hd);
  for (let b = 0; b < nb; b++) {
    for (let h = 0; h < nh; h++) {
      for (let t = 0; t < nl; t++) {
        const qo = (b * nl + t) * w + h * hd;
        let max = Number.NEGATIVE_INFINITY;
        for (let s = 0; s <= t; s++) {
          const ko = (b * nl + s) * w + d + h * hd;
          let sc = 0;
          for (let j = 0; j < hd; j++) sc += qkv[qo + j] * qkv[ko + j];
          sc *= scale;
          p[s] = sc;
          if (sc > max) max = sc;
        }
        let sum = 0;
        acc.fill(0);
        for (let s = 0; s <= t; s++) {
          const e = expNonPositive(p[s] - max);
          sum += e;
          const vo = (b * nl + s) * w + 2 * d + h * hd;
          for (let j = 0; j < hd; j++) acc[j] += e * qkv[vo + j];
        }
        const oo = (b * nl + t) * d + h * hd;
        const inv = 1 / sum;
        for (let j = 0; j < hd; j++) out[oo + j] = acc[j] * inv;
        lse[(b * nh + h) * nl + t] = max + Math.log(sum);
      }
    }
  }
}

/** dqkv [B, L, 3D] from qkv, out, lse and dout [B, L, D]. */
export function attentionBackwardHost(
  dims: AttentionDims,
  qkv: Float32Array,
  out: Float32Array,
  lse: Float32Array,
  dout: Float32Array,
  dqkv: Float32Array,
): void {
  const { b: nb, l: nl, d, h: nh, hd } = dims;
  const scale = 1 / Math.sqrt(hd);
  const w = 3 * d;
  const dq = new Float64Array(hd);
  const dk = new Float64Array(nl * hd);
  const dv = new Float64Array(nl * hd);
  for (let b = 0; b < nb; b++) {
    for (let h = 0; h < nh; h++) {
      dk.fill(0);
      dv.fill(0);
      for (let t = 0; t < nl; t++) {
        const qo = (b * nl + t) * w + h * hd;
        const oo = (b * nl + t) * d + h * hd;
        let dt = 0; // dout_t . out_t
        for (let j = 0; j < hd; j++) dt += dout[oo + j] * out[oo + j];
        const m = lse[(b * nh + h) * nl + t];
        dq.fill(0);
        for (let s = 0; s <= t; s++) {
          const ko = (b * nl + s) * w + d + h * hd;
          const vo = ko + d;
          let sc = 0;
          let dp = 0;
          for (let j = 0; j < hd; j++) {
            sc += qkv[qo + j] * qkv[ko + j];
            dp += dout[oo + j] * qkv[vo + j];
          }
          const pr = expNonPositive(Math.min(0, sc * scale - m));
          const ds = pr * (dp - dt) * scale;
          const so = s * hd;
          for (let j = 0; j < hd; j++) {
            dq[j] += ds * qkv[ko + j];
            dk[so + j] += ds * qkv[qo + j];
            dv[so + j] += pr * dout[oo + j];
          }
        }
        for (let j = 0; j < hd; j++) dqkv[qo + j] = dq[j];
      }
      for (let s = 0; s < nl; s++) {
        const ko = (b * nl + s) * w + d + h * hd;
        const so = s * hd;
        for (let j = 0; j < hd; j++) {
          dqkv[ko + j] = dk[so + j];
          dqkv[ko + d + j] = dv[so + j];
        }
      }
    }
  }
}

export const attentionForward: KernelFunc = ({ inputs, backend, attrs }) => {
  const qkv = inputs.qkv as TensorInfo;
  const dims = attentionDims(qkv, Number(attrs?.nHead));
  const io = hostIo('wasm', backend, ATTENTION);
  const { infos, arrays } = io.outputs([
    [dims.b, dims.l, dims.d],
    [dims.b, dims.h, dims.l],
  ]);
  attentionForwardHost(dims, io.read(qkv), arrays[0], arrays[1]);
  return infos;
};

export const attentionBackward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { qkv, out, lse, dy } = inputs as Record<string, TensorInfo>;
  const dims = attentionDims(qkv, Number(attrs?.nHead));
  const io = hostIo('wasm', backend, ATTENTION_GRAD);
  const { infos, arrays } = io.outputs([qkv.shape.slice()]);
  attentionBackwardHost(dims, io.read(qkv), io.read(out), io.read(lse), io.read(dy), arrays[0]);
  return infos[0];
};
