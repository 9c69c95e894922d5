/**
 * Step replay (step-replay.ts) on WebGPU: training with recorded steps replayed gives the same
 * losses, gradient norms and parameters, bit for bit, as training with every step through tfjs,
 * on every task's head kind and with the outlier mask that changes the loss denominator; it
 * actually replays (a test of equality that never replayed would prove nothing); it stops when the
 * weights are replaced and goes on correctly after; and a step that uploads something undeclared
 * that changes is never replayed.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Architecture } from '../schema/architecture';
import type { TaskName } from '../tasks/types';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint';
import { tinyExperiment } from '../train/test-experiments';
import { Trainer } from '../train/trainer';
import { FusedAdam } from './adam';
import { modelKernels } from './index';
import { createStepReplay } from './step-replay';
import { expectNoGpuErrors, setupWebGpu } from './testing/webgpu';

let gpu = false;

beforeAll(async () => {
  const r = await setupWebGpu();
  gpu = r.info !== null;
  if (!gpu) console.warn(`step replay tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

interface Run {
  losses: number[];
  norms: number[];
  params: Map<string, Float32Array>;
  replayed: number;
  recorded: number;
  reason: string;
}

async function train(
  arch: Architecture,
  replay: boolean,
  steps: number,
  task: TaskName = 'linear-regression',
  params: Record<string, unknown> = { d: 2, nPoints: 4 },
  between?: (t: Trainer, chunk: number) => Promise<void>,
): Promise<Run> {
  const experiment = tinyExperiment([arch], { steps, clip: 1 }, task, params);
  const trainer = new Trainer(experiment, 0, {
    kernels: modelKernels(),
    optimizer: (s) => new FusedAdam(s),
    readEvery: 4,
    ...(replay ? { stepReplay: createStepReplay } : {}),
  });
  try {
    for (let chunk = 0; trainer.stepCount < steps; chunk++) {
      await trainer.train(Math.min(4, steps - trainer.stepCount));
      await between?.(trainer, chunk);
    }
    const history = trainer.state().history;
    const out = new Map<string, Float32Array>();
    for (const [name, v] of trainer.model.variables) out.set(name, (await v.data()) as Float32Array);
    const stats = trainer.replayStats();
    expectNoGpuErrors();
    return {
      losses: history.map((r) => r.loss),
      norms: history.map((r) => r.gradNorm),
      params: out,
      replayed: stats?.replayed ?? 0,
      recorded: stats?.recorded ?? 0,
      reason: stats?.reason ?? '',
    };
  } finally {
    trainer.dispose();
  }
}

function expectSame(a: Run, b: Run): void {
  expect(a.losses).toEqual(b.losses);
  expect(a.norms).toEqual(b.norms);
  for (const [name, v] of a.params) expect(Array.from(b.params.get(name)!), name).toEqual(Array.from(v));
}

describe('step replay', () => {
  const cases: Array<[Architecture, TaskName, Record<string, unknown>]> = [
    ['transformer', 'linear-regression', { d: 2, nPoints: 4 }],
    ['mamba', 'linear-regression', { d: 2, nPoints: 5 }],
    ['mambaformer', 'many-outlier-regression', { d: 2, nPoints: 5 }],
    ['mamba', 'sparse-parity', { d: 6, k: 2, nPoints: 6 }],
  ];
  for (const [arch, task, params] of cases) {
    it(`${arch} on ${task}: replayed steps give tfjs's numbers bit for bit`, async () => {
      if (!gpu) return;
      const plain = await train(arch, false, 24, task, params);
      const replayed = await train(arch, true, 24, task, params);
      expect(replayed.replayed, replayed.reason).toBeGreaterThanOrEqual(8);
      expectSame(plain, replayed);
      expect(plain.losses.every(Number.isFinite)).toBe(true);
    }, 120_000);
  }

  it('stops when the weights are replaced, then records again and stays exact', async () => {
    if (!gpu) return;
    // after the third chunk the weights are set to new values: the replay must not update the old
    // buffers; the run must match a plain run with the same replacement
    const replace = async (t: Trainer, chunk: number) => {
      if (chunk !== 3) return;
      const values = new Map<string, Float32Array>();
      for (const [name, v] of t.model.variables) {
        const x = (await v.data()) as Float32Array;
        values.set(
          name,
          x.map((y) => y * 0.5),
        );
      }
      t.model.setWeights(values);
    };
    const plain = await train('mamba', false, 32, 'linear-regression', { d: 2, nPoints: 4 }, replace);
    const replayed = await train('mamba', true, 32, 'linear-regression', { d: 2, nPoints: 4 }, replace);
    expect(replayed.replayed).toBeGreaterThan(0);
    expectSame(plain, replayed);
  }, 120_000);

  it('checkpoints written mid-run, two at once, neither stop the replay nor change the run', async () => {
    if (!gpu) return;
    // the training worker writes its own checkpoint at a read-back while the page may ask for one:
    // both read the weights and moments; a read that gave the variables new buffers ended the replay
    // (every checkpoint meant recording again) and broke the other read still pending on the old ones
    const written: Array<[Uint8Array, Uint8Array]> = [];
    const checkpoints = async (t: Trainer) => {
      const [a, b] = await Promise.all([saveCheckpoint(t), saveCheckpoint(t)]);
      written.push([a.model, b.model]);
    };
    const args = ['mamba', true, 24, 'linear-regression', { d: 2, nPoints: 5 }] as const;
    const alone = await train(...args);
    const checked = await train(...args, checkpoints);
    expect(written).toHaveLength(6);
    for (const [a, b] of written) expect(b).toEqual(a);
    expectSame(alone, checked);
    expect(checked.recorded, checked.reason).toBe(alone.recorded);
    expect(checked.replayed).toBe(alone.replayed);
  }, 120_000);

  it('a run resumed from a checkpoint into a new trainer replays on exactly as the uninterrupted run', async () => {
    if (!gpu) return;
    // the loaded weights must reach the GPU before the new trainer's first (recorded) step: uploaded
    // lazily inside it, they made the resumed run of the H200 sweep start from a broken model
    const experiment = tinyExperiment(['transformer'], { steps: 28, clip: 1 }, 'chain-of-thought', {
      d: 3,
      nPoints: 5,
      k: 2,
    });
    const make = () =>
      new Trainer(experiment, 0, {
        kernels: modelKernels(),
        optimizer: (s) => new FusedAdam(s),
        readEvery: 4,
        stepReplay: createStepReplay,
      });
    // as the CLI does it: each trainer alone, the resumed one built after the others are gone
    const run = async (f: (t: Trainer) => Promise<void>) => {
      const t = make();
      try {
        await f(t);
      } finally {
        t.dispose();
      }
    };
    let whole: { losses: number[]; params: Map<string, number[]> } | null = null;
    const snapshot = async (t: Trainer) => {
      const params = new Map<string, number[]>();
      for (const [name, v] of t.model.variables)
        params.set(name, Array.from((await v.data()) as Float32Array));
      return { losses: t.state().history.map((r) => r.loss), params };
    };
    await run(async (t) => {
      await t.train(28);
      whole = await snapshot(t);
    });
    let files: Awaited<ReturnType<typeof saveCheckpoint>> | null = null;
    let history: ReturnType<Trainer['state']>['history'] = [];
    await run(async (t) => {
      await t.train(12);
      files = await saveCheckpoint(t);
      history = t.state().history;
    });
    await run(async (t) => {
      const report = await loadCheckpoint(t, files!, { history });
      expect(report.ok, report.errors.join('; ')).toBe(true);
      await t.train(16);
      expect(t.replayStats()?.replayed ?? 0).toBeGreaterThan(4);
      const resumed = await snapshot(t);
      expect(resumed.losses).toEqual(whole!.losses);
      expect(resumed.params).toEqual(whole!.params);
    });
    expectNoGpuErrors();
  }, 120_000);

  it('replays a step only when what it uploads that changes is declared', async () => {
    if (!gpu) return;
    // a toy step that uploads x and k, both new every step: declaring only x must keep it with
    // tfjs (its k changes and is no input); declaring both lets it replay. Both give x + k.
    async function toy(declareK: boolean) {
      const replay = createStepReplay()!;
      const sums: number[] = [];
      try {
        for (let i = 0; i < 12; i++) {
          const x = new Float32Array([i, i + 1, i + 2, i + 3]);
          const k = new Float32Array([10 * i + 5, 10 * i + 6, 10 * i + 7, 10 * i + 8]);
          const r = replay.run(
            'toy',
            declareK ? [x, k] : [x],
            () =>
              tf.tidy(() => {
                const y = tf.tensor1d(x).add(tf.tensor1d(k));
                return [y.sum() as tf.Scalar, y.max() as tf.Scalar];
              }),
            true,
          );
          sums.push(((await r.loss.data()) as Float32Array)[0]);
          r.loss.dispose();
          r.gradNorm.dispose();
        }
        return { sums, stats: replay.stats() };
      } finally {
        replay.dispose();
      }
    }
    const expected = [...Array(12).keys()].map((i) => 4 * i + 6 + 40 * i + 26);
    const undeclared = await toy(false);
    expect(undeclared.stats.replayed).toBe(0);
    expect(undeclared.stats.reason).toMatch(/none of its inputs/);
    expect(undeclared.sums).toEqual(expected);
    const declared = await toy(true);
    expect(declared.stats.replayed).toBeGreaterThan(5);
    expect(declared.sums).toEqual(expected);
    expectNoGpuErrors();
  }, 60_000);
});
