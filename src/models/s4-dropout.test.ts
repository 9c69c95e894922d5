import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import type { HeadSpec, ReadIn } from '../tasks/types';
import type { ArchConfig } from './config';
import { paperArchConfig } from './config';
import { buildModel, countModelParameters } from './model';
import { S4_MAMBA_DROPOUT, s4MambaDropoutMask } from './s4';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const readIn: ReadIn = { kind: 'linear', tokenDim: 3 };
const heads: HeadSpec[] = [{ name: 'y', dim: 1, loss: 'mse', metric: 'squared-error', normalisation: 1 }];
const config = (arch: 's4-mamba' | 'mamba'): ArchConfig => ({
  arch,
  dModel: 8,
  nLayer: 2,
  positionEmbedding: false,
  dState: 4,
  dConv: 4,
  expand: 2,
});

function tokens(): tf.Tensor3D {
  const rng = new Rng(9);
  return tf.tensor3d(
    Float32Array.from({ length: 4 * 6 * 3 }, () => rng.normal()),
    [4, 6, 3],
  );
}

describe("S4-Mamba's dropout (training only, tied over L)", () => {
  it('the mask is 0 or 1 / (1 - p), one per (batch, channel), keeping about 1 - p', () => {
    const mask = s4MambaDropoutMask(new Rng(1), 50, 40);
    expect(mask.shape).toEqual([50, 1, 40]);
    const v = Array.from(mask.dataSync());
    const kept = v.filter((x) => x !== 0);
    expect(kept.every((x) => Math.abs(x - 1 / (1 - S4_MAMBA_DROPOUT)) < 1e-6)).toBe(true);
    const frac = kept.length / v.length;
    expect(Math.abs(frac - (1 - S4_MAMBA_DROPOUT))).toBeLessThan(4 * Math.sqrt(0.09 / v.length));
    mask.dispose();
  });

  it('training-mode outputs differ from eval mode; eval is unchanged and deterministic', () => {
    const model = buildModel(config('s4-mamba'), readIn, heads, 2);
    const x = tokens();
    const kinds = new Uint8Array(6);
    const read = (o: tf.Tensor[]) => Array.from(o[0].dataSync());
    const evalA = read(model.forward(x, kinds));
    const evalB = read(model.forward(x, kinds));
    expect(evalB).toEqual(evalA);
    const trainA = read(model.forward(x, kinds, undefined, { training: { seed: 3, step: 5 } }));
    const trainB = read(model.forward(x, kinds, undefined, { training: { seed: 3, step: 5 } }));
    const trainC = read(model.forward(x, kinds, undefined, { training: { seed: 3, step: 6 } }));
    expect(trainB).toEqual(trainA);
    expect(trainA).not.toEqual(evalA);
    expect(trainC).not.toEqual(trainA);
    expect(read(model.forward(x, kinds))).toEqual(evalA);
    model.dispose();
    x.dispose();
  });

  it('other architectures have no dropout: training mode equals eval mode', () => {
    const model = buildModel(config('mamba'), readIn, heads, 2);
    const x = tokens();
    const kinds = new Uint8Array(6);
    const evalOut = Array.from(model.forward(x, kinds)[0].dataSync());
    const trainOut = Array.from(
      model.forward(x, kinds, undefined, { training: { seed: 3, step: 5 } })[0].dataSync(),
    );
    expect(trainOut).toEqual(evalOut);
    model.dispose();
    x.dispose();
  });

  it('adds no parameter (the paper count of S4-Mamba stays 437,249)', () => {
    const paperHeads: HeadSpec[] = [{ ...heads[0], normalisation: 20 }];
    expect(
      countModelParameters(paperArchConfig('s4-mamba'), { kind: 'linear', tokenDim: 20 }, paperHeads),
    ).toBe(437_249);
  });
});
