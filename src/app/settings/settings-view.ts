/**
 * What the settings panel shows, computed from the experiment store (pure; the panel only renders
 * it): every setting of the experiment schema in six groups, each with its label, an explanation
 * (what it does, the paper's value, this preset's), limits read from the schema, the draft's value,
 * the preset's as placeholder, whether it differs from the preset, the problems the schema found
 * with it and whether a classroom link locks it.
 */
import type { z } from 'zod';
import { ARCHITECTURE_TITLES, type Architecture, modelFields } from '../../schema/architecture';
import { type Experiment, experimentShape } from '../../schema/experiment';
import { checkNumber, numberBounds, schemaAt, settingTextOf } from '../../schema/field-bounds';
import { bindTask, getTask } from '../../tasks';
import type { CurriculumSpec, TaskName } from '../../tasks/types';
import { type Classroom, isLocked, type LockKey } from '../share/classroom';
import {
  allModelsValue,
  appliesTo,
  DEFAULT_CLIP_NORM,
  DEFAULT_EXPERIMENT_SEED,
  type DraftIssue,
  draftValue,
  type ExperimentDraft,
  experimentValues,
  groupOf,
  MODEL_KEYS,
  type ModelScope,
  type ScheduleKey,
  type SettingId,
  type SettingsGroup,
  settingOfIssue,
} from './experiment-draft';
import {
  addressOf,
  type CurriculumPart,
  EVALUATION_KEYS,
  isModelSwitchKey,
  OPTIMIZER_KEYS,
  SCALAR_KEYS,
} from './setting-path';

interface SettingBase {
  id: SettingId;
  label: string;
  /** what it does, the paper's value and this preset's */
  about: string;
  /** the schema's problems with it (cross-field ones included) */
  errors: string[];
  /** the draft's value differs from the preset's */
  changed: boolean;
  /** the preset's value in words ("32", "2–4", "on") */
  presetText: string;
  /** "Changed (preset 32)" while it differs from the preset, else null */
  changedNote: string | null;
  disabled: boolean;
}

export interface NumberSettingView extends SettingBase {
  kind: 'number';
  /** the draft's own value (undefined: the preset's, shown as the placeholder) */
  value: number | undefined;
  placeholder: string;
  min?: number;
  max?: number;
  step: number | 'any';
  /** the schema's limit this value breaks, in words; null when it is within them */
  check(value: number): string | null;
}

export interface SwitchSettingView extends SettingBase {
  kind: 'switch';
  checked: boolean;
  /** the models of the all-models scope disagree */
  mixed: boolean;
}

export type SettingView = NumberSettingView | SwitchSettingView;

export interface GroupView {
  group: SettingsGroup;
  title: string;
  fields: SettingView[];
  /** a line shown instead of (or before) the fields */
  note?: string;
  changed: boolean;
  /** a classroom link locks some of it: no reset */
  locked: boolean;
}

export interface SettingsView {
  /** the model scope in force (a scope whose model is no longer chosen falls back to all) */
  scope: ModelScope;
  scopes: Array<{ value: ModelScope; title: string }>;
  groups: GroupView[];
  changed: boolean;
  locked: boolean;
}

export interface SettingsInput {
  draft: ExperimentDraft;
  experiment: Experiment | null;
  issues: readonly DraftIssue[];
  presetDefaults: Experiment | null;
  paperDefaults: Experiment | null;
  derivedCurriculum: CurriculumSpec | null;
  scope: ModelScope;
  classroom: Classroom | null;
}

export const GROUP_TITLES: Record<SettingsGroup, string> = {
  task: 'Task parameters',
  models: 'Models',
  optimizer: 'Optimiser',
  curriculum: 'Curriculum',
  schedule: 'Schedule',
  evaluation: 'Evaluation',
};

const GROUP_LOCKS: Record<SettingsGroup, readonly LockKey[]> = {
  task: ['task.params'],
  models: ['sizes'],
  optimizer: ['optimizer.lr', 'optimizer'],
  curriculum: ['curriculum'],
  schedule: ['schedule', 'seed'],
  evaluation: ['schedule'],
};

/** The two settings of the clip (the experiment's one nullable number: on or off, and its value). */
const CLIP_TEXT = {
  on: {
    label: 'Gradient clip',
    about:
      'Scale the whole gradient down whenever its global norm is above the max norm: a guard against a diverging run.',
  },
  maxNorm: {
    label: 'Clip max norm',
    about: 'The largest global gradient norm let through (used while the clip is on).',
  },
};

const CURRICULUM_WHAT: Record<CurriculumPart, { prefix: string; what: string }> = {
  dims: { prefix: 'Dims', what: 'number of live coordinates of x (the rest are 0)' },
  points: { prefix: 'Points', what: 'number of examples per prompt' },
};

