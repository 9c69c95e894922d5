/**
 * The host (plain JavaScript) fused selective scan on 'cpu' and 'wasm':
 *  - against a float64 JS reference: the forward against selectiveScan64 (src/models/reference64)
 *    after softplus(dt_low dtW^T + bias), A = -exp(A_log) and the gate slice, and every gradient
 *    against central finite differences of that float64 forward;
 *  - against the reference tfjs path (plain ops, autodiff) on the same backend, forward and every
 *    gradient;
 * on shapes with L = 1, odd L, batch 1 and 33, N 1 and 16, the gate read from [B, L, 2Di] or
 * [B, L, Di], plus seeded random shapes; relative error < 1e-4 (max abs error / max abs value).
 * Also: nothing of size B x L x Di x N is allocated as a tensor, webgl keeps the reference
 * kernels, and whole Mamba / MambaFormer models built with modelKernels() match the plain models.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArchConfig } from '../../models/config';
import { buildModel } from '../../models/model';
import { selectiveScan64 } from '../../models/reference64/mamba';
import { softplus64 } from '../../models/reference64/math';
import { linearRegression } from '../../tasks/linear-regression';
import { modelKernels } from '../index';
import { registerAllKernels } from '../register';
import { type HostTensor, Rng, randn, relErr, uniform, valueAndGrads } from '../testing/helpers';
import { type ScanCase, scanFunction } from '../testing/scan-checks';
import {
  expNonPositive,
  HOST_SCAN_BACKENDS,
  type HostScanImpl,
  hostScanSimdAvailable,
  scanDecayStats,
  setHostScanImpl,
  setScanDecayBudget,
} from './host';
import { referenceScanKernels } from './index';
import { SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD } from './shape';

type Case = ScanCase;

const EDGE_CASES: Case[] = [
  { b: 1, l: 1, di: 3, n: 1, r: 1, gateWidth: 1 },
  { b: 1, l: 1, di: 5, n: 16, r: 3, gateWidth: 2 },
  { b: 33, l: 5, di: 4, n: 2, r: 1, gateWidth: 2 },
  { b: 2, l: 17, di: 6, n: 16, r: 2, gateWidth: 2 },
  { b: 33, l: 1, di: 2, n: 1, r: 2, gateWidth: 1 },
  { b: 1, l: 23, di: 7, n: 1, r: 1, gateWidth: 2 },
];

/** Seeded random shapes, small enough for full finite differences. */
function randomCases(count: number, seed: number): Case[] {
  const rng = new Rng(seed);
  const pick = (xs: readonly number[]) => xs[Math.floor(rng.uniformIn(0, xs.length)) % xs.length];
  return Array.from({ length: count }, () => ({
    b: pick([1, 2, 3, 33]),
    l: pick([1, 2, 3, 7, 12]),
    di: pick([1, 3, 4, 6]),
    n: pick([1, 2, 5, 16]),
    r: pick([1, 2, 3]),
    gateWidth: pick([1, 2]) as 1 | 2,
  }));
}

const CASES = [...EDGE_CASES, ...randomCases(4, 2024)];
const NAMES = ['u', 'xdbl', 'z', 'dtW', 'dtBias', 'ALog', 'D'] as const;
const label = (c: Case) => `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate width ${c.gateWidth} Di`;

function inputsOf(c: Case, seed: number): HostTensor[] {
  const rng = new Rng(seed);
  const s = c.r + 2 * c.n;
  const aLog = uniform(rng, [c.di, c.n], 0, 1);
  for (let i = 0; i < aLog.values.length; i++) aLog.values[i] += Math.log((i % c.n) + 1);
  return [
    randn(rng, [c.b, c.l, c.di]), // u
    randn(rng, [c.b, c.l, s], 0.7), // xdbl
    randn(rng, [c.b, c.l, c.gateWidth * c.di]), // z (or in_proj's xz)
    uniform(rng, [c.di, c.r], -1 / Math.sqrt(c.r), 1 / Math.sqrt(c.r)), // dtW
    uniform(rng, [c.di], -5, 1.5), // dtBias: small and large Delta
    aLog,
    randn(rng, [c.di]), // D
  ];
}

