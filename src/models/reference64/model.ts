/** Float64 reference of whole models (read-in, position embedding, blocks, final LN, read-outs). */
import type { HeadSpec, ReadIn } from '../../tasks/types';
import type { ArchConfig } from '../config';
import { type BlockInfo, blockPlan, isTiedHead, mambaDimsOf, readOutPrefix, s4MambaDimsOf } from '../model';
import { gpt2Layer64, hybridAttention64 } from './attention';
import { mambaMixer64 } from './mamba';
import { add64, type Get64, layerNorm64, linear64, scoped64 } from './math';
import { s4MambaMixer64, s4Mixer64 } from './s4';

const nHeadOf = (c: ArchConfig) =>
  c.arch === 'transformer' || c.arch === 'hybrid' || c.arch === 'mambaformer' ? c.nHead : 0;

/** One residual block; `get` relative to the block prefix. x [B, L, D] -> [B, L, D]. */
export function block64(
  config: ArchConfig,
  block: BlockInfo,
  get: Get64,
  x: Float64Array,
  bt: number,
  l: number,
): Float64Array {
  const d = config.dModel;
  if (block.kind === 'gpt2') return gpt2Layer64(x, bt, l, d, nHeadOf(config), get);
  const h = layerNorm64(x, bt * l, d, get('norm.weight'), get('norm.bias'));
  const mixer = scoped64(get, 'mixer.');
  let y: Float64Array;
  switch (block.kind) {
    case 'attention':
      y = hybridAttention64(h, bt, l, d, nHeadOf(config), mixer);
      break;
    case 'mamba':
      y = mambaMixer64(h, bt, l, mambaDimsOf(config)!, mixer);
      break;
    case 's4':
      y = s4Mixer64(h, bt, l, d, mixer);
      break;
    case 's4-mamba':
      y = s4MambaMixer64(h, bt, l, s4MambaDimsOf(config)!, mixer);
      break;
  }
  return add64(x, y);
}

/** Per head [B, L, dim] at every position. tokens [B, L, tokenDim], kinds [L]. */
export function forwardModel64(
  config: ArchConfig,
  readIn: ReadIn,
  heads: readonly HeadSpec[],
  get: Get64,
  tokens: ArrayLike<number>,
  bt: number,
  l: number,
  tokenDim: number,
  kinds: Uint8Array,
): Float64Array[] {
  const d = config.dModel;
  const rows = bt * l;
  let h: Float64Array = new Float64Array(rows * d);
  if (readIn.kind === 'linear') {
    h = linear64(Float64Array.from(tokens), rows, tokenDim, get('_read_in.weight'), get('_read_in.bias'));
  } else if (readIn.kind === 'linear-per-kind') {
    for (let r = 0; r < rows; r++) {
      const k = kinds[r % l];
      const dk = readIn.tokenDims[k];
      const x = new Float64Array(dk);
      for (let i = 0; i < dk; i++) x[i] = tokens[r * tokenDim + i];
      const e = linear64(x, 1, dk, get(`_read_in.${k}.weight`), get(`_read_in.${k}.bias`));
      h.set(e, r * d);
    }
  } else {
    const table = get('_read_in.weight');
    for (let r = 0; r < rows; r++) h.set(table.subarray(tokens[r] * d, tokens[r] * d + d), r * d);
  }
  if (config.positionEmbedding) {
    const pe = get(config.arch === 'transformer' ? '_backbone.wpe.weight' : 'wpe.weight');
    for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) h[r * d + i] += pe[(r % l) * d + i];
  }
  for (const block of blockPlan(config)) h = block64(config, block, scoped64(get, block.prefix), h, bt, l);
  const fn = config.arch === 'transformer' ? '_backbone.ln_f.' : '_backbone.norm_f.';
  h = layerNorm64(h, rows, d, get(`${fn}weight`), get(`${fn}bias`));
  return heads.map((head, i) => {
    if (isTiedHead(readIn, head)) return linear64(h, rows, d, get('_read_in.weight'));
    const p = readOutPrefix(heads, i);
    return linear64(h, rows, d, get(`${p}weight`), get(`${p}bias`));
  });
}
