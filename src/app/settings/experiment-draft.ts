/**
 * The draft: what the settings panel has changed on top of a preset, and the Experiment it makes.
 * Pure (no store, no DOM). Every value left out keeps the preset's; `buildExperiment` lays the
 * changes over the preset's input and validates through the presets and parseExperiment, so every
 * bound of src/schema applies; `draftOf` goes the other way for a stored or shared experiment;
 * `applySetting` / `resetGroup` are the edits the panel makes, one setting id at a time.
 */
import {
  ARCHITECTURES,
  type Architecture,
  ATTENTION_ARCHITECTURES,
  CONV_ARCHITECTURES,
  type ModelSpecInput,
  POSITION_EMBEDDING_ARCHITECTURES,
  SSM_ARCHITECTURES,
} from '../../schema/architecture';
import type { Experiment, ExperimentInput } from '../../schema/experiment';
import type { CurriculumSpec, Schedule, TaskName } from '../../tasks/types';
import { DEFAULT_ARCHITECTURES, type PresetName, presetExperiment, presetInput } from '../../train/presets';

export const MODEL_NUMBER_KEYS = ['dModel', 'nLayer', 'nHead', 'dState', 'dConv', 'expand'] as const;
export type ModelNumberKey = (typeof MODEL_NUMBER_KEYS)[number];
export const MODEL_KEYS = [...MODEL_NUMBER_KEYS, 'positionEmbedding'] as const;
export type ModelKey = (typeof MODEL_KEYS)[number];

/** The architectures a model setting means something for (the others ignore an all-models value). */
export const MODEL_KEY_ARCHITECTURES: Record<ModelKey, readonly Architecture[]> = {
  dModel: ARCHITECTURES,
  nLayer: ARCHITECTURES,
  nHead: ATTENTION_ARCHITECTURES,
  dState: SSM_ARCHITECTURES,
  dConv: CONV_ARCHITECTURES,
  expand: CONV_ARCHITECTURES,
  positionEmbedding: POSITION_EMBEDDING_ARCHITECTURES,
};

export const appliesTo = (key: ModelKey, arch: Architecture): boolean =>
  MODEL_KEY_ARCHITECTURES[key].includes(arch);

export type ModelOverrides = { [K in ModelNumberKey]?: number } & { positionEmbedding?: boolean };

/** Settings of every model, batch, steps and evaluation that override the preset (absent: the preset's). */
export interface SizeOverrides {
  dModel?: number;
  nLayer?: number;
  nHead?: number;
  dState?: number;
  dConv?: number;
  expand?: number;
  batchSize?: number;
  steps?: number;
  evalPrompts?: number;
  evalEvery?: number;
  evalBootstrap?: number;
}

export type SizeKey = keyof SizeOverrides;

export interface OptimizerOverrides {
  beta1?: number;
  beta2?: number;
  eps?: number;
  warmupSteps?: number;
}

/** The gradient clip: `on` false is no clipping; a `maxNorm` without `on` turns it on. */
export interface ClipOverride {
  on?: boolean;
  maxNorm?: number;
}

export type ScheduleKey = keyof Schedule;
export type CurriculumPart = keyof CurriculumSpec;
export type CurriculumOverrides = { [P in CurriculumPart]?: Partial<Schedule> };

export interface ExperimentDraft {
  task: TaskName;
  preset: PresetName;
  /** in ARCHITECTURES order */
  archs: Architecture[];
  /** null: the preset's */
  lr: number | null;
  seed: number;
  /** every model's sizes (each where it applies), batch, steps, evaluation */
  sizes: SizeOverrides;
  /** task parameters that override the preset's (d, nPoints, k, pairs, switches, ...) */
  params: Record<string, number | boolean>;
  /** every model's position-embedding switch (the models that have one); undefined: the preset's */
  positionEmbedding?: boolean;
  /** one model's settings, over `sizes` */
  models: Partial<Record<Architecture, ModelOverrides>>;
  optimizer: OptimizerOverrides;
  clip: ClipOverride;
  curriculum: CurriculumOverrides;
}

/** The one default seed of the page, the presets, the recordings and the docs. */
export const DEFAULT_EXPERIMENT_SEED = 0;
/** The clip turned on where the preset has none (the paper's value for most tasks). */
export const DEFAULT_CLIP_NORM = 10;

