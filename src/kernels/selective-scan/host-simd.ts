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
 * The same module runs two host kernels of host-kernels.ts in SIMD: bias + GELU (widths of 4k) and
 * Mamba's causal conv + bias + SiLU (channels padded to 4), with the same fallbacks.
 *
 * Used where WebAssembly SIMD validates (`hostScanSimdAvailable`): Node >= 16, Chromium >= 91,
 * Firefox >= 89, Safari >= 16.4; elsewhere host.ts runs its JavaScript loops. `setHostScanImpl`
 * forces either (tests, benchmarks).
 */
import type { ScanArrays, ScanGradArrays } from './host';
import { SCAN_SIMD_BASE64 } from './scan-simd-module';
import type { Dims } from './shape';

interface ScanExports {
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
function scanModule(): ScanExports | null {
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

class Arena {
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

const padded = (di: number): number => Math.ceil(di / 4) * 4;

/** rows x di values of `src` (row stride `stride`, from column `offset`) into rows x dp at `at`. */
function packRows(
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
function unpackRows(
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

// ---------------------------------------------------------------------------------------------
// Bias + GELU (host-kernels.ts): the module's float32 exp four lanes at a time

/**
 * Whether bias + GELU over rows of `c` runs in the module here: `c` a multiple of 4 (the presets'
 * 4 D), WebAssembly SIMD present, and the host implementation not forced to JavaScript
 * (`setHostScanImpl('js')` forces every host kernel of this module to its JavaScript loops).
 */
export function runsSimdGelu(c: number): boolean {
  return impl !== 'js' && c >= 4 && c % 4 === 0 && scanModule() !== null;
}

/** out = GELU_tanh(x + bias[i % c]) (runsSimdGelu(c) must hold). */
export function biasGeluForwardSimd(c: number, x: Float32Array, bias: Float32Array, out: Float32Array): void {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const arena = new Arena();
  const px = arena.take(x.length);
  const pb = arena.take(c);
  const po = arena.take(x.length);
  const f = arena.view(mod);
  f.set(x, px);
  f.set(bias.subarray(0, c), pb);
  mod.biasGeluForward(px * 4, pb * 4, po * 4, x.length / c, c);
  out.set(f.subarray(po, po + x.length));
}

/** dx = dy GELU_tanh'(x + bias[i % c]) (runsSimdGelu(c) must hold). */
export function biasGeluBackwardSimd(
  c: number,
  x: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const arena = new Arena();
  const px = arena.take(x.length);
  const pb = arena.take(c);
  const pdy = arena.take(x.length);
  const pdx = arena.take(x.length);
  const f = arena.view(mod);
  f.set(x, px);
  f.set(bias.subarray(0, c), pb);
  f.set(dy.subarray(0, x.length), pdy);
  mod.biasGeluBackward(px * 4, pb * 4, pdy * 4, pdx * 4, x.length / c, c);
  dx.set(f.subarray(pdx, pdx + x.length));
}

// ---------------------------------------------------------------------------------------------
// Mamba's causal conv + bias + SiLU (host-kernels.ts): 4 channels a lane group

/** The conv's sizes: x [B, L, Cx] with the conv's C channels from column `offset`, K taps. */
export interface SimdConvDims {
  b: number;
  l: number;
  cx: number;
  c: number;
  k: number;
  offset: number;
}

/** Whether the conv of these sizes runs in the module here (as runsSimdGelu; empty shapes stay JS). */
export function runsSimdConv(dims: SimdConvDims): boolean {
  if (impl === 'js') return false;
  if (dims.b < 1 || dims.l < 1 || dims.c < 1 || dims.k < 1) return false;
  return scanModule() !== null;
}

/** The conv's inputs in the module: x's C columns [B L, Cp], the taps transposed [K, Cp], bias [Cp]. */
function placeConv(
  mod: ScanExports,
  arena: Arena,
  dims: SimdConvDims,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
) {
  const { b, l, cx, c, k, offset } = dims;
  const cp = padded(c);
  const rows = b * l;
  const at = { x: arena.take(rows * cp), w: arena.take(k * cp), bias: arena.take(cp) };
  return {
    cp,
    rows,
    at,
    fill(f: Float32Array): void {
      packRows(f, at.x, x, rows, c, cp, cx, offset);
      f.fill(0, at.w, at.w + k * cp + cp);
      for (let ch = 0; ch < c; ch++) {
        for (let j = 0; j < k; j++) f[at.w + j * cp + ch] = w[ch * k + j];
        f[at.bias + ch] = bias[ch];
      }
    },
  };
}

/** u [B, L, C] = SiLU(causal conv(x) + bias) (runsSimdConv(dims) must hold). */
export function convSiluForwardSimd(
  dims: SimdConvDims,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  u: Float32Array,
): void {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const arena = new Arena();
  const placed = placeConv(mod, arena, dims, x, w, bias);
  const pu = arena.take(placed.rows * placed.cp);
  const f = arena.view(mod);
  placed.fill(f);
  const { at, cp } = placed;
  mod.convSiluForward(at.x * 4, at.w * 4, at.bias * 4, pu * 4, dims.b, dims.l, cp, dims.k);
  unpackRows(f, pu, u, placed.rows, dims.c, cp);
}

/**
 * dx [B, L, Cx] (dres, or zeros, plus the conv's gradient in its C columns), dw [C, 1, K], db [C]
 * (runsSimdConv(dims) must hold).
 */
export function convSiluBackwardSimd(
  dims: SimdConvDims,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  dy: Float32Array,
  dres: Float32Array | undefined,
  dx: Float32Array,
  dw: Float32Array,
  db: Float32Array,
): void {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const { c, k, l } = dims;
  const arena = new Arena();
  const placed = placeConv(mod, arena, dims, x, w, bias);
  const { at, cp, rows } = placed;
  const pdy = arena.take(rows * cp);
  const pdx = arena.take(rows * cp);
  const pdw = arena.take(k * cp);
  const pdb = arena.take(cp);
  const scratch = arena.take(l * 4);
  const f = arena.view(mod);
  placed.fill(f);
  packRows(f, pdy, dy, rows, c, cp);
  mod.convSiluBackward(
    at.x * 4,
    at.w * 4,
    at.bias * 4,
    pdy * 4,
    pdx * 4,
    pdw * 4,
    pdb * 4,
    scratch * 4,
    dims.b,
    l,
    cp,
    k,
  );
  if (dres) dx.set(dres);
  else dx.fill(0);
  for (let row = 0; row < rows; row++) {
    const from = pdx + row * cp;
    const to = row * dims.cx + dims.offset;
    for (let ch = 0; ch < c; ch++) dx[to + ch] += f[from + ch];
  }
  for (let ch = 0; ch < c; ch++) {
    for (let j = 0; j < k; j++) dw[ch * k + j] = f[pdw + j * cp + ch];
    db[ch] = f[pdb + ch];
  }
}

// ---------------------------------------------------------------------------------------------
// LayerNorm over rows of c (host-kernels.ts): 4 columns a lane group, dw and db summed in float64

/** Whether LayerNorm over rows of `c` runs in the module here (as runsSimdGelu). */
export function runsSimdLayerNorm(c: number): boolean {
  return runsSimdGelu(c);
}

/** y = (x - mean) / sqrt(var + eps) w + b over rows of c (runsSimdLayerNorm(c) must hold). */
export function layerNormForwardSimd(
  c: number,
  eps: number,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  y: Float32Array,
): void {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const n = y.length;
  const arena = new Arena();
  const [px, pw, pb, py] = [arena.take(n), arena.take(c), arena.take(c), arena.take(n)];
  const f = arena.view(mod);
  f.set(x.subarray(0, n), px);
  f.set(w.subarray(0, c), pw);
  f.set(b.subarray(0, c), pb);
  mod.layerNormForward(px * 4, pw * 4, pb * 4, py * 4, n / c, c, eps);
  y.set(f.subarray(py, py + n));
}

/** dx (+ dres when given), dw, db of LayerNorm over rows of c (runsSimdLayerNorm(c) must hold). */
export function layerNormBackwardSimd(
  c: number,
  eps: number,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  dres: Float32Array | undefined,
  dx: Float32Array,
  dw: Float32Array,
  db: Float32Array,
): void {
  const mod = scanModule();
  if (!mod) throw new Error('WebAssembly SIMD is not available');
  const n = dx.length;
  const arena = new Arena();
  const [px, pw, pdy, pdx] = [arena.take(n), arena.take(c), arena.take(n), arena.take(n)];
  const [pdw, pdb] = [arena.take(2 * c), arena.take(2 * c)]; // float64 sums
  const f = arena.view(mod);
  f.set(x.subarray(0, n), px);
  f.set(w.subarray(0, c), pw);
  f.set(dy.subarray(0, n), pdy);
  f.fill(0, pdw, pdb + 2 * c);
  mod.layerNormBackward(px * 4, pw * 4, pdy * 4, pdx * 4, pdw * 4, pdb * 4, n / c, c, eps);
  dx.set(f.subarray(pdx, pdx + n));
  if (dres) for (let i = 0; i < n; i++) dx[i] += dres[i];
  const f64 = new Float64Array(f.buffer);
  for (let k = 0; k < c; k++) {
    dw[k] = f64[pdw / 2 + k];
    db[k] = f64[pdb / 2 + k];
  }
}
