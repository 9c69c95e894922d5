/**
 * The six architectures as one builder: read-in -> backbone -> read-out (paper.md section 3).
 *
 * Variable names follow the authors' PyTorch state_dict (krafton-ai/mambaformer-icl), so a
 * checkpoint maps name for name, and every shape is the PyTorch shape of the same parameter:
 *
 *   read-in   'linear':           _read_in.weight [D, d], _read_in.bias [D]            (nn.Linear)
 *             'linear-per-kind':  _read_in.{k}.weight [D, d_k], _read_in.{k}.bias [D]  (k = token kind)
 *             'embedding':        _read_in.weight [V, D]                                (nn.Embedding)
 *   read-out  one head:           _read_out.weight [dim, D], _read_out.bias [dim]
 *             several heads:      _read_out.{head name}.weight / .bias
 *             tied (embedding read-in, head dim == V): no variable, logits = h _read_in.weight^T
 *   Transformer (HF GPT2Model as `_backbone`):
 *             _backbone.wpe.weight [maxPositions, D]   (N(0, 0.02); only with positionEmbedding)
 *             _backbone.h.{i}.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}.*   (attention.ts)
 *             _backbone.ln_f.weight / .bias
 *   Mamba, hybrid, MambaFormer, S4, S4-Mamba (mamba_ssm MixerModel as `_backbone`):
 *             wpe.weight [maxPositions, D]             (N(0, 1), nn.Embedding default; only with
 *                                                       positionEmbedding, e.g. the standard hybrid)
 *             _backbone.layers.{i}.norm.weight / .bias (the block's pre-LN)
 *             _backbone.layers.{i}.mixer.*             Mamba (mamba.ts), attention c_attn / c_proj
 *                                                      (attention.ts), S4 s4.* or S4-Mamba (s4.ts)
 *             _backbone.norm_f.weight / .bias
 *   MambaFormer's leading Mamba block is _backbone.layers.0 (the code's layer_idx -1), then the
 *   code's layers 0..n-1 follow as _backbone.layers.1..n.
 *
 * Read-in / read-out use PyTorch's default Linear init (they sit outside the backbone's init).
 * Not created (and not counted, as in the paper's table): HF GPT-2's unused token embedding `wte`
 * and MixerModel's unused `embedding` (vocab 1).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random/rng';
import type { HeadSpec, ReadIn } from '../tasks/types';
import {
  type AttentionWeightsSink,
  gpt2Layer,
  gpt2LayerSpecs,
  hybridAttention,
  hybridAttentionFromQkv,
  hybridAttentionSpecs,
  layerNormSpecs,
} from './attention';
import { type ArchConfig, validateArchConfig } from './config';
import type { ModelKernels } from './fused';
import {
  type MambaDims,
  type MambaTrace,
  mambaDims,
  mambaMixer,
  mambaMixerFusedFromInProj,
  mambaMixerSpecs,
} from './mamba';
import { evenlySpaced, layerNorm, linear, selectPositions } from './ops';
import {
  countParams,
  getterOf,
  initialValues,
  normalInit,
  type ParamGetter,
  type ParamSpec,
  prefixed,
  scoped,
  sizeOf,
  torchDefaultInit,
} from './params';
import {
  type LayerProbe,
  mambaImplicitAttention,
  mambaStateNorms,
  type ProbeOptions,
  type ProbeResult,
  s4ImplicitAttention,
} from './probes';
import { readCopies } from './read-copies';
import {
  type S4MambaDims,
  type S4Trace,
  s4MambaDropoutMask,
  s4MambaMixer,
  s4MambaMixerSpecs,
  s4Mixer,
  s4MixerSpecs,
} from './s4';
import { type SelectiveScanFn, selectiveScanReference } from './selective-scan-reference';

export type BlockKind = 'gpt2' | 'attention' | 'mamba' | 's4' | 's4-mamba';

export interface BlockInfo {
  kind: BlockKind;
  /** name prefix of the block, e.g. '_backbone.layers.2.' or '_backbone.h.0.' */
  prefix: string;
}

