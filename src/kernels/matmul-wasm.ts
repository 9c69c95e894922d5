/**
 * Transposed matmuls on the wasm backend at the speed of plain ones.
 *
 * tfjs-backend-wasm 4.22 hands `BatchMatMul` / `_FusedMatMul` to XNNPACK only when neither operand
 * is transposed and there is one batch; with `transposeA` or `transposeB` it runs a generic loop
 * about 8x slower (bench/results/notes-wasm.md: [5632, 64] x [256, 64]^T 82 ms vs 9 ms for the
 * explicit transpose then the plain matmul). Every matmul of a gradient is transposed (dx = dy W^T,
 * dW = x^T dy), so on wasm they took most of a training step. These wrappers keep the engine's
 * kernels and, for a single-batch transposed product, transpose the operand first with the
 * backend's own `Transpose` kernel and call the kernel untransposed. The products are the same
 * sums (XNNPACK's order of summation may differ: float32 rounding only).
 */

import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  disposeData(dataId: TensorInfo['dataId']): boolean;
}

const WRAPPED = ['BatchMatMul', '_FusedMatMul'] as const;

/** The kernel functions installed here (so that registering twice does not wrap a wrapper). */
const wrappers = new Set<KernelFunc>();

const batchOf = (shape: readonly number[]): number => shape.slice(0, -2).reduce((a, b) => a * b, 1);

/** The permutation swapping the last two axes. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function wrap(original: KernelConfig, transpose: KernelFunc): KernelFunc {
  const f: KernelFunc = (args) => {
    const attrs = (args.attrs ?? {}) as NamedAttrMap & { transposeA?: boolean; transposeB?: boolean };
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const single = batchOf(a.shape) === 1 && batchOf(b.shape) === 1;
    if (!single || (!attrs.transposeA && !attrs.transposeB)) return original.kernelFunc(args);
    const made: TensorInfo[] = [];
    const plain = (x: TensorInfo, flip: boolean | undefined): TensorInfo => {
      if (!flip) return x;
      const t = transpose({
        inputs: { x },
        backend: args.backend,
        attrs: { perm: swapLastTwo(x.shape.length) },
      }) as TensorInfo;
      made.push(t);
      return t;
    };
    const inputs = { ...args.inputs, a: plain(a, attrs.transposeA), b: plain(b, attrs.transposeB) };
    try {
      return original.kernelFunc({
        inputs,
        backend: args.backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      const backend = args.backend as unknown as WasmBackendLike;
      for (const t of made) backend.disposeData(t.dataId);
    }
  };
  wrappers.add(f);
  return f;
}

/**
 * Wrap the wasm backend's matmul kernels (idempotent; a no-op where the wasm backend is not
 * loaded). The original setup functions are kept, so this may run before or after the backend
 * starts.
 */
export function registerWasmMatMul(): void {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) return;
  for (const kernelName of WRAPPED) {
    const original = tf.getKernel(kernelName, 'wasm');
    if (!original || wrappers.has(original.kernelFunc)) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      setupFunc: original.setupFunc,
      disposeFunc: original.disposeFunc,
      kernelFunc: wrap(original, transpose.kernelFunc),
    });
  }
}

/** Whether both wasm matmul kernels are the wrappers (tests; false without the wasm backend). */
export function isWasmMatMulWrapped(): boolean {
  return WRAPPED.every((name) => {
    const k = tf.getKernel(name, 'wasm');
    return k !== undefined && wrappers.has(k.kernelFunc);
  });
}
