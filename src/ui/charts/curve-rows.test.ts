import { describe, expect, it } from 'vitest';
import type { IclCurve, IclCurveSet } from '../../eval/types';
import { singlePointBars, yLabelNote } from './curve-rows';

function curve(key: string, xs: number[], mean: number[], count = xs.map(() => 10)): IclCurve {
  return {
    key,
    label: key.toUpperCase(),
    examples: Int32Array.from(xs),
    mean: Float64Array.from(mean),
    lo: Float64Array.from(mean.map((m) => m - 0.1)),
    hi: Float64Array.from(mean.map((m) => m + 0.1)),
    count: Int32Array.from(count),
  };
}

function set(curves: IclCurve[], yLabel = 'squared error / 5'): IclCurveSet {
  return {
    task: 'vector-mqar',
    head: 'value',
    metric: 'squared-error',
    yLabel,
    chance: 1,
    prompts: 64,
    curves,
  } as IclCurveSet;
}

describe('singlePointBars', () => {
  it('turns curves scored at one x into one bar each, with their bands', () => {
    const s = set([curve('model:0:transformer', [64], [0.2]), curve('model:1:mamba', [64], [0.9])]);
    expect(singlePointBars(s)).toEqual({
      examples: 64,
      bars: [
        {
          key: 'model:0:transformer',
          label: 'MODEL:0:TRANSFORMER',
          mean: 0.2,
          lo: 0.1,
          hi: 0.30000000000000004,
        },
        { key: 'model:1:mamba', label: 'MODEL:1:MAMBA', mean: 0.9, lo: 0.8, hi: 1 },
      ],
    });
  });

  it('leaves curves over several x to the line chart, and ignores unscored points', () => {
    expect(singlePointBars(set([curve('a', [0, 1, 2], [1, 0.5, 0.2])]))).toBeNull();
    expect(singlePointBars(set([curve('a', [0, 5], [1, 0.5], [0, 10])]))?.bars.map((b) => b.mean)).toEqual([
      0.5,
    ]);
  });
});

describe('yLabelNote', () => {
  it('explains "squared error / d" and nothing else', () => {
    expect(yLabelNote(set([], 'squared error / 5'))).toMatch(
      /divided by 5, the dimension d of x.*predicting 0 scores about 1/,
    );
    expect(yLabelNote(set([], 'squared error'))).toBeNull();
    expect(yLabelNote(set([], 'accuracy'))).toBeNull();
  });
});
