/**
 * The kernel checks of conv-silu-linear.ts (Mamba's conv + SiLU inside x_proj's matmul), for
 * testing/checks.ts: all three outputs (x_proj(u), u, x handed on) weighted into the loss.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedConvSiluLinear } from '../conv-silu-linear';
import { compareOnBackends, gradOutputs, type KernelCheck } from './compare';
import { Rng, randn } from './helpers';

/** x [B, L, 2C] (the conv on its second half when `wide`, else x [B, L, C]), K taps, N outputs */
export function convSiluLinearCheck(c: {
  b: number;
  l: number;
  c: number;
  k: number;
  n: number;
  wide: boolean;
}): KernelCheck {
  const names = ['x', 'convWeight', 'convBias', 'weight'];
  const cx = c.wide ? 2 * c.c : c.c;
  return {
    kernel: 'convSiluLinear',
    case: `B ${c.b}, L ${c.l}, C ${c.c}${c.wide ? ' of 2C' : ''}, ${c.k} taps, N ${c.n}`,
    dims: { b: c.b, l: c.l, c: c.c, k: c.k, n: c.n, wide: c.wide ? 1 : 0 },
    outputs: gradOutputs(names),
    run() {
      const rng = new Rng(c.b * 19 + c.l * 3 + c.n);
      const inputs = [
        randn(rng, [c.b, c.l, cx]),
        randn(rng, [c.c, 1, c.k], 0.5),
        randn(rng, [c.c], 0.3),
        randn(rng, [c.n, c.c], 0.3),
      ];
      const f = (...xs: tf.Tensor[]) =>
        tf.concat(
          fusedConvSiluLinear(xs[0] as tf.Tensor3D, xs[1], xs[2], c.wide ? c.c : 0, xs[3] as tf.Tensor2D).map(
            (t) => t.reshape([-1]),
          ),
        );
      return compareOnBackends(inputs, names, [c.b * c.l * (c.n + c.c + cx)], f, 96);
    },
  };
}
