/**
 * Reading the limits of a setting from its zod definition, so the settings panel never restates a
 * bound: `schemaAt` walks an object schema to one field, `numberBounds` reads its min / max / whole
 * number and description, `checkNumber` says in words why a value is outside them.
 */
import type { z } from 'zod';

export interface NumberBounds {
  min?: number;
  max?: number;
  /** whole numbers only */
  integer: boolean;
  /** the schema's `.describe()` text ('' when it has none) */
  description: string;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional', 'catch']);

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def;
}

/** The schema inside optional / default / nullable / pipe wrappers. */
export function innerSchema(schema: z.ZodType): z.ZodType {
  let node = schema;
  for (let guard = 0; guard < 16; guard++) {
    const def = defOf(node);
    if (WRAPPERS.has(def.type) && def.innerType) node = def.innerType;
    else if (def.type === 'pipe' && def.in) node = def.in;
    else return node;
  }
  return node;
}

/** The first description found from the outside in. */
export function descriptionOf(schema: z.ZodType): string {
  let node: z.ZodType = schema;
  for (let guard = 0; guard < 16; guard++) {
    if (node.description) return node.description;
    const next = unwrapOnce(node);
    if (!next) return '';
    node = next;
  }
  return '';
}

/**
 * The settings panel's texts of a field: `.meta({ label, about })`, the first found from the
 * outside in; `about` falls back to the description, `label` to '' (the caller names the field).
 */
export function settingTextOf(schema: z.ZodType): { label: string; about: string } {
  let node: z.ZodType | null = schema;
  let label = '';
  let about = '';
  for (let guard = 0; guard < 16 && node; guard++) {
    const meta = node.meta();
    if (!label && typeof meta?.label === 'string') label = meta.label;
    if (!about && typeof meta?.about === 'string') about = meta.about;
    node = unwrapOnce(node);
  }
  return { label, about: about || descriptionOf(schema) };
}

function unwrapOnce(schema: z.ZodType): z.ZodType | null {
  const def = defOf(schema);
  if (WRAPPERS.has(def.type) && def.innerType) return def.innerType;
  if (def.type === 'pipe' && def.in) return def.in;
  return null;
}

/** The field at `path` of an object schema (wrappers are looked through); throws when there is none. */
export function schemaAt(root: z.ZodType, path: readonly string[]): z.ZodType {
  let node = root;
  for (const key of path) {
    const inner = innerSchema(node) as unknown as { shape?: Record<string, z.ZodType> };
    const next = inner.shape?.[key];
    if (!next) throw new Error(`no setting ${path.join('.')} in the schema (at ${key})`);
    node = next;
  }
  return node;
}

/** The numeric limits of a number schema (through its wrappers); throws for anything but a number. */
export function numberBounds(schema: z.ZodType): NumberBounds {
  const inner = innerSchema(schema) as unknown as {
    def: Def;
    minValue: number | null;
    maxValue: number | null;
    isInt: boolean;
  };
  if (inner.def.type !== 'number') throw new Error(`not a number schema (${inner.def.type})`);
  const finite = (v: number | null) =>
    v === null || !Number.isFinite(v) || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v;
  return {
    min: finite(inner.minValue),
    max: finite(inner.maxValue),
    integer: inner.isInt,
    description: descriptionOf(schema),
  };
}

/** Why `value` breaks the schema's limits, in words ("must be at most 64"); null when it is fine. */
export function checkNumber(schema: z.ZodType, value: number): string | null {
  const parsed = innerSchema(schema).safeParse(value);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  switch (issue.code) {
    case 'too_small':
      return `must be ${issue.inclusive === false ? 'above' : 'at least'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? 'below' : 'at most'} ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'int' ? 'must be a whole number' : 'must be a finite number';
    default:
      return issue.message;
  }
}
