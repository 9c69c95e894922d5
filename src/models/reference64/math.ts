/**
 * Float64 plain-JavaScript building blocks of the reference forward passes. Written for clarity,
 * loop by loop, independently of tfjs: the oracle the tfjs models are tested against.
 * Arrays are row-major; "rows" is the product of the leading dimensions.
 */

/** Looks a float64 parameter up by (local) name. */
export type Get64 = (name: string) => Float64Array;

export function getter64(map: ReadonlyMap<string, Float64Array>): Get64 {
  return (name) => {
    const v = map.get(name);
    if (v === undefined) throw new Error(`unknown parameter '${name}'`);
    return v;
  };
}

export function scoped64(get: Get64, prefix: string): Get64 {
  return (name) => get(prefix + name);
}

/** nn.Linear: x [rows, inDim], W [outDim, inDim], b [outDim] -> [rows, outDim]. */
export function linear64(
  x: Float64Array,
  rows: number,
  inDim: number,
  w: Float64Array,
  b?: Float64Array,
): Float64Array {
  const outDim = w.length / inDim;
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let acc = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) acc += x[r * inDim + i] * w[o * inDim + i];
      y[r * outDim + o] = acc;
    }
  }
  return y;
}

/** HF Conv1D: x [rows, inDim], W [inDim, outDim], b [outDim] -> [rows, outDim]. */
export function conv1dGpt2_64(
  x: Float64Array,
  rows: number,
  inDim: number,
  w: Float64Array,
  b: Float64Array,
): Float64Array {
  const outDim = w.length / inDim;
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let acc = b[o];
      for (let i = 0; i < inDim; i++) acc += x[r * inDim + i] * w[i * outDim + o];
      y[r * outDim + o] = acc;
    }
  }
  return y;
}

export function layerNorm64(
  x: Float64Array,
  rows: number,
  d: number,
  w: Float64Array,
  b: Float64Array,
): Float64Array {
  const y = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    v /= d;
    const inv = 1 / Math.sqrt(v + 1e-5);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + b[i];
  }
  return y;
}

export const sigmoid64 = (x: number): number => 1 / (1 + Math.exp(-x));
export const silu64 = (x: number): number => x * sigmoid64(x);
export const softplus64 = (x: number): number => (x > 20 ? x : Math.log1p(Math.exp(x)));

export const geluTanh64 = (x: number): number =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

/**
 * erf(x) to ~1e-15 from the everywhere-convergent series
 * erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n+1)) (positive terms).
 */
export function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 1; n < 200; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
}

export const geluErf64 = (x: number): number => 0.5 * x * (1 + erf64(x / Math.SQRT2));

/** Causal depthwise conv: x [B, L, C], w [C, 1, K], bias [C] -> [B, L, C]. */
export function causalDepthwiseConv64(
  x: Float64Array,
  bt: number,
  l: number,
  c: number,
  w: Float64Array,
  bias: Float64Array,
): Float64Array {
  const k = w.length / c;
  const y = new Float64Array(bt * l * c);
  for (let b = 0; b < bt; b++) {
    for (let t = 0; t < l; t++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = bias[ch];
        for (let j = 0; j < k; j++) {
          const src = t - k + 1 + j;
          if (src >= 0) acc += w[ch * k + j] * x[(b * l + src) * c + ch];
        }
        y[(b * l + t) * c + ch] = acc;
      }
    }
  }
  return y;
}

export function add64(a: Float64Array, b: Float64Array): Float64Array {
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
  return y;
}