/** The blocks of an architecture in order (see config.ts for the layer counting). */
export function blockPlan(config: ArchConfig): BlockInfo[] {
  const layers = (kinds: BlockKind[]) => kinds.map((kind, i) => ({ kind, prefix: `_backbone.layers.${i}.` }));
  const alternate = (n: number): BlockKind[] =>
    Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'attention' : 'mamba'));
  switch (config.arch) {
    case 'transformer':
      return Array.from({ length: config.nLayer }, (_, i) => ({ kind: 'gpt2', prefix: `_backbone.h.${i}.` }));
    case 'mamba':
      return layers(Array(config.nLayer).fill('mamba'));
    case 'hybrid':
      return layers(alternate(config.nLayer));
    case 'mambaformer':
      return layers(['mamba', ...alternate(config.nLayer)]);
    case 's4':
      return layers(Array(config.nLayer).fill('s4'));
    case 's4-mamba':
      return layers(Array(config.nLayer).fill('s4-mamba'));
  }
}

export function mambaDimsOf(config: ArchConfig): MambaDims | null {
  if (config.arch === 'mamba' || config.arch === 'hybrid' || config.arch === 'mambaformer') {
    return mambaDims(config.dModel, config.dState, config.dConv, config.expand, config.dtRank);
  }
  return null;
}

export function s4MambaDimsOf(config: ArchConfig): S4MambaDims | null {
  if (config.arch !== 's4-mamba') return null;
  return {
    dModel: config.dModel,
    dInner: config.expand * config.dModel,
    dState: config.dState,
    dConv: config.dConv,
  };
}

const nHeadOf = (config: ArchConfig): number =>
  config.arch === 'transformer' || config.arch === 'hybrid' || config.arch === 'mambaformer'
    ? config.nHead
    : 0;

const finalNormPrefix = (config: ArchConfig) =>
  config.arch === 'transformer' ? '_backbone.ln_f.' : '_backbone.norm_f.';

const positionEmbeddingName = (config: ArchConfig) =>
  config.arch === 'transformer' ? '_backbone.wpe.weight' : 'wpe.weight';

/** Whether head `head` shares the token embedding (tied read-out). */
export function isTiedHead(readIn: ReadIn, head: HeadSpec): boolean {
  return readIn.kind === 'embedding' && head.dim === readIn.vocabSize;
}

/** Name prefix of head i's read-out. */
export function readOutPrefix(heads: readonly HeadSpec[], i: number): string {
  return heads.length === 1 ? '_read_out.' : `_read_out.${heads[i].name}.`;
}

function readInSpecs(readIn: ReadIn, d: number): ParamSpec[] {
  switch (readIn.kind) {
    case 'linear':
      return [
        { name: '_read_in.weight', shape: [d, readIn.tokenDim], init: torchDefaultInit(readIn.tokenDim) },
        { name: '_read_in.bias', shape: [d], init: torchDefaultInit(readIn.tokenDim) },
      ];
    case 'linear-per-kind':
      return readIn.tokenDims.flatMap((dk, k) => [
        { name: `_read_in.${k}.weight`, shape: [d, dk], init: torchDefaultInit(dk) },
        { name: `_read_in.${k}.bias`, shape: [d], init: torchDefaultInit(dk) },
      ]);
    case 'embedding':
      return [{ name: '_read_in.weight', shape: [readIn.vocabSize, d], init: normalInit(1) }];
  }
}

function readOutSpecs(readIn: ReadIn, heads: readonly HeadSpec[], d: number): ParamSpec[] {
  return heads.flatMap((head, i) => {
    if (isTiedHead(readIn, head)) return [];
    const p = readOutPrefix(heads, i);
    return [
      { name: `${p}weight`, shape: [head.dim, d], init: torchDefaultInit(d) },
      { name: `${p}bias`, shape: [head.dim], init: torchDefaultInit(d) },
    ];
  });
}

