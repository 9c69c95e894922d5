/**
 * The fused masked MSE (IclMaskedMse) on WebGPU against src/train/losses.ts's plain-ops
 * expression on cpu: the loss and its gradient with respect to the predictions, relative error
 * < 1e-5 (value) and < 1e-4 (gradient), with masked rows, dims 1 and 3, sizes below, across and
 * not multiples of the workgroup sizes; the dispatches (one forward, one backward; as the training
 * step's objective, one forward and the same gradient bits); and the fallback off WebGPU.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedMaskedMse } from './loss';
import { countDispatches } from './profile';
import { registerAllKernels } from './register';
import { Rng, randn, relErr } from './testing/helpers';
import { expectNoGpuErrors, setupWebGpu } from './testing/webgpu';

let gpu = false;

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = r.info !== null;
  if (!gpu) console.warn(`WebGPU kernel tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

function plainMse(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor, denom: number): tf.Scalar {
  return pred.sub(target).square().mul(mask).sum().div(denom) as tf.Scalar;
}

async function lossAndGrad(
  backend: string,
  shape: [number, number, number],
  fused: boolean,
): Promise<{ value: number; grad: Float32Array }> {
  await tf.setBackend(backend);
  const rng = new Rng(shape[0] * 100 + shape[1] + shape[2]);
  const p = randn(rng, shape);
  const y = randn(rng, shape);
  const m = new Float32Array(shape[0] * shape[1]).map((_, i) => (i % 3 === 1 ? 0 : 1));
  const count = m.reduce((a, b) => a + b, 0);
  const denom = Math.max(1, count * shape[2]);
  const pred = tf.tensor(p.values, shape);
  const target = tf.tensor(y.values, shape);
  const mask = tf.tensor(m, [shape[0], shape[1], 1]);
  const { value, grads } = tf.valueAndGrads((x: tf.Tensor) =>
    (fused
      ? fusedMaskedMse(x, target, mask, new Float32Array([denom]))
      : plainMse(x, target, mask, denom)
    ).mul(1.7),
  )([pred]);
  const out = {
    value: ((await value.data()) as Float32Array)[0],
    grad: (await grads[0].data()) as Float32Array,
  };
  tf.dispose([pred, target, mask, value, ...grads]);
  return out;
}

describe('fusedMaskedMse', () => {
  for (const shape of [
    [1, 1, 1],
    [3, 5, 3],
    [64, 41, 1],
    [7, 300, 3],
  ] as Array<[number, number, number]>) {
    it(`webgpu == cpu plain ops: [${shape.join(', ')}]`, async (ctx) => {
      if (!gpu) ctx.skip();
      const ref = await lossAndGrad('cpu', shape, false);
      const got = await lossAndGrad('webgpu', shape, true);
      expectNoGpuErrors();
      expect(Math.abs(got.value - ref.value) / Math.abs(ref.value), 'loss').toBeLessThan(1e-5);
      expect(relErr(got.grad, ref.grad), 'gradient').toBeLessThan(1e-4);
    });
  }

  it('is one dispatch forward and one backward', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const [pred, target] = [tf.randomNormal([4, 9, 1]), tf.randomNormal([4, 9, 1])];
    const mask = tf.ones([4, 9, 1]);
    const fwd = countDispatches(() => fusedMaskedMse(pred, target, mask, new Float32Array([36])));
    expect(fwd.count.byProgram).toEqual({ MaskedMseForward: 1 });
    const bwd = countDispatches(() =>
      tf.grad((x: tf.Tensor) => fusedMaskedMse(x, target, mask, new Float32Array([36])))(pred),
    );
    expect(bwd.count.byProgram).toEqual({ MaskedMseForward: 1, MaskedMseBackward: 1 });
    await bwd.result.data();
    tf.dispose([pred, target, mask, fwd.result, bwd.result]);
  });

  it('as the objective (upstream gradient 1): the same loss and the same gradient bits, no backward dispatch', async (ctx) => {
    if (!gpu) ctx.skip();
    await tf.setBackend('webgpu');
    const rng = new Rng(11);
    const shape = [64, 41, 1];
    const pred = tf.tensor(randn(rng, shape).values, shape);
    const target = tf.tensor(randn(rng, shape).values, shape);
    const mask = tf.tensor(
      new Float32Array(64 * 41).map((_, i) => (i % 5 === 2 ? 0 : 1)),
      [64, 41, 1],
    );
    const denom = new Float32Array([64 * 41 - 525]);
    const run = (objective: boolean) =>
      countDispatches(() =>
        tf.valueAndGrad((x: tf.Tensor) => fusedMaskedMse(x, target, mask, denom, objective))(pred),
      );
    const plain = run(false);
    const objective = run(true);
    expect(objective.count.byProgram).toEqual({ MaskedMseForward: 1 });
    expect(plain.count.byProgram).toEqual({ MaskedMseForward: 1, MaskedMseBackward: 1 });
    expect(await objective.result.value.data()).toEqual(await plain.result.value.data());
    expect(Array.from(await objective.result.grad.data())).toEqual(
      Array.from(await plain.result.grad.data()),
    );
    expectNoGpuErrors();
    tf.dispose([
      pred,
      target,
      mask,
      plain.result.value,
      plain.result.grad,
      objective.result.value,
      objective.result.grad,
    ]);
  });

  it('is the plain ops off WebGPU', async () => {
    const ref = await lossAndGrad('cpu', [3, 5, 3], false);
    const got = await lossAndGrad('cpu', [3, 5, 3], true);
    expect(got.value).toBe(ref.value);
    expect(relErr(got.grad, ref.grad)).toBe(0);
  });
});
