/**
 * Share links: the whole experiment in the URL fragment, so opening the link reproduces the run
 * (same config, same seed, same data stream).
 *
 * Only values that differ from the task's defaults are stored, as JSON, deflated and base64url
 * encoded: `#x=<payload>`. A classroom link adds `&lock=a,b` (settings the class may not change) and
 * `&hide=p,q` (panels hidden). Decoding never throws: a hand-edited or truncated link yields the
 * nearest valid experiment with a readable message, and sizes are bounded before and while inflating.
 */
import { deflateSync } from 'fflate';
import {
  coerceExperiment,
  defaultExperiment,
  EXPERIMENT_VERSION,
  type Experiment,
} from '../schema/experiment';
import { bindTask, DEFAULT_TASK } from '../tasks';
import { InflateError, inflateBounded } from './inflate-bounded';

/** Longest payload accepted (characters of base64url). */
export const MAX_LINK_PAYLOAD = 8192;
/** Largest inflated JSON accepted (bytes). */
export const MAX_LINK_JSON = 65536;

export interface ClassroomOptions {
  /** settings the class cannot change, e.g. 'task', 'models', 'optimizer.lr' */
  lock: string[];
  /** panels hidden, e.g. 'settings', 'attention', 'ssm' */
  hide: string[];
}

export interface DecodedLink {
  experiment: Experiment;
  /** what was wrong with the link and what was done about it (empty for a clean link) */
  warnings: string[];
  classroom: ClassroomOptions | null;
  /** nothing of the experiment could be read: `experiment` is the default one */
  unreadable: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The parts of `value` that differ from `base` (arrays are compared whole). */
export function difference(value: Json, base: Json | undefined): Json | undefined {
  if (isObject(value) && isObject(base)) {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      const d = difference(v, base[k]);
      if (d !== undefined) out[k] = d;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return JSON.stringify(value) === JSON.stringify(base) ? undefined : value;
}

/** `base` with `patch` laid over it (objects merged key by key, anything else replaced). */
export function overlay(base: Json, patch: Json): Json {
  if (isObject(base) && isObject(patch)) {
    const out: { [key: string]: Json } = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? overlay(base[k], v) : v;
    return out;
  }
  return patch;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text))
    throw new Error('the link contains characters that cannot be part of it');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The fragment (without '#') that encodes `experiment` and, for a classroom link, its locks. */
export function encodeShareFragment(experiment: Experiment, classroom?: ClassroomOptions): string {
  const base = defaultExperiment(experiment.task.name) as unknown as Json;
  const full = JSON.parse(JSON.stringify(experiment)) as Json;
  // The curriculum is stored whole, and only when it is not the one the task derives from its parameters.
  if (isObject(full) && isObject(base)) {
    const derived = bindTask(experiment.task.name, experiment.task.params).curriculum();
    base.curriculum =
      JSON.stringify(derived) === JSON.stringify(experiment.curriculum) ? full.curriculum : null;
  }
  const diff = (difference(full, base) ?? {}) as { [key: string]: Json };
  const compact: { [key: string]: Json } = { ...diff, v: EXPERIMENT_VERSION, t: experiment.task.name };
  delete compact.version;
  if (isObject(compact.task)) {
    const task = { ...compact.task };
    delete task.name;
    if (Object.keys(task).length) compact.task = task;
    else delete compact.task;
  }
  const payload = toBase64Url(deflateSync(new TextEncoder().encode(JSON.stringify(compact)), { level: 9 }));
  return [`x=${payload}`, ...classroomParts(classroom)].join('&');
}

const LIST_ITEM = /^[a-zA-Z0-9_.-]{1,40}$/;

function parseList(text: string | null, warnings: string[], what: string): string[] {
  if (!text) return [];
  const items = text.split(',').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return '';
    }
  });
  const good = items.filter((s) => LIST_ITEM.test(s)).slice(0, 32);
  if (good.length !== items.length) warnings.push(`link: ignored malformed ${what} entries`);
  return good;
}

function classroomOf(params: URLSearchParams, warnings: string[]): ClassroomOptions | null {
  return params.has('lock') || params.has('hide') || params.has('classroom')
    ? {
        lock: parseList(params.get('lock'), warnings, 'lock'),
        hide: parseList(params.get('hide'), warnings, 'hide'),
      }
    : null;
}

function classroomParts(classroom: ClassroomOptions | undefined): string[] {
  if (!classroom) return [];
  const parts: string[] = [];
  if (classroom.lock.length) parts.push(`lock=${classroom.lock.map(encodeURIComponent).join(',')}`);
  if (classroom.hide.length) parts.push(`hide=${classroom.hide.map(encodeURIComponent).join(',')}`);
  if (!classroom.lock.length && !classroom.hide.length) parts.push('classroom=1');
  return parts;
}

/** The version of view links (`#lesson=...` and `#replay=...`); `lv` in the fragment, 1 when absent. */
export const VIEW_LINK_VERSION = 1;

/**
 * A link that opens a view rather than an experiment: a lesson at a step (1-based in the link,
 * `#lesson=<id>&step=<n>`), or a recorded run (`#replay=<file>`), played at once. Either may carry
 * a classroom's locks and hidden panels like an experiment link.
 */
