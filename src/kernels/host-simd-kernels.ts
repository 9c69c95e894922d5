/**
 * The wasm host kernels that run in the selective scan's WebAssembly SIMD module
 * (selective-scan/scan-simd.wat): LayerNorm, bias + GELU and Mamba's causal conv + bias + SiLU, 4
 * lanes of float32 (LayerNorm's dw and db summed in float64). Each call packs its inputs into the
 * module's memory and copies its outputs out (O(size) against the kernel's own O(size) work, which
 * the SIMD loops do ~3-4x faster than host-kernels.ts's JavaScript loops). host-kernels.ts calls
 * these where `runsSimd*` holds and its JavaScript loops elsewhere; `setHostScanImpl('js')` forces
 * the JavaScript loops here too.
 */
import { Arena, hostScanImpl, packRows, padded, scanModule, unpackRows } from './selective-scan/host-simd';

// ---------------------------------------------------------------------------------------------
// Bias + GELU (host-kernels.ts): the module's float32 exp four lanes at a time

/**
 * Whether bias + GELU over rows of `c` runs in the module here: `c` a multiple of 4 (the presets'
 * 4 D), WebAssembly SIMD present, and the host implementation not forced to JavaScript
 * (`setHostScanImpl('js')` forces every host kernel of this module to its JavaScript loops).
 */
export function runsSimdGelu(c: number): boolean {
  return hostScanImpl() !== 'js' && c >= 4 && c % 4 === 0 && scanModule() !== null;
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
  if (hostScanImpl() === 'js') return false;
  if (dims.b < 1 || dims.l < 1 || dims.c < 1 || dims.k < 1) return false;
  return scanModule() !== null;
}

/** The conv's inputs in the module: x's C columns [B L, Cp], the taps transposed [K, Cp], bias [Cp]. */
function placeConv(arena: Arena, dims: SimdConvDims, x: Float32Array, w: Float32Array, bias: Float32Array) {
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
  const placed = placeConv(arena, dims, x, w, bias);
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
  const placed = placeConv(arena, dims, x, w, bias);
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
