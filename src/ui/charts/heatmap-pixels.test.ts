import { describe, expect, it } from 'vitest';
import {
  type HeatmapColors,
  heatmapPixels,
  hexRgb,
  rampColor,
  rampGradient,
  sameMatrix,
} from './heatmap-pixels';

const COLORS: HeatmapColors = {
  background: [255, 255, 255],
  positive: [0, 0, 255],
  negative: [255, 0, 0],
  bad: [1, 2, 3],
};
const px = (p: Uint8ClampedArray, i: number) => [...p.subarray(4 * i, 4 * i + 4)];

describe('heatmap pixels', () => {
  it('ramps from the background to the colour by the square root of |v| / max', () => {
    const { width, height, pixels } = heatmapPixels(Float32Array.of(0, 0.25, 1, Number.NaN), 2, 2, COLORS);
    expect([width, height]).toEqual([2, 2]);
    expect(px(pixels, 0)).toEqual([255, 255, 255, 255]);
    // sqrt(0.25) = half way
    expect(px(pixels, 1)).toEqual([128, 128, 255, 255]);
    expect(px(pixels, 2)).toEqual([0, 0, 255, 255]);
    expect(px(pixels, 3)).toEqual([1, 2, 3, 255]);
  });

  it('uses the negative colour for negative values only when diverging, and transposes', () => {
    // [2, 3]: row 0 = -1 0 0, row 1 = 0 0 1
    const data = Float64Array.of(-1, 0, 0, 0, 0, 1);
    const seq = heatmapPixels(data, 2, 3, COLORS);
    expect(px(seq.pixels, 0)).toEqual([0, 0, 255, 255]);
    const div = heatmapPixels(data, 2, 3, COLORS, { diverging: true, transpose: true });
    expect([div.width, div.height]).toEqual([2, 3]);
    // transposed: cell (r 0, c 0) at x 0 y 0; cell (r 1, c 2) at x 1 y 2
    expect(px(div.pixels, 0)).toEqual([255, 0, 0, 255]);
    expect(px(div.pixels, 2 * 2 + 1)).toEqual([0, 0, 255, 255]);
    expect(px(div.pixels, 1)).toEqual([255, 255, 255, 255]);
  });

  it('draws an all-zero matrix as background', () => {
    const { pixels } = heatmapPixels(new Float32Array(4), 2, 2, COLORS);
    expect(px(pixels, 3)).toEqual([255, 255, 255, 255]);
    expect(hexRgb('#0062a3')).toEqual([0, 98, 163]);
  });

  it('knows two views of the same bytes from different bytes', () => {
    const w = new Float32Array(8);
    expect(sameMatrix(w.subarray(0, 4), w.subarray(0, 4))).toBe(true);
    expect(sameMatrix(w.subarray(0, 4), w.subarray(4, 8))).toBe(false);
    expect(sameMatrix(w.subarray(0, 4), new Float32Array(4))).toBe(false);
    expect(sameMatrix(null, w)).toBe(false);
    const plain = [1, 2];
    expect(sameMatrix(plain, plain)).toBe(true);
    expect(sameMatrix([1, 2], plain)).toBe(false);
  });

  it('gives the legend the same ramp as the pixels', () => {
    const data = Float32Array.of(-2, -0.5, 0, 0.5, 2);
    const { pixels } = heatmapPixels(data, 1, 5, COLORS, { diverging: true });
    for (let i = 0; i < 5; i++)
      expect([...rampColor(data[i], 2, COLORS, true)].map(Math.round)).toEqual(px(pixels, i).slice(0, 3));
    const g = rampGradient(2, COLORS, true, 3);
    expect(g).toBe(
      'linear-gradient(to right, rgb(255 0 0) 0.0%, rgb(255 255 255) 50.0%, rgb(0 0 255) 100.0%)',
    );
    expect(rampGradient(1, COLORS, false, 2)).toBe(
      'linear-gradient(to right, rgb(255 255 255) 0.0%, rgb(0 0 255) 100.0%)',
    );
  });
});
