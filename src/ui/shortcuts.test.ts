import { describe, expect, it } from 'vitest';
import { type ControlState, type KeyPress, type KeyTarget, keyTargetOf, shortcutCommand } from './shortcuts';

const BODY: KeyTarget = { tag: 'BODY', type: '', editable: false, role: '', inDialog: false };
const press = (key: string, target: KeyTarget = BODY, extra: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrl: false,
  alt: false,
  meta: false,
  repeat: false,
  target,
  ...extra,
});
const READY: ControlState = { canTrain: true, training: false, canReset: true };
const TRAINING: ControlState = { canTrain: true, training: true, canReset: true };

describe('shortcutCommand', () => {
  it('space trains, and pauses while training', () => {
    expect(shortcutCommand(press(' '), READY)).toBe('train');
    expect(shortcutCommand(press(' '), TRAINING)).toBe('pause');
  });

  it('s steps, r resets, ? shows the list (either case)', () => {
    expect(shortcutCommand(press('s'), READY)).toBe('step');
    expect(shortcutCommand(press('S'), READY)).toBe('step');
    expect(shortcutCommand(press('r'), READY)).toBe('reset');
    expect(shortcutCommand(press('?'), READY)).toBe('help');
    expect(shortcutCommand(press('x'), READY)).toBeNull();
  });

  it('does what the buttons allow only', () => {
    const invalid: ControlState = { canTrain: false, training: false, canReset: false };
    expect(shortcutCommand(press(' '), invalid)).toBeNull();
    expect(shortcutCommand(press('s'), invalid)).toBeNull();
    expect(shortcutCommand(press('r'), invalid)).toBeNull();
    expect(shortcutCommand(press('?'), invalid)).toBe('help');
  });

  it('never fires while typing', () => {
    const fields: KeyTarget[] = [
      { tag: 'INPUT', type: 'text', editable: false, role: '', inDialog: false },
      { tag: 'INPUT', type: 'number', editable: false, role: '', inDialog: false },
      { tag: 'INPUT', type: 'search', editable: false, role: '', inDialog: false },
      { tag: 'SELECT', type: 'select-one', editable: false, role: '', inDialog: false },
      { tag: 'TEXTAREA', type: 'textarea', editable: false, role: '', inDialog: false },
      { tag: 'DIV', type: '', editable: true, role: '', inDialog: false },
    ];
    for (const t of fields) {
      for (const key of [' ', 's', 'r', '?'])
        expect(shortcutCommand(press(key, t), READY), `${t.tag} ${key}`).toBeNull();
    }
  });

  it('leaves space to buttons, checkboxes and links, but letters still work there', () => {
    const button: KeyTarget = { tag: 'BUTTON', type: 'button', editable: false, role: '', inDialog: false };
    const checkbox: KeyTarget = {
      tag: 'INPUT',
      type: 'checkbox',
      editable: false,
      role: '',
      inDialog: false,
    };
    const radio: KeyTarget = { tag: 'INPUT', type: 'radio', editable: false, role: '', inDialog: false };
    const roleButton: KeyTarget = { tag: 'DIV', type: '', editable: false, role: 'button', inDialog: false };
    for (const t of [button, checkbox, radio, roleButton]) {
      expect(shortcutCommand(press(' ', t), READY)).toBeNull();
      expect(shortcutCommand(press('s', t), READY)).toBe('step');
    }
  });

  it('leaves a dialog alone (the share dialog’s checkboxes, the list of shortcuts)', () => {
    const inDialog: KeyTarget = { tag: 'INPUT', type: 'checkbox', editable: false, role: '', inDialog: true };
    for (const key of [' ', 's', 'r', '?']) expect(shortcutCommand(press(key, inDialog), READY)).toBeNull();
  });

  it('ignores presses with modifiers and held-down repeats', () => {
    expect(shortcutCommand(press('r', BODY, { ctrl: true }), READY)).toBeNull();
    expect(shortcutCommand(press('s', BODY, { meta: true }), READY)).toBeNull();
    expect(shortcutCommand(press('s', BODY, { alt: true }), READY)).toBeNull();
    expect(shortcutCommand(press(' ', BODY, { repeat: true }), TRAINING)).toBeNull();
    expect(shortcutCommand(press('s', BODY, { repeat: true }), READY)).toBeNull();
  });
});

describe('keyTargetOf', () => {
  it('reads an element-like target and tolerates none', () => {
    const el = {
      tagName: 'input',
      type: 'Number',
      isContentEditable: false,
      getAttribute: (n: string) => (n === 'role' ? 'spinbutton' : null),
      closest: (selector: string) => (selector.includes('dialog') ? {} : null),
    };
    expect(keyTargetOf(el as unknown as EventTarget)).toEqual({
      tag: 'INPUT',
      type: 'number',
      editable: false,
      role: 'spinbutton',
      inDialog: true,
    });
    expect(keyTargetOf(null)).toEqual({ tag: '', type: '', editable: false, role: '', inDialog: false });
  });
});
