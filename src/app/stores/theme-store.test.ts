import { describe, expect, it } from 'vitest';
import { createThemeStore, initialTheme, THEME_KEY, type ThemeName } from './theme-store';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  };
}

function fakeMedia(matches: boolean) {
  const listeners: Array<(e: { matches: boolean }) => void> = [];
  return {
    matches,
    addEventListener: (_: string, fn: (e: { matches: boolean }) => void) => void listeners.push(fn),
    fire(now: boolean) {
      for (const fn of listeners) fn({ matches: now });
    },
  };
}

describe('initialTheme', () => {
  it('follows the system on a first visit', () => {
    expect(initialTheme(null, true)).toBe('dark');
    expect(initialTheme(null, false)).toBe('light');
  });
  it('prefers a stored choice, ignoring junk', () => {
    expect(initialTheme('light', true)).toBe('light');
    expect(initialTheme('dark', false)).toBe('dark');
    expect(initialTheme('purple', true)).toBe('dark');
  });
});

describe('createThemeStore', () => {
  it('remembers a choice and applies it', () => {
    const storage = memoryStorage();
    const applied: ThemeName[] = [];
    const store = createThemeStore({ storage, media: fakeMedia(false), apply: (t) => applied.push(t) });
    expect(store.getState().theme).toBe('light');
    store.getState().setTheme('dark');
    expect(storage.data.get(THEME_KEY)).toBe('dark');
    expect(applied).toEqual(['light', 'dark']);
    // the next visit starts from the choice, whatever the system says
    expect(createThemeStore({ storage, media: fakeMedia(false) }).getState().theme).toBe('dark');
  });

  it('follows system changes until someone chooses', () => {
    const media = fakeMedia(false);
    const store = createThemeStore({ storage: memoryStorage(), media });
    media.fire(true);
    expect(store.getState().theme).toBe('dark');
    store.getState().setTheme('light');
    media.fire(true);
    expect(store.getState().theme).toBe('light');
  });

  it('survives storage that throws', () => {
    const storage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const store = createThemeStore({ storage, media: fakeMedia(true) });
    expect(store.getState().theme).toBe('dark');
    store.getState().setTheme('light');
    expect(store.getState().theme).toBe('light');
  });
});
