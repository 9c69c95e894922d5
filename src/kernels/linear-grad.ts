/**
 * A linear layer's whole backward as ONE dispatch ('IclLinearGrad'): for y = x W^T (nn.Linear,
 * W [out, in]) or y = x W (GPT-2 Conv1D, W [in, out]), plus an optional bias and residual, and dy:
 *   dx = dy W (or dy W^T), plus dKept (the gradient of the kept x, `fusedLinearKeep`) when given;
 *   dW = dy^T x (or x^T dy), in W's own layout;
 *   db = the sum of dy over rows, when the layer has a bias.
 * One tiled matmul program whose workgroups are split between the two products: the first
 * workgroups each own a 32 x 32 tile of dW (reducing over all M rows), the rest a 32 x 32 tile of
 * dx (reducing over the N outputs). The dW workgroups of the first tile column (of dy's columns)
 * also sum the dy tile they hold in workgroup memory for db, so the bias costs no extra reads.
 * Every sum runs in float32 in a fixed order (deterministic); shapes need not be multiples of the
 * tile (edges are loaded as zeros and not stored).
 *
 * tfjs would run this as two or three dispatches (two matMul programs and the bias's column sum).
 *
 * The split-rows form (`splitRows` attribute; `linearTuning.backward = 'split-rows'`): the same
 * program with the dW workgroups multiplied by row blocks, each summing only its block's rows into
 * a scratch buffer `part` [blocks, wp wq (+ N)] (the bias's tile column also its block's dy sum),
 * then ONE reduction program (`linearGradReduceProgram`) summing `part` over the blocks into dW and
 * db. Two dispatches, whose dW workgroups number tiles x blocks instead of tiles. `splitRowsPlan`
 * takes blocks = ceil(528 / tiles) (4 per SM of a 132-SM H200), at most m / 64 (no block under two
 * 32-row steps) and within an 8 MiB scratch, rows per block rounded up to the 32-row step; one
 * block (short reductions, or weights of 528+ tiles) runs the one-dispatch program. Deterministic:
 * each partial is a fixed-order loop, the reduction a fixed lane order (no atomics). Storage
 * buffers: 6 (dx, part; x, w, dy, dkept) and 3 (dw, db; part). Shader keys: the flags (layout,
 * bias, kept, row map, split); every size is a uniform.
 *
 * Arithmetic at paper size (batch 64 x L 82 = 5248 rows, D 128; wg = workgroups, step = 32 rows
 * loaded and multiplied; one-dispatch: dW wg x serial steps -> split: dW wg x steps, part bytes):
 *   c_attn 128 x 384:         48 wg x 164 -> 11 blocks of 480 rows: 528 wg x 15, 2.2 MB
 *   attn c_proj 128 x 128:    16 wg x 164 -> 33 blocks of 160 rows: 528 wg x 5, 2.2 MB
 *   c_fc, mlp c_proj, in_proj 128 x 512 (either way): 64 wg x 164 -> 9 of 608: 576 wg x 19, 2.4 MB
 *   out_proj 128 x 256:       32 wg x 164 -> 17 of 320: 544 wg x 10, 2.2 MB
 *   x_proj 40 x 256:          16 wg x 164 -> 33 of 160: 528 wg x 5, 1.4 MB
 *   read-in 128 x 20:          4 wg x 164 -> 82 of 64: 328 wg x 2, 0.9 MB
 *   read-out 1 x 128 (2624 rows): 4 wg x 82 -> 41 of 64: 164 wg x 2, 0.02 MB
 * dx's workgroups are unchanged (656-2624 wg x 1-16 steps). The one-dispatch form's longest
 * workgroup runs 164 steps; the split form's 19, the dx part's 16: the program is ~8x shorter on a
 * GPU with the SMs to spare. Bytes: x and dy are 5.4-13.4 MB; the partials add up to 2.4 MB
 * written and read once by the reduction (168-1032 wg, 3-6 loads a lane; the read-out's 9 wg):
 * under a microsecond of H200 bandwidth, against the ~20 us a dispatch costs (the reduction: 4
 * lanes of blocks per element, 16 where 4 leave under 264 workgroups: `reduceLanes`).
 * Lesson preset (256 prompts x L 63..160 = 16128..40960 rows, D 64): 64 x 64 weights go from 4 wg
 * x 504..1280 steps to 126..128 blocks: 504..512 wg x 4..10 steps (2.1 MB part, reduction 260 wg
 * x 8 loads a lane); 64 x 256 from 16 wg x 504..1280 to 32..33 blocks: 512..528 wg x 16..39
 * (2.2 MB); x_proj 36 x 128 from 8 wg to 63..64 blocks: 504..512 wg x 8..20 (1.2 MB).
 */

