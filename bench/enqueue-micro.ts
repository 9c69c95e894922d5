/**
 * Host cost of one dispatch, isolated (issue 12 item 4): N small tfjs ops (add, matMul) and N
 * dispatches of a fused kernel (runner.ts: the LayerNorm) recorded with nothing submitted until
 * the end (the GPU does nothing meanwhile), µs per op, min and median of several rounds, with
 * and without src/kernels/record-cache.ts (two backends in turn, rounds interleaved).
 *
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     npx tsx bench/enqueue-micro.ts
 */
import * as tf from '@tensorflow/tfjs';
import { fusedLayerNorm, initBackend } from '../src/kernels';
import { gpuSync } from '../src/kernels/runner';

const N = 200;
const ROUNDS = Number(process.argv[2] ?? 15);
const ops: Record<string, (t: { a: tf.Tensor; b: tf.Tensor; w: tf.Tensor }) => tf.Tensor> = {
  add: ({ a, b }) => tf.add(a, b),
  matMul: ({ a, b }) => tf.matMul(a, b, false, true),
  'fused LayerNorm (runner.ts)': ({ a, w }) => fusedLayerNorm(a, w, w),
};
const results = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const cache of [false, true]) {
    await initBackend(['webgpu'], { recordCache: cache });
    tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1e9);
    const t = { a: tf.randomNormal([64, 32]), b: tf.randomNormal([64, 32]), w: tf.ones([32]) };
    for (const [name, f] of Object.entries(ops)) {
      // warm: compile, fill the pool and the caches
      for (let w = 0; w < 2; w++) {
        tf.tidy(() => {
          for (let i = 0; i < N; i++) f(t);
        });
        await gpuSync(tf.backend());
      }
      const t0 = performance.now();
      tf.tidy(() => {
        for (let i = 0; i < N; i++) f(t);
      });
      const us = ((performance.now() - t0) * 1000) / N;
      await gpuSync(tf.backend());
      const key = `${name}|${cache ? 'cache' : 'tfjs'}`;
      results.set(key, [...(results.get(key) ?? []), us]);
    }
    tf.dispose([t.a, t.b, t.w]);
    tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 15);
  }
}
console.log(`${ROUNDS} rounds of ${N} ops, nothing submitted while recording`);
console.log('| op | µs / op, tfjs (min / median) | with record cache (min / median) |');
console.log('| --- | --- | --- |');
const stat = (v: number[]) => {
  const s = [...v].sort((x, y) => x - y);
  return `${s[0].toFixed(1)} / ${s[Math.floor(s.length / 2)].toFixed(1)}`;
};
for (const name of Object.keys(ops)) {
  console.log(`| ${name} | ${stat(results.get(`${name}|tfjs`)!)} | ${stat(results.get(`${name}|cache`)!)} |`);
}
