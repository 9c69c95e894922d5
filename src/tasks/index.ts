/**
 * The task registry: every task of the paper (paper.md section 2, in the paper's order) and token
 * MQAR last. Typed access without `any`:
 *  - `getTask('sparse-parity')` returns `TaskDefinition<SparseParityParams>` for a literal name;
 *  - `TASKS` / `AnyTask` are the union of all task definitions (narrow on `.name`);
 *  - `bindTask(name, rawParams)` validates raw parameters with the task's schema and returns a
 *    `BoundTask` whose methods need no parameter type at all (UI, CLI, workers).
 */
import type { Rng } from '../random/rng';
import { type ChainOfThoughtParams, chainOfThought } from './chain-of-thought';
import { type DecisionTreeParams, decisionTree } from './decision-tree';
import { type LinearRegressionParams, linearRegression } from './linear-regression';
import { type ManyOutlierRegressionParams, manyOutlierRegression } from './many-outlier-regression';
import {
  type OrthogonalOutlierRegressionParams,
  orthogonalOutlierRegression,
} from './orthogonal-outlier-regression';
import { type ReluNnRegressionParams, reluNnRegression } from './relu-nn-regression';
import { type SparseLinearRegressionParams, sparseLinearRegression } from './sparse-linear-regression';
import { type SparseParityParams, sparseParity } from './sparse-parity';
import { type TokenMqarParams, tokenMqar } from './token-mqar';
import type {
  BaselineName,
  CurriculumSpec,
  CurriculumState,
  HeadSpec,
  PromptBatch,
  PromptSketch,
  ReadIn,
  TaskDefinition,
  TaskName,
} from './types';
import { type VectorMqarParams, vectorMqar } from './vector-mqar';

/** The parameter type of each task. */
export interface TaskParamsMap {
  'linear-regression': LinearRegressionParams;
  'sparse-linear-regression': SparseLinearRegressionParams;
  'relu-nn-regression': ReluNnRegressionParams;
  'decision-tree': DecisionTreeParams;
  'orthogonal-outlier-regression': OrthogonalOutlierRegressionParams;
  'many-outlier-regression': ManyOutlierRegressionParams;
  'sparse-parity': SparseParityParams;
  'chain-of-thought': ChainOfThoughtParams;
  'vector-mqar': VectorMqarParams;
  'token-mqar': TokenMqarParams;
}

/** The definition of task N with its own parameter type (for a union N, see GenericTask). */
export type TaskOf<N extends TaskName> = TaskDefinition<TaskParamsMap[N], N>;

/** Any task definition: a union discriminated by `name` (narrow with `task.name === '...'`). */
export type AnyTask = { [N in TaskName]: TaskOf<N> }[TaskName];

/** Parameters of any task (a union). */
export type AnyTaskParams = TaskParamsMap[TaskName];

/**
 * Any task as one TaskDefinition type, for generic code: `<P>(task: TaskDefinition<P>) => ...`
 * accepts it (P = AnyTaskParams), which a union (AnyTask) cannot be passed to. Only give a task
 * its own `defaults` or parameters its own `paramsSchema` produced.
 */
export type GenericTask = TaskDefinition<AnyTaskParams>;

export const TASK_REGISTRY: { readonly [N in TaskName]: TaskOf<N> } = {
  'linear-regression': linearRegression,
  'sparse-linear-regression': sparseLinearRegression,
  'relu-nn-regression': reluNnRegression,
  'decision-tree': decisionTree,
  'orthogonal-outlier-regression': orthogonalOutlierRegression,
  'many-outlier-regression': manyOutlierRegression,
  'sparse-parity': sparseParity,
  'vector-mqar': vectorMqar,
  'chain-of-thought': chainOfThought,
  'token-mqar': tokenMqar,
};

/** Task names in the paper's order (its table), token MQAR last. */
export const TASK_NAMES: readonly TaskName[] = [
  'linear-regression',
  'sparse-linear-regression',
  'relu-nn-regression',
  'decision-tree',
  'orthogonal-outlier-regression',
  'many-outlier-regression',
  'sparse-parity',
  'vector-mqar',
  'chain-of-thought',
  'token-mqar',
];

/** All tasks in the paper's order, token MQAR last (as GenericTask, so generic helpers accept them). */
export const TASKS: readonly GenericTask[] = TASK_NAMES.map((name): GenericTask => TASK_REGISTRY[name]);

/** The same list as the discriminated union, for code that narrows on `name`. */
export const ALL_TASKS: readonly AnyTask[] = TASK_NAMES.map((name) => TASK_REGISTRY[name]);

export function isTaskName(s: string): s is TaskName {
  return Object.hasOwn(TASK_REGISTRY, s);
}

export function getTask<N extends TaskName>(name: N): TaskOf<N> {
  const task = TASK_REGISTRY[name];
  if (!task) throw new Error(`unknown task ${String(name)}`);
  return task;
}

/** A task with its parameters fixed: nothing left to type. */
export interface BoundTask {
  name: TaskName;
  title: string;
  summary: string;
  /** the validated parameters (defaults filled in) */
  params: AnyTaskParams;
  baselines: readonly BaselineName[];
  curriculum(): CurriculumSpec;
  readIn(): ReadIn;
  heads(): HeadSpec[];
  chanceLevel(): number;
  sample(rng: Rng, batchSize: number, state: CurriculumState): PromptBatch;
  sketch(batch: PromptBatch, index: number): PromptSketch;
}

/** Fix a task's (already validated) parameters. */
export function bind<P extends AnyTaskParams>(task: TaskDefinition<P>, params: P): BoundTask {
  return {
    name: task.name,
    title: task.title,
    summary: task.summary,
    params,
    baselines: task.baselines,
    curriculum: () => task.curriculum(params),
    readIn: () => task.readIn(params),
    heads: () => task.heads(params),
    chanceLevel: () => task.chanceLevel(params),
    sample: (rng, batchSize, state) => task.sample(rng, params, batchSize, state),
    sketch: (batch, index) => task.sketch(batch, index, params),
  };
}

function binder<P extends AnyTaskParams>(task: TaskDefinition<P>): (raw: unknown) => BoundTask {
  return (raw) => bind(task, task.paramsSchema.parse(raw ?? {}));
}

const BINDERS: { readonly [N in TaskName]: (raw: unknown) => BoundTask } = {
  'linear-regression': binder(linearRegression),
  'sparse-linear-regression': binder(sparseLinearRegression),
  'relu-nn-regression': binder(reluNnRegression),
  'decision-tree': binder(decisionTree),
  'orthogonal-outlier-regression': binder(orthogonalOutlierRegression),
  'many-outlier-regression': binder(manyOutlierRegression),
  'sparse-parity': binder(sparseParity),
  'vector-mqar': binder(vectorMqar),
  'chain-of-thought': binder(chainOfThought),
  'token-mqar': binder(tokenMqar),
};

/**
 * Validate `rawParams` (a partial parameter object; missing fields take the paper's defaults) with
 * the task's schema and bind them. Throws the schema's ZodError on invalid parameters.
 */
export function bindTask(name: TaskName, rawParams?: unknown): BoundTask {
  return BINDERS[name](rawParams);
}