export function defaultDraft(task: TaskName = 'linear-regression'): ExperimentDraft {
  return {
    task,
    preset: 'classroom',
    archs: [...DEFAULT_ARCHITECTURES],
    lr: null,
    seed: DEFAULT_EXPERIMENT_SEED,
    sizes: {},
    params: {},
    models: {},
    optimizer: {},
    clip: {},
    curriculum: {},
  };
}

/** The draft with every change dropped (the preset itself; task, models, preset and seed kept). */
export function clearOverrides(draft: ExperimentDraft): ExperimentDraft {
  return { ...defaultDraft(draft.task), preset: draft.preset, archs: draft.archs, seed: draft.seed };
}

/** One problem of a draft: where (the experiment path, '' for the whole) and what. */
export interface DraftIssue {
  path: string;
  message: string;
}

export interface BuiltExperiment {
  /** the validated experiment (null when the draft has errors) */
  experiment: Experiment | null;
  errors: string[];
  issues: DraftIssue[];
}

const ISSUE_LINE = /^([A-Za-z0-9_.]+): (.*)$/;

function failure(error: unknown): BuiltExperiment {
  const text = error instanceof Error ? error.message : String(error);
  const errors = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('preset '));
  const issues = errors.map((line) => {
    const m = ISSUE_LINE.exec(line);
    return m ? { path: m[1], message: m[2] } : { path: '', message: line };
  });
  return { experiment: null, errors, issues };
}