const SCHEDULE_TEXT: Record<ScheduleKey, { label: string; about: (what: string) => string }> = {
  start: { label: 'start', about: (w) => `The ${w} at step 0.` },
  end: { label: 'end', about: (w) => `The largest ${w}; it cannot be more than the task’s own.` },
  inc: {
    label: 'increment',
    about: (w) => `How much the ${w} grows at each interval (0: it stays at the start).`,
  },
  interval: { label: 'interval (steps)', about: (w) => `Training steps between two increments of the ${w}.` },
};

const SCHEDULE_KEYS: readonly ScheduleKey[] = ['start', 'end', 'inc', 'interval'];

function lockOf(id: SettingId): LockKey {
  const group = groupOf(id);
  if (id === 'seed') return 'seed';
  if (id === 'optimizer.lr') return 'optimizer.lr';
  const byGroup: Record<SettingsGroup, LockKey> = {
    task: 'task.params',
    models: 'sizes',
    optimizer: 'optimizer',
    curriculum: 'curriculum',
    schedule: 'schedule',
    evaluation: 'schedule',
  };
  return byGroup[group];
}

/** The schema a setting is validated by (its limits and description come from it). */
export function schemaOf(id: SettingId, task: TaskName): z.ZodType {
  const at = addressOf(id);
  if (!at) throw new Error(`no setting ${id}`);
  switch (at.section) {
    case 'task':
      return schemaAt(getTask(task).paramsSchema, [at.key]);
    case 'models':
      return schemaAt(modelFields, [at.key]);
    case 'clip':
      return schemaAt(experimentShape, ['clip']);
    case 'curriculum':
      return schemaAt(experimentShape, ['curriculum', at.part, at.key]);
    case 'scalar':
      return schemaAt(experimentShape, [at.key]);
    default:
      return schemaAt(experimentShape, [at.section, at.key]);
  }
}

/** Number formatting of the panel: as typed (1e-8, 0.0003, 500000). */
const fmt = (v: number | boolean): string => (typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v));

/** "32", "2–4" (models disagree), "on", "" (none). */
export function describeValues(values: ReadonlyArray<number | boolean>): string {
  if (values.length === 0) return '';
  const distinct = [...new Set(values)];
  if (distinct.length === 1) return fmt(distinct[0]);
  if (distinct.every((v) => typeof v === 'number')) {
    const nums = distinct.filter((v): v is number => typeof v === 'number');
    return `${fmt(Math.min(...nums))}–${fmt(Math.max(...nums))}`;
  }
  return 'mixed';
}

interface Context {
  input: SettingsInput;
  task: TaskName;
  archs: readonly Architecture[];
  errorsBy: Map<SettingId, string[]>;
}

function presetValues(ctx: Context, id: SettingId): Array<number | boolean> {
  const { input } = ctx;
  const at = addressOf(id);
  if (at?.section === 'curriculum') {
    const c = input.derivedCurriculum;
    return c ? [c[at.part][at.key]] : [];
  }
  if (id === 'seed') return [DEFAULT_EXPERIMENT_SEED];
  return input.presetDefaults ? experimentValues(input.presetDefaults, id) : [];
}

function paperText(ctx: Context, id: SettingId): string {
  const at = addressOf(id);
  if (id === 'seed') return '';
  if (at?.section === 'task') {
    const v: unknown = Reflect.get(getTask(ctx.task).defaults, at.key);
    return typeof v === 'number' || typeof v === 'boolean' ? fmt(v) : '';
  }
  const paper = ctx.input.paperDefaults;
  if (!paper) return '';
  if (id === 'clip.maxNorm' && paper.clip == null) return 'no clip';
  if (at?.section === 'models' && at.scope === 'all') {
    const key = at.key;
    const users = paper.models.filter((m) => appliesTo(key, m.arch));
    const values = users.map((m) => m[key]);
    if (new Set(values).size <= 1) return describeValues(values);
    return users.map((m) => `${ARCHITECTURE_TITLES[m.arch]} ${fmt(m[key])}`).join(', ');
  }
  return describeValues(experimentValues(paper, id));
}

function explain(ctx: Context, id: SettingId, base: string, presetText: string): string {
  const paper = paperText(ctx, id);
  const parts = [base.trim()];
  if (paper) parts.push(`The paper: ${paper}.`);
  if (presetText) parts.push(id === 'seed' ? `Default: ${presetText}.` : `This preset: ${presetText}.`);
  return parts.filter(Boolean).join(' ');
}

function changedNote(id: SettingId, changed: boolean, presetText: string): string | null {
  if (!changed) return null;
  if (!presetText) return 'Changed';
  return `Changed (${id === 'seed' ? 'default' : 'preset'} ${presetText})`;
}

function isLockedId(ctx: Context, id: SettingId): boolean {
  return isLocked(ctx.input.classroom, lockOf(id));
}

