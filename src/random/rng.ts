/**
 * The one seeded random source of ICL Lab.
 *
 * Bit-identical on every JavaScript engine and platform: the generator (xoshiro128**) uses only
 * 32-bit integer arithmetic (Math.imul, shifts), uniforms are built from 53 random bits, and the
 * normal sampler (Marsaglia's polar method) needs a logarithm, which is computed here with IEEE
 * +, -, *, / and Math.sqrt only (all correctly rounded by the spec), never with Math.log, whose
 * last bit may differ between engines.
 *
 * Streams are derived, not advanced: `Rng.derive(seed, 'train', step)` gives the generator for
 * one training step, so any worker can jump to any step and two workers given the same seed see the
 * same prompts in the same order.
 */

const LN2 = Math.LN2;
const SQRT1_2 = Math.SQRT1_2;

/** Natural logarithm of x > 0 from basic IEEE operations only (deterministic everywhere). */
export function portableLog(x: number): number {
  if (!(x > 0)) return x === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); multiplications by 2 and 1/2 are exact.
  let m = x;
  let e = 0;
  while (m >= 2) {
    m *= 0.5;
    e += 1;
  }
  while (m < 1) {
    m *= 2;
    e -= 1;
  }
  if (m > 2 * SQRT1_2) {
    m *= 0.5;
    e += 1;
  }
  // ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the odd series converges fast.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let term = s;
  let sum = 0;
  for (let k = 1; k <= 39; k += 2) {
    sum += term / k;
    term *= s2;
  }
  return 2 * sum + e * LN2;
}

/** 32-bit string/number hash (FNV-1a followed by a murmur finaliser) used to derive stream seeds. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashKey(h: number, key: string | number): number {
  const text = typeof key === 'number' ? `#${key}` : `$${key}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

export type StreamKey = string | number;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /** A generator seeded from a non-negative integer seed (splitmix32 expansion of the state). */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    let x = (Math.floor(Math.abs(seed)) % 0x100000000) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return mix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The generator of the sub-stream named by `keys` under `seed` (e.g. derive(7, 'train', 120)). */
  static derive(seed: number, ...keys: StreamKey[]): Rng {
    let h = mix32((Math.floor(Math.abs(seed)) % 0x100000000) ^ 0x2545f491);
    for (const key of keys) h = hashKey(h, key);
    return new Rng(h);
  }

  /** A child stream of this generator's current position, named by `keys`; this one advances once. */
  fork(...keys: StreamKey[]): Rng {
    let h = this.nextUint32();
    for (const key of keys) h = hashKey(h, key);
    return new Rng(h);
  }

  /** Next raw 32-bit output (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal (Marsaglia polar method with a portable log). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * portableLog(s)) / s);
        this.spareNormal = v * f;
        return u * f;
      }
    }
  }

  /** Integer uniform in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000)
      throw new RangeError(`int(n) needs 1 <= n <= 2^32, got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Integer uniform in [lo, hi] inclusive. */
  intIn(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** +1 or -1 with equal probability. */
  sign(): number {
    return this.nextUint32() & 1 ? 1 : -1;
  }

  /** true with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** k distinct integers from [0, n), in increasing order, uniformly among all k-subsets. */
  subset(n: number, k: number): Int32Array {
    if (k > n || k < 0) throw new RangeError(`subset(${n}, ${k}): need 0 <= k <= n`);
    // Floyd's algorithm: k draws, uniform over subsets.
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = this.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return Int32Array.from([...chosen].sort((a, b) => a - b));
  }

  /** Fill `out` with independent standard normals. */
  fillNormal(out: Float32Array | Float64Array, scale = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = scale * this.normal();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
