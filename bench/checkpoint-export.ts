/**
 * Cross-check of ICL Lab checkpoints against PyTorch, part 1 (here, tfjs on cpu): for each of the
 * six architectures at the paper's regression size (d 20, D 128, N 41, the authors' position rows),
 * build the model from seed 0, train 3 steps (so weights and Adam moments are not the
 * initialisation), save the checkpoint, and write one batch of 8 evaluation-stream prompts with
 * the model's predictions at the x tokens:
 *
 *   npx tsx bench/checkpoint-export.ts --out .xcheck
 *     -> .xcheck/<arch>.safetensors, <arch>.optim.safetensors, <arch>.io.safetensors
 *        (io: `tokens` [8, 82, 20], `pred` [8, 41], `loss_after` [1] = loss of one more step)
 *
 * Part 2 (bench/checkpoint_crosscheck.py, on a machine with PyTorch) loads each file into the
 * authors' module layout (HF GPT2Model for the Transformer; modules named as mamba_ssm's
 * MixerModel for the others), compares predictions, trains one step in PyTorch and writes the
 * resulting state_dict back; part 3 (`--verify DIR`) loads those PyTorch files here and compares
 * tfjs's predictions with PyTorch's.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, type Architecture } from '../src/schema/architecture';
import { evaluationBatches } from '../src/tasks/stream';
import { loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint';
import { paperPositionRows, presetExperiment } from '../src/train/presets';
import { readSafetensors, writeSafetensors } from '../src/train/safetensors';
import { Trainer } from '../src/train/trainer';

export function trainerFor(arch: Architecture): Trainer {
  const experiment = presetExperiment('paper', 'linear-regression', [arch], 0, {
    batchSize: 16,
    evaluation: { prompts: 16, everySteps: 1000, bootstrap: 1 },
  });
  const rows = paperPositionRows(arch);
  return new Trainer(experiment, 0, rows ? { positionRows: rows } : {});
}

/** Predictions at the x tokens of the first head, [B, N]. */
export async function predict(trainer: Trainer, tokens: Float32Array, b: number, l: number, d: number) {
  const kinds = new Uint8Array(l);
  const positions = Int32Array.from({ length: l / 2 }, (_, i) => 2 * i);
  const out = tf.tidy(() => trainer.model.forward(tf.tensor3d(tokens, [b, l, d]), kinds, [positions])[0]);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

async function main() {
  const { values: args } = parseArgs({
    options: { out: { type: 'string', default: '.xcheck' }, verify: { type: 'string' } },
  });
  await tf.setBackend('cpu');
  if (args.verify) {
    let worst = 0;
    for (const file of readdirSync(args.verify).filter((f) => f.endsWith('.torch.safetensors'))) {
      const arch = file.replace('.torch.safetensors', '') as Architecture;
      const trainer = trainerFor(arch);
      const torchFile = readFileSync(join(args.verify, file));
      const report = await loadCheckpoint(trainer, { model: new Uint8Array(torchFile) });
      if (!report.ok) throw new Error(`${arch}: PyTorch's file did not load: ${JSON.stringify(report)}`);
      const io = readSafetensors(
        new Uint8Array(readFileSync(join(args.verify, `${arch}.torch-io.safetensors`))),
      );
      const tokens = io.tensors.get('tokens')!;
      const expected = io.tensors.get('pred')!;
      const [b, l, d] = tokens.shape;
      const got = await predict(trainer, tokens.data as Float32Array, b, l, d);
      let maxDiff = 0;
      let maxRef = 0;
      for (let i = 0; i < got.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected.data[i]));
        maxRef = Math.max(maxRef, Math.abs(expected.data[i]));
      }
      const rel = maxDiff / Math.max(maxRef, 1e-12);
      worst = Math.max(worst, rel);
      console.log(
        `${arch}: PyTorch state_dict loaded (ignored: ${report.ignored.join(', ') || 'none'}); ` +
          `predictions max |tfjs - torch| ${maxDiff.toExponential(2)} (${rel.toExponential(2)} of max |pred|)`,
      );
      trainer.dispose();
    }
    console.log(`worst relative difference ${worst.toExponential(2)}`);
    if (!(worst < 1e-4)) process.exitCode = 1;
    return;
  }
  mkdirSync(args.out!, { recursive: true });
  for (const arch of ARCHITECTURES) {
    const trainer = trainerFor(arch);
    await trainer.train(3, { readEvery: 3 });
    const files = await saveCheckpoint(trainer);
    writeFileSync(join(args.out!, `${arch}.safetensors`), files.model);
    if (files.optimizer) writeFileSync(join(args.out!, `${arch}.optim.safetensors`), files.optimizer);
    const e = trainer.experiment;
    const batch = evaluationBatches(trainer.task, e.task.params as never, e.curriculum, e.seed, 8).next()
      .value as ReturnType<Trainer['batchAt']>;
    const pred = await predict(trainer, batch.tokens, 8, batch.seqLen, batch.tokenDim);
    // the loss of the next training step, which PyTorch must reproduce from the same batch
    const next = trainer.batchAt();
    const { loss } = trainer.step();
    const lossAfter = (await loss.data())[0];
    const io = writeSafetensors(
      [
        { name: 'tokens', dtype: 'F32', shape: [8, batch.seqLen, batch.tokenDim], data: batch.tokens },
        { name: 'pred', dtype: 'F32', shape: [8, batch.seqLen / 2], data: pred },
        {
          name: 'batch_tokens',
          dtype: 'F32',
          shape: [next.batchSize, next.seqLen, next.tokenDim],
          data: next.tokens,
        },
        {
          name: 'batch_targets',
          dtype: 'F32',
          shape: [next.batchSize, next.seqLen / 2],
          data: next.heads[0].targets,
        },
        { name: 'loss_next', dtype: 'F32', shape: [1], data: Float32Array.of(lossAfter) },
      ],
      { arch, params: String(trainer.model.parameterCount) },
    );
    writeFileSync(join(args.out!, `${arch}.io.safetensors`), io);
    console.log(
      `${arch}: ${trainer.model.parameterCount} parameters, step ${trainer.stepCount}, loss of step 4 ${lossAfter.toFixed(5)}`,
    );
    trainer.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
