/**
 * Reading a variable's values without disturbing the variable.
 *
 * `await v.data()` on tfjs's WebGPU backend keeps the values on the CPU and lets the variable's GPU
 * buffer go; the next step then uploads them again inside the step, where the step replay
 * (src/kernels/step-replay.ts) would take the upload for part of the recorded step. Putting the
 * values back with `v.assign(...)` gives the variable a new buffer, which ends any replay and races
 * with a second read still pending on the old one (two checkpoints asked at once: the worker's own
 * and the page's). So a read goes through a copy: one device copy per tensor, read and freed; the
 * tensors themselves keep their buffers, and reads may overlap freely.
 */
import * as tf from '@tensorflow/tfjs';

/** The values of `tensors`, in order, read through device copies (the tensors are untouched). */
export async function readCopies(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  const copies = tf.tidy(() => tensors.map((t) => tf.add(t, 0)));
  try {
    const data = await Promise.all(copies.map((c) => c.data()));
    return data.map((d) => (d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>)));
  } finally {
    for (const c of copies) c.dispose();
  }
}
