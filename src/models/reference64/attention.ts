/** Float64 reference of causal multi-head attention, the hybrid attention mixer and a GPT-2 layer. */
import { add64, conv1dGpt2_64, type Get64, geluTanh64, layerNorm64, linear64 } from './math';

/**
 * qkv [B, L, 3D] (q | k | v along the last axis) -> [B, L, D]; also returns the weights
 * [B, H, L, L] when `weightsOut` is given.
 */
export function causalAttention64(
  qkv: Float64Array,
  bt: number,
  l: number,
  d: number,
  nHead: number,
  weightsOut?: Float64Array,
): Float64Array {
  const hd = d / nHead;
  const y = new Float64Array(bt * l * d);
  const scores = new Float64Array(l);
  const at = (b: number, t: number, part: number, h: number, i: number) =>
    qkv[(b * l + t) * 3 * d + part * d + h * hd + i];
  for (let b = 0; b < bt; b++) {
    for (let h = 0; h < nHead; h++) {
      for (let t = 0; t < l; t++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += at(b, t, 0, h, i) * at(b, s, 1, h, i);
          scores[s] = dot / Math.sqrt(hd);
          max = Math.max(max, scores[s]);
        }
        let z = 0;
        for (let s = 0; s <= t; s++) {
          scores[s] = Math.exp(scores[s] - max);
          z += scores[s];
        }
        for (let s = 0; s <= t; s++) {
          const p = scores[s] / z;
          if (weightsOut) weightsOut[((b * nHead + h) * l + t) * l + s] = p;
          for (let i = 0; i < hd; i++) y[(b * l + t) * d + h * hd + i] += p * at(b, s, 2, h, i);
        }
      }
    }
  }
  return y;
}

/** The hybrids' attention mixer (nn.Linear layout). x [B, L, D] -> [B, L, D]. */
export function hybridAttention64(
  x: Float64Array,
  bt: number,
  l: number,
  d: number,
  nHead: number,
  get: Get64,
) {
  const rows = bt * l;
  const qkv = linear64(x, rows, d, get('c_attn.weight'), get('c_attn.bias'));
  return linear64(causalAttention64(qkv, bt, l, d, nHead), rows, d, get('c_proj.weight'), get('c_proj.bias'));
}

/** One GPT-2 layer (Conv1D layout), residuals included. x [B, L, D] -> [B, L, D]. */
export function gpt2Layer64(x: Float64Array, bt: number, l: number, d: number, nHead: number, get: Get64) {
  const rows = bt * l;
  const h1 = layerNorm64(x, rows, d, get('ln_1.weight'), get('ln_1.bias'));
  const qkv = conv1dGpt2_64(h1, rows, d, get('attn.c_attn.weight'), get('attn.c_attn.bias'));
  const a = conv1dGpt2_64(
    causalAttention64(qkv, bt, l, d, nHead),
    rows,
    d,
    get('attn.c_proj.weight'),
    get('attn.c_proj.bias'),
  );
  const r = add64(x, a);
  const h2 = layerNorm64(r, rows, d, get('ln_2.weight'), get('ln_2.bias'));
  const f = conv1dGpt2_64(h2, rows, d, get('mlp.c_fc.weight'), get('mlp.c_fc.bias')).map(geluTanh64);
  const m = conv1dGpt2_64(f, rows, 4 * d, get('mlp.c_proj.weight'), get('mlp.c_proj.bias'));
  return add64(r, m);
}
