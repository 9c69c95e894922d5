/**
 * Whole models with every fused kernel (modelKernels()) on WebGPU against the same models without
 * them (the reference path) on cpu: outputs and the gradient of every parameter, relative error
 * < 1e-4 per tensor. Also: a model built with the fused kernels runs on cpu (the selective scan
 * through its JavaScript kernel, the others through their reference paths) with the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchConfig } from '../models/config';
import { buildModel } from '../models/model';
import { Rng } from '../random/rng';
import { linearRegression } from '../tasks/linear-regression';
import { modelKernels } from './index';
import { randn, relErr } from './testing/helpers';
import { expectNoGpuErrors, setupWebGpu } from './testing/webgpu';

let gpu = false;

beforeAll(async () => {
  const r = await setupWebGpu();
  gpu = r.info !== null;
  if (!gpu) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

const params = { d: 3, nPoints: 6 };
const batch = linearRegression.sample(new Rng(1), params, 3, { dims: 3, points: 6 });
const mamba = { dState: 4, dConv: 4, expand: 2 };
const CONFIGS: ArchConfig[] = [
  { arch: 'transformer', dModel: 16, nLayer: 2, nHead: 4, positionEmbedding: true, maxPositions: 16 },
  { arch: 'mamba', dModel: 16, nLayer: 2, positionEmbedding: false, ...mamba },
  { arch: 'mambaformer', dModel: 16, nLayer: 2, nHead: 4, positionEmbedding: false, ...mamba },
  { arch: 'hybrid', dModel: 16, nLayer: 2, nHead: 2, positionEmbedding: true, maxPositions: 16, ...mamba },
];

async function run(backend: string, config: ArchConfig, fused: boolean) {
  await tf.setBackend(backend);
  const model = buildModel(
    config,
    linearRegression.readIn(params),
    linearRegression.heads(params),
    3,
    fused ? { kernels: modelKernels() } : {},
  );
  const tokens = tf.tensor3d(batch.tokens, [batch.batchSize, batch.seqLen, batch.tokenDim]);
  const w = randn(new Rng(2), [batch.batchSize, batch.seqLen, 1]);
  const weights = tf.tensor(w.values, w.shape);
  const names = [...model.variables.keys()];
  const { value, grads } = tf.variableGrads(() => {
    const [out] = model.forward(tokens, batch.tokenKinds);
    return out.mul(weights).sum() as tf.Scalar;
  }, [...model.variables.values()]);
  const byName = new Map<string, Float32Array>();
  for (const n of names) {
    const v = model.variables.get(n)!;
    byName.set(n, (await grads[v.name].data()) as Float32Array);
  }
  const [out] = model.forward(tokens, batch.tokenKinds);
  const result = { value: (await value.data())[0], out: (await out.data()) as Float32Array, grads: byName };
  tf.dispose([tokens, weights, value, out, ...Object.values(grads)]);
  model.dispose();
  return result;
}

describe('models with the fused kernels', () => {
  for (const config of CONFIGS) {
    it(`${config.arch}: webgpu fused == cpu reference (outputs, every gradient)`, async (ctx) => {
      if (!gpu) ctx.skip();
      const ref = await run('cpu', config, false);
      const got = await run('webgpu', config, true);
      expectNoGpuErrors();
      expect(relErr(got.out, ref.out), 'outputs').toBeLessThan(1e-4);
      for (const [name, g] of ref.grads) {
        expect(relErr(got.grads.get(name)!, g), name).toBeLessThan(1e-4);
      }
    });
  }

  it('a fused model runs on cpu (host scan, reference paths) with the same numbers', async () => {
    const config = CONFIGS[2];
    const ref = await run('cpu', config, false);
    const got = await run('cpu', config, true);
    expect(relErr(got.out, ref.out)).toBeLessThan(1e-5);
    for (const [name, g] of ref.grads) expect(relErr(got.grads.get(name)!, g), name).toBeLessThan(1e-4);
  });
});