export type ViewLink = { kind: 'lesson'; lesson: string; step: number } | { kind: 'replay'; file: string };

export interface DecodedView {
  view: ViewLink;
  classroom: ClassroomOptions | null;
  warnings: string[];
}

const VIEW_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** The fragment (without '#') of a view link; `step` is 0-based here and 1-based in the link. */
export function encodeViewFragment(view: ViewLink, classroom?: ClassroomOptions): string {
  const head =
    view.kind === 'lesson'
      ? [`lesson=${encodeURIComponent(view.lesson)}`, `step=${Math.max(0, Math.trunc(view.step)) + 1}`]
      : [`replay=${encodeURIComponent(view.file)}`];
  return [...head, `lv=${VIEW_LINK_VERSION}`, ...classroomParts(classroom)].join('&');
}

/**
 * Read a view link (with or without '#'); null when the fragment is not one (an experiment link or
 * a plain visit). Never throws: a bad step opens the first, a newer version is read as far as it can.
 */
export function decodeViewFragment(fragment: string): DecodedView | null {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (!text || text.length > 4096) return null;
  const params = new URLSearchParams(text);
  if (params.has('x')) return null;
  const lesson = params.get('lesson');
  const replay = params.get('replay');
  if (lesson === null && replay === null) return null;
  const warnings: string[] = [];
  const version = Number(params.get('lv') ?? VIEW_LINK_VERSION);
  if (!(version <= VIEW_LINK_VERSION))
    warnings.push('link: made by a newer version of ICL Lab; opened what this version understands');
  const classroom = classroomOf(params, warnings);
  const name = (lesson ?? replay ?? '').slice(0, 200);
  if (!VIEW_NAME.test(name)) {
    warnings.push(`link: "${name.slice(0, 40)}" is not a ${lesson !== null ? 'lesson' : 'recorded run'}`);
  }
  if (lesson !== null) {
    const raw = params.get('step');
    const n = raw === null ? 1 : Number(raw);
    const step = Number.isInteger(n) && n >= 1 ? n - 1 : 0;
    if (raw !== null && step === 0 && n !== 1)
      warnings.push(`link: step "${raw.slice(0, 20)}" is not a step; opened the first`);
    return { view: { kind: 'lesson', lesson: name, step }, classroom, warnings };
  }
  return { view: { kind: 'replay', file: name }, classroom, warnings };
}

/**
 * Read a fragment made by encodeShareFragment (with or without '#'). Returns null when the fragment
 * holds no experiment at all (a plain visit); otherwise the nearest valid experiment and warnings.
 */
export function decodeShareFragment(fragment: string): DecodedLink | null {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (!text) return null;
  if (text.length > MAX_LINK_PAYLOAD + 2048) {
    return fallback([
      `link: ${text.length} characters is longer than any experiment link; opened the default experiment`,
    ]);
  }
  const params = new URLSearchParams(text);
  const payload = params.get('x');
  if (payload === null) return null;
  const warnings: string[] = [];
  const classroom = classroomOf(params, warnings);
  let compact: unknown;
  try {
    if (payload.length > MAX_LINK_PAYLOAD) throw new Error(`it is ${payload.length} characters long`);
    let json: Uint8Array;
    try {
      json = inflateBounded(fromBase64Url(payload), 'deflate', MAX_LINK_JSON);
    } catch (e) {
      if (e instanceof InflateError && e.reason === 'too-large') {
        throw new Error('it expands to more than any experiment needs');
      }
      throw e;
    }
    compact = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    const why = e instanceof Error && e.message ? e.message : 'it is damaged';
    return fallback(
      [`link: this link could not be read (${why}; it may be truncated); opened the default experiment`],
      classroom,
    );
  }
  if (typeof compact !== 'object' || compact === null || Array.isArray(compact)) {
    return fallback(['link: the link does not hold an experiment; opened the default experiment'], classroom);
  }
  const { v, t, ...rest } = compact as { v?: unknown; t?: unknown; [key: string]: unknown };
  const taskName = typeof t === 'string' ? t : DEFAULT_TASK;
  const input: { [key: string]: unknown } = {
    ...rest,
    version: typeof v === 'number' ? v : EXPERIMENT_VERSION,
  };
  const task = isPlainRecord(rest.task) ? rest.task : {};
  input.task = { ...task, name: taskName };
  let base: Json;
  try {
    base = defaultExperiment(taskName as Experiment['task']['name']) as unknown as Json;
  } catch {
    base = defaultExperiment() as unknown as Json;
  }
  // The curriculum default depends on the task's parameters: only overlay it when the link sets it.
  if (isObject(base)) delete base.curriculum;
  const merged = overlay(base, input as Json);
  const coerced = coerceExperiment(merged);
  return {
    experiment: coerced.experiment,
    warnings: [...warnings, ...coerced.warnings],
    classroom,
    unreadable: false,
  };
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fallback(warnings: string[], classroom: ClassroomOptions | null = null): DecodedLink {
  return { experiment: defaultExperiment(), warnings, classroom, unreadable: true };
}
