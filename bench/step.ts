/**
 * One training step of an experiment's model, as `Trainer.step()` does it (src/train/trainer.ts):
 * batch tensors from host arrays, forward, masked loss, gradients, global-norm clip, Adam; nothing
 * read back. `fused` builds the model with the fused kernels (src/kernels) and uses the fused
 * clip + Adam. The batch is sampled once, at the end of the curriculum (the longest prompts).
 */
import * as tf from '@tensorflow/tfjs';
import { modelKernels } from '../src/kernels';
import { FusedAdam } from '../src/kernels/adam';
import { type ArchSettings, archConfigFromSettings } from '../src/models/config';
import { buildModel, type SequenceModel } from '../src/models/model';
import { Rng } from '../src/random/rng';
import type { Architecture } from '../src/schema/architecture';
import { TASKS } from '../src/tasks';
import { curriculumEnd } from '../src/tasks/common';
import type { PromptBatch } from '../src/tasks/types';
import { Adam, clipByGlobalNorm } from '../src/train/adam';
import { batchLoss, headTargets } from '../src/train/losses';
import { type PresetName, presetExperiment } from '../src/train/presets';

export interface StepSetup {
  arch: Architecture;
  size: PresetName;
  fused: boolean;
  /** default: the preset's batch size (64) */
  batchSize?: number;
  task?: string;
}

export interface TrainingStep {
  /** one step; returns the loss (caller disposes) */
  step(): tf.Scalar;
  dispose(): void;
  model: SequenceModel;
  batch: PromptBatch;
  parameters: number;
}

export function makeTrainingStep(setup: StepSetup): TrainingStep {
  const taskName = setup.task ?? 'linear-regression';
  const experiment = presetExperiment(setup.size, taskName as never, [setup.arch], 0);
  const task = TASKS.find((t) => t.name === taskName)!;
  const params = experiment.task.params as never;
  const batch = task.sample(
    Rng.derive(0, 'bench'),
    params,
    setup.batchSize ?? experiment.batchSize,
    curriculumEnd(experiment.curriculum),
  );
  const config = archConfigFromSettings(experiment.models[0] as ArchSettings, batch.seqLen);
  const kernels = setup.fused ? modelKernels() : undefined;
  const model = buildModel(config, task.readIn(params), task.heads(params), 0, kernels ? { kernels } : {});
  const settings = {
    lr: experiment.optimizer.lr,
    beta1: experiment.optimizer.beta1,
    beta2: experiment.optimizer.beta2,
    eps: experiment.optimizer.eps,
  };
  const clip = experiment.clip ?? null;
  const names = new Map<string, string>();
  for (const [name, v] of model.variables) names.set(v.name, name);
  const vars = [...model.variables.values()];
  const adam = new Adam(settings);
  const fusedAdam = new FusedAdam(settings);

  const step = (): tf.Scalar =>
    tf.tidy(() => {
      const tokens = tf.tensor3d(batch.tokens, [batch.batchSize, batch.seqLen, batch.tokenDim]);
      const targets = batch.heads.map((h) => headTargets(h, batch.batchSize));
      const positions = batch.heads.map((h) => h.positions);
      const { value, grads } = tf.variableGrads(
        () =>
          batchLoss(
            // training mode, as the Trainer: S4-Mamba's dropout on
            model.forward(tokens, batch.tokenKinds, positions, { training: { seed: 0, step: 0 } }),
            targets,
            kernels,
            // the differentiated sum, as the Trainer's: each loss's upstream gradient is 1
            true,
          ),
        vars,
      );
      const byName = new Map<string, tf.Tensor>();
      for (const n of Object.keys(grads)) byName.set(names.get(n)!, grads[n]);
      if (setup.fused) {
        fusedAdam.applyClipped(model.variables, byName, clip);
      } else {
        const keys = [...byName.keys()];
        const clipped = clipByGlobalNorm(
          keys.map((k) => byName.get(k)!),
          clip,
        );
        const clippedByName = new Map(keys.map((k, i) => [k, clipped.grads[i]]));
        adam.apply(model.variables, clippedByName);
      }
      return value as tf.Scalar;
    });

  return {
    step,
    model,
    batch,
    parameters: model.parameterCount,
    dispose() {
      model.dispose();
      adam.dispose();
      fusedAdam.dispose();
    },
  };
}
