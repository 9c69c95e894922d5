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

/**
 * out [B, L, D] and lse [B, H, L] from qkv [B, L, 3D]. Head dims that are a multiple of 8 (the
 * presets' 8 and 16) take attentionForwardBy8, the same sums with the head dim in unrolled groups of
 * 8 (~1.8x faster in V8 than the loop over j).
 */
export function attentionForwardHost(
  dims: AttentionDims,
  qkv: Float32Array,
  out: Float32Array,
  lse: Float32Array,
): void {
  if (dims.hd % 8 === 0) attentionForwardBy8(dims, qkv, out, lse);
  else attentionForwardAnyHd(dims, qkv, out, lse);
}

function attentionForwardAnyHd(
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

/** dqkv [B, L, 3D] from qkv, out, lse and dout [B, L, D] (head dims of 8k: attentionBackwardBy8). */
export function attentionBackwardHost(
  dims: AttentionDims,
  qkv: Float32Array,
  out: Float32Array,
  lse: Float32Array,
  dout: Float32Array,
  dqkv: Float32Array,
): void {
  if (dims.hd % 8 === 0) attentionBackwardBy8(dims, qkv, out, lse, dout, dqkv);
  else attentionBackwardAnyHd(dims, qkv, out, lse, dout, dqkv);
}

function attentionBackwardAnyHd(
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

/** attentionForwardHost for hd = 8k: q pre-scaled, dot products and P V in unrolled groups of 8. */
function attentionForwardBy8(
  dims: AttentionDims,
  qkv: Float32Array,
  out: Float32Array,
  lse: Float32Array,
): void {
  const { b: nb, l: nl, d, h: nh, hd } = dims;
  const scale = 1 / Math.sqrt(hd);
  const w = 3 * d;
  const p = new Float64Array(nl);
  const q = new Float64Array(hd);
  for (let b = 0; b < nb; b++) {
    for (let h = 0; h < nh; h++) {
      const kBase = b * nl * w + d + h * hd;
      for (let t = 0; t < nl; t++) {
        const qo = (b * nl + t) * w + h * hd;
        for (let j = 0; j < hd; j++) q[j] = qkv[qo + j] * scale;
        let max = Number.NEGATIVE_INFINITY;
        for (let s = 0, ko = kBase; s <= t; s++, ko += w) {
          let sc = 0;
          for (let g = 0, k = ko; g < hd; g += 8, k += 8) {
            sc +=
              q[g] * qkv[k] +
              q[g + 1] * qkv[k + 1] +
              q[g + 2] * qkv[k + 2] +
              q[g + 3] * qkv[k + 3] +
              q[g + 4] * qkv[k + 4] +
              q[g + 5] * qkv[k + 5] +
              q[g + 6] * qkv[k + 6] +
              q[g + 7] * qkv[k + 7];
          }
          p[s] = sc;
          if (sc > max) max = sc;
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) {
          const e = expNonPositive(p[s] - max);
          p[s] = e;
          sum += e;
        }
        const inv = 1 / sum;
        const oo = (b * nl + t) * d + h * hd;
        for (let g = 0; g < hd; g += 8) {
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          let a4 = 0;
          let a5 = 0;
          let a6 = 0;
          let a7 = 0;
          for (let s = 0, v = kBase + d + g; s <= t; s++, v += w) {
            const e = p[s];
            a0 += e * qkv[v];
            a1 += e * qkv[v + 1];
            a2 += e * qkv[v + 2];
            a3 += e * qkv[v + 3];
            a4 += e * qkv[v + 4];
            a5 += e * qkv[v + 5];
            a6 += e * qkv[v + 6];
            a7 += e * qkv[v + 7];
          }
          const o = oo + g;
          out[o] = a0 * inv;
          out[o + 1] = a1 * inv;
          out[o + 2] = a2 * inv;
          out[o + 3] = a3 * inv;
          out[o + 4] = a4 * inv;
          out[o + 5] = a5 * inv;
          out[o + 6] = a6 * inv;
          out[o + 7] = a7 * inv;
        }
        lse[(b * nh + h) * nl + t] = max + Math.log(sum);
      }
    }
  }
}

/**
 * attentionBackwardHost for hd = 8k, in three passes per (b, head) with the head dim in unrolled
 * groups of 8: P and dS of every (t, s <= t) into [L, L] tables (two dot products a pair), then
 * dq_t = scale sum_s dS_ts k_s by query, then dk_s = scale sum_t dS_ts q_t and dv_s = sum_t P_ts
 * dout_t by key: every sum in registers, no scattered read-modify-writes.
 */
function attentionBackwardBy8(
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
  const pt = new Float64Array(nl * nl); // P_ts at t * L + s
  const dst = new Float64Array(nl * nl); // scale dS_ts
  for (let b = 0; b < nb; b++) {
    for (let h = 0; h < nh; h++) {
      const qBase = b * nl * w + h * hd;
      const kBase = qBase + d;
      const vBase = qBase + 2 * d;
      const oBase = b * nl * d + h * hd;
      for (let t = 0; t < nl; t++) {
        const qo = qBase + t * w;
        const oo = oBase + t * d;
        let dt = 0; // dout_t . out_t
        for (let j = 0; j < hd; j++) dt += dout[oo + j] * out[oo + j];
        const m = lse[(b * nh + h) * nl + t];
        for (let s = 0; s <= t; s++) {
          const ko = kBase + s * w;
          const vo = vBase + s * w;
          let sc = 0;
          let dp = 0;
          for (let g = 0; g < hd; g += 8) {
            const q = qo + g;
            const k = ko + g;
            const v = vo + g;
            const o = oo + g;
            sc +=
              qkv[q] * qkv[k] +
              qkv[q + 1] * qkv[k + 1] +
              qkv[q + 2] * qkv[k + 2] +
              qkv[q + 3] * qkv[k + 3] +
              qkv[q + 4] * qkv[k + 4] +
              qkv[q + 5] * qkv[k + 5] +
              qkv[q + 6] * qkv[k + 6] +
              qkv[q + 7] * qkv[k + 7];
            dp +=
              dout[o] * qkv[v] +
              dout[o + 1] * qkv[v + 1] +
              dout[o + 2] * qkv[v + 2] +
              dout[o + 3] * qkv[v + 3] +
              dout[o + 4] * qkv[v + 4] +
              dout[o + 5] * qkv[v + 5] +
              dout[o + 6] * qkv[v + 6] +
              dout[o + 7] * qkv[v + 7];
          }
          const pr = expNonPositive(Math.min(0, sc * scale - m));
          pt[t * nl + s] = pr;
          dst[t * nl + s] = pr * (dp - dt) * scale;
        }
      }
      // dq_t = sum_s dS_ts k_s
      for (let t = 0; t < nl; t++) {
        const row = t * nl;
        for (let g = 0; g < hd; g += 8) {
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          let a4 = 0;
          let a5 = 0;
          let a6 = 0;
          let a7 = 0;
          for (let s = 0, k = kBase + g; s <= t; s++, k += w) {
            const e = dst[row + s];
            a0 += e * qkv[k];
            a1 += e * qkv[k + 1];
            a2 += e * qkv[k + 2];
            a3 += e * qkv[k + 3];
            a4 += e * qkv[k + 4];
            a5 += e * qkv[k + 5];
            a6 += e * qkv[k + 6];
            a7 += e * qkv[k + 7];
          }
          const o = qBase + t * w + g;
          dqkv[o] = a0;
          dqkv[o + 1] = a1;
          dqkv[o + 2] = a2;
          dqkv[o + 3] = a3;
          dqkv[o + 4] = a4;
          dqkv[o + 5] = a5;
          dqkv[o + 6] = a6;
          dqkv[o + 7] = a7;
        }
      }
      // dk_s = sum_{t >= s} dS_ts q_t, dv_s = sum_{t >= s} P_ts dout_t
      for (let s = 0; s < nl; s++) {
        for (let g = 0; g < hd; g += 8) {
          let k0 = 0;
          let k1 = 0;
          let k2 = 0;
          let k3 = 0;
          let k4 = 0;
          let k5 = 0;
          let k6 = 0;
          let k7 = 0;
          let v0 = 0;
          let v1 = 0;
          let v2 = 0;
          let v3 = 0;
          let v4 = 0;
          let v5 = 0;
          let v6 = 0;
          let v7 = 0;
          for (let t = s, q = qBase + s * w + g, o = oBase + s * d + g; t < nl; t++, q += w, o += d) {
            const e = dst[t * nl + s];
            const pr = pt[t * nl + s];
            k0 += e * qkv[q];
            k1 += e * qkv[q + 1];
            k2 += e * qkv[q + 2];
            k3 += e * qkv[q + 3];
            k4 += e * qkv[q + 4];
            k5 += e * qkv[q + 5];
            k6 += e * qkv[q + 6];
            k7 += e * qkv[q + 7];
            v0 += pr * dout[o];
            v1 += pr * dout[o + 1];
            v2 += pr * dout[o + 2];
            v3 += pr * dout[o + 3];
            v4 += pr * dout[o + 4];
            v5 += pr * dout[o + 5];
            v6 += pr * dout[o + 6];
            v7 += pr * dout[o + 7];
          }
          const ko = kBase + s * w + g;
          dqkv[ko] = k0;
          dqkv[ko + 1] = k1;
          dqkv[ko + 2] = k2;
          dqkv[ko + 3] = k3;
          dqkv[ko + 4] = k4;
          dqkv[ko + 5] = k5;
          dqkv[ko + 6] = k6;
          dqkv[ko + 7] = k7;
          const vo = ko + d;
          dqkv[vo] = v0;
          dqkv[vo + 1] = v1;
          dqkv[vo + 2] = v2;
          dqkv[vo + 3] = v3;
          dqkv[vo + 4] = v4;
          dqkv[vo + 5] = v5;
          dqkv[vo + 6] = v6;
          dqkv[vo + 7] = v7;
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