import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { bindings, FLAT_INDEX, registerKernelOnce } from './common';
import { deferReduction, linearGradReduceProgram, reductionTuning } from './linear-grad-reduce';
import { dispatch1d, release, runRaw } from './runner';

export const LINEAR_GRAD = 'IclLinearGrad';

/** tile edge: outputs per workgroup along each axis, and rows of the reduction per step */
const T = 32;
/** workgroup memory row stride (one more than the tile: no bank conflicts on transposed stores) */
const S = T + 1;
/** threads per workgroup: 16 x 16, each owning 2 x 2 outputs of the tile */
const THREADS = 256;

export interface LinearGradShape {
  /** rows of x and dy */
  m: number;
  /** x's columns (the layer's inputs) */
  k: number;
  /** dy's columns (the layer's outputs) */
  n: number;
  /** W is [out, in] (nn.Linear); else [in, out] */
  transposeWeight: boolean;
  bias: boolean;
  kept: boolean;
  /**
   * x has more rows than dy: dy's row r = b n + i is x's row b L + start + i stride (a read-out
   * at evenly spaced positions, `fusedLinearRows`); dx then covers all of x's rows, zero where no
   * row of dy reads it. Absent: x's rows are dy's.
   */
  rows?: RowMap;
}

/** x [B L, K] read at rows b L + start + i stride, i < n, for each b */
export interface RowMap {
  l: number;
  n: number;
  start: number;
  stride: number;
}

/** WGSL: xrow(r), x's row of dy's row r; selrow(m), dy's row that reads x's row m, or -1 */
export function rowMapWgsl(mapped: boolean): string {
  if (!mapped)
    return /* wgsl */ `
fn xrow(r: i32) -> i32 { return r; }
fn selrow(m: i32) -> i32 { return m; }
`;
  return /* wgsl */ `
fn xrow(r: i32) -> i32 { return (r / uni.nSel) * uni.L + uni.start + (r % uni.nSel) * uni.stride; }
fn selrow(m: i32) -> i32 {
  let q = m % uni.L - uni.start;
  if (q < 0 || q % uni.stride != 0 || q / uni.stride >= uni.nSel) { return -1; }
  return (m / uni.L) * uni.nSel + q / uni.stride;
}
`;
}

/** the row map's uniforms (identity without one) */
export function rowMapUniforms(rows: RowMap | undefined, m: number) {
  const r = rows ?? { l: m, n: m, start: 0, stride: 1 };
  return [r.l, r.n, r.start, r.stride].map((v) => ({ type: 'int32' as const, data: [v] }));
}

export const ROW_MAP_UNIFORMS = 'L: i32, nSel: i32, start: i32, stride: i32';

/**
 * The one-dispatch program, or with `blocks` (a `splitRowsPlan`) the first program of the
 * split-rows form: dx as above, and each dW workgroup's sum over one block of rows (and, in the
 * bias's tile column, that block's sum of dy) stored in `part` [blocks, wp wq (+ N)] for
 * `linearGradReduceProgram`.
 */
