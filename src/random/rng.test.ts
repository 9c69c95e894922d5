import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { portableLog, Rng } from './rng';

describe('Rng golden values (a change of generator, seeding or sampler is caught here)', () => {
  it('raw 32-bit outputs of seed 42', () => {
    const r = new Rng(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([2837322924, 544945897, 479756282]);
  });

  it('uniform() of seed 42', () => {
    const r = new Rng(42);
    expect([r.uniform(), r.uniform(), r.uniform()]).toEqual([
      0.6606157208001621, 0.1117019639532224, 0.0791056456144914,
    ]);
  });

  it('normal() of seed 42', () => {
    const r = new Rng(42);
    expect([r.normal(), r.normal(), r.normal(), r.normal()]).toEqual([
      0.31875784963858494, -0.7706160167419408, 0.15178267621950975, -0.12624145471928355,
    ]);
  });

  it('int() of seed 42', () => {
    const r = new Rng(42);
    expect([r.int(10), r.int(10), r.int(1000), r.int(7), r.int(2 ** 32)]).toEqual([4, 7, 282, 4, 339756180]);
  });

  it('derive, subset and permutation', () => {
    const d = Rng.derive(7, 'train', 120);
    expect([d.nextUint32(), d.uniform()]).toEqual([1245599680, 0.7082749554970723]);
    expect(Array.from(new Rng(1).subset(10, 3))).toEqual([1, 2, 6]);
    expect(Array.from(new Rng(1).permutation(6))).toEqual([4, 0, 5, 3, 1, 2]);
  });
});

describe('Rng streams', () => {
  it('same seed => same stream, different seed or key => different stream', () => {
    const a = Rng.derive(3, 'train', 5);
    const b = Rng.derive(3, 'train', 5);
    const xs = Array.from({ length: 20 }, () => a.uniform());
    expect(Array.from({ length: 20 }, () => b.uniform())).toEqual(xs);
    const c = Rng.derive(4, 'train', 5);
    const e = Rng.derive(3, 'train', 6);
    const f = Rng.derive(3, 'eval', 5);
    for (const other of [c, e, f]) expect(Array.from({ length: 20 }, () => other.uniform())).not.toEqual(xs);
  });

  it('string and number keys do not collide', () => {
    expect(Rng.derive(1, '5').nextUint32()).not.toBe(Rng.derive(1, 5).nextUint32());
  });
});

describe('Rng distributions', () => {
  it('uniform is in [0, 1) with mean 1/2 and variance 1/12', () => {
    const r = new Rng(11);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let inRange = true;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      inRange &&= u >= 0 && u < 1;
      s += u;
      s2 += u * u;
    }
    expect(inRange).toBe(true);
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('normal has mean 0, variance 1, zero skew and kurtosis 3', () => {
    const r = new Rng(12);
    const n = 200_000;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let within1 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s1 += z;
      s2 += z * z;
      s3 += z * z * z;
      s4 += z * z * z * z;
      if (Math.abs(z) < 1) within1++;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(s3 / n)).toBeLessThan(4 * Math.sqrt(15 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(4 * Math.sqrt(96 / n));
    // P(|Z| < 1) = 0.682689...
    expect(Math.abs(within1 / n - 0.6826894921)).toBeLessThan(4 * Math.sqrt(0.22 / n));
  });

  it('int(n) is uniform over [0, n)', () => {
    const r = new Rng(13);
    const n = 7;
    const draws = 70_000;
    const counts = new Array(n).fill(0);
    for (let i = 0; i < draws; i++) counts[r.int(n)]++;
    const expected = draws / n;
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.9); // chi-square, 6 degrees of freedom, p = 1e-4
  });

  it('subset(5, 2) is uniform over the 10 subsets and increasing', () => {
    const r = new Rng(14);
    const draws = 50_000;
    const counts = new Map<number, number>();
    let increasing = true;
    for (let i = 0; i < draws; i++) {
      const s = r.subset(5, 2);
      increasing &&= s[0] < s[1];
      const key = s[0] * 5 + s[1];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(increasing).toBe(true);
    expect(counts.size).toBe(10);
    const expected = draws / 10;
    let chi2 = 0;
    for (const c of counts.values()) chi2 += (c - expected) ** 2 / expected;
    expect(chi2).toBeLessThan(33.7); // 9 degrees of freedom, p = 1e-4
  });

  it('permutation is a permutation with uniform first element', () => {
    const r = new Rng(15);
    const counts = new Array(5).fill(0);
    let valid = true;
    for (let i = 0; i < 25_000; i++) {
      const p = r.permutation(5);
      valid &&= p.reduce((acc, v) => acc | (1 << v), 0) === 31;
      counts[p[0]]++;
    }
    expect(valid).toBe(true);
    const chi2 = counts.reduce((acc, c) => acc + (c - 5000) ** 2 / 5000, 0);
    expect(chi2).toBeLessThan(23.5); // 4 degrees of freedom, p = 1e-4
  });

  it('sign and bernoulli are fair', () => {
    const r = new Rng(16);
    let plus = 0;
    let hits = 0;
    let unit = true;
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const s = r.sign();
      unit &&= s === 1 || s === -1;
      if (s > 0) plus++;
      if (r.bernoulli(0.9)) hits++;
    }
    expect(unit).toBe(true);
    expect(Math.abs(plus / n - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
    expect(Math.abs(hits / n - 0.9)).toBeLessThan(4 * Math.sqrt(0.09 / n));
  });
});

describe('portableLog', () => {
  it('matches Math.log within 1e-15 relative over the whole double range', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }), (x) => {
        const expected = Math.log(x);
        const got = portableLog(x);
        if (expected === 0) return got === 0;
        return Math.abs(got - expected) <= 1e-15 * Math.abs(expected);
      }),
      { numRuns: 20_000 },
    );
  });

  it('is accurate near 1 and at special points', () => {
    for (const x of [1 + 1e-10, 1 - 1e-10, 1.0000001, 0.9999999, Math.SQRT2, Math.SQRT1_2, 2, 0.5, 10]) {
      expect(Math.abs(portableLog(x) - Math.log(x))).toBeLessThanOrEqual(1e-15 * Math.abs(Math.log(x)));
    }
    expect(portableLog(1)).toBe(0);
    expect(portableLog(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(portableLog(-1)).toBeNaN();
    expect(portableLog(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});
