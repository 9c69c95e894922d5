/**
 * Colours of the charts and sketches for the two themes (SVG attributes cannot read CSS variables
 * everywhere, so recharts gets them from here): light, and dark, the projector theme (large type,
 * high contrast). They match the CSS variables of styles.css (theme.test.ts checks both against
 * WCAG contrast). Series colours follow Okabe & Ito's colour-blind-safe palette, tuned for
 * contrast on each background. Which theme is on: the theme store (remembered choice, else
 * prefers-color-scheme), applied as `data-theme` on <html>.
 */
import { useSyncExternalStore } from 'react';
import { createThemeStore, type ThemeName } from '../app/stores/theme-store';

export interface Theme {
  name: ThemeName;
  dark: boolean;
  /** page background and panel surface (as --bg and --surface in styles.css) */
  background: string;
  surface: string;
  text: string;
  muted: string;
  grid: string;
  chance: string;
  /** the zero predictor's curve: neutral, like the chance line it estimates */
  neutral: string;
  series: readonly string[];
}

export const LIGHT: Theme = {
  name: 'light',
  dark: false,
  background: '#f6f7f9',
  surface: '#ffffff',
  text: '#1d232b',
  muted: '#56606b',
  grid: '#d9dee4',
  chance: '#6b7480',
  neutral: '#7d8793',
  series: ['#0062a3', '#c45200', '#007a5a', '#a8407f', '#7a5a00', '#5b4cc4', '#b8002e', '#2b7f99'],
};

export const DARK: Theme = {
  name: 'dark',
  dark: true,
  background: '#0e1115',
  surface: '#1b2027',
  text: '#f3f5f7',
  muted: '#bfc7d0',
  grid: '#444d58',
  chance: '#98a2ad',
  neutral: '#aeb6bf',
  series: ['#56b4e9', '#f0a040', '#3cc9a0', '#e08cc0', '#e8d44d', '#a99bff', '#ff7b8a', '#7fd4e8'],
};

/**
 * The light projector theme: black on white, darker lines and larger type (styles.css): a projector
 * washes out dark backgrounds and pale greys, not black on white.
 */
export const PROJECTOR_LIGHT: Theme = {
  name: 'projector-light',
  dark: false,
  background: '#ffffff',
  surface: '#ffffff',
  text: '#000000',
  muted: '#30363d',
  grid: '#9aa3ad',
  chance: '#4a525b',
  neutral: '#59616a',
  series: ['#004f85', '#a34400', '#00664a', '#8c2f68', '#5f4600', '#4436a8', '#9a0026', '#1d6880'],
};

export const THEMES: Record<ThemeName, Theme> = {
  light: LIGHT,
  dark: DARK,
  'projector-light': PROJECTOR_LIGHT,
};

function browserEnv() {
  if (typeof window === 'undefined') return {};
  let storage: Storage | null = null;
  try {
    storage = window.localStorage;
  } catch {
    // storage disabled: the choice lasts for this page only
  }
  return {
    storage,
    media: window.matchMedia?.('(prefers-color-scheme: dark)') ?? null,
    apply: (theme: ThemeName) => {
      document.documentElement.dataset.theme = theme;
    },
  };
}

/** The page's theme (one store; the theme switch writes it). */
export const themeStore = createThemeStore(browserEnv());

const subscribe = (onChange: () => void) => themeStore.subscribe(onChange);
const themeName = () => themeStore.getState().theme;

export function useTheme(): Theme {
  return THEMES[useSyncExternalStore(subscribe, themeName, () => 'light' as const)];
}

/** Colour of each curve, in order: the zero predictor neutral, the others through the palette. */
export function curveColors(theme: Theme, keys: readonly string[]): string[] {
  let next = 0;
  return keys.map((key) => (key === 'zero' ? theme.neutral : theme.series[next++ % theme.series.length]));
}
