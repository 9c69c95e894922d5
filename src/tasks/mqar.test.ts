import { describe, expect, it } from 'vitest';
import { scoreHead } from '../eval/score';
import { Rng } from '../random/rng';
import { sampleTokenMqar, tokenMqar, tokenMqarParams } from './token-mqar';
import { sampleVectorMqar, vectorMqar, vectorMqarParams } from './vector-mqar';

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

describe('vector-valued MQAR', () => {
  const p = vectorMqarParams.parse({});
  const d = p.d;

  it("the released key-match metric scores a perfect predictor 1 and a value's own key near chance", () => {
    const q = { ...p, metric: 'released-key-match' as const };
    const { batch } = sampleVectorMqar(new Rng(41), q, 256, { dims: d, points: 64 });
    expect(batch.heads[0].spec.metric).toBe('key-match-accuracy');
    const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(scoreHead(batch, 0, batch.heads[0].targets).values)).toBe(1);
    // predicting the queried KEY instead of its value: right only when that key happens to be the
    // one most aligned with the value (about 1 in 64)
    const head = batch.heads[0];
    const keyPreds = new Float32Array(256 * d);
    for (let b = 0; b < 256; b++) {
      const t = (b * batch.seqLen + head.recall!.keyPositions[head.recall!.queriedPair[b]]) * d;
      keyPreds.set(batch.tokens.subarray(t, t + d), b * d);
    }
    expect(mean(scoreHead(batch, 0, keyPreds).values)).toBeLessThan(0.1);
  });

  it('k_1, v_1, ..., k_P, v_P, q: norms sqrt(d), q a copy of a key, target its value', () => {
    const batchSize = 64;
    const { batch, latents } = sampleVectorMqar(new Rng(40), p, batchSize, { dims: d, points: 64 });
    expect(batch.seqLen).toBe(129);
    const head = batch.heads[0];
    const recall = head.recall!;
    expect(recall.nPairs).toBe(64);
    expect(Array.from(head.positions)).toEqual([128]);
    expect(Array.from(head.examplesBefore)).toEqual([64]);
    expect(recall.keyPositions[5]).toBe(10);
    expect(recall.valuePositions[5]).toBe(11);
    const tok = (b: number, t: number) => batch.tokens.subarray((b * 129 + t) * d, (b * 129 + t + 1) * d);
    let normsOk = true;
    for (let b = 0; b < batchSize; b++) {
      for (let t = 0; t < 129; t++) normsOk &&= Math.abs(norm(tok(b, t)) - Math.sqrt(d)) < 1e-5;
      const j = recall.queriedPair[b];
      expect(j).toBe(latents.copiedPair[b]);
      expect(Array.from(tok(b, 128))).toEqual(Array.from(tok(b, 2 * j)));
      expect(Array.from(head.targets.subarray(b * d, (b + 1) * d))).toEqual(Array.from(tok(b, 2 * j + 1)));
      // the copied key is the unique key of largest inner product with q
      const q = tok(b, 128);
      for (let i = 0; i < 64; i++) {
        if (i === j) continue;
        let s = 0;
        for (let c = 0; c < d; c++) s += q[c] * tok(b, 2 * i)[c];
        expect(s).toBeLessThan(d - 1e-3);
      }
    }
    expect(normsOk).toBe(true);
  });

  it('the queried pair is uniform over the pairs', () => {
    const q = vectorMqarParams.parse({ d: 4, pairs: 4 });
    const { batch } = sampleVectorMqar(new Rng(41), q, 4000, { dims: 4, points: 4 });
    const counts = [0, 0, 0, 0];
    for (const j of batch.heads[0].recall!.queriedPair) counts[j]++;
    const chi2 = counts.reduce((a, c) => a + (c - 1000) ** 2 / 1000, 0);
    expect(chi2).toBeLessThan(21.1); // 3 degrees of freedom, p = 1e-4
  });

  it('query noise: q is renormalised, differs from the keys, target = value of the argmax key', () => {
    const q = vectorMqarParams.parse({ d: 8, pairs: 16, queryNoise: 1 });
    const { batch, latents } = sampleVectorMqar(new Rng(42), q, 200, { dims: 8, points: 16 });
    const head = batch.heads[0];
    const L = batch.seqLen;
    let moved = 0;
    for (let b = 0; b < 200; b++) {
      const tok = (t: number) => batch.tokens.subarray((b * L + t) * 8, (b * L + t + 1) * 8);
      const query = tok(L - 1);
      expect(Math.abs(norm(query) - Math.sqrt(8))).toBeLessThan(1e-5);
      let best = -1;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < 16; i++) {
        let s = 0;
        for (let c = 0; c < 8; c++) s += query[c] * tok(2 * i)[c];
        if (s > bestScore) [best, bestScore] = [i, s];
      }
      expect(head.recall!.queriedPair[b]).toBe(best);
      expect(Array.from(head.targets.subarray(b * 8, (b + 1) * 8))).toEqual(Array.from(tok(2 * best + 1)));
      if (best !== latents.copiedPair[b]) moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('metric switch and head', () => {
    expect(vectorMqar.heads(p)).toEqual([
      { name: 'value', dim: 20, loss: 'mse', metric: 'nearest-value-accuracy', normalisation: 1 },
    ]);
    expect(vectorMqar.heads({ ...p, metric: 'released-key-match' })[0].metric).toBe('key-match-accuracy');
    expect(vectorMqar.chanceLevel({ ...p, pairs: 32 })).toBe(1 / 32);
  });

  it('sketch names the answering pair', () => {
    const q = vectorMqarParams.parse({ d: 4, pairs: 6 });
    const { batch } = sampleVectorMqar(new Rng(43), q, 2, { dims: 4, points: 6 });
    const sketch = vectorMqar.sketch(batch, 1, q);
    if (sketch.kind !== 'pairs') throw new Error('expected pairs');
    expect(sketch.pairs.length).toBe(6);
    expect(sketch.answerIndex).toBe(batch.heads[0].recall!.queriedPair[1]);
    expect(sketch.query).toEqual(sketch.pairs[sketch.answerIndex].key);
  });
});

describe('token MQAR', () => {
  it('ids in range, distinct keys and values, queries are keys, targets are the paired values', () => {
    for (const raw of [{}, { vocab: 9, pairs: 3, queries: 2 }, { vocab: 256, pairs: 40, queries: 40 }]) {
      const p = tokenMqarParams.parse(raw);
      const P = p.pairs;
      const Q = p.queries;
      const half = Math.floor(p.vocab / 2);
      const batchSize = 50;
      const batch = sampleTokenMqar(new Rng(44), p, batchSize, { dims: 1, points: P });
      expect(batch.seqLen).toBe(2 * P + 2 * Q);
      expect(batch.tokenDim).toBe(1);
      const head = batch.heads[0];
      const recall = head.recall!;
      expect(Array.from(head.positions)).toEqual(Array.from({ length: Q }, (_, q) => 2 * P + 2 * q));
      expect(Array.from(head.examplesBefore)).toEqual(Array.from({ length: Q }, (_, q) => P + q));
      let ok = true;
      for (let b = 0; b < batchSize; b++) {
        const t = (i: number) => batch.tokens[b * batch.seqLen + i];
        const keys = new Map<number, number>();
        const values = new Set<number>();
        for (let j = 0; j < P; j++) {
          const key = t(2 * j);
          const value = t(2 * j + 1);
          ok &&= Number.isInteger(key) && key >= 1 && key < half;
          ok &&= Number.isInteger(value) && value >= half && value < p.vocab;
          keys.set(key, value);
          values.add(value);
        }
        ok &&= keys.size === P && values.size === P;
        const asked = new Set<number>();
        for (let q = 0; q < Q; q++) {
          const query = t(head.positions[q]);
          const pair = recall.queriedPair[b * Q + q];
          ok &&= keys.has(query) && query === t(recall.keyPositions[pair]);
          ok &&= head.targets[b * Q + q] === keys.get(query);
          ok &&= t(head.positions[q] + 1) === keys.get(query);
          asked.add(query);
        }
        ok &&= asked.size === Q;
      }
      expect(ok, JSON.stringify(raw)).toBe(true);
      for (let i = 0; i < batch.tokens.length; i++) ok &&= batch.tokens[i] >= 1 && batch.tokens[i] < p.vocab;
      expect(ok).toBe(true);
    }
  });

  it('head, read-in and chance', () => {
    const p = tokenMqar.defaults;
    expect(tokenMqar.readIn(p)).toEqual({ kind: 'embedding', vocabSize: 64 });
    expect(tokenMqar.heads(p)).toEqual([
      { name: 'token', dim: 64, loss: 'cross-entropy', metric: 'token-accuracy', normalisation: 1 },
    ]);
    expect(tokenMqar.chanceLevel(p)).toBe(1 / 8);
  });

  it('every pair is queried equally often (Q = P asks each key once)', () => {
    const p = tokenMqarParams.parse({ pairs: 4, queries: 2 });
    const batch = sampleTokenMqar(new Rng(45), p, 4000, { dims: 1, points: 4 });
    const counts = [0, 0, 0, 0];
    for (const j of batch.heads[0].recall!.queriedPair) counts[j]++;
    const chi2 = counts.reduce((a, c) => a + (c - 2000) ** 2 / 2000, 0);
    expect(chi2).toBeLessThan(21.1);
    const full = sampleTokenMqar(new Rng(46), tokenMqar.defaults, 3, { dims: 1, points: 8 });
    for (let b = 0; b < 3; b++) {
      const asked = Array.from(full.heads[0].recall!.queriedPair.subarray(b * 8, (b + 1) * 8)).sort();
      expect(asked).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
  });
});