export function blockSpecs(config: ArchConfig, block: BlockInfo): ParamSpec[] {
  const d = config.dModel;
  const mixer = `${block.prefix}mixer.`;
  const norm = layerNormSpecs(d, `${block.prefix}norm.`);
  switch (block.kind) {
    case 'gpt2':
      return prefixed(block.prefix, gpt2LayerSpecs(d, config.nLayer));
    case 'attention':
      return [...prefixed(mixer, hybridAttentionSpecs(d)), ...norm];
    case 'mamba':
      return [...prefixed(mixer, mambaMixerSpecs(mambaDimsOf(config)!, config.nLayer)), ...norm];
    case 's4':
      return [...prefixed(mixer, s4MixerSpecs(d, (config as { dState: number }).dState)), ...norm];
    case 's4-mamba':
      return [...prefixed(mixer, s4MambaMixerSpecs(s4MambaDimsOf(config)!, config.nLayer)), ...norm];
  }
}

function checkHeads(heads: readonly HeadSpec[]): void {
  if (heads.length === 0) throw new Error('a model needs at least one read-out head');
  const names = new Set(heads.map((h) => h.name));
  if (names.size !== heads.length) throw new Error('head names must be unique');
}

/** Every parameter of the model, in order: read-in, position embedding, blocks, final LN, read-out. */
export function modelParamSpecs(config: ArchConfig, readIn: ReadIn, heads: readonly HeadSpec[]): ParamSpec[] {
  const errors = validateArchConfig(config);
  if (errors.length > 0) throw new Error(`invalid ${config.arch} config: ${errors.join('; ')}`);
  checkHeads(heads);
  const d = config.dModel;
  const specs: ParamSpec[] = [...readInSpecs(readIn, d)];
  if (config.positionEmbedding) {
    specs.push({
      name: positionEmbeddingName(config),
      shape: [config.maxPositions!, d],
      init: normalInit(config.arch === 'transformer' ? 0.02 : 1),
    });
  }
  for (const block of blockPlan(config)) specs.push(...blockSpecs(config, block));
  specs.push(...layerNormSpecs(d, finalNormPrefix(config)));
  specs.push(...readOutSpecs(readIn, heads, d));
  return specs;
}

/** Number of trainable parameters (no tensors created). */
export function countModelParameters(config: ArchConfig, readIn: ReadIn, heads: readonly HeadSpec[]): number {
  return countParams(modelParamSpecs(config, readIn, heads));
}

/** What a block leaves for the probes. */
export type BlockTrace =
  | { kind: 'attention'; nHead: number; weights: tf.Tensor3D }
  | { kind: 'mamba'; trace: MambaTrace }
  | { kind: 's4'; trace: S4Trace };

export type TraceSink = (layer: number, trace: BlockTrace) => void;

/** Positions of head i to read out; null / undefined = every position. */
export type HeadPositions = readonly (Int32Array | null | undefined)[];

/**
 * Training-mode randomness of a forward pass: S4-Mamba's dropout (the only stochastic layer), its
 * mask for block `layer` drawn from Rng.derive(seed, 'dropout', step, layer). Absent = eval mode.
 */
export interface TrainingNoise {
  seed: number;
  step: number;
}

export interface ForwardOptions {
  /** training mode (dropout on); absent: eval mode, deterministic */
  training?: TrainingNoise;
}

export interface ForwardSettings {
  config: ArchConfig;
  /** training mode: dropout masks from this stream (absent = eval mode) */
  training?: TrainingNoise;
  readIn: ReadIn;
  heads: readonly HeadSpec[];
  selectiveScan: SelectiveScanFn;
  /** fused kernels (optional; see fused.ts) */
  kernels?: ModelKernels;
}