/** The fused scan in float64 from its raw inputs, through the float64 sequential scan. */
function fusedScan64(c: Case, x: Float64Array[]): Float64Array {
  const [u, xdbl, zFull, dtW, dtBias, aLog, D] = x;
  const { b, l, di, n, r } = c;
  const s = r + 2 * n;
  const rows = b * l;
  const delta = new Float64Array(rows * di);
  const Bm = new Float64Array(rows * n);
  const Cm = new Float64Array(rows * n);
  const z = new Float64Array(rows * di);
  const zOffset = c.gateWidth === 2 ? di : 0;
  for (let row = 0; row < rows; row++) {
    for (let d = 0; d < di; d++) {
      let pre = dtBias[d];
      for (let k = 0; k < r; k++) pre += xdbl[row * s + k] * dtW[d * r + k];
      delta[row * di + d] = softplus64(pre);
      z[row * di + d] = zFull[row * c.gateWidth * di + zOffset + d];
    }
    for (let k = 0; k < n; k++) {
      Bm[row * n + k] = xdbl[row * s + r + k];
      Cm[row * n + k] = xdbl[row * s + r + n + k];
    }
  }
  const A = aLog.map((v) => -Math.exp(v));
  return selectiveScan64(b, l, di, n, u, delta, A, Bm, Cm, D, z);
}

/** sum(f(x) * w) in float64 and its gradient by central differences, for every input element. */
function finiteDifferences(c: Case, inputs: HostTensor[], weights: HostTensor) {
  const x = inputs.map((t) => Float64Array.from(t.values));
  const w = weights.values;
  const loss = () => {
    const y = fusedScan64(c, x);
    let acc = 0;
    for (let i = 0; i < y.length; i++) acc += y[i] * w[i];
    return acc;
  };
  const grads = x.map((arr) => {
    const g = new Float64Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      const eps = 1e-6 * Math.max(1, Math.abs(v));
      arr[i] = v + eps;
      const up = loss();
      arr[i] = v - eps;
      const down = loss();
      arr[i] = v;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  });
  return { value: fusedScan64(c, x), grads };
}

let wasmOk = false;
/** Both host scans: WebAssembly SIMD (host-simd.ts; Node has it) and the JavaScript loops. */
const IMPLS: HostScanImpl[] = ['simd', 'js'];

afterEach(() => setHostScanImpl());

