import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadSpec, ReadIn } from '../tasks/types';
import { ARCH_KINDS, type ArchKind, paperArchConfig } from './config';
import { buildModel, countModelParameters, modelParamSpecs } from './model';

const readIn: ReadIn = { kind: 'linear', tokenDim: 20 };
const heads: HeadSpec[] = [{ name: 'y', dim: 1, loss: 'mse', metric: 'squared-error', normalisation: 20 }];

/** paper.md section 3, d = 20, D = 128, scalar read-out. */
const PAPER_COUNTS: Record<ArchKind, number> = {
  transformer: 425_473,
  mamba: 470_017,
  's4-mamba': 437_249,
  s4: 153_601,
  hybrid: 382_081,
  mambaformer: 485_889,
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('parameter counts equal the paper table', () => {
  for (const arch of ARCH_KINDS) {
    it(`${arch}: ${PAPER_COUNTS[arch]}`, () => {
      expect(countModelParameters(paperArchConfig(arch), readIn, heads)).toBe(PAPER_COUNTS[arch]);
    });
  }

  it('built models hold exactly those parameters', () => {
    for (const arch of ARCH_KINDS) {
      const model = buildModel(paperArchConfig(arch), readIn, heads, 1);
      let n = 0;
      for (const v of model.variables.values()) n += v.size;
      expect(n).toBe(PAPER_COUNTS[arch]);
      expect(model.parameterCount).toBe(PAPER_COUNTS[arch]);
      model.dispose();
    }
  });

  it('per-block formulas of paper.md', () => {
    const D = 128;
    const R = 8;
    const N = 16;
    const K = 4;
    const blockSize = (arch: ArchKind, prefix: string) =>
      modelParamSpecs(paperArchConfig(arch), readIn, heads)
        .filter((s) => s.name.startsWith(prefix))
        .reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    expect(blockSize('transformer', '_backbone.h.0.')).toBe(12 * D * D + 13 * D);
    expect(blockSize('hybrid', '_backbone.layers.0.')).toBe(4 * D * D + 6 * D);
    expect(blockSize('mamba', '_backbone.layers.0.')).toBe(
      6 * D * D + 2 * D * (R + 2 * N) + 2 * D * R + 2 * D * (K + 3 + N) + 2 * D,
    );
  });
});

it('the Transformer without position embedding drops exactly the 202 x 128 table', () => {
  const config = { ...paperArchConfig('transformer'), positionEmbedding: false };
  const specs = modelParamSpecs(config, readIn, heads);
  expect(specs.some((s) => s.name.includes('wpe'))).toBe(false);
  expect(countModelParameters(config, readIn, heads)).toBe(PAPER_COUNTS.transformer - 202 * 128);
});