function embed(
  s: ForwardSettings,
  get: ParamGetter,
  tokens: tf.Tensor3D,
  kinds: Uint8Array,
  kernel: ModelKernels['linear'],
): tf.Tensor3D {
  const { readIn } = s;
  const [b, l, tokenDim] = tokens.shape;
  const d = s.config.dModel;
  switch (readIn.kind) {
    case 'linear':
      if (tokenDim !== readIn.tokenDim) {
        throw new Error(`tokens have ${tokenDim} features, the read-in expects ${readIn.tokenDim}`);
      }
      return linear(tokens, get('_read_in.weight'), get('_read_in.bias'), { kernel }) as tf.Tensor3D;
    case 'linear-per-kind': {
      if (kinds.length !== l) throw new Error(`tokenKinds has ${kinds.length} entries for ${l} tokens`);
      let out: tf.Tensor | null = null;
      readIn.tokenDims.forEach((dk, k) => {
        if (dk > tokenDim) throw new Error(`token kind ${k} needs ${dk} features, tokens have ${tokenDim}`);
        const mask = new Float32Array(l);
        let any = false;
        for (let t = 0; t < l; t++) {
          if (kinds[t] === k) {
            mask[t] = 1;
            any = true;
          }
        }
        if (!any) return;
        const e = linear(
          tokens.slice([0, 0, 0], [b, l, dk]),
          get(`_read_in.${k}.weight`),
          get(`_read_in.${k}.bias`),
        );
        const part = e.mul(tf.tensor3d(mask, [1, l, 1]));
        out = out === null ? part : out.add(part);
      });
      for (let t = 0; t < l; t++) {
        if (kinds[t] >= readIn.tokenDims.length) throw new Error(`token kind ${kinds[t]} has no read-in`);
      }
      return (out ?? tf.zeros([b, l, d])) as tf.Tensor3D;
    }
    case 'embedding': {
      const ids = tf.cast(tf.round(tokens.reshape([b * l])), 'int32');
      return tf.gather(get('_read_in.weight'), ids).reshape([b, l, d]);
    }
  }
}

/**
 * One residual block: a GPT-2 layer, or r + mixer(LN(r)) for the MixerModel blocks.
 * `get` resolves names relative to the block prefix ('norm.weight', 'mixer.in_proj.weight', ...).
 */
export function blockForward(
  s: ForwardSettings,
  block: BlockInfo,
  layer: number,
  get: ParamGetter,
  h: tf.Tensor3D,
  sink?: TraceSink,
): tf.Tensor3D {
  const { config } = s;
  const nHead = nHeadOf(config);
  const mixerGet = scoped(get, 'mixer.');
  const attnSink: AttentionWeightsSink | undefined = sink
    ? (weights) => sink(layer, { kind: 'attention', nHead, weights })
    : undefined;
  // fused kernels apply to training / inference passes; probes (sink given) keep the reference path
  const kernels = sink ? undefined : s.kernels;
  const ln = kernels?.layerNorm ?? layerNorm;
  if (block.kind === 'gpt2') return gpt2Layer(h, get, nHead, attnSink, kernels);
  if (block.kind === 'attention' || block.kind === 'mamba') {
    // h + mixer(LN(h)): the mixers add h in their last matmul; h reaches it through the LayerNorm
    // kernel (when fused), which then adds the residual's gradient in its backward
    // (attention: kept = h + c_proj.bias, written by the LayerNorm kernel)
    if (kernels?.layerNormLinear && (block.kind === 'attention' || kernels.selectiveScan)) {
      // LN(h) and the mixer's first linear (c_attn, in_proj) as one kernel
      const [b, l, d] = h.shape;
      const attention = block.kind === 'attention';
      const [y, kept] = kernels.layerNormLinear(
        h.reshape([b * l, d]) as tf.Tensor2D,
        get('norm.weight'),
        get('norm.bias'),
        mixerGet(attention ? 'c_attn.weight' : 'in_proj.weight') as tf.Tensor2D,
        true,
        attention ? mixerGet('c_attn.bias') : undefined,
        attention ? mixerGet('c_proj.bias') : undefined,
      );
      const first = y.reshape([b, l, -1]) as tf.Tensor3D;
      const residual = kept.reshape([b, l, d]) as tf.Tensor3D;
      return attention
        ? hybridAttentionFromQkv(first, mixerGet, nHead, undefined, kernels, residual, true)
        : mambaMixerFusedFromInProj(first, mixerGet, mambaDimsOf(config)!, kernels, residual);
    }
    const shift = kernels?.layerNormKeep && block.kind === 'attention' ? mixerGet('c_proj.bias') : undefined;
    const [x, kept] = kernels?.layerNormKeep
      ? (kernels.layerNormKeep(h, get('norm.weight'), get('norm.bias'), shift) as [tf.Tensor3D, tf.Tensor3D])
      : [ln(h, get('norm.weight'), get('norm.bias')) as tf.Tensor3D, h];
    if (block.kind === 'attention')
      return hybridAttention(x, mixerGet, nHead, attnSink, kernels, kept, shift !== undefined);
    return mambaMixer(
      x,
      mixerGet,
      mambaDimsOf(config)!,
      s.selectiveScan,
      sink ? (trace) => sink(layer, { kind: 'mamba', trace }) : undefined,
      kernels,
      kept,
    );
  }
  const x = ln(h, get('norm.weight'), get('norm.bias')) as tf.Tensor3D;
  let y: tf.Tensor3D;
  switch (block.kind) {
    case 's4':
      y = s4Mixer(x, mixerGet, sink ? (trace) => sink(layer, { kind: 's4', trace }) : undefined, kernels);
      break;
    case 's4-mamba': {
      const dims = s4MambaDimsOf(config)!;
      const mask =
        s.training && !sink
          ? s4MambaDropoutMask(
              Rng.derive(s.training.seed, 'dropout', s.training.step, layer),
              x.shape[0],
              dims.dInner,
            )
          : undefined;
      y = s4MambaMixer(
        x,
        mixerGet,
        dims,
        sink ? (trace) => sink(layer, { kind: 's4', trace }) : undefined,
        mask,
        kernels,
      );
      break;
    }
  }
  return h.add(y) as tf.Tensor3D;
}

