/**
 * Classroom links: which settings a class may not change and which panels it does not see. The
 * keys are the ones a link carries (`#x=...&lock=task,models&hide=settings`); anything else in a
 * link is dropped with a warning, so a hand-edited link cannot lock or hide what does not exist.
 */
import type { ClassroomOptions } from '../../formats/share-link';

export interface ClassroomChoice<K extends string> {
  key: K;
  /** what the classroom dialog calls it */
  title: string;
}

/** Settings a classroom link can lock (each disables the controls that change it). */
export const LOCKABLE = [
  { key: 'task', title: 'Task' },
  { key: 'models', title: 'Architectures' },
  { key: 'preset', title: 'Preset' },
  { key: 'optimizer.lr', title: 'Learning rate' },
  { key: 'optimizer', title: 'Adam betas, epsilon and gradient clip' },
  { key: 'curriculum', title: 'Curriculum' },
  { key: 'task.params', title: 'Task parameters (d, N, ...)' },
  { key: 'sizes', title: 'Model sizes (width, layers, heads, state size)' },
  { key: 'schedule', title: 'Batch, steps and evaluation' },
  { key: 'seed', title: 'Seed' },
] as const satisfies readonly ClassroomChoice<string>[];

/** Panels a classroom link can hide (they are not rendered at all). */
export const HIDEABLE = [
  { key: 'gallery', title: 'Task gallery' },
  { key: 'settings', title: 'Settings' },
  { key: 'loss', title: 'Training loss' },
  { key: 'icl', title: 'In-context error' },
  { key: 'attention', title: 'Attention' },
  { key: 'ssm', title: 'SSM state' },
  { key: 'probe', title: 'Probe' },
  { key: 'runs', title: 'Runs' },
  { key: 'diagnostics', title: 'Diagnostics' },
] as const satisfies readonly ClassroomChoice<string>[];

export type LockKey = (typeof LOCKABLE)[number]['key'];
export type PanelKey = (typeof HIDEABLE)[number]['key'];

export interface Classroom {
  lock: LockKey[];
  hide: PanelKey[];
}

/** What a new classroom link proposes: the class keeps to one task and one set of models. */
export const DEFAULT_CLASSROOM: Classroom = {
  lock: ['task', 'models', 'preset'],
  hide: ['settings', 'runs'],
};

const LOCK_KEYS: readonly string[] = LOCKABLE.map((c) => c.key);
const PANEL_KEYS: readonly string[] = HIDEABLE.map((c) => c.key);

const isLockKey = (k: string): k is LockKey => LOCK_KEYS.includes(k);
const isPanelKey = (k: string): k is PanelKey => PANEL_KEYS.includes(k);

/**
 * The classroom options of a link, keeping only known keys (each once, in catalogue order), with a
 * warning naming whatever was dropped.
 */
export function readClassroom(options: ClassroomOptions): { classroom: Classroom; warnings: string[] } {
  const warnings: string[] = [];
  const unknownLocks = options.lock.filter((k) => !isLockKey(k));
  const unknownPanels = options.hide.filter((k) => !isPanelKey(k));
  if (unknownLocks.length) warnings.push(`link: ignored unknown locked settings: ${unknownLocks.join(', ')}`);
  if (unknownPanels.length) warnings.push(`link: ignored unknown hidden panels: ${unknownPanels.join(', ')}`);
  return {
    classroom: {
      lock: LOCKABLE.map((c) => c.key).filter((k) => options.lock.includes(k)),
      hide: HIDEABLE.map((c) => c.key).filter((k) => options.hide.includes(k)),
    },
    warnings,
  };
}

export const isLocked = (c: Classroom | null, key: LockKey): boolean => !!c?.lock.includes(key);
export const isHidden = (c: Classroom | null, panel: PanelKey): boolean => !!c?.hide.includes(panel);

/** "2 settings locked, 3 panels hidden" (for the classroom banner). */
export function describeClassroom(c: Classroom): string {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  const parts: string[] = [];
  if (c.lock.length) parts.push(`${n(c.lock.length, 'setting', 'settings')} locked`);
  if (c.hide.length) parts.push(`${n(c.hide.length, 'panel', 'panels')} hidden`);
  return parts.length ? parts.join(', ') : 'nothing locked or hidden';
}
