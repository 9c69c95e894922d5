/**
 * WCAG contrast of both themes: the chart palette of theme.ts and the CSS variables of styles.css
 * (read from the file, so a colour edited there is checked too).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../schema/architecture';
import { ARCHITECTURES } from '../schema/architecture';
import { modelColor } from './charts/model-colors';
import { contrastRatio, parseHex, relativeLuminance } from './contrast';
import { DARK, LIGHT, PROJECTOR_LIGHT, type Theme } from './theme';

const BODY = 4.5;
const GRAPHICS = 3;

/** The custom properties of the first rule whose selector is exactly `selector`. */
function cssVariables(css: string, selector: string): Record<string, string> {
  const at = css.indexOf(`${selector} {`);
  if (at < 0) throw new Error(`no rule ${selector} in styles.css`);
  const body = css.slice(at, css.indexOf('}', at));
  const vars: Record<string, string> = {};
  for (const m of body.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\s*;/g)) vars[m[1]] = m[2];
  return vars;
}

const css = readFileSync(new URL('./styles.css', import.meta.url), 'utf8');
const CSS_THEMES: Array<[string, Record<string, string>, Theme]> = [
  ['light', cssVariables(css, ':root'), LIGHT],
  ['dark', cssVariables(css, ':root[data-theme="dark"]'), DARK],
  ['projector-light', cssVariables(css, ':root[data-theme="projector-light"]'), PROJECTOR_LIGHT],
];

describe('contrast', () => {
  it('follows WCAG 2 (black on white is 21:1, a colour on itself 1:1)', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#fff', '#000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#777777')).toBe(1);
    // WCAG's own reference: #767676 on white is just over 4.5:1
    expect(contrastRatio('#767676', '#ffffff')).toBeGreaterThan(4.5);
    expect(contrastRatio('#777777', '#ffffff')).toBeLessThan(4.5);
    expect(relativeLuminance('#ffffff')).toBeCloseTo(1, 10);
    expect(() => parseHex('blue')).toThrow();
  });
});

describe.each(CSS_THEMES)('the %s theme', (name, v, theme) => {
  it('has every colour the page uses', () => {
    for (const key of ['bg', 'surface', 'text', 'muted', 'accent', 'danger', 'danger-soft', 'focus']) {
      expect(v[key], `--${key}`).toMatch(/^#/);
    }
  });

  it('gives body text at least 4.5:1 on every background', () => {
    const pairs: Array<[string, string]> = [
      ['text', 'bg'],
      ['text', 'surface'],
      ['text', 'accent-soft'],
      ['text', 'danger-soft'],
      ['muted', 'bg'],
      ['muted', 'surface'],
      ['muted', 'accent-soft'],
      ['accent', 'surface'],
      ['accent', 'bg'],
      ['danger', 'surface'],
      // the primary button: surface-coloured text on the accent
      ['surface', 'accent'],
    ];
    for (const [fg, bg] of pairs) {
      expect(contrastRatio(v[fg], v[bg]), `${name}: --${fg} on --${bg}`).toBeGreaterThanOrEqual(BODY);
    }
  });

  it('makes the focus ring and borders of controls visible (3:1 for the ring)', () => {
    expect(contrastRatio(v.focus, v.bg)).toBeGreaterThanOrEqual(GRAPHICS);
    expect(contrastRatio(v.focus, v.surface)).toBeGreaterThanOrEqual(GRAPHICS);
  });

  it('matches the chart palette of theme.ts', () => {
    expect(theme.background).toBe(v.bg);
    expect(theme.surface).toBe(v.surface);
    expect(theme.text).toBe(v.text);
    expect(theme.muted).toBe(v.muted);
  });

  it('gives chart text 4.5:1 and chart lines 3:1 on the panel', () => {
    expect(contrastRatio(theme.text, theme.surface)).toBeGreaterThanOrEqual(BODY);
    expect(contrastRatio(theme.muted, theme.surface)).toBeGreaterThanOrEqual(BODY);
    for (const c of [...theme.series, theme.chance, theme.neutral]) {
      expect(contrastRatio(c, theme.surface), `${name}: ${c}`).toBeGreaterThanOrEqual(GRAPHICS);
    }
    for (const arch of ARCHITECTURES as readonly Architecture[]) {
      expect(
        contrastRatio(modelColor(theme, arch), theme.surface),
        `${name}: ${arch}`,
      ).toBeGreaterThanOrEqual(GRAPHICS);
    }
  });
});
