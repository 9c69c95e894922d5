/**
 * The host selective scan in WebAssembly with 128-bit SIMD (scan-simd.wat, assembled into
 * scan-simd-module.ts by `npm run wasm:scan`): the same forward and backward as host.ts's
 * JavaScript loops, 4 channels per f32x4 lane group, float32 arithmetic (the parameter gradients
 * summed over the batch in float64), exp / softplus / sigmoid by range reduction and polynomials.
 *
 * The module has its own WebAssembly Memory (not tfjs's heap): each call copies its inputs in
 * (channels padded to a multiple of 4, the gate's columns picked out, dtW and A transposed: O(B L
 * (Di + S)) numbers against the scan's O(B L Di N) work) and its outputs out; the memory grows as
 * a call needs and is kept for the next calls.
 *
 * The same module runs host kernels of host-kernels.ts in SIMD (LayerNorm, bias + GELU, Mamba's
 * causal conv + SiLU): their wrappers are ../host-simd-kernels.ts, on this file's loader and arena.
 *
 * Used where WebAssembly SIMD validates (`hostScanSimdAvailable`): Node >= 16, Chromium >= 91,
 * Firefox >= 89, Safari >= 16.4; elsewhere host.ts runs its JavaScript loops. `setHostScanImpl`
 * forces either (tests, benchmarks).
 */

import { SCAN_SIMD_BASE64 } from './scan-simd-module';
import type { Dims, ScanArrays, ScanGradArrays } from './shape';

/** The module's exports (the scan's, and those of the host kernels in ../host-simd-kernels.ts). */
export interface ScanExports {
  memory: WebAssembly.Memory;
  forward(...args: number[]): void;
  backward(...args: number[]): void;
  expArray(src: number, dst: number, count: number): void;
  softplusArray(src: number, dst: number, count: number): void;
  sigmoidArray(src: number, dst: number, count: number): void;
  biasGeluForward(x: number, bias: number, out: number, rows: number, c: number): void;
  biasGeluBackward(x: number, bias: number, dy: number, dx: number, rows: number, c: number): void;
  convSiluForward(...args: number[]): void;
  layerNormForward(x: number, w: number, b: number, y: number, rows: number, c: number, eps: number): void;
  layerNormBackward(...args: number[]): void;
  convSiluBackward(...args: number[]): void;
}

export type HostScanImpl = 'auto' | 'js' | 'simd';
let impl: HostScanImpl = 'auto';
let instance: ScanExports | null | undefined; // undefined: not tried yet; null: not available

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The module's exports, instantiated on first use; null where WebAssembly SIMD is missing. */
export function scanModule(): ScanExports | null {
  if (instance !== undefined) return instance;
  instance = null;
  try {
    if (typeof WebAssembly === 'undefined') return null;
    const bytes = decodeBase64(SCAN_SIMD_BASE64);
    // the feature test: the module uses SIMD (and bulk memory), so it validates only where both exist
    if (!WebAssembly.validate(bytes)) return null;
    // synchronous compile: allowed in workers and in Node (the page's main thread never runs kernels)
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    instance = inst.exports as unknown as ScanExports;
  } catch {
    instance = null;
  }
  return instance;
}

/** Whether the SIMD scan can run here. */
export function hostScanSimdAvailable(): boolean {
  return scanModule() !== null;
}

/**
 * Which host scan runs: 'auto' (default: SIMD where available, else JavaScript), 'js', or 'simd'
 * (throws where WebAssembly SIMD is missing).
 */
export function setHostScanImpl(next: HostScanImpl = 'auto'): void {
  if (next === 'simd' && !hostScanSimdAvailable()) throw new Error('WebAssembly SIMD is not available');
  impl = next;
}
export function hostScanImpl(): HostScanImpl {
  return impl;
}

