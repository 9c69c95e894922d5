/**
 * Counting GPU dispatches on tfjs's WebGPU backend: every compute dispatch tfjs records (its
 * `recordAndSubmit`) and every dispatch of the fused kernels (runner.ts), by program name.
 * Also counts engine kernels (tfjs ops, including free ones such as Reshape) on any backend.
 */
import * as tf from '@tensorflow/tfjs';
import { internalsOf, setRawDispatchHook } from './runner';

export interface DispatchCount {
  /** GPU compute dispatches (WebGPU only) */
  dispatches: number;
  /** dispatches by program name */
  byProgram: Record<string, number>;
  /** engine kernels run (tfjs ops incl. reshapes, any backend) */
  kernels: number;
  /** engine kernels by name */
  byKernel: Record<string, number>;
}

const PATCHED = Symbol('iclDispatchCounter');

let active: DispatchCount | null = null;

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function patchBackend(): void {
  if (tf.getBackend() !== 'webgpu') return;
  const be = internalsOf(tf.backend()) as ReturnType<typeof internalsOf> & { [PATCHED]?: boolean };
  if (be[PATCHED]) return;
  be[PATCHED] = true;
  const original = be.recordAndSubmit.bind(be);
  be.recordAndSubmit = (program, ...rest) => {
    if (active) {
      active.dispatches++;
      bump(active.byProgram, program.constructor.name);
    }
    return original(program, ...rest);
  };
}

type RunKernel = (name: string, inputs: unknown, attrs?: unknown) => unknown;

function patchEngine(): void {
  const engine = tf.engine() as unknown as { runKernel: RunKernel; [PATCHED]?: boolean };
  if (engine[PATCHED]) return;
  engine[PATCHED] = true;
  const original = engine.runKernel.bind(engine);
  engine.runKernel = (name, inputs, attrs) => {
    if (active) {
      active.kernels++;
      bump(active.byKernel, name);
    }
    return original(name, inputs, attrs);
  };
}

/**
 * Run `f` (synchronous) and count the dispatches and engine kernels it records. Nothing is read
 * back and timing is unaffected (no tf.profile, which would time and check every kernel).
 */
export function countDispatches<T>(f: () => T): { result: T; count: DispatchCount } {
  patchBackend();
  patchEngine();
  const count: DispatchCount = { dispatches: 0, byProgram: {}, kernels: 0, byKernel: {} };
  active = count;
  setRawDispatchHook((name) => {
    count.dispatches++;
    bump(count.byProgram, name);
  });
  try {
    const result = f();
    return { result, count };
  } finally {
    active = null;
    setRawDispatchHook(null);
  }
}

/** The `top` entries of a count map, largest first, as "name x count" strings. */
export function topEntries(map: Record<string, number>, top = 12): string[] {
  return Object.entries(map)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, v]) => `${k} x${v}`);
}

export interface GpuTimeProfile {
  /** wall time of the timed call, ms (every dispatch is submitted on its own while timing) */
  wallMs: number;
  /** sum of the GPU time of every dispatch, ms (timestamp queries; 0 where unsupported) */
  kernelMs: number;
  /** GPU ms and dispatch count by program name, largest first */
  byProgram: Array<{ name: string; ms: number; count: number }>;
}

/**
 * GPU time per program of `f` through tf.time (WebGPU timestamp queries, for tfjs's programs
 * and the fused kernels alike). Timing serialises the dispatches: use it for shares, not totals.
 */
export async function gpuTimeProfile(f: () => void): Promise<GpuTimeProfile> {
  const t = (await tf.time(f)) as tf.TimingInfo & { getExtraProfileInfo?: () => string };
  const agg = new Map<string, { ms: number; count: number }>();
  const extra = t.getExtraProfileInfo?.() ?? '';
  for (const part of extra.split(', ')) {
    const i = part.lastIndexOf(': ');
    if (i < 0) continue;
    const name = part.slice(0, i);
    const ms = Number(part.slice(i + 2));
    const a = agg.get(name) ?? { ms: 0, count: 0 };
    a.ms += Number.isFinite(ms) ? ms : 0;
    a.count++;
    agg.set(name, a);
  }
  const byProgram = [...agg.entries()].map(([name, a]) => ({ name, ...a })).sort((a, b) => b.ms - a.ms);
  return { wallMs: t.wallMs, kernelMs: t.kernelMs as number, byProgram };
}
