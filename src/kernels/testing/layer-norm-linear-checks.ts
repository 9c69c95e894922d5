/**
 * The kernel checks of layer-norm-linear.ts (a block's LayerNorm with the next linear; the final
 * LayerNorm with the read-out), for testing/checks.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedLayerNormLinear, fusedLayerNormLinearRows } from '../layer-norm-linear';
import { compareOnBackends, gradOutputs, type KernelCheck } from './compare';
import { Rng, randn } from './helpers';

/** LN(x) W + bias and x + shift (both outputs weighted into the loss), M rows of K, N columns */
export function layerNormLinearCheck(c: {
  m: number;
  k: number;
  n: number;
  transposed: boolean;
}): KernelCheck {
  const names = ['x', 'lnWeight', 'lnBias', 'weight', 'bias', 'shift'];
  return {
    kernel: 'layerNormLinear',
    case: `M ${c.m}, K ${c.k}, N ${c.n}, ${c.transposed ? '[out, in]' : '[in, out]'}`,
    dims: { m: c.m, k: c.k, n: c.n, transposed: c.transposed ? 1 : 0 },
    outputs: gradOutputs(names),
    run() {
      const rng = new Rng(c.m * 13 + c.n);
      const inputs = [
        randn(rng, [c.m, c.k], 2, 0.5),
        randn(rng, [c.k], 0.5, 1),
        randn(rng, [c.k], 0.3),
        randn(rng, c.transposed ? [c.n, c.k] : [c.k, c.n], 0.3),
        randn(rng, [c.n]),
        randn(rng, [c.k]),
      ];
      const f = (...xs: tf.Tensor[]) => {
        const [y, kept] = fusedLayerNormLinear(
          xs[0] as tf.Tensor2D,
          xs[1],
          xs[2],
          xs[3] as tf.Tensor2D,
          c.transposed,
          xs[4],
          xs[5],
        );
        return tf.concat([y.reshape([-1]), kept.reshape([-1])]);
      };
      return compareOnBackends(inputs, names, [c.m * (c.n + c.k)], f, 98);
    },
  };
}

/** the final LayerNorm and a read-out of evenly spaced rows: x [B, L, K] -> [B, count, N] */
export function layerNormLinearRowsCheck(c: {
  b: number;
  l: number;
  k: number;
  n: number;
  start: number;
  stride: number;
  count: number;
}): KernelCheck {
  const names = ['x', 'lnWeight', 'lnBias', 'weight', 'bias'];
  const rows = { start: c.start, stride: c.stride, count: c.count };
  return {
    kernel: 'layerNormLinearRows',
    case: `B ${c.b}, L ${c.l}, K ${c.k}, N ${c.n}, rows ${c.start} + ${c.stride} i < ${c.count}`,
    dims: { ...c },
    outputs: gradOutputs(names),
    run() {
      const rng = new Rng(c.b * 17 + c.l);
      const inputs = [
        randn(rng, [c.b, c.l, c.k], 2, 0.5),
        randn(rng, [c.k], 0.5, 1),
        randn(rng, [c.k], 0.3),
        randn(rng, [c.n, c.k], 0.3),
        randn(rng, [c.n]),
      ];
      const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
        fusedLayerNormLinearRows(x as tf.Tensor3D, rows, g, b, w as tf.Tensor2D, true, bias);
      return compareOnBackends(
        inputs,
        names,
        [c.b, c.count, c.n],
        f as (...xs: tf.Tensor[]) => tf.Tensor,
        97,
      );
    },
  };
}
