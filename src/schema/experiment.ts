/**
 * The experiment: everything needed to reproduce a run (task + parameters, models, optimiser, clip,
 * batch, curriculum, steps, seed, evaluation). Defaults, bounds and clamping live here, once; the UI,
 * the share-link codec, the workers and the CLI all go through `parseExperiment` / `coerceExperiment`.
 *
 * Versioned: `version` names the layout; `migrations` lifts any older layout to the current one before
 * validation, so an experiment saved or shared by an older build still opens.
 */
import { z } from 'zod';
import { DEFAULT_TASK, getTask, isTaskName, TASKS } from '../tasks';
import type { CurriculumSpec, TaskName } from '../tasks/types';
import { modelSchema } from './architecture';
import { LIMITS } from './limits';

export const EXPERIMENT_VERSION = 1;

const TASK_NAMES = TASKS.map((t) => t.name) as [TaskName, ...TaskName[]];

const S = LIMITS.schedule;
const E = LIMITS.evaluation;

const scheduleSchema = z
  .object({
    start: z.number().int().min(S.value.min).max(S.value.max).describe('value at step 0'),
    end: z.number().int().min(S.value.min).max(S.value.max).describe('largest value (the task’s full size)'),
    inc: z.number().int().min(S.inc.min).max(S.inc.max).describe('growth per interval'),
    interval: z.number().int().min(S.interval.min).max(S.interval.max).describe('steps between increments'),
  })
  .strict()
  .refine((s) => s.start <= s.end, { message: 'a schedule must start at or below its end', path: ['start'] });

const curriculumSchema = z
  .object({
    dims: scheduleSchema.describe('live dimensions of x'),
    points: scheduleSchema.describe('examples per prompt'),
  })
  .strict();

const taskSchema = z
  .object({
    name: z.enum(TASK_NAMES).describe('task'),
    params: z.record(z.string(), z.unknown()).default({}).describe('task parameters'),
  })
  .strict()
  .transform((t, ctx) => {
    const parsed = getTask(t.name).paramsSchema.safeParse(t.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ ...issue, path: ['params', ...issue.path] } as z.core.$ZodRawIssue);
      }
      return z.NEVER;
    }
    return { name: t.name, params: parsed.data as Record<string, unknown> };
  });

const optimizerSchema = z
  .object({
    lr: z
      .number()
      .min(1e-7)
      .max(1)
      .optional()
      .describe('learning rate (default: the paper’s for the task)')
      .meta({
        label: 'Adam learning rate',
        about:
          'The step size of Adam, constant through training. The same value as the live learning rate beside Train: changing it does not restart the models.',
      }),
    beta1: z.number().min(0).max(0.9999).default(0.9).describe('Adam decay of the gradient mean').meta({
      label: 'Adam beta1',
      about: 'How much of the running mean of the gradient Adam keeps at each step (its momentum).',
    }),
    beta2: z
      .number()
      .min(0)
      .max(0.999999)
      .default(0.999)
      .describe('Adam decay of the squared gradient')
      .meta({
        label: 'Adam beta2',
        about: 'How slowly Adam’s running mean of the squared gradient forgets; it scales each step.',
      }),
    eps: z.number().min(1e-12).max(1e-3).default(1e-8).describe('Adam denominator floor').meta({
      label: 'Adam epsilon',
      about: 'Added to the denominator of Adam’s step so that it never divides by zero.',
    }),
    warmupSteps: z
      .number()
      .int()
      .min(LIMITS.warmupSteps.min)
      .max(LIMITS.warmupSteps.max)
      .default(0)
      .describe('steps of linear learning-rate warm-up from lr / warm-up to lr (0: constant lr, the paper’s)')
      .meta({
        label: 'Warm-up steps',
        about:
          'The learning rate grows linearly to its full value over this many first steps (0: full rate from the start, as in the paper); it can keep a large rate from diverging early.',
      }),
  })
  .strict();

const evaluationSchema = z
  .object({
    prompts: z
      .number()
      .int()
      .min(E.prompts.min)
      .max(E.prompts.max)
      .default(1280)
      .describe('evaluation prompts')
      .meta({
        label: 'Evaluation prompts',
        about: 'Fresh prompts at the task’s full size on which the in-context error curve is measured.',
      }),
    everySteps: z
      .number()
      .int()
      .min(E.everySteps.min)
      .max(E.everySteps.max)
      .default(500)
      .describe('evaluate every this many steps')
      .meta({
        label: 'Evaluate every (steps)',
        about: 'How often, in training steps, the in-context error curve is measured.',
      }),
    bootstrap: z
      .number()
      .int()
      .min(E.bootstrap.min)
      .max(E.bootstrap.max)
      .default(1000)
      .describe('bootstrap resamples for the 5-95 % band')
      .meta({
        label: 'Bootstrap resamples',
        about: 'Resamples for the 5–95 % band around each curve’s mean (0: no band).',
      }),
  })
  .strict();

