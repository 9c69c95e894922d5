/**
 * The selective scan in plain tfjs ops, on any backend: the forward and the explicit backward of
 * paper.md section 4 (the kernels on webgl / tensorflow, the fallback of the WebGPU backward, and what
 * the WGSL and host kernels are tested against).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { FusedScanArgs } from '../../models/fused';
import { linear, softplus } from '../../models/ops';
import { associativeScan, selectiveScanReference } from '../../models/selective-scan-reference';
import { viaOps } from '../common';
import { type Dims, dimsOf } from './shape';

function splitXdbl(xdbl: tf.Tensor3D, r: number, n: number) {
  const [b, l] = xdbl.shape;
  return {
    dtLow: xdbl.slice([0, 0, 0], [b, l, r]) as tf.Tensor3D,
    Bm: xdbl.slice([0, 0, r], [b, l, n]) as tf.Tensor3D,
    Cm: xdbl.slice([0, 0, r + n], [b, l, n]) as tf.Tensor3D,
  };
}

function gateOf(z: tf.Tensor3D, dims: Dims): tf.Tensor3D {
  return dims.zw === dims.di ? z : (z.slice([0, 0, dims.zOffset], [dims.b, dims.l, dims.di]) as tf.Tensor3D);
}

/** The fused scan in plain tfjs ops (also the unfused path the kernels are tested against). */
export function selectiveScanFusedReference(args: FusedScanArgs): tf.Tensor3D {
  return tf.tidy(() => {
    const { u, xdbl, z, dtW, dtBias, ALog, D } = args;
    const dims = dimsOf(args as unknown as Record<string, TensorInfo>, args.zOffset ?? 0);
    const { dtLow, Bm, Cm } = splitXdbl(xdbl, dims.r, dims.n);
    const delta = softplus(linear(dtLow, dtW, dtBias)) as tf.Tensor3D;
    const A = tf.exp(ALog).neg() as tf.Tensor2D;
    return selectiveScanReference(u, delta, A, Bm, Cm, D, gateOf(z, dims));
  });
}

/** The backward in plain ops (paper.md section 4), returning the grads in INPUT_NAMES order. */
function referenceBackward(t: Record<string, tf.Tensor>, dout: tf.Tensor3D, dims: Dims): tf.Tensor[] {
  const u = t.u as tf.Tensor3D;
  const { b: bt, l, di, r, n } = dims;
  const { dtLow, Bm, Cm } = splitXdbl(t.xdbl as tf.Tensor3D, r, n);
  const z = gateOf(t.z as tf.Tensor3D, dims);
  const dtpre = linear(dtLow, t.dtW, t.dtBias) as tf.Tensor3D;
  const delta = softplus(dtpre) as tf.Tensor3D;
  const A = tf.exp(t.ALog).neg() as tf.Tensor2D;
  const D = t.D;
  const tm = (x: tf.Tensor) => x.transpose([1, 0, 2]); // [B, L, .] <-> [L, B, .]
  const deltaT = tm(delta);
  const uT = tm(u);
  const BT = tm(Bm).expandDims(2); // [L, B, 1, N]
  const CT = tm(Cm).expandDims(2);
  const aBar = tf.exp(deltaT.expandDims(3).mul(A)); // [L, B, Di, N]
  const du0 = deltaT.mul(uT).expandDims(3); // [L, B, Di, 1]
  const h = associativeScan(aBar, du0.mul(BT)); // h_t
  const zeroState = tf.zeros([1, bt, di, n]);
  const hPrev = l > 1 ? tf.concat([zeroState, h.slice(0, l - 1)], 0) : zeroState;
  const ypre = tm(h.mul(CT).sum(3)).add(u.mul(D));
  const sz = tf.sigmoid(z);
  const dy = dout.mul(z).mul(sz);
  const dz = dout.mul(ypre).mul(sz).mul(sz.neg().add(1).mul(z).add(1));
  const dyT = tm(dy).expandDims(3); // [L, B, Di, 1]
  const ones = tf.ones([1, bt, di, n]);
  const aNext = l > 1 ? tf.concat([aBar.slice(1, l - 1), ones], 0) : ones; // A_bar_{t+1}
  const g = tf.reverse(associativeScan(tf.reverse(aNext, 0), tf.reverse(dyT.mul(CT), 0)), 0);
  const dC = tm(dyT.mul(h).sum(2)); // [B, L, N]
  const dB = tm(g.mul(du0).sum(2));
  const du = dy.mul(D).add(delta.mul(tm(g.mul(BT).sum(3))));
  const dDelta = tm(g.mul(BT.mul(uT.expandDims(3)).add(aBar.mul(A).mul(hPrev))).sum(3));
  const ddt = dDelta.mul(tf.sigmoid(dtpre)); // [B, L, Di]
  const dALog = g.mul(deltaT.expandDims(3)).mul(aBar).mul(hPrev).sum([0, 1]).mul(A);
  const dD = dy.mul(u).sum([0, 1]);
  const dBias = ddt.sum([0, 1]);
  const ddt2 = ddt.reshape([bt * l, di]) as tf.Tensor2D;
  const dW = tf.matMul(ddt2, dtLow.reshape([bt * l, r]) as tf.Tensor2D, true, false);
  const dDtLow = tf.matMul(ddt2, t.dtW as tf.Tensor2D).reshape([bt, l, r]);
  const dXdbl = tf.concat([dDtLow, dB, dC], 2);
  const dzFull =
    dims.zw === di
      ? dz
      : tf.pad(dz, [
          [0, 0],
          [0, 0],
          [dims.zOffset, dims.zw - dims.zOffset - di],
        ]);
  return [du, dXdbl, dzFull, dW, dBias, dALog, dD];
}

export const referenceForwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const args = { ...(inputs as unknown as FusedScanArgs), zOffset: Number(attrs?.zOffset ?? 0) };
  return viaOps(backend as tf.KernelBackend, () => [selectiveScanFusedReference(args)])[0];
};

export const referenceBackwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const t = inputs as unknown as Record<string, tf.Tensor>;
  const dims = dimsOf(inputs as Record<string, TensorInfo>, Number(attrs?.zOffset ?? 0));
  return viaOps(backend as tf.KernelBackend, () => referenceBackward(t, t.dy as tf.Tensor3D, dims));
};
