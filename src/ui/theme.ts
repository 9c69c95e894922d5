/**
 * Colours of the charts and sketches for the light and the dark scheme (SVG attributes cannot read
 * CSS variables everywhere, so recharts gets them from here). Series colours follow Okabe & Ito's
 * colour-blind-safe palette, tuned for contrast on each background.
 */
import { useSyncExternalStore } from 'react';

export interface Theme {
  dark: boolean;
  text: string;
  muted: string;
  grid: string;
  chance: string;
  /** the zero predictor's curve: neutral, like the chance line it estimates */
  neutral: string;
  series: readonly string[];
}

const LIGHT: Theme = {
  dark: false,
  text: '#1d232b',
  muted: '#56606b',
  grid: '#d9dee4',
  chance: '#6b7480',
  neutral: '#7d8793',
  series: ['#0062a3', '#c45200', '#007a5a', '#a8407f', '#7a5a00', '#5b4cc4', '#b8002e', '#2b7f99'],
};

const DARK: Theme = {
  dark: true,
  text: '#e6e9ed',
  muted: '#a7b0ba',
  grid: '#38404a',
  chance: '#98a2ad',
  neutral: '#aeb6bf',
  series: ['#56b4e9', '#f0a040', '#3cc9a0', '#e08cc0', '#e8d44d', '#a99bff', '#ff7b8a', '#7fd4e8'],
};

const QUERY = '(prefers-color-scheme: dark)';

/** One MediaQueryList for the page (asking matchMedia on every render is not free). */
let media: MediaQueryList | null | undefined;
const darkQuery = (): MediaQueryList | null => {
  if (media === undefined)
    media = typeof window !== 'undefined' ? (window.matchMedia?.(QUERY) ?? null) : null;
  return media;
};

function subscribe(onChange: () => void): () => void {
  const m = darkQuery();
  m?.addEventListener('change', onChange);
  return () => m?.removeEventListener('change', onChange);
}

const prefersDark = () => darkQuery()?.matches ?? false;

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, prefersDark, () => false) ? DARK : LIGHT;
}

/** Colour of each curve, in order: the zero predictor neutral, the others through the palette. */
export function curveColors(theme: Theme, keys: readonly string[]): string[] {
  let next = 0;
  return keys.map((key) => (key === 'zero' ? theme.neutral : theme.series[next++ % theme.series.length]));
}