export function linearGradProgram(s: LinearGradShape, plan?: SplitRowsPlan) {
  const { m, k, n, transposeWeight: t, rows } = s;
  const split = plan !== undefined;
  if (rows && s.kept) throw new Error(`${LINEAR_GRAD}: a row map takes no kept gradient`);
  // x's rows (dx's): all B L of them with a row map
  const mx = rows ? (m / rows.n) * rows.l : m;
  // the dW job: C[p, q] = sum over rows r of A(p, r) B(r, q), C = dW in W's layout
  const wp = t ? n : k;
  const wq = t ? k : n;
  const wqTiles = Math.ceil(wq / T);
  const tiles = Math.ceil(wp / T) * wqTiles;
  const blocks = plan?.blocks ?? 1;
  const blockRows = plan?.blockRows ?? Math.max(m, 1);
  const wGroups = tiles * blocks;
  // the dx job: C = dx [m, k], reducing over the n outputs
  const xqTiles = Math.ceil(k / T);
  const xGroups = Math.ceil(mx / T) * xqTiles;
  const dispatch = dispatch1d(wGroups + xGroups, 1);
  const outputs = split ? ['dx', 'part'] : s.bias ? ['dx', 'dw', 'db'] : ['dx', 'dw'];
  // one block's stretch of `part`: dW in W's layout, then the bias's N sums
  const partStride = wp * wq + (s.bias ? n : 0);
  const inputs = s.kept ? ['x', 'w', 'dy', 'dkept'] : ['x', 'w', 'dy'];
  // dW job loads: both operands are contiguous along the tile's p / q axis (row r of x or dy)
  const wA = t ? 'dy[r * uni.N + p]' : 'x[xrow(r) * uni.K + p]';
  const wB = t ? 'x[xrow(r) * uni.K + q]' : 'dy[r * uni.N + q]';
  // the dy tile that the bias sums: A (t: p runs over dy's columns) or B (q does)
  const biasTile = t ? 'As' : 'Bs';
  const biasGroup = t ? 'q0 == 0' : 'p0 == 0';
  const biasCol = t ? 'p0' : 'q0';
  return {
    name: split ? 'LinearGradPart' : 'LinearGrad',
    key: `lingrad_${t ? 't' : 'n'}${s.bias ? 'b' : ''}${s.kept ? 'k' : ''}${rows ? 'r' : ''}${split ? 's' : ''}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [m] },
      { type: 'int32' as const, data: [k] },
      { type: 'int32' as const, data: [n] },
      { type: 'int32' as const, data: [dispatch[0]] },
      { type: 'int32' as const, data: [wGroups] },
      { type: 'int32' as const, data: [wqTiles] },
      { type: 'int32' as const, data: [xqTiles] },
      { type: 'int32' as const, data: [mx] },
      ...rowMapUniforms(rows, m),
      { type: 'int32' as const, data: [tiles] },
      { type: 'int32' as const, data: [blockRows] },
      { type: 'int32' as const, data: [partStride] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(outputs, inputs, `M: i32, K: i32, N: i32, nx: i32, wGroups: i32, wqTiles: i32, xqTiles: i32, Mx: i32, ${ROW_MAP_UNIFORMS}, tiles: i32, blockRows: i32, partStride: i32`)}
${rowMapWgsl(rows !== undefined)}
var<workgroup> As: array<f32, ${T * S}>;
var<workgroup> Bs: array<f32, ${T * S}>;
${FLAT_INDEX}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let g = flatGroup(wid);
  let tx = lid % 16;
  let ty = lid / 16;
  let isW = g < uni.wGroups;
  var p0 = 0;
  var q0 = 0;
  var P = 0;
  var Q = 0;
  var R = 0;
  // the dW workgroups' block of rows [rBegin, R) (all rows in the one-dispatch form)
  var blk = 0;
  var rBegin = 0;
  if (isW) {
    blk = g / uni.tiles;
    let tile = g % uni.tiles;
    p0 = (tile / uni.wqTiles) * ${T};
    q0 = (tile % uni.wqTiles) * ${T};
    P = ${t ? 'uni.N' : 'uni.K'};
    Q = ${t ? 'uni.K' : 'uni.N'};
    rBegin = blk * uni.blockRows;
    R = min(uni.M, rBegin + uni.blockRows);
  } else {
    let h = g - uni.wGroups;
    p0 = (h / uni.xqTiles) * ${T};
    q0 = (h % uni.xqTiles) * ${T};
    P = uni.Mx;
    Q = uni.K;
    R = uni.N;
  }
  let sumBias = ${s.bias ? `isW && ${biasGroup}` : 'false'};
  var c00 = 0.0;
  var c01 = 0.0;
  var c10 = 0.0;
  var c11 = 0.0;
  var bsum = 0.0;
  for (var r0 = rBegin; r0 < R; r0 += ${T}) {
    for (var i = 0; i < ${(T * T) / THREADS}; i++) {
      let e = lid + i * ${THREADS};
      let hi = e / ${T};
      let lo = e % ${T};
      var a = 0.0;
      var b = 0.0;
      if (isW) {
        // As[r][p] = A(p, r), Bs[r][q] = B(r, q); hi = r, lo = p / q
        let r = r0 + hi;
        let p = p0 + lo;
        let q = q0 + lo;
        if (r < R && p < P) { a = ${wA}; }
        if (r < R && q < Q) { b = ${wB}; }
        As[hi * ${S} + lo] = a;
        Bs[hi * ${S} + lo] = b;
      } else {
        // A(p = row m, r = output n) = dy[m, n]: contiguous along r
        let pm = p0 + hi;
        let rn = r0 + lo;
        if (pm < P && rn < R) {
          let sr = selrow(pm);
          if (sr >= 0) { a = dy[sr * uni.N + rn]; }
        }
        As[lo * ${S} + hi] = a;
        ${
          t
            ? `// B(r = n, q = k) = W[n, k]: contiguous along q
        let rw = r0 + hi;
        let qk = q0 + lo;
        if (rw < R && qk < Q) { b = w[rw * uni.K + qk]; }
        Bs[hi * ${S} + lo] = b;`
            : `// B(r = n, q = k) = W[k, n]: contiguous along r
        let qk = q0 + hi;
        let rw = r0 + lo;
        if (rw < R && qk < Q) { b = w[qk * uni.N + rw]; }
        Bs[lo * ${S} + hi] = b;`
        }
      }
    }
    workgroupBarrier();
    let rows = min(${T}, R - r0);
    for (var rr = 0; rr < rows; rr++) {
      let a0 = As[rr * ${S} + ty];
      let a1 = As[rr * ${S} + ty + 16];
      let b0 = Bs[rr * ${S} + tx];
      let b1 = Bs[rr * ${S} + tx + 16];
      c00 += a0 * b0;
      c01 += a0 * b1;
      c10 += a1 * b0;
      c11 += a1 * b1;
    }
    if (sumBias && lid < ${T}) {
      for (var rr = 0; rr < rows; rr++) { bsum += ${biasTile}[rr * ${S} + lid]; }
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 2; i++) {
    let p = p0 + ty + 16 * i;
    for (var j = 0; j < 2; j++) {
      let q = q0 + tx + 16 * j;
      if (p < P && q < Q) {
        var v = c00;
        if (i == 0 && j == 1) { v = c01; }
        if (i == 1 && j == 0) { v = c10; }
        if (i == 1 && j == 1) { v = c11; }
        if (isW) {
          ${split ? 'part[blk * uni.partStride + p * Q + q] = v;' : 'dw[p * Q + q] = v;'}
        } else {
          dx[p * uni.K + q] = v${s.kept ? ' + dkept[p * uni.K + q]' : ''};
        }
      }
    }
  }
  ${
    s.bias
      ? `if (sumBias && lid < ${T}) {
    let col = ${biasCol} + lid;
    if (col < uni.N) { ${split ? 'part[blk * uni.partStride + P * Q + col] = bsum;' : 'db[col] = bsum;'} }
  }`
      : ''
  }
}
`,
  };
}

