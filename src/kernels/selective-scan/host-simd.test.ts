/**
 * The selective scan in WebAssembly SIMD (host-simd.ts, scan-simd.wat):
 *  - its vector exp, softplus and sigmoid against Math in float64 over the ranges the scan uses;
 *  - its forward and backward against the JavaScript loops of host.ts (float64 arithmetic) on
 *    awkward shapes: Di not a multiple of 4, L 1, N 1, R 1-4, the gate inside [B, L, 2Di], large
 *    and tiny Delta, large gates;
 *  - which path the kernels take ('auto', 'js', 'simd'), and the fallback where SIMD is missing.
 * The kernels' own tests (host.test.ts) run both paths against float64 finite differences.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerAllKernels } from '../register';
import { Rng, relErr } from '../testing/helpers';
import { scanBackwardHost, scanDecayStats, scanForwardHost, setScanDecayBudget } from './host';
import {
  hostScanImpl,
  hostScanSimdAvailable,
  runsSimdScan,
  scanBackwardSimd,
  scanForwardSimd,
  setHostScanImpl,
  simdElementwise,
} from './host-simd';
import { fusedSelectiveScan } from './index';
import type { Dims, ScanArrays, ScanGradArrays } from './shape';

afterEach(() => setHostScanImpl());

/** The largest relative error of f against want at float32 inputs xs. */
function worstRel(fn: 'exp' | 'softplus' | 'sigmoid', xs: Float32Array, want: (x: number) => number) {
  const got = simdElementwise(fn, xs);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < xs.length; i++) {
    const w = want(xs[i]);
    const e = Math.abs(got[i] - w) / Math.abs(w);
    if (!(e <= worst)) {
      worst = e;
      at = xs[i];
    }
  }
  return { worst, at };
}

const grid = (lo: number, hi: number, count: number) =>
  Float32Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));