beforeAll(async () => {
  registerAllKernels();
  wasmOk = await tf.setBackend('wasm');
  await tf.ready();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

async function switchBackend(backend: string): Promise<void> {
  if (backend === 'wasm' && !wasmOk) throw new Error('the wasm backend did not start');
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
  await tf.ready();
}

describe("the forward's decays kept for the backward", () => {
  const c: Case = { b: 3, l: 9, di: 5, n: 16, r: 2, gateWidth: 2 };
  const bytes = c.b * c.l * c.di * c.n * 4;
  /** Gradients of sum(scan(x) w) + sum(scan(x') w') (x' = x with another xdbl) on wasm. */
  async function twoScans() {
    await switchBackend('wasm');
    const a = inputsOf(c, 5);
    const b = inputsOf(c, 6);
    const xs = a.map(toTensorOf);
    const xdbl2 = toTensorOf(b[1]);
    const w = toTensorOf(randn(new Rng(8), [c.b, c.l, c.di]));
    const scan = scanFunction(true, c.di);
    const grads = tf.grads((...args: tf.Tensor[]) =>
      scan(...args)
        .mul(w)
        .add(scan(args[0], xdbl2, ...args.slice(2)).mul(w.reverse(1)))
        .sum(),
    )(xs);
    const out = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
    tf.dispose([...xs, xdbl2, w, ...grads]);
    return out;
  }
  const toTensorOf = (h: HostTensor) => tf.tensor(h.values, h.shape, 'float32');
  // the JavaScript loops keep decays; the SIMD scan (host-simd.ts) recomputes them
  beforeEach(() => setHostScanImpl('js'));
  afterAll(() => setScanDecayBudget());

  it('are used by the backward and give the gradients of the recomputation (to float32 rounding)', async () => {
    setScanDecayBudget(0);
    const before = scanDecayStats();
    const recomputed = await twoScans();
    expect(scanDecayStats().recomputed - before.recomputed).toBe(2);
    expect(scanDecayStats().kept).toBe(before.kept);
    setScanDecayBudget();
    const s0 = scanDecayStats();
    const kept = await twoScans();
    const s1 = scanDecayStats();
    expect(s1.kept - s0.kept).toBe(2);
    expect(s1.used - s0.used).toBe(2);
    expect(s1.recomputed).toBe(s0.recomputed);
    expect(s1.bytes).toBe(0); // both taken by their backward
    for (const [i, g] of kept.entries()) expect(relErr(g, recomputed[i])).toBeLessThan(1e-6);
  });

  it("a backward skips a newer forward's decays of other inputs", async () => {
    const run = async () => {
      await switchBackend('wasm');
      const xs = inputsOf(c, 5).map(toTensorOf);
      const other = toTensorOf(inputsOf(c, 6)[1]);
      const w = toTensorOf(randn(new Rng(8), [c.b, c.l, c.di]));
      const scan = scanFunction(true, c.di);
      const grads = tf.grads((...args: tf.Tensor[]) => {
        const y = scan(...args);
        tf.tidy(() => scan(args[0], other, ...args.slice(2))); // newer, never differentiated
        return y.mul(w).sum();
      })(xs);
      const out = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
      tf.dispose([...xs, other, w, ...grads]);
      return out;
    };
    setScanDecayBudget(0);
    const want = await run();
    setScanDecayBudget();
    const s0 = scanDecayStats();
    const got = await run();
    const s1 = scanDecayStats();
    expect(s1.used - s0.used).toBe(1);
    expect(s1.bytes).toBe(bytes); // the unused forward's decays stay until pushed out
    for (const [i, g] of got.entries()) expect(relErr(g, want[i])).toBeLessThan(1e-6);
  });

  it('evicts the oldest beyond the budget, keeps nothing larger than it; the gradients stay the same', async () => {
    setScanDecayBudget(0);
    const want = await twoScans();
    setScanDecayBudget(bytes); // room for one forward: the second evicts the first
    let s0 = scanDecayStats();
    let got = await twoScans();
    let s1 = scanDecayStats();
    expect(s1.kept - s0.kept).toBe(2);
    expect(s1.used - s0.used).toBe(1);
    expect(s1.recomputed - s0.recomputed).toBe(1);
    for (const [i, g] of got.entries()) expect(relErr(g, want[i])).toBeLessThan(1e-6);
    setScanDecayBudget(bytes - 4); // smaller than one forward's decays: none kept
    s0 = scanDecayStats();
    got = await twoScans();
    s1 = scanDecayStats();
    expect(s1.kept).toBe(s0.kept);
    expect(s1.recomputed - s0.recomputed).toBe(2);
    for (const [i, g] of got.entries()) expect(relErr(g, want[i])).toBeLessThan(1e-6);
  });
});

describe('expNonPositive (the decays exp(Delta A))', () => {
  it('is within 1e-14 relative of Math.exp over [-80, 0], exact at 0, Math.exp outside its table', () => {
    let worst = 0;
    const check = (x: number) => {
      const want = Math.exp(x);
      worst = Math.max(worst, Math.abs(expNonPositive(x) - want) / want);
    };
    for (let i = 0; i <= 800_000; i++) check(-i * 1e-4); // steps of 1e-4 over [-80, 0]
    const rng = new Rng(7);
    for (let i = 0; i < 100_000; i++) check(-(rng.uniformIn(0, 1) ** 4) * 80); // dense near 0
    for (const x of [-1e-300, -Number.MIN_VALUE, -0.01083, -0.0108, -73.6, -73.7, -74, -100, -700]) check(x);
    expect(worst).toBeLessThan(1e-14);
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-800)).toBe(0);
    expect(expNonPositive(1.5)).toBe(Math.exp(1.5));
    expect(expNonPositive(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(Number.isNaN(expNonPositive(Number.NaN))).toBe(true);
  });
});

describe('host selective scan kernels', () => {
  it('have WebAssembly SIMD in Node (so the cases below run both scans)', () => {
    expect(hostScanSimdAvailable()).toBe(true);
  });

  it('are registered for cpu and wasm, and webgl keeps the reference kernels', () => {
    for (const backend of HOST_SCAN_BACKENDS) {
      expect(tf.getKernel(SELECTIVE_SCAN, backend)?.kernelFunc).not.toBe(referenceScanKernels.forward);
      expect(tf.getKernel(SELECTIVE_SCAN_GRAD, backend)?.kernelFunc).not.toBe(referenceScanKernels.backward);
    }
    expect(tf.getKernel(SELECTIVE_SCAN, 'webgl')?.kernelFunc).toBe(referenceScanKernels.forward);
    expect(tf.getKernel(SELECTIVE_SCAN_GRAD, 'webgl')?.kernelFunc).toBe(referenceScanKernels.backward);
  });

  for (const backend of HOST_SCAN_BACKENDS) {
    for (const [i, c] of CASES.entries()) {
      const zOffset = c.gateWidth === 2 ? c.di : 0;

      it(`${backend}: float64 reference (forward, finite-difference gradients), SIMD and JS: ${label(c)}`, async () => {
        await switchBackend(backend);
        const inputs = inputsOf(c, 100 + i);
        const weights = randn(new Rng(7 + i), [c.b, c.l, c.di]);
        const ref = finiteDifferences(c, inputs, weights);
        for (const impl of IMPLS) {
          setHostScanImpl(impl);
          const got = await valueAndGrads(backend, inputs, weights, scanFunction(true, zOffset));
          expect(relErr(got.value, ref.value), `${impl} forward`).toBeLessThan(1e-5);
          got.grads.forEach((g, k) => {
            expect(relErr(g, ref.grads[k]), `${impl} d${NAMES[k]}`).toBeLessThan(1e-4);
          });
        }
      });

      it(`${backend}: reference tfjs path (forward, every gradient), SIMD and JS: ${label(c)}`, async () => {
        await switchBackend(backend);
        const inputs = inputsOf(c, 200 + i);
        const weights = randn(new Rng(9 + i), [c.b, c.l, c.di]);
        const ref = await valueAndGrads(backend, inputs, weights, scanFunction(false, zOffset));
        for (const impl of IMPLS) {
          setHostScanImpl(impl);
          const got = await valueAndGrads(backend, inputs, weights, scanFunction(true, zOffset));
          expect(relErr(got.value, ref.value), `${impl} forward`).toBeLessThan(1e-4);
          got.grads.forEach((g, k) => {
            expect(relErr(g, ref.grads[k]), `${impl} d${NAMES[k]}`).toBeLessThan(1e-4);
          });
        }
      });
    }

    it(`${backend}: forward + backward allocate no tensor of size B x L x Di x N`, async () => {
      await switchBackend(backend);
      const c: Case = { b: 16, l: 24, di: 32, n: 16, r: 2, gateWidth: 1 };
      const inputs = inputsOf(c, 5);
      const weights = randn(new Rng(6), [c.b, c.l, c.di]);
      const stateBytes = c.b * c.l * c.di * c.n * 4;
      /** the most bytes of tensors alive at once during value + gradients, beyond the inputs */
      const peakExtra = async (useKernel: boolean) => {
        const xs = inputs.map((h) => tf.tensor(h.values, h.shape));
        const w = tf.tensor(weights.values, weights.shape);
        const f = scanFunction(useKernel, 0);
        const before = tf.memory().numBytes;
        const info = await tf.profile(() => {
          const grads = tf.grads((...args: tf.Tensor[]) =>
            f(...args)
              .mul(w)
              .sum(),
          )(xs);
          tf.dispose(grads);
        });
        tf.dispose([...xs, w]);
        return info.peakBytes - before;
      };
      expect(await peakExtra(true)).toBeLessThan(stateBytes);
      expect(await peakExtra(false)).toBeGreaterThan(stateBytes * 4); // the check sees materialised states
    });
  }
});

const modelParams = { d: 3, nPoints: 7 };
const batch = linearRegression.sample(new Rng(4), modelParams, 5, { dims: 3, points: 7 });
const MODELS: ArchConfig[] = [
  { arch: 'mamba', dModel: 16, nLayer: 2, positionEmbedding: false, dState: 16, dConv: 4, expand: 2 },
  {
    arch: 'mambaformer',
    dModel: 16,
    nLayer: 2,
    nHead: 4,
    positionEmbedding: false,
    dState: 4,
    dConv: 4,
    expand: 2,
  },
];

async function runModel(backend: string, config: ArchConfig, kernels: boolean) {
  await switchBackend(backend);
  const model = buildModel(
    config,
    linearRegression.readIn(modelParams),
    linearRegression.heads(modelParams),
    3,
    kernels ? { kernels: modelKernels() } : {},
  );
  const tokens = tf.tensor3d(batch.tokens, [batch.batchSize, batch.seqLen, batch.tokenDim]);
  const w = randn(new Rng(2), [batch.batchSize, batch.seqLen, 1]);
  const weights = tf.tensor(w.values, w.shape);
  const { value, grads } = tf.variableGrads(() => {
    const [out] = model.forward(tokens, batch.tokenKinds);
    return out.mul(weights).sum() as tf.Scalar;
  }, [...model.variables.values()]);
  const byName = new Map<string, Float32Array>();
  for (const [name, v] of model.variables) byName.set(name, (await grads[v.name].data()) as Float32Array);
  const [out] = model.forward(tokens, batch.tokenKinds);
  const result = { out: (await out.data()) as Float32Array, grads: byName };
  tf.dispose([tokens, weights, value, out, ...Object.values(grads)]);
  model.dispose();
  return result;
}

describe('models with modelKernels() on the host backends', () => {
  for (const backend of HOST_SCAN_BACKENDS) {
    for (const config of MODELS) {
      it(`${backend}: ${config.arch} with the kernels == plain ops (outputs, every gradient)`, async () => {
        const ref = await runModel(backend, config, false);
        const got = await runModel(backend, config, true);
        expect(relErr(got.out, ref.out), 'outputs').toBeLessThan(1e-4);
        expect(got.grads.size).toBe(ref.grads.size);
        for (const [name, g] of ref.grads) expect(relErr(got.grads.get(name)!, g), name).toBeLessThan(1e-4);
      });
    }
  }
});
