/**
 * Parameter specifications and their seeded initialisation.
 *
 * Every trainable tensor of every model is described by a `ParamSpec` (name, shape, initialiser)
 * before any tensor exists: the parameter counts, the variable names and the initial values all
 * come from the same list. Initial values are drawn in plain JavaScript from
 * `Rng.derive(seed, 'init', name)`, one independent stream per parameter name, so a model's initial
 * weights are bit-identical on every tfjs backend and do not depend on the order in which
 * parameters are created.
 *
 * Initialisers follow PyTorch (the authors' code):
 *  - `nn.Linear` / `nn.Conv1d` default: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 *    (kaiming_uniform with a = sqrt(5) reduces to this bound);
 *  - `nn.Embedding` default: N(0, 1);
 *  - HF GPT-2: N(0, 0.02), biases 0, LayerNorm weight 1 / bias 0.
 */
import type * as tf from '@tensorflow/tfjs';
import { Rng } from '../random/rng';

/** Fills a fresh array of `size` initial values from `rng`. */
export type Initialiser = (rng: Rng, size: number) => Float32Array;

export interface ParamSpec {
  /** full name, following the authors' PyTorch state_dict where possible (see model.ts) */
  name: string;
  /** shape, in the PyTorch layout of the same parameter */
  shape: readonly number[];
  init: Initialiser;
}

/** Looks up a parameter tensor by its (local) name. Throws on an unknown name. */
export type ParamGetter = (name: string) => tf.Tensor;

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** U(-bound, bound). */
export const uniformInit =
  (bound: number): Initialiser =>
  (rng, size) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = rng.uniformIn(-bound, bound);
    return out;
  };

/** PyTorch's default for Linear / Conv1d weights and biases: U(+-1/sqrt(fanIn)), times `scale`. */
export const torchDefaultInit = (fanIn: number, scale = 1): Initialiser =>
  uniformInit(scale / Math.sqrt(fanIn));

/** N(0, std^2). */
export const normalInit =
  (std: number): Initialiser =>
  (rng, size) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = std * rng.normal();
    return out;
  };

export const constantInit =
  (value: number): Initialiser =>
  (_rng, size) =>
    new Float32Array(size).fill(value);

/** Prefix every spec name with `prefix`. */
export function prefixed(prefix: string, specs: readonly ParamSpec[]): ParamSpec[] {
  return specs.map((s) => ({ ...s, name: prefix + s.name }));
}

/** A getter that looks names up under `prefix`. */
export function scoped(get: ParamGetter, prefix: string): ParamGetter {
  return (name) => get(prefix + name);
}

/** A getter over a map, with a clear error for a missing name. */
export function getterOf(map: ReadonlyMap<string, tf.Tensor>): ParamGetter {
  return (name) => {
    const t = map.get(name);
    if (t === undefined) throw new Error(`unknown parameter '${name}'`);
    return t;
  };
}

/** Initial values of one spec under `seed` (deterministic, backend independent). */
export function initialValues(spec: ParamSpec, seed: number): Float32Array {
  const size = sizeOf(spec.shape);
  const values = spec.init(Rng.derive(seed, 'init', spec.name), size);
  if (values.length !== size) {
    throw new Error(`initialiser of '${spec.name}' returned ${values.length} values for ${size}`);
  }
  return values;
}

export function countParams(specs: readonly ParamSpec[]): number {
  let n = 0;
  for (const s of specs) n += sizeOf(s.shape);
  return n;
}
