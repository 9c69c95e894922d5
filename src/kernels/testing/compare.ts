/**
 * What every kernel check shares (testing/checks.ts and the checks beside it): the tolerance, the two
 * backends compared, a check's shape, and the comparison of a function's value and gradients.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dims, KernelId } from './check-report';
import { type HostTensor, Rng, randn, relErr, valueAndGrads } from './helpers';

export const TOLERANCE = 1e-4;
export const REFERENCE_BACKEND = 'cpu';
export const KERNEL_BACKEND = 'webgpu';

export interface Measured {
  output: string;
  maxRelErr: number;
  tolerance?: number;
}

export interface KernelCheck {
  kernel: KernelId;
  case: string;
  dims: Dims;
  /** the outputs `run` measures, in order */
  outputs: readonly string[];
  run(): Promise<Measured[]>;
}

/** Forward and gradients of `f` on webgpu vs cpu, weighted by random output weights. */
export async function compareOnBackends(
  inputs: HostTensor[],
  names: readonly string[],
  outShape: number[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  weightSeed: number,
): Promise<Measured[]> {
  const weights = randn(new Rng(weightSeed), outShape);
  const ref = await valueAndGrads(REFERENCE_BACKEND, inputs, weights, f);
  const got = await valueAndGrads(KERNEL_BACKEND, inputs, weights, f);
  return [
    { output: 'y', maxRelErr: relErr(got.value, ref.value) },
    ...got.grads.map((g, i) => ({ output: `d${names[i]}`, maxRelErr: relErr(g, ref.grads[i]) })),
  ];
}

/** the outputs of a check comparing the value and the gradient of every named input */
export const gradOutputs = (names: readonly string[]): string[] => ['y', ...names.map((n) => `d${n}`)];
