import { describe, expect, it } from 'vitest';
import type { HeadBatch, HeadSpec, PromptBatch } from '../tasks/types';
import { scoreHead } from './score';

function batchWith(head: HeadBatch, batchSize: number, extra: Partial<PromptBatch> = {}): PromptBatch {
  return {
    task: 'linear-regression',
    batchSize,
    seqLen: 2,
    tokenDim: 1,
    tokens: new Float32Array(batchSize * 2),
    tokenKinds: new Uint8Array(2),
    heads: [head],
    ...extra,
  };
}

const spec = (metric: HeadSpec['metric'], dim = 1, normalisation = 1): HeadSpec => ({
  name: 'y',
  dim,
  loss: 'mse',
  metric,
  normalisation,
});

describe('scoreHead', () => {
  it('squared error sums over dims, divides by the normalisation and honours the mask', () => {
    // 2 prompts, 2 targets, 2 dims
    const head: HeadBatch = {
      spec: spec('squared-error', 2, 4),
      positions: Int32Array.of(0, 1),
      targets: Float32Array.of(1, 1, 0, 0, 2, 0, 0, 3),
      targetDim: 2,
      mask: Float32Array.of(1, 0, 1, 1),
      examplesBefore: Int32Array.of(0, 1),
    };
    const preds = Float64Array.of(0, 0, 100, 100, 2, 2, 0, 0);
    const s = scoreHead(batchWith(head, 2), 0, preds);
    expect(Array.from(s.scored)).toEqual([1, 0, 1, 1]);
    expect(Array.from(s.values)).toEqual([2 / 4, 0, 4 / 4, 9 / 4]);
    // a prediction that was not made is not scored either
    const t = scoreHead(batchWith(head, 2), 0, preds, { evaluated: Uint8Array.of(1, 1, 0, 1) });
    expect(Array.from(t.scored)).toEqual([1, 0, 0, 1]);
  });

  it('sign accuracy: right sign 1, wrong sign 0, exactly 0 counts one half', () => {
    const head: HeadBatch = {
      spec: spec('sign-accuracy'),
      positions: Int32Array.of(0, 1, 2),
      targets: Float32Array.of(1, -1, 1),
      targetDim: 1,
      mask: new Float32Array(3).fill(1),
      examplesBefore: Int32Array.of(0, 1, 2),
    };
    expect(Array.from(scoreHead(batchWith(head, 1), 0, [0.3, 0.2, 0]).values)).toEqual([1, 0, 0.5]);
  });

  it('token accuracy takes the argmax of the logits', () => {
    const head: HeadBatch = {
      spec: { name: 'token', dim: 3, loss: 'cross-entropy', metric: 'token-accuracy', normalisation: 1 },
      positions: Int32Array.of(0, 1),
      targets: Float32Array.of(2, 0),
      targetDim: 1,
      mask: Float32Array.of(1, 1),
      examplesBefore: Int32Array.of(0, 1),
    };
    expect(Array.from(scoreHead(batchWith(head, 1), 0, [0, 1, 5, 0, 2, 1]).values)).toEqual([1, 0]);
  });

  it("nearest-value and key-match accuracy use the prompt's value and key tokens", () => {
    // tokens k0, v0, k1, v1, q in 2-d
    const tokens = Float32Array.of(1, 0, 0, 5, 0, 1, 5, 0, 0, 1);
    const head: HeadBatch = {
      spec: { name: 'value', dim: 2, loss: 'mse', metric: 'nearest-value-accuracy', normalisation: 1 },
      positions: Int32Array.of(4),
      targets: Float32Array.of(5, 0),
      targetDim: 2,
      mask: Float32Array.of(1),
      examplesBefore: Int32Array.of(2),
      recall: {
        nPairs: 2,
        keyPositions: Int32Array.of(0, 2),
        valuePositions: Int32Array.of(1, 3),
        queriedPair: Int32Array.of(1),
      },
    };
    const batch = batchWith(head, 1, { seqLen: 5, tokenDim: 2, tokens, tokenKinds: new Uint8Array(5) });
    expect(scoreHead(batch, 0, [4, 1]).values[0]).toBe(1);
    expect(scoreHead(batch, 0, [1, 4]).values[0]).toBe(0);
    // released metric: gold = the key most aligned with the target value (5, 0): k0 = (1, 0)
    head.spec = { ...head.spec, metric: 'key-match-accuracy' };
    expect(scoreHead(batch, 0, [2, 0.1]).values[0]).toBe(1);
    expect(scoreHead(batch, 0, [0.1, 2]).values[0]).toBe(0);
  });

  it('rejects predictions of the wrong size', () => {
    const head: HeadBatch = {
      spec: spec('squared-error'),
      positions: Int32Array.of(0),
      targets: Float32Array.of(1),
      targetDim: 1,
      mask: Float32Array.of(1),
      examplesBefore: Int32Array.of(0),
    };
    expect(() => scoreHead(batchWith(head, 1), 0, [1, 2])).toThrow(RangeError);
  });
});
