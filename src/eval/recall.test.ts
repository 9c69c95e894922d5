import { describe, expect, it } from 'vitest';
import type { HeadBatch, PromptBatch } from '../tasks/types';
import { recallBreakdown } from './recall';

// one query per prompt; tokens k0, v0, k1, v1, q in 2-d: v0 = (0, 5), v1 = (5, 0)
const tokens = Float32Array.of(1, 0, 0, 5, 0, 1, 5, 0, 0, 1);

function chunk(queried: number[], outputs: number[]): { batch: PromptBatch; outputs: Float32Array[] } {
  const b = queried.length;
  const head: HeadBatch = {
    spec: { name: 'value', dim: 2, loss: 'mse', metric: 'nearest-value-accuracy', normalisation: 1 },
    positions: Int32Array.of(4),
    targets: Float32Array.from(queried.flatMap((p) => (p === 0 ? [0, 5] : [5, 0]))),
    targetDim: 2,
    mask: new Float32Array(b).fill(1),
    examplesBefore: new Int32Array(b).fill(2),
    recall: {
      nPairs: 2,
      keyPositions: Int32Array.of(0, 2),
      valuePositions: Int32Array.of(1, 3),
      queriedPair: Int32Array.from(queried),
    },
  };
  const all = new Float32Array(b * tokens.length);
  for (let i = 0; i < b; i++) all.set(tokens, i * tokens.length);
  const batch: PromptBatch = {
    task: 'vector-mqar',
    batchSize: b,
    seqLen: 5,
    tokenDim: 2,
    tokens: all,
    tokenKinds: new Uint8Array(5),
    heads: [head],
  };
  return { batch, outputs: [Float32Array.from(outputs)] };
}

describe('recallBreakdown', () => {
  it('averages accuracy per queried pair over every chunk', () => {
    // chunk 1: pair 0 right, pair 1 wrong; chunk 2: pair 1 right, pair 1 right
    const r = recallBreakdown({
      chunks: [chunk([0, 1], [0, 4, 0, 4]), chunk([1, 1], [4, 0, 5, 1])],
    });
    expect(r).not.toBeNull();
    expect(Array.from(r!.pair)).toEqual([0, 1]);
    expect(Array.from(r!.count)).toEqual([1, 3]);
    expect(Array.from(r!.accuracy)).toEqual([1, 2 / 3]);
  });

  it('gives NaN for a pair no prompt asked for, and null without recall targets', () => {
    const r = recallBreakdown({ chunks: [chunk([1], [5, 0])] });
    expect(Number.isNaN(r!.accuracy[0])).toBe(true);
    expect(r!.count[0]).toBe(0);
    expect(r!.accuracy[1]).toBe(1);
    const plain = chunk([0], [0, 5]);
    plain.batch.heads[0].recall = undefined;
    expect(recallBreakdown({ chunks: [plain] })).toBeNull();
  });
});
