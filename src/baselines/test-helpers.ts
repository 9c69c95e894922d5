/** Helpers shared by the baselines' tests (not used by the app). */
import { Matrix, pseudoInverse } from 'ml-matrix';
import type { Rng } from '../random/rng';
import type { ExampleView } from '../tasks/types';

/** An example view from plain arrays: xs [batch][n][d], ys [batch][n], clean optional. */
export function exampleView(xs: number[][][], ys: number[][], clean?: number[][]): ExampleView {
  const batch = xs.length;
  const n = xs[0].length;
  const d = xs[0][0].length;
  const view: ExampleView = {
    nPoints: n,
    dim: d,
    xs: new Float32Array(batch * n * d),
    ys: new Float32Array(batch * n),
    clean: new Uint8Array(batch * n).fill(1),
  };
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) view.xs[(b * n + i) * d + j] = xs[b][i][j];
      view.ys[b * n + i] = ys[b][i];
      if (clean) view.clean[b * n + i] = clean[b][i];
    }
  return view;
}

/** Random Gaussian matrix [rows, cols] as a row-major Float64Array. */
export function gaussian(rng: Rng, rows: number, cols: number, scale = 1): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = scale * rng.normal();
  return out;
}

/** Round to float32 (the example views store float32, so tests build their references from the same values). */
export function toF32(a: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}

/** pinv(X) y straight from ml-matrix (the reference the least-squares baseline must match). */
export function pinvSolve(xs: Float64Array, ys: Float64Array, n: number, d: number): Float64Array {
  if (n === 0) return new Float64Array(d);
  const X = new Matrix(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X.set(i, j, xs[i * d + j]);
  const w = pseudoInverse(X).mmul(Matrix.columnVector(Array.from(ys.subarray(0, n))));
  return Float64Array.from(w.getColumn(0));
}

/** One prompt's examples (Float64 xs [n, d], ys [n]) as a one-prompt example view. */
export function singlePrompt(
  xs: Float64Array,
  ys: Float64Array,
  n: number,
  d: number,
  clean?: Uint8Array,
): ExampleView {
  return {
    nPoints: n,
    dim: d,
    xs: Float32Array.from(xs.subarray(0, n * d)),
    ys: Float32Array.from(ys.subarray(0, n)),
    clean: clean ? clean.slice(0, n) : new Uint8Array(n).fill(1),
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
