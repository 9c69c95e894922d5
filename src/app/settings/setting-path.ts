/**
 * Where a setting of the panel lives, read from the experiment schema itself: the keys of each
 * section (optimizer, evaluation, the top-level numbers, one model's fields) are the schema's own
 * (types from `ExperimentInput`, runtime lists from `experimentShape` / `modelFields`), so a new zod
 * field is a setting with no edit here. `addressOf` turns a setting id or an issue's zod path into a
 * typed address (type guards, no casts); `idOf` goes back.
 */
import type { z } from 'zod';
import {
  ARCHITECTURES,
  type Architecture,
  ATTENTION_ARCHITECTURES,
  CONV_ARCHITECTURES,
  type ModelSpecInput,
  modelFields,
  POSITION_EMBEDDING_ARCHITECTURES,
  SSM_ARCHITECTURES,
} from '../../schema/architecture';
import { type Experiment, type ExperimentInput, experimentShape } from '../../schema/experiment';
import { innerSchema, schemaAt } from '../../schema/field-bounds';
import type { CurriculumSpec, Schedule } from '../../tasks/types';

/** Every level optional (the draft holds only what differs from the preset). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

type KeysOfKind<T, V> = { [K in keyof T]-?: NonNullable<T[K]> extends V ? K : never }[keyof T] & string;

export type OptimizerInput = NonNullable<ExperimentInput['optimizer']>;
export type EvaluationInput = NonNullable<ExperimentInput['evaluation']>;
export type ModelFieldsInput = Omit<ModelSpecInput, 'arch'>;

export type OptimizerKey = KeysOfKind<OptimizerInput, number>;
export type EvaluationKey = KeysOfKind<EvaluationInput, number>;
/** The top-level numbers of the experiment the panel edits (the version and the clip aside). */
export type ScalarKey = Exclude<KeysOfKind<ExperimentInput, number>, 'version' | 'clip'>;
export type ModelNumberKey = KeysOfKind<ModelFieldsInput, number>;
export type ModelSwitchKey = KeysOfKind<ModelFieldsInput, boolean>;
export type ModelKey = ModelNumberKey | ModelSwitchKey;
export type ScheduleKey = keyof Schedule & string;
export type CurriculumPart = keyof CurriculumSpec & string;
export type ModelScope = Architecture | 'all';

/** One setting of the panel, named by where it lives in the experiment (models by architecture). */
export type SettingId =
  | `task.params.${string}`
  | `models.${ModelScope}.${ModelKey}`
  | `optimizer.${OptimizerKey}`
  | 'clip.on'
  | 'clip.maxNorm'
  | `curriculum.${CurriculumPart}.${ScheduleKey}`
  | ScalarKey
  | `evaluation.${EvaluationKey}`;

export type SettingAddress =
  | { section: 'task'; key: string }
  | { section: 'models'; scope: ModelScope; key: ModelKey }
  | { section: 'optimizer'; key: OptimizerKey }
  | { section: 'clip'; key: 'on' | 'maxNorm' }
  | { section: 'curriculum'; part: CurriculumPart; key: ScheduleKey }
  | { section: 'evaluation'; key: EvaluationKey }
  | { section: 'scalar'; key: ScalarKey };

/** The field names of an object schema whose (unwrapped) type is `kind`, in the schema's order. */
export function fieldsOfKind(schema: z.ZodType, kind: 'number' | 'boolean'): string[] {
  const shape: unknown = Reflect.get(innerSchema(schema), 'shape');
  if (typeof shape !== 'object' || shape === null) return [];
  return Object.keys(shape).filter((k) => innerSchema(schemaAt(schema, [k])).def.type === kind);
}

const list = (schema: z.ZodType, kind: 'number' | 'boolean') => new Set(fieldsOfKind(schema, kind));
const OPTIMIZER = list(schemaAt(experimentShape, ['optimizer']), 'number');
const EVALUATION = list(schemaAt(experimentShape, ['evaluation']), 'number');
const SCALAR = new Set([...list(experimentShape, 'number')].filter((k) => k !== 'version' && k !== 'clip'));
const MODEL_NUMBER = list(modelFields, 'number');
const MODEL_SWITCH = list(modelFields, 'boolean');
const SCHEDULE = list(schemaAt(experimentShape, ['curriculum', 'dims']), 'number');

export const isOptimizerKey = (k: string): k is OptimizerKey => OPTIMIZER.has(k);
export const isEvaluationKey = (k: string): k is EvaluationKey => EVALUATION.has(k);
export const isScalarKey = (k: string): k is ScalarKey => SCALAR.has(k);
export const isModelNumberKey = (k: string): k is ModelNumberKey => MODEL_NUMBER.has(k);
export const isModelSwitchKey = (k: string): k is ModelSwitchKey => MODEL_SWITCH.has(k);
export const isModelKey = (k: string): k is ModelKey => isModelNumberKey(k) || isModelSwitchKey(k);
export const isScheduleKey = (k: string): k is ScheduleKey => SCHEDULE.has(k);
export const isCurriculumPart = (k: string): k is CurriculumPart => k === 'dims' || k === 'points';

