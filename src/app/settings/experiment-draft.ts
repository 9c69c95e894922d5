/**
 * The draft: what the settings panel has changed on top of a preset, and the Experiment it makes.
 * Pure (no store, no DOM). Every value left out keeps the preset's; `buildExperiment` lays the
 * changes over the preset's input and validates through the presets and parseExperiment, so every
 * bound of src/schema applies; `draftOf` goes the other way for a stored or shared experiment;
 * `applySetting` / `resetGroup` are the edits the panel makes, one setting id at a time.
 */
import { ARCHITECTURES, type Architecture, type ModelSpecInput } from '../../schema/architecture';
import type { Experiment, ExperimentInput } from '../../schema/experiment';
import type { CurriculumSpec, Schedule, TaskName } from '../../tasks/types';
import { DEFAULT_ARCHITECTURES, type PresetName, presetExperiment, presetInput } from '../../train/presets';
import {
  addressOf,
  appliesTo,
  type CurriculumPart,
  type DeepPartial,
  type EvaluationInput,
  idOf,
  isModelNumberKey,
  isModelSwitchKey,
  MODEL_KEYS,
  MODEL_NUMBER_KEYS,
  type ModelFieldsInput,
  type ModelKey,
  type ModelNumberKey,
  type OptimizerInput,
  SCALAR_KEYS,
  SCHEDULE_KEYS,
  type ScalarKey,
  type SettingAddress,
  type SettingId,
} from './setting-path';

export type {
  CurriculumPart,
  DeepPartial,
  EvaluationKey,
  ModelKey,
  ModelNumberKey,
  ModelScope,
  OptimizerKey,
  ScalarKey,
  ScheduleKey,
  SettingId,
} from './setting-path';
export {
  appliesTo,
  EVALUATION_KEYS,
  experimentValues,
  MODEL_KEY_ARCHITECTURES,
  MODEL_KEYS,
  MODEL_NUMBER_KEYS,
  OPTIMIZER_KEYS,
  SCALAR_KEYS,
  SCHEDULE_KEYS,
} from './setting-path';

/** One model's own settings (the schema's model fields, each optional). */
export type ModelOverrides = DeepPartial<ModelFieldsInput>;

/** Settings of every model and the top-level numbers (batch, steps) that override the preset (absent: the preset's). */
export type SizeOverrides = { [K in ModelNumberKey]?: number } & {
  [K in Exclude<ScalarKey, 'seed'>]?: number;
};
export type SizeKey = keyof SizeOverrides;

/** The optimiser's fields that override the preset's (the learning rate among them). */
export type OptimizerOverrides = DeepPartial<OptimizerInput>;
export type EvaluationOverrides = DeepPartial<EvaluationInput>;

/** The gradient clip: `on` false is no clipping; a `maxNorm` without `on` turns it on. */
export interface ClipOverride {
  on?: boolean;
  maxNorm?: number;
}

export type CurriculumOverrides = { [P in CurriculumPart]?: Partial<Schedule> };

export interface ExperimentDraft {
  task: TaskName;
  preset: PresetName;
  /** the models, in the order they are built (ARCHITECTURES order, or a loaded experiment's) */
  archs: Architecture[];
  seed: number;
  /** every model's sizes (each where it applies), batch and steps */
  sizes: SizeOverrides;
  /** task parameters that override the preset's (d, nPoints, k, pairs, switches, ...) */
  params: Record<string, number | boolean>;
  /** every model's position-embedding switch (the models that have one); undefined: the preset's */
  positionEmbedding?: boolean;
  /** one model's settings, over `sizes` */
  models: Partial<Record<Architecture, ModelOverrides>>;
  optimizer: OptimizerOverrides;
  evaluation: EvaluationOverrides;
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
    seed: DEFAULT_EXPERIMENT_SEED,
    sizes: {},
    params: {},
    models: {},
    optimizer: {},
    evaluation: {},
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

/** A copy without the keys whose value is undefined. */
function definedOnly<T extends object>(o: T): T {
  const out = { ...o };
  for (const key of Object.keys(out))
    if (Reflect.get(out, key) === undefined) Reflect.deleteProperty(out, key);
  return out;
}

const isEmpty = (o: object) => Object.keys(definedOnly(o)).length === 0;

/** The all-models value of a model setting (undefined: none). */
export function allModelsValue(draft: ExperimentDraft, key: ModelKey): number | boolean | undefined {
  return isModelNumberKey(key) ? draft.sizes[key] : draft.positionEmbedding;
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
  if (isEmpty(dims) && isEmpty(points)) return base;
  return { dims: { ...base.dims, ...dims }, points: { ...base.points, ...points } };
}

/** The draft's changes as experiment input, to lay over the preset's (each section merged by the preset). */
function draftInput(draft: ExperimentDraft, input: ExperimentInput): Partial<ExperimentInput> {
  const models: ModelSpecInput[] = (input.models ?? []).map((m) => ({
    ...m,
    ...modelOverridesFor(draft, m.arch),
  }));
  const out: Partial<ExperimentInput> = { models };
  if (!isEmpty(draft.params))
    out.task = { name: draft.task, params: { ...(input.task?.params ?? {}), ...draft.params } };
  for (const key of SCALAR_KEYS) {
    if (key === 'seed') continue;
    const v = draft.sizes[key];
    if (v !== undefined) out[key] = v;
  }
  if (!isEmpty(draft.optimizer)) out.optimizer = definedOnly(draft.optimizer);
  if (!isEmpty(draft.evaluation)) out.evaluation = definedOnly(draft.evaluation);
  return out;
}

/** The experiment a draft describes, or why it cannot be built (each problem with its path). */
export function buildExperiment(draft: ExperimentDraft): BuiltExperiment {
  if (draft.archs.length === 0) {
    const message = 'Choose at least one architecture.';
    return { experiment: null, errors: [message], issues: [{ path: 'models', message }] };
  }
  const overrides = draftInput(draft, presetInput(draft.preset, draft.task, draft.archs, draft.seed));
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

/** The same experiment (every value equal, in any order of keys; the models in the same order). */
export function sameExperiment(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b))
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((v, i) => sameExperiment(v, b[i]))
    );
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Object.is(a, b);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => sameExperiment(Reflect.get(a, k), Reflect.get(b, k)));
}

