/**
 * Architecture settings of one model in an experiment (paper.md section 3). Defaults are the
 * paper's regression configuration (D 128, 8 heads, Mamba d_state 16, d_conv 4, expand 2).
 * "Layers" count as in the released code: each attention or Mamba block is one layer, except the
 * Transformer, whose layers are GPT-2 blocks (attention + MLP).
 */
import { z } from 'zod';
import { LIMITS } from './limits';

export const ARCHITECTURES = ['transformer', 'mamba', 'mambaformer', 'hybrid', 's4', 's4-mamba'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * Everything outside src/models that depends on the architecture, one row each: adding an
 * architecture is its model code, its name in ARCHITECTURES and its row here.
 */
export interface ArchitectureInfo {
  /** display name: the accessible name of the architecture toggle */
  title: string;
  /**
   * layers of this architecture per GPT-2 layer (attention + MLP) of the same size: 1 for the
   * Transformer, whose layers are GPT-2 blocks; 2 where each attention or Mamba block is a layer
   */
  blocksPerGpt2Layer: number;
  /** has attention blocks (its width must be a multiple of the heads) */
  attention: boolean;
  /** has a state-space state (d_state N) */
  ssm: boolean;
  /** has Mamba's causal convolution and expansion (d_conv K, expand E) */
  conv: boolean;
  /** its state is S4D's: N / 2 complex modes, so N must be even */
  evenState: boolean;
  /** has a learned position embedding in the paper (the switch applies to it) */
  positionEmbedding: boolean;
  /**
   * rows of the learned position embedding in the authors' configs (n_positions = 101): HF GPT-2
   * 2 x 101, the standard hybrid's `wpe` 101; undefined: none
   */
  paperPositionRows?: number;
  /** chart colour on light and dark themes, set apart from the baselines' colours */
  color: { light: string; dark: string };
}

export const ARCHITECTURE_INFO: { readonly [A in Architecture]: ArchitectureInfo } = {
  transformer: {
    title: 'Transformer',
    blocksPerGpt2Layer: 1,
    attention: true,
    ssm: false,
    conv: false,
    evenState: false,
    positionEmbedding: true,
    paperPositionRows: 202,
    color: { light: '#b8002e', dark: '#ff7b8a' },
  },
  mamba: {
    title: 'Mamba',
    blocksPerGpt2Layer: 2,
    attention: false,
    ssm: true,
    conv: true,
    evenState: false,
    positionEmbedding: false,
    color: { light: '#5b4cc4', dark: '#a99bff' },
  },
  mambaformer: {
    title: 'MambaFormer',
    blocksPerGpt2Layer: 2,
    attention: true,
    ssm: true,
    conv: true,
    evenState: false,
    positionEmbedding: false,
    color: { light: '#9c27b0', dark: '#e38cf5' },
  },
  hybrid: {
    title: 'Standard hybrid',
    blocksPerGpt2Layer: 2,
    attention: true,
    ssm: true,
    conv: true,
    evenState: false,
    positionEmbedding: true,
    paperPositionRows: 101,
    color: { light: '#7a5a00', dark: '#e8d44d' },
  },
  s4: {
    title: 'S4',
    blocksPerGpt2Layer: 2,
    attention: false,
    ssm: true,
    conv: false,
    evenState: true,
    positionEmbedding: false,
    color: { light: '#4a5560', dark: '#c3cad2' },
  },
  's4-mamba': {
    title: 'S4-Mamba',
    blocksPerGpt2Layer: 2,
    attention: false,
    ssm: true,
    conv: true,
    evenState: true,
    positionEmbedding: false,
    color: { light: '#a8407f', dark: '#e08cc0' },
  },
};

const archsWhere = (has: (info: ArchitectureInfo) => boolean): readonly Architecture[] =>
  ARCHITECTURES.filter((a) => has(ARCHITECTURE_INFO[a]));

const perArch = <T>(of: (info: ArchitectureInfo) => T): Record<Architecture, T> =>
  Object.fromEntries(ARCHITECTURES.map((a) => [a, of(ARCHITECTURE_INFO[a])])) as Record<Architecture, T>;

/** Display names: the accessible names of the architecture toggles. */
export const ARCHITECTURE_TITLES = perArch((i) => i.title);

/** The layers of an architecture as big as a GPT-2 of `gpt2Layers` layers (paper.md's counting). */
export function layersFor(arch: Architecture, gpt2Layers: number): number {
  return ARCHITECTURE_INFO[arch].blocksPerGpt2Layer * gpt2Layers;
}

/** The paper's layer count per architecture at the regression size (a 2-layer GPT-2). */
export const PAPER_LAYERS = perArch((i) => 2 * i.blocksPerGpt2Layer);

/** Architectures with attention blocks (their width must be a multiple of the heads). */
export const ATTENTION_ARCHITECTURES = archsWhere((i) => i.attention);
/** Architectures with a state-space state (d_state N). */
export const SSM_ARCHITECTURES = archsWhere((i) => i.ssm);
/** Architectures with Mamba's causal convolution and expansion (d_conv K, expand E). */
export const CONV_ARCHITECTURES = archsWhere((i) => i.conv);
/** Architectures that have a learned position embedding in the paper (the switch applies to them). */
export const POSITION_EMBEDDING_ARCHITECTURES = archsWhere((i) => i.positionEmbedding);

const M = LIMITS.model;

/** The fields of one model, before the cross-field checks (read by the settings panel for bounds). */
export const modelFields = z
  .object({
    arch: z.enum(ARCHITECTURES).describe('architecture'),
    dModel: z.number().int().min(M.dModel.min).max(M.dModel.max).default(128).describe('model width D').meta({
      label: 'Width D',
      about: 'Length of the vector each token is carried as through the model (the residual stream).',
    }),
    nLayer: z
      .number()
      .int()
      .min(M.nLayer.min)
      .max(M.nLayer.max)
      .optional()
      .describe('layers (blocks); default: the paper’s count')
      .meta({
        label: 'Layers',
        about:
          'Blocks in the backbone. The Transformer counts GPT-2 layers (attention and MLP); the other models count each attention or Mamba block, so Mamba with 4 is about the size of a 2-layer Transformer.',
      }),
    nHead: z.number().int().min(M.nHead.min).max(M.nHead.max).default(8).describe('attention heads').meta({
      label: 'Heads',
      about: 'Attention heads per attention block; the width D must be a multiple of it.',
    }),
    dState: z
      .number()
      .int()
      .min(M.dState.min)
      .max(M.dState.max)
      .default(16)
      .describe('SSM state size N')
      .meta({
        label: 'State size N',
        about:
          'Numbers of recurrent state per channel in the selective scan (Mamba) or the S4D convolution (S4 needs it even).',
      }),
    dConv: z
      .number()
      .int()
      .min(M.dConv.min)
      .max(M.dConv.max)
      .default(4)
      .describe('Mamba causal conv width K')
      .meta({
        label: 'Conv width K',
        about: 'Width of the causal depthwise convolution a Mamba block applies before its scan.',
      }),
    expand: z
      .number()
      .int()
      .min(M.expand.min)
      .max(M.expand.max)
      .default(2)
      .describe('Mamba expansion E (inner width = E·D)')
      .meta({
        label: 'Expansion E',
        about: 'A Mamba block works at E times the width D inside, then projects back.',
      }),
    positionEmbedding: z
      .boolean()
      .optional()
      .describe('learned position embedding (default: on for Transformer and hybrid, off otherwise)')
      .meta({
        label: 'Position embedding',
        about:
          'A learned vector per position added to every token. The paper gives one to the Transformer and the standard hybrid; Mamba and MambaFormer go without (the first Mamba block stands in for it).',
      }),
  })
  .strict();

export const modelSchema = modelFields
  .superRefine((m, ctx) => {
    if (m.dModel % m.nHead !== 0 && ATTENTION_ARCHITECTURES.includes(m.arch)) {
      ctx.addIssue({
        code: 'custom',
        path: ['nHead'],
        message: `the width ${m.dModel} must be a multiple of the number of heads ${m.nHead}`,
      });
    }
    if (ARCHITECTURE_INFO[m.arch].evenState && m.dState % 2 !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['dState'],
        message: `the S4D state size must be even (N / 2 complex modes), got ${m.dState}`,
      });
    }
  })
  .transform((m) => ({
    ...m,
    nLayer: m.nLayer ?? PAPER_LAYERS[m.arch],
    positionEmbedding: m.positionEmbedding ?? POSITION_EMBEDDING_ARCHITECTURES.includes(m.arch),
  }));

export type ModelSpec = z.output<typeof modelSchema>;
export type ModelSpecInput = z.input<typeof modelSchema>;