const experimentObject = z
  .object({
    version: z.literal(EXPERIMENT_VERSION),
    task: taskSchema,
    models: z
      .array(modelSchema)
      .min(LIMITS.model.count.min)
      .max(LIMITS.model.count.max)
      .prefault([{ arch: 'transformer' }, { arch: 'mamba' }, { arch: 'mambaformer' }]),
    optimizer: optimizerSchema.prefault({}),
    clip: z.number().min(0).max(1e6).nullable().optional().describe('global-norm gradient clip (null: none)'),
    batchSize: z
      .number()
      .int()
      .min(LIMITS.batchSize.min)
      .max(LIMITS.batchSize.max)
      .default(64)
      .describe('prompts per training step')
      .meta({
        label: 'Batch size',
        about:
          'Prompts per training step. Each is drawn fresh (a new function, new inputs): there is no fixed data set.',
      }),
    curriculum: curriculumSchema.optional().describe('curriculum (default: the paper’s for the task)'),
    steps: z
      .number()
      .int()
      .min(LIMITS.steps.min)
      .max(LIMITS.steps.max)
      .optional()
      .describe('training steps (default: the paper’s)')
      .meta({ label: 'Steps', about: 'Training steps the run makes before it stops by itself.' }),
    seed: z
      .number()
      .int()
      .min(LIMITS.seed.min)
      .max(LIMITS.seed.max)
      .default(0)
      .describe('seed of data, init and evaluation')
      .meta({
        label: 'Seed',
        about:
          'Seeds the data stream, the initial weights and the evaluation prompts: the same seed gives every model, and every computer, the same run.',
      }),
    evaluation: evaluationSchema.prefault({}),
  })
  .strict();

/** Fill the task-dependent defaults (curriculum, learning rate, clip, steps) and check cross-field limits. */
const experimentSchema = experimentObject.transform((e, ctx) => {
  const task = getTask(e.task.name);
  const params = e.task.params;
  const paperCurriculum: CurriculumSpec = task.curriculum(params as never);
  const curriculum = e.curriculum ?? paperCurriculum;
  const paper = task.paper;
  if (curriculum.dims.end > paperCurriculum.dims.end) {
    ctx.addIssue({
      code: 'custom',
      path: ['curriculum', 'dims', 'end'],
      message: `the curriculum cannot grow x past the task's dimension ${paperCurriculum.dims.end}`,
    });
  }
  if (curriculum.points.end > paperCurriculum.points.end) {
    ctx.addIssue({
      code: 'custom',
      path: ['curriculum', 'points', 'end'],
      message: `the curriculum cannot grow past the task's ${paperCurriculum.points.end} examples`,
    });
  }
  return {
    ...e,
    curriculum,
    optimizer: { ...e.optimizer, lr: e.optimizer.lr ?? paper.lr },
    clip: e.clip === undefined ? paper.clip : e.clip,
    steps: e.steps ?? paper.steps,
  };
});

export type Experiment = z.output<typeof experimentSchema>;
export type ExperimentInput = z.input<typeof experimentObject>;

/** Older layouts, each lifted one version up. Add `n: (v_n) => v_{n+1}` when the layout changes. */
const migrations: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {};

function migrate(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  let value = input as Record<string, unknown>;
  let version: unknown = value.version ?? EXPERIMENT_VERSION;
  for (let guard = 0; typeof version === 'number' && version < EXPERIMENT_VERSION && guard < 100; guard++) {
    const lift = migrations[version];
    if (!lift) break;
    value = lift(value);
    version = value.version;
  }
  return { ...value, version: value.version ?? EXPERIMENT_VERSION };
}

/** One readable line per problem, e.g. "task.params.d: must be at most 64 (got 500)". */
export function describeIssues(error: z.ZodError, input?: unknown): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : 'experiment';
    const got = input === undefined ? undefined : valueAt(input, issue.path);
    const gotText = got === undefined || typeof got === 'object' ? '' : ` (got ${JSON.stringify(got)})`;
    return `${where}: ${issue.message}${gotText}`;
  });
}

export type ParseResult = { ok: true; experiment: Experiment } | { ok: false; errors: string[] };

/** Strict: the experiment exactly as given, or every problem with it. */
export function parseExperiment(input: unknown): ParseResult {
  const migrated = migrate(input);
  const version = (migrated as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > EXPERIMENT_VERSION) {
    return {
      ok: false,
      errors: [
        `version: this experiment was made by a newer ICL Lab (layout ${version}; this build reads up to ${EXPERIMENT_VERSION})`,
      ],
    };
  }
  const parsed = experimentSchema.safeParse(migrated);
  if (parsed.success) return { ok: true, experiment: parsed.data };
  return { ok: false, errors: describeIssues(parsed.error, migrated) };
}