/** Whether a scan of these sizes runs in SIMD (the module needs R, N >= 1; empty shapes stay JS). */
export function runsSimdScan(dims: Dims): boolean {
  if (impl === 'js') return false;
  if (dims.b < 1 || dims.l < 1 || dims.di < 1 || dims.r < 1 || dims.n < 1) return false;
  return scanModule() !== null;
}

// ---------------------------------------------------------------------------------------------
// The module's memory: regions of float32 (16-byte aligned), laid out per call

export class Arena {
  private floats = 0;
  /** a region of `count` float32s (or count / 2 float64s); returns its offset in floats */
  take(count: number): number {
    const at = this.floats;
    this.floats += Math.ceil(count / 4) * 4;
    return at;
  }
  /** grows the memory to hold the regions; returns a float32 view of all of it */
  view(mod: ScanExports): Float32Array {
    const bytes = this.floats * 4;
    const have = mod.memory.buffer.byteLength;
    if (bytes > have) mod.memory.grow(Math.ceil((bytes - have) / 65536));
    return new Float32Array(mod.memory.buffer);
  }
}

export const padded = (di: number): number => Math.ceil(di / 4) * 4;

/** rows x di values of `src` (row stride `stride`, from column `offset`) into rows x dp at `at`. */
export function packRows(
  f: Float32Array,
  at: number,
  src: Float32Array,
  rows: number,
  di: number,
  dp: number,
  stride = di,
  offset = 0,
): void {
  if (di === dp && stride === di && offset === 0) {
    f.set(src.subarray(0, rows * di), at);
    return;
  }
  f.fill(0, at, at + rows * dp);
  for (let row = 0; row < rows; row++) {
    const o = row * stride + offset;
    f.set(src.subarray(o, o + di), at + row * dp);
  }
}

/** rows x dp values at `at` into rows x di of `dst` (row stride `stride`, from column `offset`). */
export function unpackRows(
  f: Float32Array,
  at: number,
  dst: Float32Array,
  rows: number,
  di: number,
  dp: number,
  stride = di,
  offset = 0,
): void {
  if (di === dp && stride === di && offset === 0) {
    dst.set(f.subarray(at, at + rows * di));
    return;
  }
  for (let row = 0; row < rows; row++)
    dst.set(f.subarray(at + row * dp, at + row * dp + di), row * stride + offset);
}

interface Placed {
  f: Float32Array;
  dp: number;
  at: { u: number; x: number; z: number; w: number; bias: number; a: number; d: number };
}

/** Lays out and copies the forward's inputs (and reserves the rest of `arena` first). */
function placeInputs(
  mod: ScanExports,
  dims: Dims,
  x: ScanArrays,
  arena: Arena,
  more: (a: Arena) => void,
): Placed {
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const dp = padded(di);
  const rows = b * l;
  const at = {
    u: arena.take(rows * dp),
    x: arena.take(rows * s),
    z: arena.take(rows * dp),
    w: arena.take(r * dp),
    bias: arena.take(dp),
    a: arena.take(n * dp),
    d: arena.take(dp),
  };
  more(arena);
  const f = arena.view(mod);
  packRows(f, at.u, x.u, rows, di, dp);
  f.set(x.xdbl.subarray(0, rows * s), at.x);
  packRows(f, at.z, x.z, rows, di, dp, zw, zOffset);
  f.fill(0, at.w, at.w + r * dp);
  f.fill(0, at.bias, at.bias + dp);
  f.fill(-1, at.a, at.a + n * dp);
  f.fill(0, at.d, at.d + dp);
  for (let d = 0; d < di; d++) {
    for (let k = 0; k < r; k++) f[at.w + k * dp + d] = x.dtW[d * r + k];
    for (let k = 0; k < n; k++) f[at.a + k * dp + d] = -Math.exp(x.ALog[d * n + k]);
    f[at.bias + d] = x.dtBias[d];
    f[at.d + d] = x.D[d];
  }
  return { f, dp, at };
}

