/**
 * The tiled matmul inside the programs that compute a linear layer's input as they load it
 * (layer-norm-linear.ts: LayerNorm; conv-silu-linear.ts: Mamba's causal conv + SiLU): WGSL pieces
 * for y [M, N] = A W (+ bias), A [M, K] made on the fly by the caller's `loadA`.
 *
 * Each workgroup of 256 threads owns a tile of 64 rows x 64 columns of y and walks K in stretches of
 * 16: it loads A's 64 x 16 stretch (the caller's code, which may also write A out) and W's 16 x 64
 * into workgroup memory as vec4s (4 rows of A, 4 columns of W), then each thread adds 4 rows x 4
 * columns (2 loads, 16 FMAs a step of the reduction).
 */

/** rows and columns of y a workgroup owns, and the stretch of K per tile */
export const TM = 64;
export const TN = 64;
export const TK = 16;
export const THREADS = 256;
/**
 * vec4s per stretch step of the A tile: one more than its 16 rows' worth, so that the 16 threads
 * storing one row's 16 values of K hit different banks (a stride of 64 floats would put them all in
 * one)
 */
const A_STRIDE = TM / 4 + 1;

/** workgroup memory of the two tiles */
export const TILE_DECLARATIONS = /* wgsl */ `
var<workgroup> aT: array<vec4<f32>, ${TK * A_STRIDE}>;
var<workgroup> wT: array<vec4<f32>, ${(TK * TN) / 4}>;
`;

/**
 * W's tile [TK, TN] loaded so that neighbouring threads read neighbouring addresses; W [N, K] with
 * `transposeWeight` (nn.Linear), else [K, N] (GPT-2 Conv1D); the binding is `w`.
 */
function loadWeight(transposeWeight: boolean): string {
  return transposeWeight
    ? `let kk = e % ${TK}; let cc = e / ${TK};
      let kw = k0 + kk; let col = col0 + cc;
      var wv = 0.0;
      if (kw < K && col < uni.N) { wv = w[col * K + kw]; }`
    : `let kk = e / ${TN}; let cc = e % ${TN};
      let kw = k0 + kk; let col = col0 + cc;
      var wv = 0.0;
      if (kw < K && col < uni.N) { wv = w[kw * uni.N + col]; }`;
}

/**
 * The reduction over K (`K`, `row0`, `col0`, `lid` and `uni.M`, `uni.N` in scope) and the store of
 * y (binding `y`, plus `bias` [N] when `bias`). `loadA` sets `a` (declared 0) for the element of
 * A at row `row` (< uni.M or not), column `kx` (< K or not); it may write A out too.
 */
export function tiledMatmul(loadA: string, transposeWeight: boolean, bias: boolean): string {
  return /* wgsl */ `
  let tx = lid % ${TN / 4};
  let ty = lid / ${TN / 4};
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0; k0 < K; k0 += ${TK}) {
    for (var i = 0; i < ${(TM * TK) / THREADS}; i++) {
      let e = lid + ${THREADS} * i;
      let r = e / ${TK};
      let kk = e % ${TK};
      let row = row0 + r;
      let kx = k0 + kk;
      var a = 0.0;
      ${loadA}
      aT[kk * ${A_STRIDE} + r / 4][r % 4] = a;
    }
    for (var i = 0; i < ${(TK * TN) / THREADS}; i++) {
      let e = lid + ${THREADS} * i;
      ${loadWeight(transposeWeight)}
      wT[kk * ${TN / 4} + cc / 4][cc % 4] = wv;
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${TK}; kk++) {
      let a = aT[kk * ${A_STRIDE} + ty];
      let wv = wT[kk * ${TN / 4} + tx];
      acc0 += a.x * wv;
      acc1 += a.y * wv;
      acc2 += a.z * wv;
      acc3 += a.w * wv;
    }
    workgroupBarrier();
  }
  let r0 = row0 + ty * 4;
  for (var j = 0; j < 4; j++) {
    let col = col0 + tx * 4 + j;
    if (col < uni.N) {
      ${bias ? 'let bj = bias[col];' : 'let bj = 0.0;'}
      if (r0 < uni.M) { y[r0 * uni.N + col] = acc0[j] + bj; }
      if (r0 + 1 < uni.M) { y[(r0 + 1) * uni.N + col] = acc1[j] + bj; }
      if (r0 + 2 < uni.M) { y[(r0 + 2) * uni.N + col] = acc2[j] + bj; }
      if (r0 + 3 < uni.M) { y[(r0 + 3) * uni.N + col] = acc3[j] + bj; }
    }
  }`;
}