/** One model's own value of a setting, set (undefined: dropped). */
function withModelValue(
  o: ModelOverrides,
  key: ModelKey,
  value: number | boolean | undefined,
): ModelOverrides {
  const out = withKey(o, key, undefined);
  if (isModelNumberKey(key) && typeof value === 'number') out[key] = value;
  if (isModelSwitchKey(key) && typeof value === 'boolean') out[key] = value;
  return out;
}

/**
 * A draft that builds the stored experiment again (on the classroom preset): every model setting,
 * the optimiser, batch, steps and evaluation as changes; the clip and the curriculum only where
 * they differ from what the task derives, so they keep following the task's parameters.
 */
export function draftOf(e: Experiment): ExperimentDraft {
  const archs = [...new Set(e.models.map((m) => m.arch))];
  const specOf = (a: Architecture) => e.models.find((m) => m.arch === a);
  const sizes: SizeOverrides = {};
  for (const key of SCALAR_KEYS) if (key !== 'seed') sizes[key] = e[key];
  const models: Partial<Record<Architecture, ModelOverrides>> = {};
  let positionEmbedding: boolean | undefined;
  for (const key of MODEL_KEYS) {
    const users = archs.filter((a) => appliesTo(key, a));
    const values = users.map((a) => specOf(a)?.[key]);
    const shared = values.length > 0 && values.every((v) => v === values[0]);
    for (const a of archs) {
      const value = specOf(a)?.[key];
      const used = users.includes(a);
      if (used && shared) continue;
      // position embedding off is every other architecture's default: nothing to keep
      if (!used && isModelSwitchKey(key) && value === false) continue;
      models[a] = withModelValue(models[a] ?? {}, key, value);
    }
    const first = values[0];
    if (shared && typeof first === 'boolean') positionEmbedding = first;
    if (shared && typeof first === 'number' && isModelNumberKey(key)) sizes[key] = first;
  }
  const draft: ExperimentDraft = {
    task: e.task.name,
    preset: 'classroom',
    archs,
    seed: e.seed,
    sizes,
    params: Object.fromEntries(
      Object.entries(e.task.params).filter(
        (kv): kv is [string, number | boolean] => typeof kv[1] === 'number' || typeof kv[1] === 'boolean',
      ),
    ),
    ...(positionEmbedding !== undefined && { positionEmbedding }),
    models,
    optimizer: { ...e.optimizer },
    evaluation: { ...e.evaluation },
    clip: {},
    curriculum: {},
  };
  const base = buildExperiment(draft).experiment;
  const clip = e.clip ?? null;
  if (!base || (base.clip ?? null) !== clip)
    draft.clip = clip === null ? { on: false } : { on: true, maxNorm: clip };
  if (!base || !sameJson(base.curriculum, e.curriculum)) {
    for (const part of ['dims', 'points'] as const) {
      const changed: Partial<Schedule> = {};
      for (const k of SCHEDULE_KEYS)
        if (!base || base.curriculum[part][k] !== e.curriculum[part][k]) changed[k] = e.curriculum[part][k];
      if (!isEmpty(changed)) draft.curriculum[part] = changed;
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

export type SettingValue = number | boolean | undefined;

/** The group of a section of the experiment (a new field lands in its section's group). */
const SECTION_GROUP: Record<SettingAddress['section'], SettingsGroup> = {
  task: 'task',
  models: 'models',
  optimizer: 'optimizer',
  clip: 'optimizer',
  curriculum: 'curriculum',
  scalar: 'schedule',
  evaluation: 'evaluation',
};

export function groupOf(id: SettingId): SettingsGroup {
  const at = addressOf(id);
  return at ? SECTION_GROUP[at.section] : 'schedule';
}

function withKey<T extends object, K extends keyof T>(o: T, key: K, value: T[K] | undefined): T {
  const out = { ...o };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

/** The draft with one model setting changed (all: every model's own value of it dropped). */
function withModelSetting(
  draft: ExperimentDraft,
  at: SettingAddress & { section: 'models' },
  value: SettingValue,
) {
  const { scope, key } = at;
  if (scope !== 'all') {
    const mine = withModelValue(draft.models[scope] ?? {}, key, value);
    const models = { ...draft.models, [scope]: mine };
    if (isEmpty(mine)) delete models[scope];
    return { ...draft, models };
  }
  const models: ExperimentDraft['models'] = {};
  for (const a of ARCHITECTURES) {
    const rest = withModelValue(draft.models[a] ?? {}, key, undefined);
    if (!isEmpty(rest)) models[a] = rest;
  }
  if (isModelNumberKey(key))
    return {
      ...draft,
      models,
      sizes: withKey(draft.sizes, key, typeof value === 'number' ? value : undefined),
    };
  return { ...draft, models, positionEmbedding: typeof value === 'boolean' ? value : undefined };
}

/**
 * The draft with one setting changed (undefined: back to the preset's). A value of the wrong kind
 * (a switch given a number, NaN) leaves the draft as it is. An all-models value replaces every
 * model's own value of that setting.
 */
export function applySetting(draft: ExperimentDraft, id: SettingId, value: SettingValue): ExperimentDraft {
  const at = addressOf(id);
  if (!at) return draft;
  if (typeof value === 'number' && !Number.isFinite(value)) return draft;
  if (at.section === 'task') return { ...draft, params: withKey(draft.params, at.key, value) };
  const wantsSwitch =
    at.section === 'clip' ? at.key === 'on' : at.section === 'models' && isModelSwitchKey(at.key);
  if (value !== undefined && wantsSwitch !== (typeof value === 'boolean')) return draft;
  const num = typeof value === 'number' ? value : undefined;
  switch (at.section) {
    case 'models':
      return withModelSetting(draft, at, value);
    case 'optimizer':
      return { ...draft, optimizer: withKey(draft.optimizer, at.key, num) };
    case 'evaluation':
      return { ...draft, evaluation: withKey(draft.evaluation, at.key, num) };
    case 'clip':
      return at.key === 'on'
        ? { ...draft, clip: withKey(draft.clip, 'on', typeof value === 'boolean' ? value : undefined) }
        : { ...draft, clip: withKey(draft.clip, 'maxNorm', num) };
    case 'curriculum': {
      const schedule = withKey(draft.curriculum[at.part] ?? {}, at.key, num);
      return { ...draft, curriculum: { ...draft.curriculum, [at.part]: schedule } };
    }
    case 'scalar':
      if (at.key === 'seed')
        return { ...draft, seed: num === undefined ? DEFAULT_EXPERIMENT_SEED : Math.floor(num) };
      return { ...draft, sizes: withKey(draft.sizes, at.key, num) };
  }
}

/** The draft with one group's changes dropped (the preset's values again). */
export function resetGroup(draft: ExperimentDraft, group: SettingsGroup): ExperimentDraft {
  const dropSizes = (drop: (key: SizeKey) => boolean) => {
    const sizes = { ...draft.sizes };
    for (const k of [...MODEL_NUMBER_KEYS, ...SCALAR_KEYS]) if (k !== 'seed' && drop(k)) delete sizes[k];
    return sizes;
  };
  switch (group) {
    case 'task':
      return { ...draft, params: {} };
    case 'models':
      return { ...draft, sizes: dropSizes(isModelNumberKey), positionEmbedding: undefined, models: {} };
    case 'optimizer':
      return { ...draft, optimizer: {}, clip: {} };
    case 'curriculum':
      return { ...draft, curriculum: {} };
    case 'schedule':
      return { ...draft, sizes: dropSizes((k) => !isModelNumberKey(k)), seed: DEFAULT_EXPERIMENT_SEED };
    case 'evaluation':
      return { ...draft, evaluation: {} };
  }
}

/**
 * Which setting an issue of the experiment is about (models by architecture, in the draft's
 * order), or null for a problem of the whole.
 */
export function settingOfIssue(path: string, archs: readonly Architecture[]): SettingId | null {
  const at = addressOf(path, archs);
  return at ? idOf(at) : null;
}

/** The draft's own value of a setting (undefined: it keeps the preset's; the seed always has one). */
export function draftValue(draft: ExperimentDraft, id: SettingId): SettingValue {
  const at = addressOf(id);
  switch (at?.section) {
    case 'task':
      return draft.params[at.key];
    case 'models':
      return at.scope === 'all' ? allModelsValue(draft, at.key) : draft.models[at.scope]?.[at.key];
    case 'optimizer':
      return draft.optimizer[at.key];
    case 'evaluation':
      return draft.evaluation[at.key];
    case 'clip':
      return draft.clip[at.key];
    case 'curriculum':
      return draft.curriculum[at.part]?.[at.key];
    case 'scalar':
      return at.key === 'seed' ? draft.seed : draft.sizes[at.key];
    default:
      return undefined;
  }
}
