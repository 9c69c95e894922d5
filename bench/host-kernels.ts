/**
 * The wasm host kernels (src/kernels/host-kernels.ts) against the plain ops they replace, forward +
 * backward (tf.grads of the sum), in one process, at the sizes of one layer of the classroom models:
 * default today's preset (D 64, batch 256, Di 128), `small` the brief's (D 32, batch 64, Di 64); L 22.
 * Best of 5 calls, two rounds, kernels registered then unregistered in turn.
 *
 *   npx tsx bench/host-kernels.ts [small]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ATTENTION, ATTENTION_GRAD, fusedAttention } from '../src/kernels/attention';
import { CONV_SILU, CONV_SILU_GRAD, fusedCausalConvSiluKeep } from '../src/kernels/conv';
import { BIAS_GELU, BIAS_GELU_GRAD, fusedBiasGelu } from '../src/kernels/gelu';
import { registerHostKernels } from '../src/kernels/host-kernels';
import { fusedLayerNormKeep, LAYER_NORM, LAYER_NORM_GRAD, LAYER_NORM_KEEP } from '../src/kernels/layer-norm';
import { registerAllKernels } from '../src/kernels/register';

await tf.setBackend('wasm');
await tf.ready();
registerAllKernels();
const small = process.argv[2] === 'small';
const [B, D, DI] = small ? [64, 32, 64] : [256, 64, 128];
const L = 22;
const off = (names: string[]) => {
  for (const n of names) tf.unregisterKernel(n, 'wasm');
};
const cases: Array<[string, string[], number[][], (...x: tf.Tensor[]) => tf.Tensor]> = [
  ['attention', [ATTENTION, ATTENTION_GRAD], [[B, L, 3 * D]], (q) => fusedAttention(q as tf.Tensor3D, 4)],
  ['gelu', [BIAS_GELU, BIAS_GELU_GRAD], [[B * L, 4 * D], [4 * D]], (x, b) => fusedBiasGelu(x, b)],
  [
    'layernorm keep',
    [LAYER_NORM_KEEP, LAYER_NORM_GRAD, LAYER_NORM],
    [[B, L, D], [D], [D]],
    (x, w, b) => {
      const [y, k] = fusedLayerNormKeep(x, w, b);
      return y.add(k);
    },
  ],
  [
    'conv keep',
    [CONV_SILU, CONV_SILU_GRAD],
    [[B, L, 2 * DI], [DI, 1, 4], [DI]],
    (x, w, b) => {
      const [u, k] = fusedCausalConvSiluKeep(x as tf.Tensor3D, w, b, 0);
      return u.sum().add(k.sum());
    },
  ],
];
const time = async (shapes: number[][], f: (...x: tf.Tensor[]) => tf.Tensor) => {
  const xs = shapes.map((s) => tf.randomNormal(s));
  const g = tf.grads((...a: tf.Tensor[]) => f(...a).sum());
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const gs = g(xs);
    await Promise.all(gs.map((t) => t.data()));
    best = Math.min(best, performance.now() - t0);
    tf.dispose(gs);
  }
  tf.dispose(xs);
  return best;
};
for (let round = 0; round < 2; round++)
  for (const [name, kernels, shapes, f] of cases) {
    registerHostKernels();
    const host = await time(shapes, f);
    off(kernels);
    const plain = await time(shapes, f);
    registerHostKernels();
    console.log(`${name}: host ${host.toFixed(1)} ms, plain ops ${plain.toFixed(1)} ms (fwd+bwd)`);
  }
