import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { chainOfThought, chainOfThoughtParams, sampleChainOfThought } from './chain-of-thought';

describe('chain-of-thought I/O', () => {
  const p = chainOfThoughtParams.parse({});
  const { d, hidden: k } = p;

  it('tokens x_i, s_i, y_i reproduce s = sqrt(2/k) ReLU(W^T x) and y = v^T s from the drawn W, v', () => {
    const n = 30;
    const batchSize = 8;
    const { batch, latents } = sampleChainOfThought(new Rng(30), p, batchSize, { dims: d, points: n });
    const T = batch.tokenDim;
    expect(T).toBe(10);
    expect(batch.seqLen).toBe(3 * n);
    expect(Array.from(batch.tokenKinds.subarray(0, 6))).toEqual([0, 1, 2, 0, 1, 2]);
    const [yHead, sHead] = batch.heads;
    const ex = batch.examples!;
    for (let b = 0; b < batchSize; b++)
      for (let i = 0; i < n; i++) {
        const xTok = (b * batch.seqLen + 3 * i) * T;
        const sTok = xTok + T;
        const yTok = sTok + T;
        const x = Array.from(batch.tokens.subarray(xTok, xTok + d));
        expect(x).toEqual(Array.from(ex.xs.subarray((b * n + i) * d, (b * n + i + 1) * d)));
        let y = 0;
        for (let j = 0; j < k; j++) {
          let a = 0;
          for (let c = 0; c < d; c++) a += latents.w[(b * d + c) * k + j] * x[c];
          const s = Math.sqrt(2 / k) * Math.max(0, a);
          expect(batch.tokens[sTok + j]).toBeCloseTo(s, 5);
          expect(sHead.targets[(b * n + i) * k + j]).toBe(batch.tokens[sTok + j]);
          y += latents.v[b * k + j] * batch.tokens[sTok + j];
        }
        for (let j = k; j < T; j++) expect(batch.tokens[sTok + j]).toBe(0);
        expect(batch.tokens[yTok]).toBe(Math.fround(y));
        for (let j = 1; j < T; j++) expect(batch.tokens[yTok + j]).toBe(0);
        expect(yHead.targets[b * n + i]).toBe(batch.tokens[yTok]);
        expect(ex.ys[b * n + i]).toBe(batch.tokens[yTok]);
      }
  });

  it('heads: s (dim k) read at the x tokens, y (dim 1) read at the s tokens', () => {
    const { batch } = sampleChainOfThought(new Rng(31), p, 2, { dims: d, points: 5 });
    const [yHead, sHead] = batch.heads;
    expect(sHead.spec).toMatchObject({ name: 's', dim: 4, loss: 'mse' });
    expect(yHead.spec).toMatchObject({ name: 'y', dim: 1, loss: 'mse' });
    expect(Array.from(sHead.positions)).toEqual([0, 3, 6, 9, 12]);
    expect(Array.from(yHead.positions)).toEqual([1, 4, 7, 10, 13]);
    expect(Array.from(yHead.examplesBefore)).toEqual([0, 1, 2, 3, 4]);
    expect(sHead.targetDim).toBe(4);
    expect(chainOfThought.readIn(p)).toEqual({ kind: 'linear-per-kind', tokenDims: [10, 4, 1] });
  });

  it('token width is the largest kind width when the hidden width exceeds d', () => {
    const q = chainOfThoughtParams.parse({ d: 3, hidden: 6 });
    const { batch } = sampleChainOfThought(new Rng(32), q, 2, { dims: 3, points: 4 });
    expect(batch.tokenDim).toBe(6);
    expect(batch.examples!.dim).toBe(3);
  });

  it('zero predictor scores about 1 on both heads (normalised by d)', () => {
    const { batch } = sampleChainOfThought(new Rng(33), p, 300, { dims: d, points: 20 });
    for (const head of batch.heads) {
      const m = head.targets.reduce((a, t) => a + t * t, 0) / (300 * 20) / head.spec.normalisation;
      expect(Math.abs(m - 1), head.spec.name).toBeLessThan(0.2);
    }
  });
});
