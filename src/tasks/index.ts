/**
 * The task registry: every task of the paper (paper.md section 2, in the paper's order) and token
 * MQAR last. Typed access without `any`:
 *  - `getTask('sparse-parity')` returns `TaskDefinition<SparseParityParams>` for a literal name;
 *  - `TASKS` / `AnyTask` are the union of all task definitions (narrow on `.name`);
 *  - `bindTask(name, rawParams)` validates raw parameters with the task's schema and returns a
 *    `BoundTask` whose methods need no parameter type at all (UI, CLI, workers).
 */
import type { Rng } from '../random/rng';
import { chainOfThought } from './chain-of-thought';
import { decisionTree } from './decision-tree';
import { linearRegression } from './linear-regression';
import { manyOutlierRegression } from './many-outlier-regression';
import { orthogonalOutlierRegression } from './orthogonal-outlier-regression';
import type { ProbeDraft } from './probe-draft';
import { reluNnRegression } from './relu-nn-regression';
import { sparseLinearRegression } from './sparse-linear-regression';
import { sparseParity } from './sparse-parity';
import { tokenMqar } from './token-mqar';
import type {
  BaselineName,
  ClassroomSettings,
  CurriculumSpec,
  CurriculumState,
  HeadSpec,
  PaperTraining,
  PromptBatch,
  PromptSketch,
  ReadIn,
  TaskDefinition,
  TaskName,
} from './types';
import { vectorMqar } from './vector-mqar';

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

/**
 * Every task, in the paper's order (its table), token MQAR last. Adding a task: its file, plus one
 * line here; its name, parameter type and every consumer (presets, settings, probe, gallery,
 * schema, CLI) follow from this object.
 */
export const TASK_REGISTRY = {
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
} as const;

type Registry = typeof TASK_REGISTRY;

/** The parameter type of each task. */
export type TaskParamsMap = {
  [N in TaskName]: Registry[N] extends TaskDefinition<infer P, N> ? P : never;
};

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
  /** the paper's training of the task (learning rate, steps, clip, model size) */
  paper: PaperTraining;
  /** the classroom preset's sizes */
  classroom: ClassroomSettings;
  /** one prompt with its hidden function, as the probe editor's draft */
  probeDraft(rng: Rng, state: CurriculumState): ProbeDraft;
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
    paper: task.paper,
    classroom: task.classroom as ClassroomSettings,
    probeDraft: (rng, state) => task.probeDraft(rng, params, state),
  };
}

/**
 * The lookups over a set of task definitions. The app's come from TASK_REGISTRY (below); a test
 * can build them over the registry plus a task of its own, and every consumer follows.
 */
export function registryLookups(registry: Readonly<Record<string, GenericTask>>) {
  const names = Object.keys(registry);
  const get = (name: string): GenericTask => {
    if (!Object.hasOwn(registry, name)) throw new Error(`unknown task ${name}`);
    return registry[name];
  };
  return {
    names,
    tasks: names.map(get),
    isTaskName: (s: string) => Object.hasOwn(registry, s),
    get,
    bind: (name: string, raw?: unknown): BoundTask => {
      const task = get(name);
      return bind(task, task.paramsSchema.parse(raw ?? {}));
    },
  };
}

const LOOKUPS = registryLookups(TASK_REGISTRY);

/** Task names in the paper's order (its table), token MQAR last. */
export const TASK_NAMES = LOOKUPS.names as readonly TaskName[];

/** The task every new experiment starts with. */
export const DEFAULT_TASK: TaskName = TASK_NAMES[0];

/** All tasks in the paper's order, token MQAR last (as GenericTask, so generic helpers accept them). */
export const TASKS: readonly GenericTask[] = LOOKUPS.tasks;

/** The same list as the discriminated union, for code that narrows on `name`. */
export const ALL_TASKS = LOOKUPS.tasks as readonly AnyTask[];

export function isTaskName(s: string): s is TaskName {
  return LOOKUPS.isTaskName(s);
}

export function getTask<N extends TaskName>(name: N): TaskOf<N> {
  // the registry's entry of N is TaskOf<N>; the compiler cannot see it through the generic index
  return LOOKUPS.get(name) as unknown as TaskOf<N>;
}

/**
 * Validate `rawParams` (a partial parameter object; missing fields take the paper's defaults) with
 * the task's schema and bind them. Throws the schema's ZodError on invalid parameters.
 */
export function bindTask(name: TaskName, rawParams?: unknown): BoundTask {
  return LOOKUPS.bind(name, rawParams);
}
