/**
 * Reading kernel inputs and making kernel outputs on the backends whose tensors live in host
 * memory ('cpu': the backend's own typed arrays; 'wasm': views on the WebAssembly heap), for the
 * kernels written as plain JavaScript loops (selective-scan/host.ts, host-kernels.ts), and a fast
 * exp for non-positive arguments that those loops share.
 */
import type { TensorInfo } from '@tensorflow/tfjs';

export const HOST_BACKENDS = ['cpu', 'wasm'] as const;
export type HostBackend = (typeof HOST_BACKENDS)[number];

/** What the kernels need of a host backend: float32 inputs read in place, float32 outputs made. */
export interface HostIo {
  read(t: TensorInfo): Float32Array;
  /** new outputs; returns their infos and their (writable) arrays */
  outputs(shapes: number[][]): { infos: TensorInfo[]; arrays: Float32Array[] };
}

interface CpuBackendLike {
  readSync(dataId: TensorInfo['dataId']): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

interface WasmBackendLike {
  typedArrayFromHeap(t: TensorInfo): unknown;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function asFloat32(values: unknown, t: TensorInfo, kernel: string): Float32Array {
  if (t.dtype !== 'float32' || !(values instanceof Float32Array)) {
    throw new Error(`${kernel}: inputs must be float32 (got ${t.dtype})`);
  }
  return values;
}

/** The input / output access of `backend` (named `backendName`); `kernel` names errors. */
export function hostIo(backendName: HostBackend, backend: unknown, kernel: string): HostIo {
  if (backendName === 'cpu') {
    const be = backend as CpuBackendLike;
    return {
      // the cpu backend keeps each tensor's values as a typed array: read in place, not copied
      read: (t) => asFloat32(be.readSync(t.dataId), t, kernel),
      outputs: (shapes) => {
        const arrays = shapes.map((sh) => new Float32Array(sizeOf(sh)));
        return { infos: shapes.map((sh, i) => be.makeTensorInfo(sh, 'float32', arrays[i])), arrays };
      },
    };
  }
  const be = backend as WasmBackendLike;
  return {
    read: (t) => asFloat32(be.typedArrayFromHeap(t), t, kernel),
    outputs: (shapes) => {
      // allocate every output before taking any view: a malloc may grow (and so detach) the heap
      const infos = shapes.map((sh) => be.makeOutput(sh, 'float32'));
      return { infos, arrays: infos.map((info) => asFloat32(be.typedArrayFromHeap(info), info, kernel)) };
    },
  };
}

// exp(x) for x <= 0 (decays exp(Delta A), softmax weights exp(s - max)), ~2x faster than Math.exp
// in V8: x = (m + r) ln2 / 32 with m an integer (rounded by the 1.5 * 2^52 shift) and
// |r ln2/32| <= ln2/64; exp(x) = 2^(m/32) exp(r') with 2^(m/32) from a table and exp(r') a degree-5
// Taylor polynomial (remainder < (ln2/64)^6 / 720 ~ 2e-15). Below the table (x < -73.6,
// exp(x) < 1.1e-32: far below what a float32 result shows next to the other terms), for x > 0 and
// for NaN it calls Math.exp. Maximum relative error against Math.exp: selective-scan/host.test.ts.
const EXP_SHIFT = 6755399441055744; // 1.5 * 2^52: adding it rounds a double to an integer
const EXP_K = 32 / Math.LN2;
const EXP_STEP = Math.LN2 / 32;
const EXP_STEP_HI = Math.fround(EXP_STEP); // 24 significant bits: m * EXP_STEP_HI is exact
const EXP_STEP_LO = EXP_STEP - EXP_STEP_HI;
const EXP_TABLE_SIZE = 3400;
const EXP_TABLE = Float64Array.from({ length: EXP_TABLE_SIZE + 1 }, (_, i) => Math.exp(-i * EXP_STEP));

/** exp(x), accurate to ~1e-14 relative; fast for -73.6 <= x <= 0. */
export function expNonPositive(x: number): number {
  const m = x * EXP_K + EXP_SHIFT - EXP_SHIFT;
  const i = -m;
  if (!(i >= 0 && i <= EXP_TABLE_SIZE)) return Math.exp(x);
  const r = x - m * EXP_STEP_HI - m * EXP_STEP_LO;
  return EXP_TABLE[i] * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120))))));
}
