/**
 * The S4 causal convolution, both ways it builds its Toeplitz matrix (a product with a 0/1 selection
 * matrix, a gather) and the automatic choice, against plain loops: the output and its gradients with
 * respect to the kernel and the input, on awkward lengths (1, odd, one past the WebGPU limit).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { causalConvolve, setToeplitzMode, TOEPLITZ_MATMUL_MAX_L } from './s4';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function normals(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

afterAll(() => setToeplitzMode('auto'));

const CASES = [1, 7, TOEPLITZ_MATMUL_MAX_L + 1].flatMap((l) =>
  (['matmul', 'gather', 'auto'] as const).map((mode) => ({ l, mode })),
);

describe('S4 causal convolution', () => {
  for (const { l, mode } of CASES) {
    it(`L ${l}, ${mode}: output and gradients match the loops`, async () => {
      setToeplitzMode(mode);
      const rng = new Rng(l);
      const [b, h] = [2, 3];
      const u = normals(rng, b * l * h); // [B, L, H]
      const k = normals(rng, h * l); // [H, L]
      const w = normals(rng, b * l * h); // weights of the loss sum(w * y)
      const at = (t: number, i: number, c: number) => (t * l + i) * h + c;
      const y = new Float64Array(b * l * h);
      const dk = new Float64Array(h * l);
      const du = new Float64Array(b * l * h);
      for (let n = 0; n < b; n++)
        for (let t = 0; t < l; t++)
          for (let c = 0; c < h; c++)
            for (let s = 0; s <= t; s++) {
              y[at(n, t, c)] += k[c * l + t - s] * u[at(n, s, c)];
              dk[c * l + t - s] += w[at(n, t, c)] * u[at(n, s, c)];
              du[at(n, s, c)] += w[at(n, t, c)] * k[c * l + t - s];
            }
      const uT = tf.tensor3d(u, [b, l, h]);
      const kT = tf.tensor2d(k, [h, l]);
      const wT = tf.tensor3d(w, [b, l, h]);
      const out = causalConvolve(uT, kT);
      const grads = tf.grads((kk: tf.Tensor, uu: tf.Tensor) =>
        causalConvolve(uu as tf.Tensor3D, kk as tf.Tensor2D)
          .mul(wT)
          .sum(),
      )([kT, uT]);
      const close = (got: Float32Array | Int32Array | Uint8Array, want: Float64Array) => {
        let worst = 0;
        want.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(got[i] - v) / (1 + Math.abs(v)));
        });
        return worst;
      };
      expect(close(await out.data(), y)).toBeLessThan(1e-5);
      expect(close(await grads[0].data(), dk)).toBeLessThan(1e-5);
      expect(close(await grads[1].data(), du)).toBeLessThan(1e-5);
      tf.dispose([uT, kT, wT, out, ...grads]);
    });
  }
});