/**
 * The whole model on tokens [B, L, tokenDim]: one tensor per head, [B, nTargets, dim] at its
 * positions (every position when none are given). Pure function of the parameters under `get`.
 */
export function forwardModel(
  s: ForwardSettings,
  get: ParamGetter,
  tokens: tf.Tensor3D,
  tokenKinds: Uint8Array,
  positions?: HeadPositions,
  sink?: TraceSink,
): tf.Tensor3D[] {
  const { config } = s;
  const l = tokens.shape[1];
  const kernel = sink ? undefined : s.kernels?.linear;
  let h = embed(s, get, tokens, tokenKinds, kernel);
  if (config.positionEmbedding) {
    const rows = config.maxPositions!;
    if (l > rows) throw new Error(`sequence of ${l} tokens is longer than the ${rows} learned positions`);
    h = h.add(get(positionEmbeddingName(config)).slice([0, 0], [l, config.dModel]));
  }
  blockPlan(config).forEach((block, layer) => {
    h = blockForward(s, block, layer, scoped(get, block.prefix), h, sink);
  });
  const fn = finalNormPrefix(config);
  // one head reading evenly spaced rows: the final LayerNorm and the read-out as one kernel, which
  // normalises only the rows read
  const lnRows = sink ? undefined : s.kernels?.layerNormLinearRows;
  const onlyPos = s.heads.length === 1 && !isTiedHead(s.readIn, s.heads[0]) ? positions?.[0] : undefined;
  const onlyRows = lnRows && onlyPos ? evenlySpaced(onlyPos, l) : null;
  if (lnRows && onlyRows) {
    const p = readOutPrefix(s.heads, 0);
    const w = get(`${p}weight`) as tf.Tensor2D;
    return [lnRows(h, onlyRows, get(`${fn}weight`), get(`${fn}bias`), w, true, get(`${p}bias`))];
  }
  const finalNorm = (sink ? undefined : s.kernels?.layerNorm) ?? layerNorm;
  h = finalNorm(h, get(`${fn}weight`), get(`${fn}bias`)) as tf.Tensor3D;
  const readRows = sink ? undefined : s.kernels?.linearRows;
  return s.heads.map((head, i) => {
    const pos = positions?.[i];
    const tied = isTiedHead(s.readIn, head);
    const p = readOutPrefix(s.heads, i);
    // the fused read-out reads the evenly spaced rows in place (no slice, no pad in the backward)
    const even = pos && readRows && !tied ? evenlySpaced(pos, l) : null;
    if (even) return readRows!(h, even, get(`${p}weight`) as tf.Tensor2D, true, get(`${p}bias`));
    const hs = pos ? selectPositions(h, pos) : h;
    if (tied) return linear(hs, get('_read_in.weight')) as tf.Tensor3D;
    return linear(hs, get(`${p}weight`), get(`${p}bias`), { kernel }) as tf.Tensor3D;
  });
}

