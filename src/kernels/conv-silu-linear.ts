/**
 * Mamba's causal conv + SiLU and the x_proj that reads it, as one forward program
 * ('IclConvSiluLinear'; paper.md section 4, steps (2) and (3)).
 *
 *   u[b, t, c]  = SiLU(convBias[c] + sum_{j<K} convW[c, 0, j] x[b, t - K + 1 + j, offset + c])  (x = 0 before t = 0)
 *   xdbl[b, t]  = u[b, t] W^T                                       W = x_proj.weight [N, C]
 *
 * Apart, that is two dispatches (conv.ts's, then the matmul's) and u written then read back; here
 * one: the tiled matmul of tiled-matmul.ts computes each element of u as it loads it (the K taps
 * from in_proj's output x, in the conv kernel's order, so the values are the conv kernel's), and
 * the workgroups of the first column tile write u out, for the scan (its input) and for the
 * backward. x itself is handed on as a third output (no copy) for the scan's gate z.
 *
 * The backward is the two programs it was: x_proj's linear backward (dW from the saved u; du = dxdbl
 * W plus the scan's gradient of u, added inside that matmul), then the conv's one-dispatch backward
 * (which adds the scan's gradient of z into dx).
 *
 * Off WebGPU, or with `convSiluLinearTuning.fold` off, `fusedConvSiluLinear` is the two kernels it
 * replaces (`fusedCausalConvSiluKeep`, then `fusedLinearKeep`).
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { bindings, FLAT_INDEX, registerKernelOnce } from './common';
import { CONV_SILU_GRAD, fusedCausalConvSiluKeep } from './conv';
import { fusedLinearKeep, linearBackward } from './linear';
import { dispatch1d, runRaw } from './runner';
import { THREADS, TILE_DECLARATIONS, TM, TN, tiledMatmul } from './tiled-matmul';

export const CONV_SILU_LINEAR = 'IclConvSiluLinear';

/** Whether the Mamba mixer runs its conv inside x_proj's matmul on WebGPU (off: two programs, to compare). */
export const convSiluLinearTuning = { fold: true };

interface Dims {
  b: number;
  l: number;
  /** x's channels; the conv reads [offset, offset + c) */
  cx: number;
  c: number;
  /** taps */
  k: number;
  offset: number;
  /** x_proj's outputs */
  n: number;
}

function dimsOf(x: TensorInfo, convWeight: TensorInfo, weight: TensorInfo, offset: number): Dims {
  const [b, l, cx] = x.shape;
  const c = convWeight.shape[0];
  const k = convWeight.shape[convWeight.shape.length - 1];
  if (offset < 0 || offset + c > cx)
    throw new Error(`${CONV_SILU_LINEAR}: channels [${offset}, ${offset + c}) outside ${cx}`);
  if (weight.shape[1] !== c)
    throw new Error(`${CONV_SILU_LINEAR}: x_proj takes ${weight.shape[1]} inputs, the conv gives ${c}`);
  return { b, l, cx, c, k, offset, n: weight.shape[0] };
}

/** y [B L, N] = u W^T and u [B L, C], u made from x as the matmul loads it. */
export function convSiluLinearProgram(d: Dims) {
  const m = d.b * d.l;
  const colTiles = Math.ceil(d.n / TN);
  const dispatch = dispatch1d(colTiles * Math.ceil(m / TM), 1);
  return {
    name: 'ConvSiluLinear',
    key: `convlin_${d.k}`,
    dispatch,
    uniforms: [m, d.c, d.n, d.l, d.cx, d.offset, colTiles, dispatch[0]].map((v) => ({
      type: 'int32' as const,
      data: [v],
    })),
    wgsl: () => /* wgsl */ `
${bindings(['y', 'u'], ['x', 'convW', 'convB', 'w'], 'M: i32, K: i32, N: i32, L: i32, Cx: i32, off: i32, colTiles: i32, nx: i32')}
const TAPS = ${d.k};
${FLAT_INDEX}
${TILE_DECLARATIONS}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let g = flatGroup(wid);
  let colTile = g % uni.colTiles;
  let row0 = (g / uni.colTiles) * ${TM};
  if (row0 >= uni.M) { return; }
  let col0 = colTile * ${TN};
  let K = uni.K;
  let first = colTile == 0;
  // the matmul, each element of u computed (conv taps, bias, SiLU) as it is loaded
${tiledMatmul(
  `if (row < uni.M && kx < K) {
        let t = row % uni.L;
        var p = convB[kx];
        for (var j = 0; j < TAPS; j++) {
          if (t - TAPS + 1 + j >= 0) { p += convW[kx * TAPS + j] * x[(row - TAPS + 1 + j) * uni.Cx + uni.off + kx]; }
        }
        a = p / (1.0 + exp(-p));
        if (first) { u[row * K + kx] = a; }
      }`,
  true,
  false,
)}
}
`,
  };
}