function numberField(
  ctx: Context,
  id: SettingId,
  label: string,
  about: string,
  opts: { placeholder?: string; disabled?: boolean } = {},
): NumberSettingView {
  const schema = schemaOf(id, ctx.task);
  const bounds = numberBounds(schema);
  const own = draftValue(ctx.input.draft, id);
  const value = typeof own === 'number' ? own : undefined;
  const preset = presetValues(ctx, id);
  const presetText = describeValues(preset);
  const changed = value !== undefined && preset.some((p) => p !== value);
  return {
    kind: 'number',
    id,
    label,
    about: explain(ctx, id, about || bounds.description, presetText),
    errors: ctx.errorsBy.get(id) ?? [],
    changed,
    presetText,
    changedNote: changedNote(id, changed, presetText),
    disabled: isLockedId(ctx, id) || !!opts.disabled,
    value,
    placeholder: opts.placeholder ?? presetText,
    min: bounds.min,
    max: bounds.max,
    step: bounds.integer ? 1 : 'any',
    check: (v) => checkNumber(schema, v),
  };
}

function switchField(
  ctx: Context,
  id: SettingId,
  label: string,
  about: string,
  effective: ReadonlyArray<boolean>,
): SwitchSettingView {
  const own = draftValue(ctx.input.draft, id);
  const preset = presetValues(ctx, id);
  const presetText = describeValues(preset);
  const distinct = [...new Set(effective)];
  const changed = typeof own === 'boolean' && preset.some((p) => p !== own);
  return {
    kind: 'switch',
    id,
    label,
    about: explain(ctx, id, about, presetText),
    errors: ctx.errorsBy.get(id) ?? [],
    changed,
    presetText,
    changedNote: changedNote(id, changed, presetText),
    disabled: isLockedId(ctx, id),
    checked: distinct.length === 1 && distinct[0],
    mixed: distinct.length > 1,
  };
}

function taskFields(ctx: Context): SettingView[] {
  const t = getTask(ctx.task);
  const draft = ctx.input.draft;
  const preset = ctx.input.presetDefaults?.task.params ?? {};
  return Object.entries(t.defaults).flatMap(([key, v]): SettingView[] => {
    const id: SettingId = `task.params.${key}`;
    const schema = schemaOf(id, ctx.task);
    const label = settingTextOf(schema).label || key;
    if (typeof v === 'number') return [numberField(ctx, id, label, numberBounds(schema).description)];
    if (typeof v === 'boolean') {
      const own = draft.params[key];
      const inPreset = preset[key];
      const value = typeof own === 'boolean' ? own : typeof inPreset === 'boolean' ? inPreset : v;
      return [switchField(ctx, id, label, schema.description ?? '', [value])];
    }
    return [];
  });
}

function modelFieldsOf(ctx: Context, scope: ModelScope): SettingView[] {
  const { draft, presetDefaults } = ctx.input;
  const archs: readonly Architecture[] = scope === 'all' ? ctx.archs : [scope];
  return MODEL_KEYS.filter((key) =>
    archs.length === 0 ? key === 'dModel' || key === 'nLayer' : archs.some((a) => appliesTo(key, a)),
  ).map((key): SettingView => {
    const id: SettingId = `models.${scope}.${key}`;
    const text = settingTextOf(schemaOf(id, ctx.task));
    const label = text.label || key;
    const presetOf = (a: Architecture) => presetDefaults?.models.find((m) => m.arch === a)?.[key];
    // what a model gets without its own value: the all-models value where it applies, else the preset's
    const inherited = (a: Architecture) => {
      const all = allModelsValue(draft, key);
      return all !== undefined && appliesTo(key, a) ? all : presetOf(a);
    };
    if (isModelSwitchKey(key)) {
      const users = archs.filter((a) => scope !== 'all' || appliesTo(key, a));
      const effective = users.map((a) => {
        const value = draft.models[a]?.[key] ?? inherited(a);
        return typeof value === 'boolean' ? value : false;
      });
      return switchField(ctx, id, label, text.about, effective);
    }
    const placeholder =
      scope === 'all'
        ? undefined
        : describeValues([inherited(scope)].filter((v): v is number => typeof v === 'number'));
    return numberField(ctx, id, label, text.about, { placeholder });
  });
}

function optimizerFields(ctx: Context): SettingView[] {
  const { draft, presetDefaults } = ctx.input;
  const presetClip = presetDefaults?.clip ?? null;
  const clipOn = draft.clip.on ?? (draft.clip.maxNorm !== undefined || presetClip !== null);
  return [
    ...simpleFields(
      ctx,
      OPTIMIZER_KEYS.map((k): SettingId => `optimizer.${k}`),
    ),
    switchField(ctx, 'clip.on', CLIP_TEXT.on.label, CLIP_TEXT.on.about, [clipOn]),
    numberField(ctx, 'clip.maxNorm', CLIP_TEXT.maxNorm.label, CLIP_TEXT.maxNorm.about, {
      placeholder: fmt(presetClip ?? DEFAULT_CLIP_NORM),
      disabled: !clipOn,
    }),
  ];
}