export interface BuildOptions {
  /** the selective scan implementation (default: the reference in plain tfjs ops) */
  selectiveScan?: SelectiveScanFn;
  /** fused kernels for the hot paths (src/kernels `modelKernels()`); default: none */
  kernels?: ModelKernels;
}

export interface SequenceModel {
  readonly config: ArchConfig;
  readonly readIn: ReadIn;
  readonly heads: readonly HeadSpec[];
  /** backbone blocks in order */
  readonly blocks: readonly BlockInfo[];
  readonly specs: readonly ParamSpec[];
  /** trainable variables by name (see the naming at the top of model.ts), in spec order */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  readonly parameterCount: number;
  /**
   * tokens [B, L, tokenDim] (token ids as floats for an 'embedding' read-in), tokenKinds [L] ->
   * one tensor per head, [B, nTargets, dim] at `positions[i]` (every position if absent).
   * The caller owns (and disposes) the results; intermediates are freed. `options.training`:
   * training mode (S4-Mamba's dropout on, seeded); without it the pass is deterministic (eval).
   */
  forward(
    tokens: tf.Tensor3D,
    tokenKinds: Uint8Array,
    positions?: HeadPositions,
    options?: ForwardOptions,
  ): tf.Tensor3D[];
  /** Attention maps, Mamba Delta / ||h_t|| / implicit attention, S4 kernels on one prompt. */
  probe(tokens: tf.Tensor3D, tokenKinds: Uint8Array, options?: ProbeOptions): Promise<ProbeResult>;
  /** A copy of every variable's values, by name. */
  getWeights(): Promise<Map<string, Float32Array>>;
  /** Overwrite variables by name (every name must exist and sizes must match). */
  setWeights(weights: ReadonlyMap<string, Float32Array>): void;
  dispose(): void;
}

/**
 * Build an architecture for a task's read-in and heads, initialised from `seed`
 * (Rng.derive(seed, 'init', name) per parameter).
 */