/** The forward in SIMD: writes y [B, L, Di]. */
export function scanForwardSimd(dims: Dims, x: ScanArrays, y: Float32Array): void {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const { b, l, di, r, n, s } = dims;
  const arena = new Arena();
  let py = 0;
  let ph = 0;
  const { f, dp, at } = placeInputs(mod, dims, x, arena, (a) => {
    py = a.take(b * l * padded(di));
    ph = a.take(n * 4);
  });
  mod.forward(
    b,
    l,
    dp,
    r,
    n,
    s,
    at.u * 4,
    at.x * 4,
    at.z * 4,
    at.w * 4,
    at.bias * 4,
    at.a * 4,
    at.d * 4,
    py * 4,
    ph * 4,
  );
  unpackRows(f, py, y, b * l, di, dp);
}

/** The backward in SIMD: every gradient of sum(y * dout), in the order of the forward's inputs. */
export function scanBackwardSimd(dims: Dims, x: ScanArrays, dout: Float32Array, out: ScanGradArrays): void {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const { b, l, di, r, n, s, zw, zOffset } = dims;
  const rows = b * l;
  const arena = new Arena();
  const g = { dout: 0, du: 0, dz: 0, dx: 0, w: 0, a: 0, d: 0, bias: 0, scratch: 0 };
  const { f, dp, at } = placeInputs(mod, dims, x, arena, (a) => {
    const dpp = padded(di);
    g.dout = a.take(rows * dpp);
    g.du = a.take(rows * dpp);
    g.dz = a.take(rows * dpp);
    g.dx = a.take(rows * s);
    g.w = a.take(2 * r * dpp); // float64 sums
    g.a = a.take(2 * n * dpp);
    g.d = a.take(2 * dpp);
    g.bias = a.take(2 * dpp);
    g.scratch = a.take(4 * ((l + 1) * n + l * n + 3 * l + l * s + 2 * n + r));
  });
  packRows(f, g.dout, dout, rows, di, dp);
  f.fill(0, g.w, g.bias + 2 * dp); // the float64 sums (w, a, d, bias: contiguous)
  mod.backward(
    ...[b, l, dp, r, n, s],
    ...[at.u, at.x, at.z, at.w, at.bias, at.a, at.d, g.dout].map((o) => o * 4),
    ...[g.du, g.dz, g.dx, g.w, g.a, g.d, g.bias, g.scratch].map((o) => o * 4),
  );
  const { du, dxdbl, dz, dW, dBias, dALog, dD } = out;
  unpackRows(f, g.du, du, rows, di, dp);
  dz.fill(0);
  unpackRows(f, g.dz, dz, rows, di, dp, zw, zOffset);
  dxdbl.set(f.subarray(g.dx, g.dx + rows * s));
  const f64 = new Float64Array(f.buffer);
  const [w, a, dd, bias] = [g.w / 2, g.a / 2, g.d / 2, g.bias / 2];
  for (let d = 0; d < di; d++) {
    for (let k = 0; k < r; k++) dW[d * r + k] = f64[w + k * dp + d];
    // d/dA_log = d/dA * A, A = -exp(A_log)
    for (let k = 0; k < n; k++) dALog[d * n + k] = f64[a + k * dp + d] * -Math.exp(x.ALog[d * n + k]);
    dD[d] = f64[dd + d];
    dBias[d] = f64[bias + d];
  }
}

/** f(x) elementwise through the module's vector exp / softplus / sigmoid (tests of their accuracy). */
export function simdElementwise(fn: 'exp' | 'softplus' | 'sigmoid', xs: Float32Array): Float32Array {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const arena = new Arena();
  const src = arena.take(xs.length);
  const dst = arena.take(xs.length);
  const f = arena.view(mod);
  f.fill(0, src, dst);
  f.set(xs, src);
  const count = Math.ceil(xs.length / 4) * 4;
  mod[`${fn}Array`](src * 4, dst * 4, count);
  return f.slice(dst, dst + xs.length);
}
