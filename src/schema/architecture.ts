/**
 * Architecture settings of one model in an experiment (paper.md section 3). Defaults are the
 * paper's regression configuration (D 128, 8 heads, Mamba d_state 16, d_conv 4, expand 2).
 * "Layers" count as in the released code: each attention or Mamba block is one layer, except the
 * Transformer, whose layers are GPT-2 blocks (attention + MLP).
 */
import { z } from 'zod';

export const ARCHITECTURES = ['transformer', 'mamba', 'mambaformer', 'hybrid', 's4', 's4-mamba'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** Display names: the accessible names of the architecture toggles. */
export const ARCHITECTURE_TITLES: Record<Architecture, string> = {
  transformer: 'Transformer',
  mamba: 'Mamba',
  mambaformer: 'MambaFormer',
  hybrid: 'Standard hybrid',
  s4: 'S4',
  's4-mamba': 'S4-Mamba',
};

/** The paper's layer count per architecture at the regression size. */
export const PAPER_LAYERS: Record<Architecture, number> = {
  transformer: 2,
  mamba: 4,
  mambaformer: 4,
  hybrid: 4,
  s4: 4,
  's4-mamba': 4,
};

/** Architectures with attention blocks (their width must be a multiple of the heads). */
export const ATTENTION_ARCHITECTURES: readonly Architecture[] = ['transformer', 'mambaformer', 'hybrid'];
/** Architectures with a state-space state (d_state N). */
export const SSM_ARCHITECTURES: readonly Architecture[] = [
  'mamba',
  'mambaformer',
  'hybrid',
  's4',
  's4-mamba',
];
/** Architectures with Mamba's causal convolution and expansion (d_conv K, expand E). */
export const CONV_ARCHITECTURES: readonly Architecture[] = ['mamba', 'mambaformer', 'hybrid', 's4-mamba'];
/** Architectures that have a learned position embedding in the paper (the switch applies to them). */
export const POSITION_EMBEDDING_ARCHITECTURES: readonly Architecture[] = ['transformer', 'hybrid'];

/** The fields of one model, before the cross-field checks (read by the settings panel for bounds). */
export const modelFields = z
  .object({
    arch: z.enum(ARCHITECTURES).describe('architecture'),
    dModel: z.number().int().min(4).max(1024).default(128).describe('model width D'),
    nLayer: z
      .number()
      .int()
      .min(1)
      .max(24)
      .optional()
      .describe('layers (blocks); default: the paper’s count'),
    nHead: z.number().int().min(1).max(32).default(8).describe('attention heads'),
    dState: z.number().int().min(1).max(64).default(16).describe('SSM state size N'),
    dConv: z.number().int().min(1).max(8).default(4).describe('Mamba causal conv width K'),
    expand: z.number().int().min(1).max(4).default(2).describe('Mamba expansion E (inner width = E·D)'),
    positionEmbedding: z
      .boolean()
      .optional()
      .describe('learned position embedding (default: on for Transformer and hybrid, off otherwise)'),
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
    if ((m.arch === 's4' || m.arch === 's4-mamba') && m.dState % 2 !== 0) {
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