/** The settings of one model: the all-models values where they apply, then its own. */
export function modelOverridesFor(draft: ExperimentDraft, arch: Architecture): ModelOverrides {
  const out: ModelOverrides = {};
  for (const key of MODEL_NUMBER_KEYS) {
    const v = draft.sizes[key];
    if (v !== undefined && appliesTo(key, arch)) out[key] = v;
  }
  if (draft.positionEmbedding !== undefined && appliesTo('positionEmbedding', arch))
    out.positionEmbedding = draft.positionEmbedding;
  return { ...out, ...definedOnly(draft.models[arch] ?? {}) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The effective clip from the draft's switch and norm over the preset's clip. */
export function resolveClip(clip: ClipOverride, preset: number | null): number | null {
  if (clip.on === false) return null;
  if (clip.on === true || clip.maxNorm !== undefined) return clip.maxNorm ?? preset ?? DEFAULT_CLIP_NORM;
  return preset;
}

/** The base curriculum with the draft's changes laid over it (the same object when there are none). */
export function overlayCurriculum(base: CurriculumSpec, changes: CurriculumOverrides): CurriculumSpec {
  const dims = definedOnly(changes.dims ?? {});
  const points = definedOnly(changes.points ?? {});
  if (Object.keys(dims).length === 0 && Object.keys(points).length === 0) return base;
  return { dims: { ...base.dims, ...dims }, points: { ...base.points, ...points } };
}

/** The experiment a draft describes, or why it cannot be built (each problem with its path). */
export function buildExperiment(draft: ExperimentDraft): BuiltExperiment {
  if (draft.archs.length === 0) {
    const message = 'Choose at least one architecture.';
    return { experiment: null, errors: [message], issues: [{ path: 'models', message }] };
  }
  const s = draft.sizes;
  const input = presetInput(draft.preset, draft.task, draft.archs, draft.seed);
  const models: ModelSpecInput[] = (input.models ?? []).map((m) => ({
    ...m,
    ...modelOverridesFor(draft, m.arch),
  }));
  const evaluation: Record<string, number> = definedOnly({
    prompts: s.evalPrompts,
    everySteps: s.evalEvery,
    bootstrap: s.evalBootstrap,
  }) as Record<string, number>;
  const optimizer = definedOnly({ ...draft.optimizer, lr: draft.lr ?? undefined });
  const params = { ...(input.task?.params ?? {}), ...draft.params };
  const overrides: Partial<ExperimentInput> = {
    models,
    ...(Object.keys(draft.params).length > 0 && { task: { name: draft.task, params } }),
    ...(s.batchSize !== undefined && { batchSize: s.batchSize }),
    ...(s.steps !== undefined && { steps: s.steps }),
    ...(Object.keys(optimizer).length > 0 && { optimizer }),
    ...(Object.keys(evaluation).length > 0 && { evaluation }),
  };
  try {
    let experiment = presetExperiment(draft.preset, draft.task, draft.archs, draft.seed, overrides);
    const clip = resolveClip(draft.clip, experiment.clip ?? null);
    const curriculum = overlayCurriculum(experiment.curriculum, draft.curriculum);
    if (clip !== (experiment.clip ?? null) || curriculum !== experiment.curriculum) {
      experiment = presetExperiment(draft.preset, draft.task, draft.archs, draft.seed, {
        ...overrides,
        clip,
        curriculum,
      });
    }
    return { experiment, errors: [], issues: [] };
  } catch (error) {
    return failure(error);
  }
}

/** The curriculum the draft gets without its own curriculum changes (the placeholders of those fields). */
export function baseCurriculum(draft: ExperimentDraft): CurriculumSpec | null {
  return buildExperiment({ ...draft, curriculum: {} }).experiment?.curriculum ?? null;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A draft that builds the stored experiment again (on the classroom preset): every model setting,
 * the optimiser, batch, steps and evaluation as changes; the clip and the curriculum only where
 * they differ from what the task derives, so they keep following the task's parameters.
 */
export function draftOf(e: Experiment): ExperimentDraft {
  const archs = ARCHITECTURES.filter((a) => e.models.some((m) => m.arch === a));
  const specOf = (a: Architecture) => e.models.find((m) => m.arch === a)!;
  const sizes: SizeOverrides = {
    batchSize: e.batchSize,
    steps: e.steps,
    evalPrompts: e.evaluation.prompts,
    evalEvery: e.evaluation.everySteps,
    evalBootstrap: e.evaluation.bootstrap,
  };
  const models: Partial<Record<Architecture, ModelOverrides>> = {};
  const own = (a: Architecture): ModelOverrides => {
    models[a] ??= {};
    return models[a];
  };
  let positionEmbedding: boolean | undefined;
  for (const key of MODEL_KEYS) {
    const users = archs.filter((a) => appliesTo(key, a));
    const values = users.map((a) => specOf(a)[key]);
    const shared = values.length > 0 && values.every((v) => v === values[0]);
    for (const a of archs) {
      const value = specOf(a)[key];
      const used = users.includes(a);
      if (used && shared) continue;
      // position embedding off is every other architecture's default: nothing to keep
      if (!used && key === 'positionEmbedding' && value === false) continue;
      (own(a) as Record<ModelKey, number | boolean>)[key] = value;
    }
    if (shared) {
      if (key === 'positionEmbedding') positionEmbedding = values[0] as boolean;
      else sizes[key] = values[0] as number;
    }
  }
  const draft: ExperimentDraft = {
    task: e.task.name,
    preset: 'classroom',
    archs,
    lr: e.optimizer.lr ?? null,
    seed: e.seed,
    sizes,
    params: Object.fromEntries(
      Object.entries(e.task.params).filter(
        (kv): kv is [string, number | boolean] => typeof kv[1] === 'number' || typeof kv[1] === 'boolean',
      ),
    ),
    ...(positionEmbedding !== undefined && { positionEmbedding }),
    models,
    optimizer: {
      beta1: e.optimizer.beta1,
      beta2: e.optimizer.beta2,
      eps: e.optimizer.eps,
      warmupSteps: e.optimizer.warmupSteps,
    },
    clip: {},
    curriculum: {},
  };
  const base = buildExperiment(draft).experiment;
  const clip = e.clip ?? null;
  if (!base || (base.clip ?? null) !== clip)
    draft.clip = clip === null ? { on: false } : { on: true, maxNorm: clip };
  if (!base || !sameJson(base.curriculum, e.curriculum)) {
    for (const part of ['dims', 'points'] as const) {
      const changed = definedOnly(
        Object.fromEntries(
          (Object.keys(e.curriculum[part]) as ScheduleKey[]).map((k) => [
            k,
            base && base.curriculum[part][k] === e.curriculum[part][k] ? undefined : e.curriculum[part][k],
          ]),
        ),
      ) as Partial<Schedule>;
      if (Object.keys(changed).length) draft.curriculum[part] = changed;
    }
  }
  return draft;
}

/** The groups of the settings panel. */
export const SETTINGS_GROUPS = [
  'task',
  'models',
  'optimizer',
  'curriculum',
  'schedule',
  'evaluation',
] as const;
export type SettingsGroup = (typeof SETTINGS_GROUPS)[number];

export type ModelScope = Architecture | 'all';
export type OptimizerKey = 'lr' | 'beta1' | 'beta2' | 'eps' | 'warmupSteps';
export type EvaluationKey = 'prompts' | 'everySteps' | 'bootstrap';

/** One setting of the panel, named by where it lives in the experiment (models by architecture). */
export type SettingId =
  | `task.params.${string}`
  | `models.${ModelScope}.${ModelKey}`
  | `optimizer.${OptimizerKey}`
  | 'clip.on'
  | 'clip.maxNorm'
  | `curriculum.${CurriculumPart}.${ScheduleKey}`
  | 'batchSize'
  | 'steps'
  | 'seed'
  | `evaluation.${EvaluationKey}`;

export type SettingValue = number | boolean | undefined;

const EVALUATION_SIZE: Record<EvaluationKey, SizeKey> = {
  prompts: 'evalPrompts',
  everySteps: 'evalEvery',
  bootstrap: 'evalBootstrap',
};

export function groupOf(id: SettingId): SettingsGroup {
  const head = id.split('.')[0];
  if (head === 'task') return 'task';
  if (head === 'models') return 'models';
  if (head === 'optimizer' || head === 'clip') return 'optimizer';
  if (head === 'curriculum') return 'curriculum';
  if (head === 'evaluation') return 'evaluation';
  return 'schedule';
}

function withKey<T extends object>(o: T, key: keyof T, value: T[keyof T] | undefined): T {
  const out = { ...o };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

const isNumber = (v: SettingValue): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The draft with one setting changed (undefined: back to the preset's). A value of the wrong kind
 * (a switch given a number, NaN) leaves the draft as it is. An all-models value replaces every
 * model's own value of that setting.
 */
export function applySetting(draft: ExperimentDraft, id: SettingId, value: SettingValue): ExperimentDraft {
  const parts = id.split('.');
  const num = isNumber(value) ? value : undefined;
  if (value !== undefined && typeof value !== 'boolean' && num === undefined) return draft;
  const wantNumber = !(id === 'clip.on' || (parts[0] === 'models' && parts[2] === 'positionEmbedding'));
  if (parts[0] === 'task')
    return { ...draft, params: withKey(draft.params, parts.slice(2).join('.'), value) };
  if (value !== undefined && wantNumber !== (typeof value === 'number')) return draft;
  switch (parts[0]) {
    case 'models': {
      const scope = parts[1] as ModelScope;
      const key = parts[2] as ModelKey;
      if (scope === 'all') {
        const models: ExperimentDraft['models'] = {};
        for (const [a, o] of Object.entries(draft.models) as [Architecture, ModelOverrides][]) {
          const rest = withKey(o, key, undefined);
          if (Object.keys(rest).length) models[a] = rest;
        }
        if (key === 'positionEmbedding') return { ...draft, models, positionEmbedding: value as boolean };
        return { ...draft, models, sizes: withKey(draft.sizes, key, num) };
      }
      const mine = withKey(draft.models[scope] ?? {}, key, value as never);
      const models = { ...draft.models, [scope]: mine };
      if (Object.keys(mine).length === 0) delete models[scope];
      return { ...draft, models };
    }
    case 'optimizer':
      if (parts[1] === 'lr') return { ...draft, lr: num ?? null };
      return { ...draft, optimizer: withKey(draft.optimizer, parts[1] as keyof OptimizerOverrides, num) };
    case 'clip':
      return parts[1] === 'on'
        ? { ...draft, clip: withKey(draft.clip, 'on', value as boolean | undefined) }
        : { ...draft, clip: withKey(draft.clip, 'maxNorm', num) };
    case 'curriculum': {
      const part = parts[1] as CurriculumPart;
      const schedule = withKey(draft.curriculum[part] ?? {}, parts[2] as ScheduleKey, num);
      return { ...draft, curriculum: { ...draft.curriculum, [part]: schedule } };
    }
    case 'evaluation':
      return { ...draft, sizes: withKey(draft.sizes, EVALUATION_SIZE[parts[1] as EvaluationKey], num) };
    case 'seed':
      return { ...draft, seed: num === undefined ? DEFAULT_EXPERIMENT_SEED : Math.floor(num) };
    case 'batchSize':
    case 'steps':
      return { ...draft, sizes: withKey(draft.sizes, parts[0], num) };
    default:
      return draft;
  }
}

/** The draft with one group's changes dropped (the preset's values again). */
export function resetGroup(draft: ExperimentDraft, group: SettingsGroup): ExperimentDraft {
  const dropSizes = (keys: readonly SizeKey[]) => {
    const sizes = { ...draft.sizes };
    for (const k of keys) delete sizes[k];
    return sizes;
  };
  switch (group) {
    case 'task':
      return { ...draft, params: {} };
    case 'models':
      return { ...draft, sizes: dropSizes(MODEL_NUMBER_KEYS), positionEmbedding: undefined, models: {} };
    case 'optimizer':
      return { ...draft, lr: null, optimizer: {}, clip: {} };
    case 'curriculum':
      return { ...draft, curriculum: {} };
    case 'schedule':
      return { ...draft, sizes: dropSizes(['batchSize', 'steps']), seed: DEFAULT_EXPERIMENT_SEED };
    case 'evaluation':
      return { ...draft, sizes: dropSizes(['evalPrompts', 'evalEvery', 'evalBootstrap']) };
  }
}

/**
 * Which setting an issue of the experiment is about (models by architecture, in the draft's
 * order), or null for a problem of the whole.
 */
export function settingOfIssue(path: string, archs: readonly Architecture[]): SettingId | null {
  const p = path.split('.');
  if (p[0] === 'task' && p[1] === 'params' && p.length >= 3) return `task.params.${p.slice(2).join('.')}`;
  if (p[0] === 'models' && p.length === 3) {
    const arch = archs[Number(p[1])];
    const key = p[2] as ModelKey;
    return arch && (MODEL_KEYS as readonly string[]).includes(key) ? `models.${arch}.${key}` : null;
  }
  if (p[0] === 'optimizer' && ['lr', 'beta1', 'beta2', 'eps', 'warmupSteps'].includes(p[1]))
    return `optimizer.${p[1] as OptimizerKey}`;
  if (p[0] === 'clip' && p.length === 1) return 'clip.maxNorm';
  if (p[0] === 'curriculum' && p.length === 3 && (p[1] === 'dims' || p[1] === 'points')) {
    return ['start', 'end', 'inc', 'interval'].includes(p[2])
      ? `curriculum.${p[1]}.${p[2] as ScheduleKey}`
      : null;
  }
  if (p[0] === 'evaluation' && ['prompts', 'everySteps', 'bootstrap'].includes(p[1]))
    return `evaluation.${p[1] as EvaluationKey}`;
  if (p.length === 1 && (p[0] === 'batchSize' || p[0] === 'steps' || p[0] === 'seed')) return p[0];
  return null;
}

/** The draft's own value of a setting (undefined: it keeps the preset's; the seed always has one). */
export function draftValue(draft: ExperimentDraft, id: SettingId): SettingValue {
  const parts = id.split('.');
  switch (parts[0]) {
    case 'task':
      return draft.params[parts.slice(2).join('.')];
    case 'models': {
      const key = parts[2] as ModelKey;
      if (parts[1] !== 'all') return draft.models[parts[1] as Architecture]?.[key];
      return key === 'positionEmbedding' ? draft.positionEmbedding : draft.sizes[key];
    }
    case 'optimizer':
      return parts[1] === 'lr'
        ? (draft.lr ?? undefined)
        : draft.optimizer[parts[1] as keyof OptimizerOverrides];
    case 'clip':
      return parts[1] === 'on' ? draft.clip.on : draft.clip.maxNorm;
    case 'curriculum':
      return draft.curriculum[parts[1] as CurriculumPart]?.[parts[2] as ScheduleKey];
    case 'evaluation':
      return draft.sizes[EVALUATION_SIZE[parts[1] as EvaluationKey]];
    case 'seed':
      return draft.seed;
    case 'batchSize':
    case 'steps':
      return draft.sizes[parts[0]];
    default:
      return undefined;
  }
}

/** The values a setting has in an experiment (several for the all-models scope, none where it does not apply). */
export function experimentValues(e: Experiment, id: SettingId): Array<number | boolean> {
  const parts = id.split('.');
  const present = (v: unknown): Array<number | boolean> =>
    typeof v === 'number' || typeof v === 'boolean' ? [v] : [];
  switch (parts[0]) {
    case 'task':
      return present(e.task.params[parts.slice(2).join('.')]);
    case 'models': {
      const key = parts[2] as ModelKey;
      const scope = parts[1] as ModelScope;
      return e.models
        .filter((m) => (scope === 'all' ? appliesTo(key, m.arch) : m.arch === scope))
        .map((m) => m[key]);
    }
    case 'optimizer':
      return present(e.optimizer[parts[1] as OptimizerKey]);
    case 'clip':
      return parts[1] === 'on' ? [e.clip != null] : present(e.clip);
    case 'curriculum':
      return present(e.curriculum[parts[1] as CurriculumPart][parts[2] as ScheduleKey]);
    case 'evaluation':
      return present(e.evaluation[parts[1] as EvaluationKey]);
    case 'seed':
    case 'batchSize':
    case 'steps':
      return present(e[parts[0]]);
    default:
      return [];
  }
}