/**
 * Lenient: the nearest valid experiment and what was changed to get there. Out-of-range numbers are
 * clamped to the bound, unknown keys dropped, values of the wrong kind reset to their default, and an
 * unknown task replaced by linear regression. Never throws.
 */
export function coerceExperiment(input: unknown): { experiment: Experiment; warnings: string[] } {
  const warnings: string[] = [];
  let value: unknown = migrate(isRecord(input) ? structuredCloneSafe(input) : {});
  if (!isRecord(value)) value = {};
  const record = value as Record<string, unknown>;
  if (typeof record.version === 'number' && record.version > EXPERIMENT_VERSION) {
    warnings.push(
      `version: made by a newer ICL Lab (layout ${record.version}); read as layout ${EXPERIMENT_VERSION}`,
    );
  }
  record.version = EXPERIMENT_VERSION;
  const task = record.task;
  if (!isRecord(task) || typeof task.name !== 'string' || !isTaskName(task.name)) {
    if (task !== undefined)
      warnings.push(
        `task: unknown task ${JSON.stringify(isRecord(task) ? task.name : task)}, using ${getTask(DEFAULT_TASK).title.toLowerCase()}`,
      );
    record.task = {
      name: DEFAULT_TASK,
      params: isRecord(task) && isRecord(task.params) ? task.params : {},
    };
  }
  for (let round = 0; round < 64; round++) {
    const parsed = experimentSchema.safeParse(record);
    if (parsed.success) return { experiment: parsed.data, warnings };
    let changed = false;
    for (const issue of parsed.error.issues) {
      const fix = repair(record, issue);
      if (fix) {
        warnings.push(fix);
        changed = true;
      }
    }
    if (!changed) break;
  }
  warnings.push('experiment: could not be repaired, using the default experiment');
  const fallback = experimentSchema.parse({
    version: EXPERIMENT_VERSION,
    task: { name: DEFAULT_TASK },
  });
  return { experiment: fallback, warnings };
}

/** The default experiment for a task (the paper's settings). */
export function defaultExperiment(task: TaskName = DEFAULT_TASK): Experiment {
  return experimentSchema.parse({ version: EXPERIMENT_VERSION, task: { name: task } });
}

function repair(root: Record<string, unknown>, issue: z.core.$ZodIssue): string | null {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const where = path.length ? path.join('.') : 'experiment';
  if (issue.code === 'unrecognized_keys') {
    const parent = valueAt(root, path);
    if (!isRecord(parent)) return null;
    for (const key of issue.keys) delete parent[key];
    return `${where}: ignored unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  }
  if (path.length === 0) return null;
  const parent = valueAt(root, path.slice(0, -1));
  const key = path[path.length - 1];
  if (!isRecord(parent) && !Array.isArray(parent)) return null;
  const container = parent as Record<string | number, unknown>;
  const old = container[key];
  if (issue.code === 'too_small' && typeof old === 'number' && typeof issue.minimum === 'number') {
    if (Array.isArray(parent)) return null;
    container[key] =
      Number.isInteger(old) || issue.origin === 'int'
        ? Math.ceil(Number(issue.minimum))
        : Number(issue.minimum);
    return `${where}: ${old} is below the minimum, raised to ${container[key]}`;
  }
  if (issue.code === 'too_big' && typeof old === 'number' && typeof issue.maximum === 'number') {
    container[key] = Number(issue.maximum);
    return `${where}: ${old} is above the maximum, lowered to ${container[key]}`;
  }
  if (issue.code === 'too_big' && Array.isArray(old) && typeof issue.maximum === 'number') {
    old.length = Number(issue.maximum);
    return `${where}: kept the first ${issue.maximum}`;
  }
  if (typeof old === 'number' && !Number.isInteger(old) && issue.code === 'invalid_type') {
    container[key] = Math.round(old);
    return `${where}: ${old} rounded to ${container[key]}`;
  }
  // Anything else inside a list entry (an unknown architecture, say): drop the entry.
  const entry = path.findIndex(
    (p, i) => typeof p === 'number' && Array.isArray(valueAt(root, path.slice(0, i))),
  );
  if (entry >= 0) {
    const list = valueAt(root, path.slice(0, entry)) as unknown[];
    list.splice(path[entry] as number, 1);
    return `${path.slice(0, entry).join('.')}: dropped entry ${String(path[entry])} (${issue.message})`;
  }
  if (key === 'curriculum' || path[0] === 'curriculum') {
    delete root.curriculum;
    return `curriculum: ${issue.message}; using the task's curriculum`;
  }
  if (key === 'version') {
    root.version = EXPERIMENT_VERSION;
    return null;
  }
  delete container[key];
  return `${where}: ${issue.message}; using the default`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function structuredCloneSafe<T>(v: T): T {
  try {
    return JSON.parse(JSON.stringify(v)) as T;
  } catch {
    return {} as T;
  }
}

/** The json-schema-like list of settings for the settings panel and the CLI's help. */
export const experimentShape = experimentObject;