/**
 * The split-rows form's knobs: dW workgroups wanted (4 per SM of a 132-SM GPU), the fewest rows a
 * block may have (two tile steps: below that the partial sums cost more than they spread), and the
 * largest scratch of partial sums. Read by every backward that picks the split-rows form.
 */
export const splitRowsTuning = { targetGroups: 528, minBlockRows: 64, maxScratchBytes: 8 * 2 ** 20 };

export interface SplitRowsPlan {
  /** row blocks (1: the one-dispatch program is run instead) */
  blocks: number;
  /** rows per block, a multiple of the 32-row tile step; the last block has the rest */
  blockRows: number;
  /** 32 x 32 tiles of dW */
  tiles: number;
  /** floats of the partial sums: blocks x (dW's + the bias's) */
  scratch: number;
}

/**
 * How the split-rows backward cuts the m rows of dy for a weight of `wp` x `wq` (and `bias` sums
 * over `n` columns): as many blocks as bring the dW workgroups (tiles x blocks) up to
 * `targetGroups`, no block under `minBlockRows` rows, the partial sums within `maxScratchBytes`.
 */
export function splitRowsPlan(m: number, wp: number, wq: number, n: number, bias: boolean): SplitRowsPlan {
  const { targetGroups, minBlockRows, maxScratchBytes } = splitRowsTuning;
  const tiles = Math.ceil(wp / T) * Math.ceil(wq / T);
  const stride = wp * wq + (bias ? n : 0);
  const want = Math.min(
    Math.ceil(targetGroups / tiles),
    Math.floor(m / minBlockRows),
    Math.floor(maxScratchBytes / (4 * stride)),
  );
  const blockRows = Math.ceil(Math.ceil(Math.max(m, 1) / Math.max(want, 1)) / T) * T;
  const blocks = Math.max(1, Math.ceil(m / blockRows));
  return { blocks, blockRows, tiles, scratch: blocks * stride };
}