describe('vector exp, softplus and sigmoid', () => {
  it('exp: within 1.5e-7 relative (~1 float32 ulp) over [-87, 88], exactly 1 at 0', () => {
    const xs = grid(-87, 88, 1_000_001);
    const { worst, at } = worstRel('exp', xs, Math.exp);
    expect(worst, `at ${at}`).toBeLessThan(1.5e-7); // measured 9.4e-8
    // near 0 and around the range reduction's steps (n ln2 +- ln2/2)
    const near = Float32Array.from({ length: 200_000 }, (_, i) => (i - 100_000) * 1e-5);
    expect(worstRel('exp', near, Math.exp).worst).toBeLessThan(1.5e-7);
    expect(simdElementwise('exp', Float32Array.of(0, 0, 0, 0))[0]).toBe(1);
  });

  it('exp: clamps below -87 (a decay under 2e-38 reads as exp(-87)) and above 88; NaN stays NaN', () => {
    const got = simdElementwise('exp', Float32Array.of(-1000, -87, 88, 1000, Number.NaN));
    expect(got[0]).toBeCloseTo(Math.fround(Math.exp(-87)), 45);
    expect(got[0]).toBeGreaterThan(0);
    expect(Number.isFinite(got[3])).toBe(true);
    expect(got[3]).toBe(got[2]);
    expect(Number.isNaN(got[4])).toBe(true);
  });

  it('softplus: within 3e-7 relative of log1p(exp(x)) over [-80, 80]', () => {
    const sp = (x: number) => (x > 30 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
    const { worst, at } = worstRel('softplus', grid(-80, 80, 400_001), sp);
    expect(worst, `at ${at}`).toBeLessThan(3e-7); // measured 2.4e-7
  });

  it('sigmoid: within 2.5e-7 relative of 1 / (1 + exp(-x)) over [-80, 80]', () => {
    const { worst, at } = worstRel('sigmoid', grid(-80, 80, 400_001), (x) => 1 / (1 + Math.exp(-x)));
    expect(worst, `at ${at}`).toBeLessThan(2.5e-7); // measured 1.4e-7
  });
});

interface Shape {
  b: number;
  l: number;
  di: number;
  n: number;
  r: number;
  gate: 1 | 2;
  biasShift: number;
}

const SHAPES: Shape[] = [
  { b: 1, l: 1, di: 1, n: 1, r: 1, gate: 1, biasShift: -2 },
  { b: 2, l: 1, di: 5, n: 16, r: 3, gate: 2, biasShift: 0 },
  { b: 3, l: 23, di: 7, n: 3, r: 2, gate: 2, biasShift: -8 }, // tiny Delta
  { b: 5, l: 13, di: 9, n: 5, r: 4, gate: 1, biasShift: 6 }, // large Delta: decays near 0
  { b: 4, l: 22, di: 64, n: 16, r: 2, gate: 2, biasShift: -3 }, // a classroom Mamba block, 4 rows
  { b: 2, l: 37, di: 12, n: 16, r: 1, gate: 2, biasShift: -1 },
];

function arraysOf(c: Shape, seed: number): { dims: Dims; x: ScanArrays; dout: Float32Array } {
  const rng = new Rng(seed);
  const s = c.r + 2 * c.n;
  const rows = c.b * c.l;
  const randn = (len: number, scale = 1, shift = 0) =>
    Float32Array.from({ length: len }, () => shift + scale * rng.normal());
  const dims: Dims = {
    b: c.b,
    l: c.l,
    di: c.di,
    r: c.r,
    n: c.n,
    s,
    zw: c.gate * c.di,
    zOffset: (c.gate - 1) * c.di,
  };
  const x: ScanArrays = {
    u: randn(rows * c.di),
    xdbl: randn(rows * s, 0.7),
    z: randn(rows * c.gate * c.di, 3), // gates up to ~10: sigmoid saturates
    dtW: randn(c.di * c.r, 0.5),
    dtBias: randn(c.di, 1, c.biasShift),
    ALog: Float32Array.from({ length: c.di * c.n }, (_, i) => Math.log(1 + (i % c.n)) + rng.uniformIn(0, 1)),
    D: randn(c.di),
  };
  return { dims, x, dout: randn(rows * c.di) };
}

function gradArrays(d: Dims): ScanGradArrays {
  const rows = d.b * d.l;
  return {
    du: new Float32Array(rows * d.di),
    dxdbl: new Float32Array(rows * d.s),
    dz: new Float32Array(rows * d.zw).fill(Number.NaN), // every element must be written
    dW: new Float32Array(d.di * d.r),
    dBias: new Float32Array(d.di),
    dALog: new Float32Array(d.di * d.n),
    dD: new Float32Array(d.di),
  };
}

const label = (c: Shape) =>
  `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate ${c.gate} Di, bias ${c.biasShift}`;

describe('the SIMD scan against the JavaScript loops (float64)', () => {
  it('is available in Node', () => {
    expect(hostScanSimdAvailable()).toBe(true);
  });

  for (const [i, c] of SHAPES.entries()) {
    it(`forward and every gradient agree within 1e-5: ${label(c)}`, () => {
      const { dims, x, dout } = arraysOf(c, 40 + i);
      const rows = c.b * c.l;
      const want = new Float32Array(rows * c.di);
      const got = new Float32Array(rows * c.di).fill(Number.NaN);
      scanForwardHost(dims, x, want);
      scanForwardSimd(dims, x, got);
      expect(relErr(got, want), 'y').toBeLessThan(1e-5);
      const gWant = gradArrays(dims);
      gWant.dz.fill(0);
      const gGot = gradArrays(dims);
      scanBackwardHost(dims, x, dout, gWant);
      scanBackwardSimd(dims, x, dout, gGot);
      for (const key of Object.keys(gWant) as (keyof ScanGradArrays)[]) {
        // at L = 1 the decays never reach the output: dA_log is exactly 0 both ways
        if (c.l === 1 && key === 'dALog') expect(gGot[key].every((v) => v === 0)).toBe(true);
        else expect(relErr(gGot[key], gWant[key]), key).toBeLessThan(1e-5);
      }
    });
  }

  it('gives the same results after a larger call grew its memory (nothing left over)', () => {
    const small = arraysOf(SHAPES[2], 7);
    const first = new Float32Array(small.x.u.length);
    scanForwardSimd(small.dims, small.x, first);
    const big = arraysOf({ b: 16, l: 22, di: 64, n: 16, r: 2, gate: 2, biasShift: -3 }, 8); // ~1.5 MB
    scanBackwardSimd(big.dims, big.x, big.dout, gradArrays(big.dims));
    const again = new Float32Array(small.x.u.length);
    scanForwardSimd(small.dims, small.x, again);
    expect(again).toEqual(first);
    const g1 = gradArrays(small.dims);
    const g2 = gradArrays(small.dims);
    scanBackwardSimd(small.dims, small.x, small.dout, g1);
    scanBackwardSimd(big.dims, big.x, big.dout, gradArrays(big.dims));
    scanBackwardSimd(small.dims, small.x, small.dout, g2);
    expect(g2).toEqual(g1); // the float64 sums and the padded lanes start from zero every call
  });
});

describe('which scan the kernels run', () => {
  const c: Shape = { b: 2, l: 6, di: 3, n: 4, r: 1, gate: 1, biasShift: 0 };

  /** the kernel forward + backward on cpu; returns how many forwards kept decays (the JS loops do) */
  async function kept(): Promise<number> {
    registerAllKernels();
    await tf.setBackend('cpu');
    const { x, dout } = arraysOf(c, 3);
    const t = (v: Float32Array, shape: number[]) => tf.tensor(v, shape, 'float32');
    const before = scanDecayStats().kept;
    const grads = tf.grads((u: tf.Tensor, xdbl: tf.Tensor) =>
      fusedSelectiveScan({
        u: u as tf.Tensor3D,
        xdbl: xdbl as tf.Tensor3D,
        z: t(x.z, [c.b, c.l, c.di]) as tf.Tensor3D,
        zOffset: 0,
        dtW: t(x.dtW, [c.di, c.r]) as tf.Tensor2D,
        dtBias: t(x.dtBias, [c.di]) as tf.Tensor1D,
        ALog: t(x.ALog, [c.di, c.n]) as tf.Tensor2D,
        D: t(x.D, [c.di]) as tf.Tensor1D,
      })
        .mul(t(dout, [c.b, c.l, c.di]))
        .sum(),
    )([t(x.u, [c.b, c.l, c.di]), t(x.xdbl, [c.b, c.l, c.r + 2 * c.n])]);
    await Promise.all(grads.map((g) => g.data()));
    tf.dispose(grads);
    return scanDecayStats().kept - before;
  }

  it("'auto' and 'simd' run the SIMD scan, 'js' the JavaScript loops", async () => {
    setScanDecayBudget();
    expect(hostScanImpl()).toBe('auto');
    expect(await kept()).toBe(0);
    setHostScanImpl('simd');
    expect(await kept()).toBe(0);
    setHostScanImpl('js');
    expect(await kept()).toBe(1);
    const dims = arraysOf(c, 1).dims;
    expect(runsSimdScan(dims)).toBe(false);
    setHostScanImpl('auto');
    expect(runsSimdScan(dims)).toBe(true);
    expect(runsSimdScan({ ...dims, r: 0 })).toBe(false); // the module needs R, N >= 1
    expect(runsSimdScan({ ...dims, l: 0 })).toBe(false);
  });

  it('falls back to the JavaScript loops where WebAssembly SIMD does not validate', async () => {
    vi.resetModules();
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    try {
      const fresh = await import('./host-simd');
      expect(fresh.hostScanSimdAvailable()).toBe(false);
      expect(validate).toHaveBeenCalledOnce();
      expect(fresh.runsSimdScan(arraysOf(c, 1).dims)).toBe(false);
      expect(() => fresh.setHostScanImpl('simd')).toThrow(/SIMD/);
    } finally {
      validate.mockRestore();
      vi.resetModules();
    }
  });
});