/** The curriculum's schedules worth editing: those that grow in the paper or here, or that the draft changed. */
function curriculumParts(ctx: Context): CurriculumPart[] {
  const { derivedCurriculum, experiment, draft } = ctx.input;
  const paper = bindTask(ctx.task).curriculum();
  return (['dims', 'points'] as const).filter((part) => {
    const grows = (c: CurriculumSpec | null | undefined) => !!c && c[part].start < c[part].end;
    return (
      grows(paper) || grows(derivedCurriculum) || grows(experiment?.curriculum) || !!draft.curriculum[part]
    );
  });
}

function curriculumFields(ctx: Context): SettingView[] {
  return curriculumParts(ctx).flatMap((part) =>
    SCHEDULE_KEYS.map((key) => {
      const { prefix, what } = CURRICULUM_WHAT[part];
      const text = SCHEDULE_TEXT[key];
      return numberField(ctx, `curriculum.${part}.${key}`, `${prefix} ${text.label}`, text.about(what));
    }),
  );
}

/** Number fields with the schema's own texts (the last part of the path names one without a label). */
function simpleFields(ctx: Context, ids: readonly SettingId[]): SettingView[] {
  return ids.map((id) => {
    const text = settingTextOf(schemaOf(id, ctx.task));
    return numberField(ctx, id, text.label || (id.split('.').pop() ?? id), text.about);
  });
}

/** Problems by setting; an all-models setting collects those of every model, named. */
function errorsBySetting(input: SettingsInput): Map<SettingId, string[]> {
  const out = new Map<SettingId, string[]>();
  const add = (id: SettingId, message: string) => out.set(id, [...(out.get(id) ?? []), message]);
  for (const issue of input.issues) {
    const id = settingOfIssue(issue.path, input.draft.archs);
    if (!id) continue;
    add(id, issue.message);
    const at = addressOf(id);
    if (at?.section === 'models' && at.scope !== 'all')
      add(`models.all.${at.key}`, `${ARCHITECTURE_TITLES[at.scope]}: ${issue.message}`);
  }
  return out;
}

export function settingsView(input: SettingsInput): SettingsView {
  const archs = input.draft.archs;
  const scope: ModelScope = input.scope !== 'all' && archs.includes(input.scope) ? input.scope : 'all';
  const ctx: Context = { input, task: input.draft.task, archs, errorsBy: errorsBySetting(input) };
  const curriculum = curriculumFields(ctx);
  const groups: Array<Omit<GroupView, 'changed' | 'locked' | 'title'>> = [
    { group: 'task', fields: taskFields(ctx) },
    { group: 'models', fields: modelFieldsOf(ctx, scope) },
    { group: 'optimizer', fields: optimizerFields(ctx) },
    {
      group: 'curriculum',
      fields: curriculum,
      ...(curriculum.length === 0 && {
        note: 'This task trains at its full size from the first step: it has no curriculum.',
      }),
    },
    { group: 'schedule', fields: simpleFields(ctx, SCALAR_KEYS) },
    {
      group: 'evaluation',
      fields: simpleFields(
        ctx,
        EVALUATION_KEYS.map((k): SettingId => `evaluation.${k}`),
      ),
    },
  ];
  const views: GroupView[] = groups.map((g) => ({
    ...g,
    title: GROUP_TITLES[g.group],
    changed: g.fields.some((f) => f.changed) || groupHasHiddenChanges(input, g.group, scope),
    locked: GROUP_LOCKS[g.group].some((k) => isLocked(input.classroom, k)),
  }));
  return {
    scope,
    scopes: [
      { value: 'all', title: 'All models' },
      ...archs.map((a): { value: ModelScope; title: string } => ({
        value: a,
        title: ARCHITECTURE_TITLES[a],
      })),
    ],
    groups: views,
    changed: views.some((g) => g.changed),
    locked: views.some((g) => g.locked),
  };
}

/** Per-model changes that differ from the preset but that the current scope does not show (reset still applies). */
function groupHasHiddenChanges(input: SettingsInput, group: SettingsGroup, scope: ModelScope): boolean {
  if (group !== 'models') return false;
  return input.draft.archs.some(
    (arch) =>
      arch !== scope &&
      MODEL_KEYS.some((key) => {
        const v = input.draft.models[arch]?.[key];
        if (v === undefined || !appliesTo(key, arch)) return false;
        const preset = input.presetDefaults?.models.find((m) => m.arch === arch)?.[key];
        return preset !== v;
      }),
  );
}
