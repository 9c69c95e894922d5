/**
 * Each training worker's wasm threads: its share of the cores. One worker per model trains at the
 * same time, so on 2 cores with 3 models a thread each is all there is (1: the single-threaded
 * SIMD build, no thread pool to compete for the cores); on 8 cores with 2 models, 4 threads each.
 */
export function wasmThreadsFor(cores: number, models: number): number {
  return Math.max(1, Math.floor(Math.max(1, cores) / Math.max(1, models)));
}
