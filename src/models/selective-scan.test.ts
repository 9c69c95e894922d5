/**
 * The reference selective scans (log-depth and sequential, tfjs) against a plain float64 loop,
 * forward and gradients.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import { selectiveScan64 } from './reference64/mamba';
import {
  type SelectiveScanFn,
  selectiveScanReference,
  selectiveScanSequential,
} from './selective-scan-reference';
import { checkGradients, randomArray, relativeError } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface ScanCase {
  bt: number;
  l: number;
  di: number;
  n: number;
  u: Float64Array;
  delta: Float64Array;
  A: Float64Array;
  B: Float64Array;
  C: Float64Array;
  D: Float64Array;
  z: Float64Array;
}

function scanCase(seed: number, bt: number, l: number, di: number, n: number): ScanCase {
  const rng = new Rng(seed);
  const softplus = (v: number) => Math.fround(Math.log1p(Math.exp(v)));
  return {
    bt,
    l,
    di,
    n,
    u: randomArray(rng, bt * l * di),
    delta: randomArray(rng, bt * l * di).map((v) => softplus(v - 1)),
    A: Float64Array.from(
      { length: di * n },
      (_, i) => -Math.fround(0.3 * ((i % n) + 1) + 0.1 * rng.uniform()),
    ),
    B: randomArray(rng, bt * l * n),
    C: randomArray(rng, bt * l * n),
    D: randomArray(rng, di),
    z: randomArray(rng, bt * l * di),
  };
}

function runTf(scan: SelectiveScanFn, c: ScanCase, gated: boolean): Float32Array {
  return tf.tidy(() => {
    const t3 = (v: Float64Array, last: number) => tf.tensor3d(Float32Array.from(v), [c.bt, c.l, last]);
    const y = scan(
      t3(c.u, c.di),
      t3(c.delta, c.di),
      tf.tensor2d(Float32Array.from(c.A), [c.di, c.n]),
      t3(c.B, c.n),
      t3(c.C, c.n),
      tf.tensor1d(Float32Array.from(c.D)),
      gated ? t3(c.z, c.di) : undefined,
    );
    expect(y.shape).toEqual([c.bt, c.l, c.di]);
    return y.dataSync() as Float32Array;
  });
}

const run64 = (c: ScanCase, gated: boolean) =>
  selectiveScan64(c.bt, c.l, c.di, c.n, c.u, c.delta, c.A, c.B, c.C, c.D, gated ? c.z : undefined);

const SCANS: Array<[string, SelectiveScanFn]> = [
  ['log-depth', selectiveScanReference],
  ['sequential', selectiveScanSequential],
];

describe('selective scan vs a plain float64 loop', () => {
  for (const [name, scan] of SCANS) {
    for (const l of [1, 2, 3, 5, 8, 13, 64]) {
      it(`${name}, L = ${l}`, () => {
        const c = scanCase(l, 2, l, 3, 4);
        for (const gated of [false, true]) {
          expect(relativeError(runTf(scan, c, gated), run64(c, gated))).toBeLessThan(1e-5);
        }
      });
    }
  }

  it('log-depth scan on random shapes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (bt, l, di, n, seed) => {
          const c = scanCase(seed, bt, l, di, n);
          return relativeError(runTf(selectiveScanReference, c, true), run64(c, true)) < 1e-5;
        },
      ),
      { numRuns: 25 },
    );
  });

  it('is causal: y_t does not depend on inputs after t', () => {
    const c = scanCase(3, 1, 9, 2, 3);
    const base = runTf(selectiveScanReference, c, true);
    const t0 = 4;
    for (const key of ['u', 'delta', 'B', 'C', 'z'] as const) {
      const moved = { ...c, [key]: Float64Array.from(c[key]) };
      const width = key === 'B' || key === 'C' ? c.n : c.di;
      for (let i = 0; i < width; i++) moved[key][t0 * width + i] += 0.5;
      const y = runTf(selectiveScanReference, moved, true);
      for (let i = 0; i < t0 * c.di; i++) expect(y[i]).toBe(base[i]);
    }
  });
});

describe('selective scan gradients', () => {
  it('log-depth scan: every input vs float64 finite differences', () => {
    const c = scanCase(7, 2, 6, 3, 2);
    const w = randomArray(new Rng(1), c.bt * c.l * c.di);
    const names = ['u', 'delta', 'A', 'B', 'C', 'D', 'z'] as const;
    const shapes = [
      [c.bt, c.l, c.di],
      [c.bt, c.l, c.di],
      [c.di, c.n],
      [c.bt, c.l, c.n],
      [c.bt, c.l, c.n],
      [c.di],
      [c.bt, c.l, c.di],
    ];
    const result = checkGradients({
      names,
      shapes,
      values: names.map((k) => c[k]),
      tfLoss: ([u, delta, A, B, C, D, z]) =>
        selectiveScanReference(
          u as tf.Tensor3D,
          delta as tf.Tensor3D,
          A as tf.Tensor2D,
          B as tf.Tensor3D,
          C as tf.Tensor3D,
          D as tf.Tensor1D,
          z as tf.Tensor3D,
        )
          .mul(tf.tensor3d(Float32Array.from(w), [c.bt, c.l, c.di]))
          .sum() as tf.Scalar,
      refLoss: ([u, delta, A, B, C, D, z]) => {
        const y = selectiveScan64(c.bt, c.l, c.di, c.n, u, delta, A, B, C, D, z);
        return y.reduce((acc, v, i) => acc + v * w[i], 0);
      },
    });
    expect(result.worstRatio, result.worstEntry).toBeLessThanOrEqual(1);
    expect(result.zeroGradients).toEqual([]);
  });

  it('log-depth and sequential scans have the same gradients', () => {
    const c = scanCase(8, 2, 11, 3, 4);
    const grads = SCANS.map(([, scan]) =>
      tf.tidy(() => {
        const ins = [
          tf.tensor3d(Float32Array.from(c.u), [c.bt, c.l, c.di]),
          tf.tensor3d(Float32Array.from(c.delta), [c.bt, c.l, c.di]),
          tf.tensor2d(Float32Array.from(c.A), [c.di, c.n]),
          tf.tensor3d(Float32Array.from(c.B), [c.bt, c.l, c.n]),
          tf.tensor3d(Float32Array.from(c.C), [c.bt, c.l, c.n]),
          tf.tensor1d(Float32Array.from(c.D)),
          tf.tensor3d(Float32Array.from(c.z), [c.bt, c.l, c.di]),
        ];
        const g = tf.grads((u, delta, A, B, C, D, z) =>
          scan(
            u as tf.Tensor3D,
            delta as tf.Tensor3D,
            A as tf.Tensor2D,
            B as tf.Tensor3D,
            C as tf.Tensor3D,
            D as tf.Tensor1D,
            z as tf.Tensor3D,
          )
            .square()
            .sum(),
        )(ins);
        return g.map((t) => t.dataSync().slice());
      }),
    );
    grads[0].forEach((g, i) => {
      expect(relativeError(g, grads[1][i])).toBeLessThan(1e-5);
    });
  });
});
