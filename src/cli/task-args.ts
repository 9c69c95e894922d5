/**
 * Command-line task parameters: `--n-points 41 --d 20` become { nPoints: 41, d: 20 } and are
 * validated by the task's own parameter schema, so the CLI enforces the same limits as the app.
 */
import type { z } from 'zod';
import { getTask, isTaskName, TASKS } from '../tasks';
import type { TaskName } from '../tasks/types';

export class UsageError extends Error {}

export function kebabToCamel(s: string): string {
  return s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function camelToKebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A literal from the command line: number, boolean, or the string itself. */
export function parseLiteral(text: string): number | boolean | string {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) return Number(text);
  return text;
}

export function requireTaskName(name: string | undefined): TaskName {
  if (!name) throw new UsageError(`--task is required; one of: ${TASKS.map((t) => t.name).join(', ')}`);
  if (!isTaskName(name)) {
    const close = TASKS.map((t) => t.name).filter((t) => t.includes(name) || name.includes(t.split('-')[0]));
    const hint = close.length ? ` Did you mean ${close.join(' or ')}?` : '';
    throw new UsageError(`unknown task "${name}".${hint} Tasks: ${TASKS.map((t) => t.name).join(', ')}`);
  }
  return name;
}

/** The parameter names (camelCase) a task accepts, read from its schema. */
export function taskParamNames(name: TaskName): string[] {
  const schema = getTask(name).paramsSchema as unknown as { shape?: Record<string, unknown> };
  return schema.shape ? Object.keys(schema.shape) : [];
}

/** Validate raw `--key value` pairs as the task's parameters; readable errors for anything wrong. */
export function parseTaskParams(name: TaskName, raw: Record<string, string>): Record<string, unknown> {
  const known = new Set(taskParamNames(name));
  const params: Record<string, unknown> = {};
  for (const [flag, text] of Object.entries(raw)) {
    const key = kebabToCamel(flag);
    if (!known.has(key)) {
      const list = [...known].map((k) => `--${camelToKebab(k)}`).join(', ');
      throw new UsageError(
        `unknown option --${flag} for task ${name}; its parameters are: ${list || '(none)'}`,
      );
    }
    params[key] = parseLiteral(text);
  }
  const parsed = (getTask(name).paramsSchema as z.ZodType).safeParse(params);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const flag = i.path.length ? `--${camelToKebab(String(i.path[0]))}` : 'parameters';
      return `${flag}: ${i.message}`;
    });
    throw new UsageError(`bad parameter for task ${name}:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data as Record<string, unknown>;
}

/** Help text listing a task's parameters with defaults and descriptions. */
export function describeTaskParams(name: TaskName): string {
  const task = getTask(name);
  const schema = task.paramsSchema as unknown as { shape?: Record<string, { description?: string }> };
  const defaults = task.defaults as Record<string, unknown>;
  return taskParamNames(name)
    .map(
      (k) =>
        `  --${camelToKebab(k)} <value>  ${schema.shape?.[k]?.description ?? ''} (default ${JSON.stringify(defaults[k])})`,
    )
    .join('\n');
}