/** [xdbl [B, L, N], u [B, L, C], x itself] */
const forwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, convWeight, convBias, weight } = inputs as Record<string, TensorInfo>;
  const d = dimsOf(x, convWeight, weight, Number(attrs?.offset ?? 0));
  const [y, u] = runRaw(
    backend,
    convSiluLinearProgram(d),
    [x, convWeight, convBias, weight],
    [
      [d.b, d.l, d.n],
      [d.b, d.l, d.c],
    ],
  );
  (backend as tf.KernelBackend).incRef(x.dataId);
  return [y, u, { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype }];
};

/** x_proj's backward from the saved u (du gets the scan's gradient of u), then the conv's. */
const gradConfig: GradConfig = {
  kernelName: CONV_SILU_LINEAR,
  inputsToSave: ['x', 'convWeight', 'convBias', 'weight'],
  outputsToSave: [false, true, false],
  gradFunc: (dys, saved, attrs) => {
    const [x, convWeight, convBias, weight, u] = saved as tf.Tensor[];
    // (the tape hands null for an output outside the backward's graph)
    const [dy, du, dkept] = dys as Array<tf.Tensor | null>;
    const [b, l, c] = u.shape;
    const n = weight.shape[0];
    const u2 = u.reshape([b * l, c]) as tf.Tensor2D;
    const dy2 = (dy ?? tf.zeros([b, l, n])).reshape([b * l, n]) as tf.Tensor2D;
    const lin = linearBackward(
      u2,
      weight as tf.Tensor2D,
      dy2,
      true,
      false,
      du ? (du.reshape([b * l, c]) as tf.Tensor2D) : null,
    );
    const duAll = lin.x();
    const convInputs: tf.NamedTensorMap = dkept
      ? { x, weight: convWeight, bias: convBias, dy: duAll, dres: dkept }
      : { x, weight: convWeight, bias: convBias, dy: duAll };
    const [dx, dcw, dcb] = tf.engine().runKernel(CONV_SILU_GRAD, convInputs, {
      offset: Number(attrs?.offset ?? 0),
    } as never) as tf.Tensor[];
    return { x: () => dx, convWeight: () => dcw, convBias: () => dcb, weight: lin.weight };
  },
};

export function registerConvSiluLinearKernels(): void {
  registerKernelOnce({ kernelName: CONV_SILU_LINEAR, backendName: 'webgpu', kernelFunc: forwardKernel });
  if (tf.getGradient(CONV_SILU_LINEAR)) tf.unregisterGradient(CONV_SILU_LINEAR);
  tf.registerGradient(gradConfig);
}

/**
 * [x_proj(u) [B, L, N], u [B, L, C], x] with u = SiLU(causal depthwise conv(x[..., offset : offset +
 * C]) + bias), convWeight [C, 1, K], weight = x_proj.weight [N, C]: u and x handed on (the scan reads
 * both; their gradients come back into this kernel's backward). One program on WebGPU (with
 * `convSiluLinearTuning.fold`), the conv and linear kernels elsewhere.
 */
export function fusedConvSiluLinear(
  x: tf.Tensor3D,
  convWeight: tf.Tensor,
  convBias: tf.Tensor,
  offset: number,
  weight: tf.Tensor2D,
): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const [b, l] = x.shape;
  if (tf.getBackend() !== 'webgpu' || !convSiluLinearTuning.fold) {
    const [u, kept] = fusedCausalConvSiluKeep(x, convWeight, convBias, offset);
    const c = u.shape[2];
    const [xdbl, uKept] = fusedLinearKeep(u.reshape([b * l, c]), weight, true);
    return [xdbl.reshape([b, l, -1]), uKept.reshape([b, l, c]), kept];
  }
  return tf
    .engine()
    .runKernel(CONV_SILU_LINEAR, { x, convWeight, convBias, weight }, { offset } as never) as [
    tf.Tensor3D,
    tf.Tensor3D,
    tf.Tensor3D,
  ];
}