/** The keys of each section, in the schema's order. */
export const OPTIMIZER_KEYS: readonly OptimizerKey[] = [...OPTIMIZER].filter(isOptimizerKey);
export const EVALUATION_KEYS: readonly EvaluationKey[] = [...EVALUATION].filter(isEvaluationKey);
export const SCALAR_KEYS: readonly ScalarKey[] = [...SCALAR].filter(isScalarKey);
export const MODEL_NUMBER_KEYS: readonly ModelNumberKey[] = [...MODEL_NUMBER].filter(isModelNumberKey);
export const MODEL_KEYS: readonly ModelKey[] = [...MODEL_NUMBER, ...MODEL_SWITCH].filter(isModelKey);
export const SCHEDULE_KEYS: readonly ScheduleKey[] = [...SCHEDULE].filter(isScheduleKey);

const scopeOf = (s: string): ModelScope | undefined =>
  s === 'all' ? 'all' : ARCHITECTURES.find((a) => a === s);

/**
 * The typed address of a setting id, or of an issue's zod path joined by dots (its models named by
 * index: `archs` maps the index to the architecture); null for anything that is no setting.
 */
export function addressOf(path: string, archs?: readonly Architecture[]): SettingAddress | null {
  const [head, a = '', b = '', ...rest] = path.split('.');
  if (head === 'task' && a === 'params' && b) return { section: 'task', key: [b, ...rest].join('.') };
  if (rest.length > 0) return null;
  if (head === 'models') {
    const scope = archs && /^\d+$/.test(a) ? archs[Number(a)] : scopeOf(a);
    return scope !== undefined && isModelKey(b) ? { section: 'models', scope, key: b } : null;
  }
  if (head === 'curriculum')
    return isCurriculumPart(a) && isScheduleKey(b) ? { section: 'curriculum', part: a, key: b } : null;
  if (b) return null;
  if (head === 'optimizer') return isOptimizerKey(a) ? { section: 'optimizer', key: a } : null;
  if (head === 'evaluation') return isEvaluationKey(a) ? { section: 'evaluation', key: a } : null;
  if (head === 'clip') {
    if (a === 'on' || a === 'maxNorm') return { section: 'clip', key: a };
    // an issue of the experiment's clip number is about its max norm
    return a === '' && archs ? { section: 'clip', key: 'maxNorm' } : null;
  }
  return a === '' && isScalarKey(head) ? { section: 'scalar', key: head } : null;
}

export function idOf(address: SettingAddress): SettingId {
  switch (address.section) {
    case 'task':
      return `task.params.${address.key}`;
    case 'models':
      return `models.${address.scope}.${address.key}`;
    case 'curriculum':
      return `curriculum.${address.part}.${address.key}`;
    case 'scalar':
      return address.key;
    case 'optimizer':
      return `optimizer.${address.key}`;
    case 'evaluation':
      return `evaluation.${address.key}`;
    case 'clip':
      return `clip.${address.key}`;
  }
}

/** The architectures a model setting means something for (the others ignore an all-models value); absent: all. */
export const MODEL_KEY_ARCHITECTURES: Partial<Record<ModelKey, readonly Architecture[]>> = {
  nHead: ATTENTION_ARCHITECTURES,
  dState: SSM_ARCHITECTURES,
  dConv: CONV_ARCHITECTURES,
  expand: CONV_ARCHITECTURES,
  positionEmbedding: POSITION_EMBEDDING_ARCHITECTURES,
};

export const appliesTo = (key: ModelKey, arch: Architecture): boolean =>
  (MODEL_KEY_ARCHITECTURES[key] ?? ARCHITECTURES).includes(arch);

/** The values a setting has in an experiment (several for the all-models scope, none where it does not apply). */
export function experimentValues(e: Experiment, id: SettingId): Array<number | boolean> {
  const at = addressOf(id);
  const present = (v: unknown): Array<number | boolean> =>
    typeof v === 'number' || typeof v === 'boolean' ? [v] : [];
  switch (at?.section) {
    case 'task':
      return present(e.task.params[at.key]);
    case 'models': {
      const { scope, key } = at;
      return e.models
        .filter((m) => (scope === 'all' ? appliesTo(key, m.arch) : m.arch === scope))
        .flatMap((m) => present(m[key]));
    }
    case 'optimizer':
      return present(e.optimizer[at.key]);
    case 'clip':
      return at.key === 'on' ? [e.clip != null] : present(e.clip);
    case 'curriculum':
      return present(e.curriculum[at.part][at.key]);
    case 'evaluation':
      return present(e.evaluation[at.key]);
    case 'scalar':
      return present(e[at.key]);
    default:
      return [];
  }
}