export function buildModel(
  config: ArchConfig,
  readIn: ReadIn,
  heads: readonly HeadSpec[],
  seed: number,
  options: BuildOptions = {},
): SequenceModel {
  const specs = modelParamSpecs(config, readIn, heads);
  const variables = new Map<string, tf.Variable>();
  for (const spec of specs) {
    const init = tf.tensor(initialValues(spec, seed), spec.shape as number[], 'float32');
    variables.set(spec.name, tf.variable(init, true));
    init.dispose();
  }
  const settings: ForwardSettings = {
    config,
    readIn,
    heads,
    selectiveScan: options.selectiveScan ?? selectiveScanReference,
    kernels: options.kernels,
  };
  const get = getterOf(variables);
  const blocks = blockPlan(config);
  let disposed = false;
  const alive = () => {
    if (disposed) throw new Error('model was disposed');
  };

  const forward = (
    tokens: tf.Tensor3D,
    tokenKinds: Uint8Array,
    positions?: HeadPositions,
    options?: ForwardOptions,
  ) => {
    alive();
    const s = options?.training ? { ...settings, training: options.training } : settings;
    return tf.tidy(() => forwardModel(s, get, tokens, tokenKinds, positions));
  };

  const probe = async (
    tokens: tf.Tensor3D,
    tokenKinds: Uint8Array,
    opts: ProbeOptions = {},
  ): Promise<ProbeResult> => {
    alive();
    const index = opts.index ?? 0;
    const [, l, tokenDim] = tokens.shape;
    const traces: Array<{ layer: number; trace: BlockTrace }> = [];
    const outputs = tf.tidy(() => {
      const one = tokens.slice([index, 0, 0], [1, l, tokenDim]);
      // Traced tensors may be variables (e.g. D): keep clones, which are ours to dispose.
      const own = <T extends tf.Tensor>(t: T): T => tf.keep(t.clone());
      return forwardModel(settings, get, one, tokenKinds, undefined, (layer, trace) => {
        if (trace.kind === 'attention') {
          traces.push({ layer, trace: { ...trace, weights: own(trace.weights) } });
        } else if (trace.kind === 'mamba') {
          const t = trace.trace;
          const copy = {
            u: own(t.u),
            delta: own(t.delta),
            A: own(t.A),
            B: own(t.B),
            C: own(t.C),
            D: own(t.D),
          };
          traces.push({ layer, trace: { kind: 'mamba', trace: copy } });
        } else {
          const copy = { kernel: own(trace.trace.kernel), D: own(trace.trace.D) };
          traces.push({ layer, trace: { kind: 's4', trace: copy } });
        }
      });
    });
    try {
      const layers: LayerProbe[] = [];
      for (const { layer, trace } of traces) {
        const name = `${blocks[layer].prefix}${blocks[layer].kind === 'gpt2' ? 'attn' : 'mixer'}`;
        if (trace.kind === 'attention') {
          layers.push({
            kind: 'attention',
            layer,
            name,
            nHead: trace.nHead,
            seqLen: l,
            weights: (await trace.weights.data()) as Float32Array,
          });
        } else if (trace.kind === 'mamba') {
          const t = trace.trace;
          const [di, n] = t.A.shape;
          const [u, delta, A, B, C] = await Promise.all([t.u, t.delta, t.A, t.B, t.C].map((x) => x.data()));
          const inputs = { seqLen: l, dInner: di, dState: n, u, delta, A, B, C };
          const norms = mambaStateNorms(inputs);
          layers.push({
            kind: 'mamba',
            layer,
            name,
            seqLen: l,
            dInner: di,
            dState: n,
            delta: delta as Float32Array,
            stateNorm: norms.stateNorm,
            stateNormPerChannel: norms.perChannel,
            implicitAttention:
              opts.implicitAttention === false ? null : Float32Array.from(mambaImplicitAttention(inputs)),
          });
        } else {
          const kernel = (await trace.trace.kernel.data()) as Float32Array;
          const channels = trace.trace.kernel.shape[0];
          layers.push({
            kind: 's4',
            layer,
            name,
            seqLen: l,
            channels,
            kernel,
            implicitAttention: s4ImplicitAttention(kernel, channels, l),
          });
        }
      }
      const outs = await Promise.all(outputs.map((o) => o.data()));
      return { arch: config.arch, seqLen: l, layers, outputs: outs as Float32Array[] };
    } finally {
      for (const { trace } of traces) {
        if (trace.kind === 'attention') trace.weights.dispose();
        else
          Object.values(trace.trace).forEach((t: tf.Tensor) => {
            t.dispose();
          });
      }
      outputs.forEach((o) => {
        o.dispose();
      });
    }
  };

  return {
    config,
    readIn,
    heads,
    blocks,
    specs,
    variables,
    parameterCount: countParams(specs),
    forward,
    probe,
    async getWeights() {
      alive();
      const names = [...variables.keys()];
      // through copies: the variables keep their device buffers (read-copies.ts says why)
      const data = await readCopies(names.map((n) => variables.get(n)!));
      return new Map(names.map((n, i) => [n, data[i]]));
    },
    setWeights(weights) {
      alive();
      for (const [name, values] of weights) {
        const v = variables.get(name);
        if (!v) throw new Error(`unknown parameter '${name}'`);
        if (values.length !== sizeOf(v.shape)) {
          throw new Error(`'${name}' needs ${sizeOf(v.shape)} values, got ${values.length}`);
        }
        // `add(0)` makes the new value on the backend's device now: on WebGPU a bare tf.tensor is
        // uploaded lazily, inside the next training step, where the step replay (src/kernels/
        // step-replay.ts) would record the upload as part of the step
        tf.tidy(() => v.assign(tf.add(tf.tensor(values, v.shape, 'float32'), 0)));
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of variables.values()) v.dispose();
    },
  };
}
