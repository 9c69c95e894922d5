/**
 * Helpers of the kernel tests: random host arrays, running the same computation on two backends
 * (tensors are created per backend from host arrays: nothing is moved between backends, since a
 * synchronous read of a WebGPU tensor throws in Node), and relative errors.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../random/rng';

export interface HostTensor {
  shape: number[];
  values: Float32Array;
}

export function randn(rng: Rng, shape: number[], scale = 1, mean = 0): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = mean + scale * rng.normal();
  return { shape, values };
}

export function uniform(rng: Rng, shape: number[], lo: number, hi: number): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.uniformIn(lo, hi);
  return { shape, values };
}

export const toTensor = (h: HostTensor): tf.Tensor => tf.tensor(h.values, h.shape, 'float32');

/** max |a - b| / max |b| */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) return Number.POSITIVE_INFINITY;
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

/** f(inputs) on `backend`, read back (a forward program's test, no gradient programs compiled). */
export async function forwardValue(
  backend: string,
  inputs: HostTensor[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const xs = inputs.map(toTensor);
  const value = f(...xs);
  const out = (await value.data()) as Float32Array;
  tf.dispose([...xs, value]);
  return out;
}

/**
 * Value and gradients of sum(f(inputs) * weights) on `backend`, read back asynchronously.
 * `weights` (same shape as f's output) makes every output element matter differently.
 */
export async function valueAndGrads(
  backend: string,
  inputs: HostTensor[],
  weights: HostTensor,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
): Promise<{ value: Float32Array; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  const xs = inputs.map(toTensor);
  const w = toTensor(weights);
  const value = f(...xs);
  const grads = tf.grads((...args: tf.Tensor[]) =>
    f(...args)
      .mul(w)
      .sum(),
  )(xs);
  const out = {
    value: (await value.data()) as Float32Array,
    grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[],
  };
  tf.dispose([...xs, w, value, ...grads]);
  return out;
}

/**
 * `run` again after NaN was written into pooled GPU buffers of these element counts (3 of each,
 * released before the run), so that a kernel output left partly unwritten shows as NaN.
 */
export async function afterPoisonedPool<T>(sizes: readonly number[], run: () => Promise<T>): Promise<T> {
  await tf.setBackend('webgpu');
  const poison = sizes.flatMap((n) => [0, 1, 2].map(() => tf.fill([n], Number.NaN)));
  await Promise.all(poison.map((p) => p.data()));
  tf.dispose(poison);
  return run();
}

/**
 * What is wrong with a fused backward's gradients `got` (named by `names`): any that a second run
 * (`again`) did not reproduce bit for bit, any farther than `tol` (relative) from the reference's.
 */
export function gradProblems(
  names: readonly string[],
  got: readonly Float32Array[],
  again: readonly Float32Array[],
  ref: readonly Float32Array[],
  tol = 1e-4,
): string[] {
  const problems: string[] = [];
  got.forEach((g, i) => {
    const name = `d${names[i]}`;
    if (g.length !== again[i].length || g.some((v, j) => !Object.is(v, again[i][j])))
      problems.push(`${name} differs on a second run`);
    const err = relErr(g, ref[i]);
    if (!(err < tol)) problems.push(`${name}: relative error ${err} against the reference`);
  });
  return problems;
}

export { Rng };
