/**
 * Architecture configurations (paper.md section 3), one type per architecture.
 *
 * "nLayer" counts as in the released code: each attention, Mamba or S4 block is one layer, except
 * for the Transformer, whose layers are GPT-2 blocks (attention + MLP). The MambaFormer has one
 * extra Mamba block in front, so nLayer 4 gives [Mamba, Attn, Mamba, Attn, Mamba]; the standard
 * hybrid with nLayer 4 is [Attn, Mamba, Attn, Mamba].
 *
 * `positionEmbedding` (learned absolute positions added after the read-in) needs `maxPositions`
 * rows; a forward pass on a longer sequence throws. The released code uses 2 * n_positions rows
 * for the Transformer (HF GPT-2 with n_positions = 2 * 101) and n_positions (101) for the hybrid.
 */

export type ArchKind = 'transformer' | 'mamba' | 'hybrid' | 'mambaformer' | 's4' | 's4-mamba';

export const ARCH_KINDS: readonly ArchKind[] = [
  'transformer',
  'mamba',
  'mambaformer',
  'hybrid',
  's4',
  's4-mamba',
];

interface CommonConfig {
  /** width D of the residual stream */
  dModel: number;
  /** number of blocks (GPT-2 layers for the Transformer), see above */
  nLayer: number;
  /** learned absolute position embedding added to the read-in output */
  positionEmbedding: boolean;
  /** rows of the position embedding (the longest sequence it accepts); needed when positionEmbedding */
  maxPositions?: number;
}

export interface MambaBlockConfig {
  /** SSM state size N per channel (16) */
  dState: number;
  /** width K of the causal depthwise convolution (4) */
  dConv: number;
  /** expansion E: inner width Di = E * D (2) */
  expand: number;
  /** rank R of the Delta projection; default ceil(D / 16) */
  dtRank?: number;
}

export interface AttentionConfig {
  /** attention heads (8); dModel must be a multiple of it */
  nHead: number;
}

/** GPT-2: pre-LN blocks r += Attn(LN(r)); r += MLP(LN(r)); final LN. */
export interface TransformerConfig extends CommonConfig, AttentionConfig {
  arch: 'transformer';
}

/** n_layer Mamba blocks, pre-LN residual with LayerNorm, final LN. */
export interface MambaConfig extends CommonConfig, MambaBlockConfig {
  arch: 'mamba';
}

/** [Attn, Mamba, Attn, Mamba, ...] with a learned position embedding; no MLP. */
export interface HybridConfig extends CommonConfig, MambaBlockConfig, AttentionConfig {
  arch: 'hybrid';
}

/** [Mamba, Attn, Mamba, Attn, Mamba] (nLayer 4): one extra leading Mamba block, no position embedding. */
export interface MambaFormerConfig extends CommonConfig, MambaBlockConfig, AttentionConfig {
  arch: 'mambaformer';
}

/** n_layer S4D blocks (LTI convolution + D skip -> GELU -> Conv1d(D, 2D, 1) -> GLU). */
export interface S4Config extends CommonConfig {
  arch: 's4';
  /** S4D state size N (N / 2 complex modes per channel; even) */
  dState: number;
}

/** The Mamba block with the selective scan replaced by the LTI S4D convolution. */
export interface S4MambaConfig extends CommonConfig {
  arch: 's4-mamba';
  /** S4D state size N (even) */
  dState: number;
  dConv: number;
  expand: number;
}

export type ArchConfig =
  | TransformerConfig
  | MambaConfig
  | HybridConfig
  | MambaFormerConfig
  | S4Config
  | S4MambaConfig;

/** The architecture settings as the experiment schema holds them (src/schema/architecture.ts). */
export interface ArchSettings {
  arch: ArchKind;
  dModel: number;
  nLayer: number;
  nHead: number;
  dState: number;
  dConv: number;
  expand: number;
  positionEmbedding: boolean;
}

/** The config of `settings.arch` from the experiment's settings; `maxPositions` >= the longest prompt. */
export function archConfigFromSettings(settings: ArchSettings, maxPositions: number): ArchConfig {
  const { dModel, nLayer, nHead, dState, dConv, expand, positionEmbedding } = settings;
  const common = { dModel, nLayer, positionEmbedding, maxPositions };
  switch (settings.arch) {
    case 'transformer':
      return { arch: 'transformer', ...common, nHead };
    case 'mamba':
      return { arch: 'mamba', ...common, dState, dConv, expand };
    case 'hybrid':
      return { arch: 'hybrid', ...common, nHead, dState, dConv, expand };
    case 'mambaformer':
      return { arch: 'mambaformer', ...common, nHead, dState, dConv, expand };
    case 's4':
      return { arch: 's4', ...common, dState };
    case 's4-mamba':
      return { arch: 's4-mamba', ...common, dState, dConv, expand };
  }
}

/**
 * The configurations of paper.md's parameter table (D = 128, d = 20): Transformer 2 layers with
 * 2 x 101 = 202 position rows; Mamba, hybrid (101 position rows), MambaFormer, S4, S4-Mamba with
 * n_layer 4.
 */
export function paperArchConfig(arch: ArchKind): ArchConfig {
  const mamba = { dState: 16, dConv: 4, expand: 2 };
  switch (arch) {
    case 'transformer':
      return {
        arch,
        dModel: 128,
        nLayer: 2,
        nHead: 8,
        positionEmbedding: true,
        maxPositions: 202,
      };
    case 'mamba':
      return { arch, dModel: 128, nLayer: 4, positionEmbedding: false, ...mamba };
    case 'hybrid':
      return { arch, dModel: 128, nLayer: 4, nHead: 8, positionEmbedding: true, maxPositions: 101, ...mamba };
    case 'mambaformer':
      return { arch, dModel: 128, nLayer: 4, nHead: 8, positionEmbedding: false, ...mamba };
    case 's4':
      return { arch, dModel: 128, nLayer: 4, positionEmbedding: false, dState: 16 };
    case 's4-mamba':
      return { arch, dModel: 128, nLayer: 4, positionEmbedding: false, ...mamba };
  }
}

/** Problems with a config, as sentences (empty when valid). */
export function validateArchConfig(c: ArchConfig): string[] {
  const errors: string[] = [];
  const posInt = (v: number | undefined, what: string) => {
    if (v === undefined || !Number.isInteger(v) || v < 1) errors.push(`${what} must be a positive integer`);
  };
  posInt(c.dModel, 'dModel');
  posInt(c.nLayer, 'nLayer');
  if (c.positionEmbedding) posInt(c.maxPositions, 'maxPositions (needed by the position embedding)');
  if (c.arch === 'transformer' || c.arch === 'hybrid' || c.arch === 'mambaformer') {
    posInt(c.nHead, 'nHead');
    if (c.dModel % c.nHead !== 0) errors.push(`dModel ${c.dModel} must be a multiple of nHead ${c.nHead}`);
  }
  if (c.arch === 'mamba' || c.arch === 'hybrid' || c.arch === 'mambaformer' || c.arch === 's4-mamba') {
    posInt(c.dState, 'dState');
    posInt(c.dConv, 'dConv');
    posInt(c.expand, 'expand');
  }
  if (c.arch === 'mamba' || c.arch === 'hybrid' || c.arch === 'mambaformer') {
    if (c.dtRank !== undefined) posInt(c.dtRank, 'dtRank');
  }
  if (c.arch === 's4' || c.arch === 's4-mamba') {
    posInt(c.dState, 'dState');
    if (c.dState % 2 !== 0) errors.push(`the S4D state size ${c.dState} must be even (N / 2 complex modes)`);
  }
  return errors;
}
