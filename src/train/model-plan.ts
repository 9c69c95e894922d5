/**
 * What model an experiment asks for, worked out without creating a single tfjs tensor: the model
 * spec, the task, the longest prompt, the rows of the position embedding, the architecture config,
 * read-in and heads. The Trainer builds its model from this plan, and the checkpoint validator
 * (checkpoint-check.ts) reads the names and shapes a file must hold from the same plan, before
 * anything is built, so the two cannot disagree.
 */
import { type ArchConfig, type ArchSettings, archConfigFromSettings } from '../models/config';
import { isTiedHead, modelParamSpecs, readOutPrefix } from '../models/model';
import type { ModelSpec } from '../schema/architecture';
import type { Experiment } from '../schema/experiment';
import { type GenericTask, TASKS } from '../tasks';
import { probeBatch } from '../tasks/stream';
import type { HeadSpec, ReadIn } from '../tasks/types';

export function findTask(name: string): GenericTask {
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new Error(`unknown task "${name}"`);
  return task;
}

export interface ModelPlan {
  /** the index into `experiment.models`, or -1 for a model spec of its own */
  modelIndex: number;
  modelSpec: ModelSpec;
  task: GenericTask;
  /** tokens of the longest prompt (the end of the curriculum) */
  maxSeqLen: number;
  /** rows of the learned position embedding (when the model has one) */
  positionRows: number;
  config: ArchConfig;
  readIn: ReadIn;
  heads: HeadSpec[];
}

/** The plan of `experiment`'s model `model` (an index, or a spec of its own). Throws on a bad index. */
export function planModel(
  experiment: Experiment,
  model: number | ModelSpec,
  positionRows?: number,
): ModelPlan {
  let modelIndex = -1;
  let modelSpec: ModelSpec;
  if (typeof model === 'number') {
    const spec = experiment.models[model];
    if (!spec) throw new Error(`the experiment has ${experiment.models.length} models, no model ${model}`);
    modelIndex = model;
    modelSpec = spec;
  } else {
    modelSpec = model;
  }
  const task = findTask(experiment.task.name);
  const params = experiment.task.params as never;
  const maxSeqLen = probeBatch(task, params, experiment.curriculum, experiment.seed).seqLen;
  const rows = Math.max(maxSeqLen, positionRows ?? 0);
  return {
    modelIndex,
    modelSpec,
    task,
    maxSeqLen,
    positionRows: rows,
    config: archConfigFromSettings(modelSpec as ArchSettings, rows),
    readIn: task.readIn(params),
    heads: task.heads(params),
  };
}

/** The tensors a model file of this plan holds: each variable's name and shape, and tied read-outs. */
export interface CheckpointLayout {
  shapes: Map<string, readonly number[]>;
  /** read-out weights that share the read-in's tensor (written under both names, loaded once) */
  tied: Set<string>;
}

export function checkpointLayout(plan: ModelPlan): CheckpointLayout {
  const shapes = new Map<string, readonly number[]>();
  for (const spec of modelParamSpecs(plan.config, plan.readIn, plan.heads)) shapes.set(spec.name, spec.shape);
  const tied = new Set(
    plan.heads.flatMap((h, i) =>
      isTiedHead(plan.readIn, h) ? [`${readOutPrefix(plan.heads, i)}weight`] : [],
    ),
  );
  return { shapes, tied };
}
