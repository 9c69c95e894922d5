/**
 * `UnsortedSegmentSum` for the wasm backend, which lacks it. It is the gradient of `tf.gather`
 * (the S4 Toeplitz matrix, token embeddings, any gathered read-out), so without it those models
 * cannot train after a fallback to wasm. Plain loops over views of the wasm heap, float32 and int32.
 *
 *   out[segmentIds[i], j] += x[i, j]   (i over the segment-id positions, j over the rest of x)
 * Ids outside [0, numSegments) are dropped, as on the other backends.
 */

import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { registerKernelOnce } from './common';

interface WasmHeapBackend {
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The loop itself, on plain arrays (tested directly and through the kernel). */
export function segmentSumInto(
  out: Float32Array | Int32Array,
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  numSegments: number,
): void {
  out.fill(0);
  const outer = ids.length;
  const inner = outer === 0 ? 0 : x.length / outer;
  for (let i = 0; i < outer; i++) {
    const seg = ids[i];
    if (!(seg >= 0 && seg < numSegments)) continue;
    const src = i * inner;
    const dst = seg * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += x[src + j];
  }
}

const unsortedSegmentSumWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = Number((attrs as { numSegments: number }).numSegments);
  const be = backend as unknown as WasmHeapBackend;
  const idRank = segmentIds.shape.length;
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  if (sizeOf(segmentIds.shape) * sizeOf(x.shape.slice(idRank)) !== sizeOf(x.shape)) {
    throw new Error(`UnsortedSegmentSum: segmentIds ${segmentIds.shape} is not a prefix of x ${x.shape}`);
  }
  const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
  // allocate first, then take the views (a malloc may grow, and so detach, the heap)
  const out = be.makeOutput(outShape, dtype);
  const outArray = be.typedArrayFromHeap(out) as Float32Array | Int32Array;
  segmentSumInto(outArray, be.typedArrayFromHeap(x), be.typedArrayFromHeap(segmentIds), numSegments);
  return out;
};

/** Register it for 'wasm' unless the wasm backend brings its own. */
export function registerWasmSegmentSum(): void {
  const own = tf.getKernel('UnsortedSegmentSum', 'wasm');
  if (own && own.kernelFunc !== unsortedSegmentSumWasm) return;
  registerKernelOnce({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: unsortedSegmentSumWasm,
  });
}
