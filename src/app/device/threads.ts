/**
 * Each training worker's wasm threads: its share of the cores, and none (the single-threaded SIMD
 * build) on machines of fewer than 4 cores. One worker per model trains at the same time; on 2 cores
 * a thread pool only competes with the other workers and the page for them. Measured (bench/RESULTS.md,
 * "Browser, 2-core, no GPU"): one Transformer alone, 4.3 steps/s single-threaded, 2.7 with the
 * threaded build's pool of 2. With 8 cores and 2 models: 4 threads each.
 */
export const MIN_CORES_FOR_THREADS = 4;

export function wasmThreadsFor(cores: number, models: number): number {
  if (cores < MIN_CORES_FOR_THREADS) return 1;
  return Math.max(1, Math.floor(cores / Math.max(1, models)));
}
