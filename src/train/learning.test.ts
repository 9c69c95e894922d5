/**
 * Does training actually teach in-context learning? The classroom architectures, narrowed to D 16
 * and 2 layers / blocks so the whole test takes about a minute, on linear regression (wasm backend,
 * the same kernels as cpu; fixed seed 1) must predict y at 2d in-context examples much better than
 * the zero predictor on the shared evaluation prompts. Not timed. Measured (2-core VM, wasm): Mamba
 * 600 steps 0.339 vs zero 0.879, MambaFormer 600 steps 0.372, Transformer 1800 steps 0.321 vs 0.914;
 * ~45 s in all. ICL_SKIP_LEARNING=1 skips it (never set by CI).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateBaselines } from '../eval';
import type { Architecture } from '../schema/architecture';
import { type Experiment, parseExperiment } from '../schema/experiment';
import { findTask, Trainer } from './trainer';

beforeAll(async () => {
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
});

const PROMPTS = 256;

/** Linear regression in dimension d with N = 2d + 1 examples; D 16, 2 layers / blocks. */
function experiment(arch: Architecture, d: number, steps: number): Experiment {
  const n = 2 * d + 1;
  const parsed = parseExperiment({
    version: 1,
    task: { name: 'linear-regression', params: { d, nPoints: n } },
    models: [{ arch, dModel: 16, nLayer: 2, nHead: 2, dState: 4 }],
    optimizer: { lr: 3e-3 },
    batchSize: 32,
    curriculum: {
      dims: { start: d, end: d, inc: 0, interval: 1 },
      points: { start: n, end: n, inc: 0, interval: 1 },
    },
    steps,
    seed: 1,
    evaluation: { prompts: PROMPTS, everySteps: steps, bootstrap: 1 },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.experiment;
}

/** Error of the model and of the zero predictor after `examples` in-context examples. */
async function errorsAt(trainer: Trainer, examples: number): Promise<{ model: number; zero: number }> {
  const e = trainer.experiment;
  const [set] = await trainer.evaluate({ prompts: PROMPTS, bootstrap: 1 });
  const zeroSet = evaluateBaselines(findTask(e.task.name), e.task.params as never, e.curriculum, {
    prompts: PROMPTS,
    seed: e.seed,
    baselines: ['zero'],
    resamples: 1,
  });
  const at = (c: { examples: Int32Array; mean: Float64Array }) => c.mean[c.examples.indexOf(examples)];
  return { model: at(set.curves[0]), zero: at(zeroSet.curves[0]) };
}

async function learns(arch: Architecture, d: number, steps: number) {
  const trainer = new Trainer(experiment(arch, d, steps), 0);
  try {
    const result = await trainer.train(steps, { readEvery: 25 });
    expect(result.reason).toBe('done');
    const { model: err, zero } = await errorsAt(trainer, 2 * d);
    const history = trainer.state().history;
    const early = history.slice(0, 25).reduce((a, r) => a + r.loss, 0) / 25;
    const late = history.slice(-25).reduce((a, r) => a + r.loss, 0) / 25;
    console.info(
      `${arch}: ${steps} steps, loss ${early.toFixed(3)} -> ${late.toFixed(3)}, error at 2d ${err.toFixed(3)} vs zero ${zero.toFixed(3)}`,
    );
    expect(zero).toBeGreaterThan(0.5);
    expect(err).toBeLessThan(0.5 * zero);
  } finally {
    trainer.dispose();
  }
}

// Measured with these settings (docs/PRESETS.md): the error ratio at 2d falls below 0.5 at
// ~300-400 steps for Mamba (d 3) and ~1200 steps for the Transformer (d 2, after its plateau);
// the budgets leave margin (ratio ~0.35 expected).
describe.skipIf(process.env.ICL_SKIP_LEARNING === '1')(
  'learning linear regression in context (wasm, seed 1)',
  () => {
    it('Mamba, d 3: error at 6 examples below half the zero predictor within 600 steps', async () => {
      await learns('mamba', 3, 600);
    }, 3_600_000);

    it('MambaFormer, d 3: error at 6 examples below half the zero predictor within 600 steps', async () => {
      await learns('mambaformer', 3, 600);
    }, 3_600_000);

    it('Transformer, d 2: error at 4 examples below half the zero predictor within 1800 steps', async () => {
      await learns('transformer', 2, 1800);
    }, 3_600_000);
  },
);