type LinearGradAttrs = { transposeWeight: boolean; bias: boolean; rows?: RowMap; splitRows?: boolean };

/** inputs x [M, K] (with a row map [B L, K]), weight, dy [M, N], dkept? [M, K] -> [dx, dW, db?] */
const linearGradKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, dy, dkept } = inputs as Record<string, TensorInfo | undefined>;
  const { transposeWeight, bias, rows, splitRows } = attrs as unknown as LinearGradAttrs;
  const [m, n] = dy!.shape;
  const k = x!.shape[1];
  const shape = { m, k, n, transposeWeight, bias, kept: dkept !== undefined, rows };
  const ins = dkept ? [x!, weight!, dy!, dkept] : [x!, weight!, dy!];
  const plan = splitRows ? splitRowsPlan(m, weight!.shape[0], weight!.shape[1], n, bias) : undefined;
  if (!plan || plan.blocks === 1) {
    const outs = [x!.shape.slice(), weight!.shape.slice()];
    if (bias) outs.push([n]);
    return runRaw(backend, linearGradProgram(shape), ins, outs);
  }
  const [dx, part] = runRaw(backend, linearGradProgram(shape, plan), ins, [x!.shape.slice(), [plan.scratch]]);
  const e = weight!.shape[0] * weight!.shape[1];
  if (reductionTuning.defer)
    return [dx, ...deferReduction(backend, part, weight!.shape.slice(), bias ? n : 0, plan.blocks)];
  const reduce = linearGradReduceProgram(e, bias ? n : 0, plan.blocks);
  const sums = runRaw(backend, reduce, [part], bias ? [weight!.shape.slice(), [n]] : [weight!.shape.slice()]);
  release(backend, part);
  return [dx, ...sums];
};

export function registerLinearGradKernel(): void {
  registerKernelOnce({ kernelName: LINEAR_GRAD, backendName: 'webgpu', kernelFunc: linearGradKernel });
}

/** y [B n, N] = x's rows b L + start + i stride (i < n) times the weight, plus bias: one invocation per output */
export function linearRowsProgram(m: number, k: number, n: number, t: boolean, bias: boolean, rows: RowMap) {
  const dispatch = dispatch1d(m * n, 64);
  const weightAt = t ? 'w[o * uni.K + c]' : 'w[c * uni.N + o]';
  return {
    name: 'LinearRows',
    key: `linrows_${t ? 't' : 'n'}${bias ? 'b' : ''}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [m] },
      { type: 'int32' as const, data: [k] },
      { type: 'int32' as const, data: [n] },
      { type: 'int32' as const, data: [dispatch[0]] },
      ...rowMapUniforms(rows, m),
    ],
    wgsl: () => /* wgsl */ `
${bindings(['y'], bias ? ['x', 'w', 'b'] : ['x', 'w'], `M: i32, K: i32, N: i32, nx: i32, ${ROW_MAP_UNIFORMS}`)}
${FLAT_INDEX}
${rowMapWgsl(true)}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.M * uni.N) { return; }
  let o = i % uni.N;
  let xo = xrow(i / uni.N) * uni.K;
  var acc = ${bias ? 'b[o]' : '0.0'};
  for (var c = 0; c < uni.K; c++) { acc += x[xo + c] * ${weightAt}; }
  y[i] = acc;
}
`,
  };
}
