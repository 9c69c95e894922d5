import { describe, expect, it } from 'vitest';
import { DARK, LIGHT } from '../theme';
import { modelColor } from './model-colors';

/** Hue in degrees of '#rrggbb'. */
function hue(hex: string): number {
  const v = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map((c) => c / 255);
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

const apart = (a: string, b: string) => {
  const d = Math.abs(hue(a) - hue(b));
  return Math.min(d, 360 - d);
};

describe('model colours', () => {
  it.each([
    ['light', LIGHT],
    ['dark', DARK],
  ] as const)('%s: the default race and the first baselines differ in hue by 30° or more', (_name, theme) => {
    const models = (['transformer', 'mamba', 'mambaformer'] as const).map((a) => modelColor(theme, a));
    // least squares, k-NN, averaging: the first three baseline colours on the regression tasks
    const baselines = theme.series.slice(0, 3);
    for (const m of models)
      for (const b of baselines) expect(apart(m, b), `${m} vs ${b}`).toBeGreaterThanOrEqual(30);
    for (let i = 0; i < models.length; i++)
      for (let j = i + 1; j < models.length; j++)
        expect(apart(models[i], models[j])).toBeGreaterThanOrEqual(30);
  });
});
