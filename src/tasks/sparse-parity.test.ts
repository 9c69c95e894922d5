import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { consistentSubsets, sampleSparseParity, sparseParity, sparseParityParams } from './sparse-parity';

describe('sparse parity', () => {
  const p = sparseParityParams.parse({});
  const state = { dims: 10, points: 140 };

  it('x is uniform +-1 and y is the product over the hidden subset', () => {
    const { batch, latents } = sampleSparseParity(new Rng(20), p, 32, state);
    const ex = batch.examples!;
    let ok = true;
    let plus = 0;
    for (let b = 0; b < 32; b++) {
      const s = latents.subsets.subarray(b * 2, b * 2 + 2);
      ok &&= s[0] < s[1] && s[1] < 10;
      for (let i = 0; i < 140; i++) {
        const off = (b * 140 + i) * 10;
        for (let j = 0; j < 10; j++) {
          ok &&= ex.xs[off + j] === 1 || ex.xs[off + j] === -1;
          if (ex.xs[off + j] === 1) plus++;
        }
        ok &&= ex.ys[b * 140 + i] === ex.xs[off + s[0]] * ex.xs[off + s[1]];
        ok &&= batch.heads[0].targets[b * 140 + i] === ex.ys[b * 140 + i];
      }
    }
    expect(ok).toBe(true);
    const n = 32 * 140 * 10;
    expect(Math.abs(plus / n - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
  });

  it('with N = 140, exactly one 2-subset explains all labels of a prompt (brute force), the hidden one', () => {
    const { batch, latents } = sampleSparseParity(new Rng(21), p, 16, state);
    const ex = batch.examples!;
    for (let b = 0; b < 16; b++) {
      const found = consistentSubsets(ex.xs, ex.ys, b, 140, 10, 2);
      expect(found).toEqual([Array.from(latents.subsets.subarray(b * 2, b * 2 + 2))]);
    }
  });

  it('the sketch highlights the hidden subset', () => {
    const { batch, latents } = sampleSparseParity(new Rng(22), p, 2, state);
    const sketch = sparseParity.sketch(batch, 1, p);
    expect(sketch.kind).toBe('bits');
    if (sketch.kind !== 'bits') return;
    expect(sketch.highlight).toEqual(Array.from(latents.subsets.subarray(2, 4)));
    expect(sketch.rows.length).toBe(140);
    expect(sketch.rows[0].bits.length).toBe(10);
  });

  it('subsets are drawn per prompt, uniformly over the 45 pairs; the released switch shares one', () => {
    const { latents } = sampleSparseParity(new Rng(23), p, 4500, { dims: 10, points: 1 });
    const counts = new Map<number, number>();
    for (let b = 0; b < 4500; b++) {
      const key = latents.subsets[2 * b] * 10 + latents.subsets[2 * b + 1];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(45);
    let chi2 = 0;
    for (const c of counts.values()) chi2 += (c - 100) ** 2 / 100;
    expect(chi2).toBeLessThan(85); // 44 degrees of freedom, p ~ 2e-4

    const shared = sampleSparseParity(new Rng(24), { ...p, subsetPerPrompt: false }, 50, {
      dims: 10,
      points: 5,
    });
    const keys = new Set<number>();
    for (let b = 0; b < 50; b++)
      keys.add(shared.latents.subsets[2 * b] * 10 + shared.latents.subsets[2 * b + 1]);
    expect(keys.size).toBe(1);
  });

  it('head: BCE loss, sign accuracy, chance 0.5, fixed curriculum', () => {
    expect(sparseParity.heads(p)).toEqual([
      { name: 'y', dim: 1, loss: 'bce', metric: 'sign-accuracy', normalisation: 1 },
    ]);
    expect(sparseParity.chanceLevel(p)).toBe(0.5);
    const c = sparseParity.curriculum(p);
    expect(c.dims.start).toBe(10);
    expect(c.points.start).toBe(140);
  });
});
