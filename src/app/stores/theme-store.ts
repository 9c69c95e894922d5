/**
 * The colour theme: 'light', or 'dark' (the projector theme: dark, large type, high contrast).
 * The first visit follows the system's prefers-color-scheme (and keeps following it); once someone
 * picks a theme, it is remembered in localStorage and wins. Pure apart from the injected storage,
 * media query and `apply` (which sets the page's data-theme attribute).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';

/** light, dark (the dark projector theme) and projector-light (white, black, large: projectors wash out dark pages) */
export type ThemeName = 'light' | 'dark' | 'projector-light';

export const THEME_KEY = 'icl-lab:theme';

export const isThemeName = (v: unknown): v is ThemeName =>
  v === 'light' || v === 'dark' || v === 'projector-light';

/** The stored choice if there is a valid one, else the system's preference. */
export function initialTheme(stored: string | null, prefersDark: boolean): ThemeName {
  if (isThemeName(stored)) return stored;
  return prefersDark ? 'dark' : 'light';
}

export interface ThemeState {
  theme: ThemeName;
  /** someone picked it (else it follows the system) */
  chosen: boolean;
  setTheme(theme: ThemeName): void;
}

/** The part of a MediaQueryList used here. */
export interface ThemeMedia {
  matches: boolean;
  addEventListener(type: 'change', listener: (e: { matches: boolean }) => void): void;
}

/** The parts of Storage and MediaQueryList used here (both may be missing or throw). */
export interface ThemeEnv {
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  media?: ThemeMedia | null;
  apply?: (theme: ThemeName) => void;
}

function read(storage: ThemeEnv['storage']): string | null {
  try {
    return storage?.getItem(THEME_KEY) ?? null;
  } catch {
    return null;
  }
}

export function createThemeStore(env: ThemeEnv = {}): StoreApi<ThemeState> {
  const stored = read(env.storage);
  const store = createStore<ThemeState>()((set) => ({
    theme: initialTheme(stored, env.media?.matches ?? false),
    chosen: isThemeName(stored),
    setTheme(theme) {
      try {
        env.storage?.setItem(THEME_KEY, theme);
      } catch {
        // storage full or disabled: the choice lasts for this page only
      }
      set({ theme, chosen: true });
    },
  }));
  env.media?.addEventListener('change', (e) => {
    if (!store.getState().chosen) store.setState({ theme: e.matches ? 'dark' : 'light' });
  });
  if (env.apply) {
    env.apply(store.getState().theme);
    store.subscribe((s, prev) => {
      if (s.theme !== prev.theme) env.apply?.(s.theme);
    });
  }
  return store;
}
