/**
 * Helpers of the models' tests (cpu backend only; synchronous readback is fine here, never in
 * library code).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random/rng';
import { initialValues, type ParamSpec } from './params';

/** Float32-representable random normals times `scale` (so tfjs and float64 see the same numbers). */
export function randomArray(rng: Rng, size: number, scale = 1): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.fround(scale * rng.normal());
  return out;
}

export type ValueOverride = (rng: Rng, size: number) => Float64Array;

/**
 * Random parameters: the spec's initial values plus `noise` * N(0, 1) per entry, rounded to
 * float32; `overrides` (keyed by a name suffix) replace the values of matching parameters.
 */
export function randomParams(
  specs: readonly ParamSpec[],
  seed: number,
  noise = 0.2,
  overrides: Record<string, ValueOverride> = {},
): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const spec of specs) {
    const rng = Rng.derive(seed, 'test-params', spec.name);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const key = Object.keys(overrides).find((k) => spec.name.endsWith(k));
    if (key) {
      out.set(spec.name, overrides[key](rng, size).map(Math.fround));
      continue;
    }
    const init = initialValues(spec, seed);
    const v = new Float64Array(size);
    for (let i = 0; i < size; i++) v[i] = Math.fround(init[i] + noise * rng.normal());
    out.set(spec.name, v);
  }
  return out;
}

export const normalValues =
  (mean: number, std: number): ValueOverride =>
  (rng, size) =>
    Float64Array.from({ length: size }, () => mean + std * rng.normal());

export const uniformValues =
  (lo: number, hi: number): ValueOverride =>
  (rng, size) =>
    Float64Array.from({ length: size }, () => rng.uniformIn(lo, hi));

export function tensorsOf(
  specs: readonly ParamSpec[],
  values: ReadonlyMap<string, Float64Array>,
): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const s of specs)
    out.set(s.name, tf.tensor(Float32Array.from(values.get(s.name)!), s.shape as number[]));
  return out;
}

/** max |a - b| / max |b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

export interface GradCheckInput {
  /** names of the checked arrays (parameters, and e.g. 'input') */
  names: readonly string[];
  shapes: readonly (readonly number[])[];
  /** float32-representable values */
  values: readonly Float64Array[];
  /** tfjs scalar loss of the tensors (same order as names) */
  tfLoss: (tensors: tf.Tensor[]) => tf.Scalar;
  /** float64 loss of the values (same order as names) */
  refLoss: (values: Float64Array[]) => number;
}

export interface GradCheckResult {
  /** worst |g_tf - g_fd| / (atol * gmax + rtol |g_fd|) over all entries (pass: <= 1) */
  worstRatio: number;
  worstEntry: string;
  /** names whose gradient is identically zero in both (suspicious) */
  zeroGradients: string[];
  entries: number;
}

/**
 * Compare tf.grads (float32, cpu) with central finite differences of the float64 reference, for
 * every entry of every array.
 */
export function checkGradients(c: GradCheckInput, h = 1e-6, rtol = 1e-4, atol = 1e-5): GradCheckResult {
  const tensors = c.values.map((v, i) => tf.tensor(Float32Array.from(v), c.shapes[i] as number[]));
  const grads = tf.grads((...ts: tf.Tensor[]) => c.tfLoss(ts))(tensors);
  const tfGrads = grads.map((g) => g.dataSync().slice());
  grads.forEach((g) => {
    g.dispose();
  });
  tensors.forEach((t) => {
    t.dispose();
  });

  const work = c.values.map((v) => Float64Array.from(v));
  const fd: Float64Array[] = [];
  let gmax = 0;
  for (let p = 0; p < work.length; p++) {
    const g = new Float64Array(work[p].length);
    for (let j = 0; j < work[p].length; j++) {
      const v0 = work[p][j];
      work[p][j] = v0 + h;
      const fp = c.refLoss(work);
      work[p][j] = v0 - h;
      const fm = c.refLoss(work);
      work[p][j] = v0;
      g[j] = (fp - fm) / (2 * h);
      gmax = Math.max(gmax, Math.abs(g[j]));
    }
    fd.push(g);
  }
  let worstRatio = 0;
  let worstEntry = '';
  let entries = 0;
  const zeroGradients: string[] = [];
  for (let p = 0; p < fd.length; p++) {
    let any = false;
    for (let j = 0; j < fd[p].length; j++) {
      entries++;
      if (fd[p][j] !== 0 || tfGrads[p][j] !== 0) any = true;
      const ratio = Math.abs(tfGrads[p][j] - fd[p][j]) / (atol * gmax + rtol * Math.abs(fd[p][j]));
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worstEntry = `${c.names[p]}[${j}]: tf ${tfGrads[p][j]} vs fd ${fd[p][j]}`;
      }
    }
    if (!any) zeroGradients.push(c.names[p]);
  }
  return { worstRatio, worstEntry, zeroGradients, entries };
}
