/**
 * Keyboard shortcuts of the lab, as a pure decision: which command a key press means, given where
 * the focus is and what the controls allow. Space = Train / Pause, s = Step, r = Reset, ? = the list.
 * Nothing fires while someone types in a text field, a select or a textarea (or with Ctrl, Alt or
 * Meta held) or works in a dialog, and Space is left to a focused button, checkbox, link or
 * summary, which it operates.
 */

export type ShortcutCommand = 'train' | 'pause' | 'step' | 'reset' | 'help';

export interface Shortcut {
  keys: string;
  does: string;
}

/** The list the "?" dialog shows. */
export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'Space', does: 'Train, or pause while training' },
  { keys: 'S', does: 'One training step of every model' },
  { keys: 'R', does: 'Reset every model to its initialisation' },
  { keys: '?', does: 'Show this list' },
];

/** What the key press hit (from the event's target). */
export interface KeyTarget {
  /** upper-case tag name, e.g. 'INPUT' */
  tag: string;
  /** an input's type, lower case ('' otherwise) */
  type: string;
  editable: boolean;
  /** the ARIA role, if any */
  role: string;
  /** inside a dialog (the shortcuts' own, or any other) */
  inDialog: boolean;
}

export interface KeyPress {
  key: string;
  ctrl: boolean;
  alt: boolean;
  meta: boolean;
  repeat: boolean;
  target: KeyTarget;
}

/** What the controls allow now (the same rules as the buttons' disabled states). */
export interface ControlState {
  /** the experiment is valid (Train and Step are enabled) */
  canTrain: boolean;
  training: boolean;
  /** there are models to reset */
  canReset: boolean;
}

/** Input types that take no typing (letters mean nothing to them). */
const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']);

export function isTextEntry(t: KeyTarget): boolean {
  if (t.editable || t.tag === 'TEXTAREA' || t.tag === 'SELECT') return true;
  return t.tag === 'INPUT' && !NON_TEXT_INPUTS.has(t.type);
}

/** Elements that Space operates by itself. */
function spaceOperates(t: KeyTarget): boolean {
  if (isTextEntry(t)) return true;
  if (['BUTTON', 'INPUT', 'A', 'SUMMARY', 'SELECT', 'OPTION'].includes(t.tag)) return true;
  return ['button', 'checkbox', 'radio', 'switch', 'tab', 'menuitem', 'option', 'link'].includes(t.role);
}

/** The command a key press means, or null (the press is left to the browser). */
export function shortcutCommand(press: KeyPress, state: ControlState): ShortcutCommand | null {
  if (press.ctrl || press.alt || press.meta) return null;
  const t = press.target;
  if (isTextEntry(t) || t.inDialog) return null;
  if (press.key === ' ' || press.key === 'Spacebar') {
    if (press.repeat || spaceOperates(t)) return null;
    if (state.training) return 'pause';
    return state.canTrain ? 'train' : null;
  }
  if (press.repeat) return null;
  switch (press.key) {
    case 's':
    case 'S':
      return state.canTrain ? 'step' : null;
    case 'r':
    case 'R':
      return state.canReset ? 'reset' : null;
    case '?':
      return 'help';
    default:
      return null;
  }
}

/** The KeyTarget of a DOM event target. */
export function keyTargetOf(target: EventTarget | null): KeyTarget {
  const el = target as Partial<HTMLElement> | null;
  return {
    tag: typeof el?.tagName === 'string' ? el.tagName.toUpperCase() : '',
    type:
      typeof (el as Partial<HTMLInputElement>)?.type === 'string'
        ? (el as HTMLInputElement).type.toLowerCase()
        : '',
    editable: el?.isContentEditable === true,
    role: typeof el?.getAttribute === 'function' ? (el.getAttribute('role') ?? '') : '',
    inDialog: typeof el?.closest === 'function' && el.closest('dialog, [role="dialog"]') !== null,
  };
}
