/**
 * The fused selective scan ('IclSelectiveScan' / 'IclSelectiveScanGrad', same inputs, outputs and
 * attrs as the WebGPU kernels of index.ts) in plain JavaScript loops, for the backends
 * whose tensors live in host memory: 'cpu' (the backend's own typed arrays) and 'wasm' (views on
 * the WebAssembly heap). Equations: paper.md section 4.
 *
 * One loop per (b, channel d) over t, the N states in a small float64 scratch, nothing of size
 * B x L x Di x N stored but the bounded decays below:
 *  - forward: Delta = softplus(dt_low . dtW[d] + dtBias[d]), A = -exp(A_log[d]),
 *    h = exp(Delta A) h + Delta B_t u, y = (C_t . h + D u) SiLU(z);
 *  - forward: also keeps its decays exp(Delta A) ([B, Di, L, N] float32) for the backward when they
 *    fit a budget (32 MiB by default, `setScanDecayBudget`): the classroom models' blocks do, the
 *    larger ones recompute them;
 *  - backward: the forward recomputed for this (b, d) (its decays taken from the forward when kept),
 *    keeping its L x N states and decays
 *    (exp(Delta A)) in scratch, then a reverse walk with the adjoint g_t = C_t dy_t + A_bar_{t+1}
 *    g_{t+1}, writing du and dz and accumulating d dt_low, dB, dC (summed over channels, per
 *    batch row in a float64 scratch of L x S) and d dtW, dA_log, dD, d dtBias (summed over the
 *    batch, float64).
 * Arithmetic is float64 throughout; inputs and outputs are float32. The decays exp(Delta A) (one
 * per (b, t, channel, state): most of the time) use `expNonPositive`, a table + polynomial exp
 * within 1e-14 of Math.exp and about twice as fast.
 *
 * The kernels run the same loops in WebAssembly SIMD (host-simd.ts, float32; 4-6x faster,
 * bench/scan-host.ts) where WebAssembly SIMD exists, and these JavaScript loops elsewhere or when
 * `setHostScanImpl('js')` says so. The SIMD path recomputes its decays in the backward (a vector
 * exp is cheap) and keeps nothing between the forward and the backward.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { registerKernelOnce } from '../common';
import { expNonPositive, HOST_BACKENDS, type HostBackend, type HostIo, hostIo as hostIoOf } from '../host-io';
import { runsSimdScan, scanBackwardSimd, scanForwardSimd } from './host-simd';
import {
  type Dims,
  dimsOf,
  type ScanArrays,
  type ScanGradArrays,
  SELECTIVE_SCAN,
  SELECTIVE_SCAN_GRAD,
} from './shape';

export { type HostScanImpl, hostScanImpl, hostScanSimdAvailable, setHostScanImpl } from './host-simd';
export type { ScanArrays, ScanGradArrays };

/** The backends these kernels are registered for. */
export const HOST_SCAN_BACKENDS = HOST_BACKENDS;
export type HostScanBackend = HostBackend;
export { expNonPositive };

const hostIo = (backendName: HostScanBackend, backend: unknown): HostIo =>
  hostIoOf(backendName, backend, SELECTIVE_SCAN);

const softplus = (x: number): number => (x > 20 ? x : Math.log1p(Math.exp(x)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** -exp(A_log) as float64, [Di, N]. */
function decayRates(ALog: Float32Array): Float64Array {
  const A = new Float64Array(ALog.length);
  for (let i = 0; i < A.length; i++) A[i] = -Math.exp(ALog[i]);
  return A;
}

/**
 * Forward: writes y [B, L, Di]; with `decays` ([B, Di, L, N], float32) also every exp(Delta A),
 * for a backward that then skips their recomputation.
 */
export function scanForwardHost(dims: Dims, x: ScanArrays, y: Float32Array, decays?: Float32Array): void {
  const { b: nb, l: nl, di, r, n, s, zw, zOffset } = dims;
  const { u, xdbl, z, dtW, dtBias, D } = x;
  const A = decayRates(x.ALog);
  const h = new Float64Array(n);
  for (let b = 0; b < nb; b++) {
    for (let d = 0; d < di; d++) {
      const ao = d * n;
      const wo = d * r;
      const bias = dtBias[d];
      const dd = D[d];
      h.fill(0);
      for (let t = 0; t < nl; t++) {
        const row = b * nl + t;
        const xo = row * s;
        let dtp = bias;
        for (let k = 0; k < r; k++) dtp += xdbl[xo + k] * dtW[wo + k];
        const delta = softplus(dtp);
        const ut = u[row * di + d];
        const dlu = delta * ut;
        const bo = xo + r;
        const co = bo + n;
        let acc = dd * ut;
        if (decays) {
          const eo = ((b * di + d) * nl + t) * n;
          for (let k = 0; k < n; k++) {
            const a = expNonPositive(delta * A[ao + k]);
            decays[eo + k] = a;
            const hk = a * h[k] + dlu * xdbl[bo + k];
            h[k] = hk;
            acc += hk * xdbl[co + k];
          }
        } else {
          for (let k = 0; k < n; k++) {
            const hk = expNonPositive(delta * A[ao + k]) * h[k] + dlu * xdbl[bo + k];
            h[k] = hk;
            acc += hk * xdbl[co + k];
          }
        }
        const zv = z[row * zw + zOffset + d];
        y[row * di + d] = acc * zv * sigmoid(zv);
      }
    }
  }
}

/**
 * Backward: the gradients of sum(y * dout) with respect to every input. `decays`: the forward's
 * exp(Delta A) ([B, Di, L, N], from scanForwardHost), used instead of recomputing them.
 */
export function scanBackwardHost(
  dims: Dims,
  x: ScanArrays,
  dout: Float32Array,
  out: ScanGradArrays,
  decays?: Float32Array,
): void {
  const { b: nb, l: nl, di, r, n, s, zw, zOffset } = dims;
  const { u, xdbl, z, dtW, dtBias, D } = x;
  const { du, dxdbl, dz, dW, dBias, dALog, dD } = out;
  const A = decayRates(x.ALog);
  const gc = new Float64Array(n); // A_bar_{t+1} g_{t+1}
  const hs = new Float64Array((nl + 1) * n); // row 0: h_{-1} = 0; row t + 1: h_t of this (b, d)
  const ab = new Float64Array(nl * n); // A_bar_t of this (b, d)
  const deltas = new Float64Array(nl);
  const dtps = new Float64Array(nl);
  const ypres = new Float64Array(nl); // C_t . h_t + D u_t (y before the gate)
  const dx = new Float64Array(nl * s); // this batch row's xdbl gradient, summed over channels
  const pW = new Float64Array(di * r); // parameter gradients, summed over the batch
  const pA = new Float64Array(di * n);
  const pD = new Float64Array(di);
  const pBias = new Float64Array(di);
  dz.fill(0);
  for (let b = 0; b < nb; b++) {
    dx.fill(0);
    for (let d = 0; d < di; d++) {
      const ao = d * n;
      const wo = d * r;
      const bias = dtBias[d];
      const dd = D[d];
      // the forward again, keeping this channel's states, decays and pre-gate outputs
      for (let t = 0; t < nl; t++) {
        const row = b * nl + t;
        const xo = row * s;
        let dtp = bias;
        for (let k = 0; k < r; k++) dtp += xdbl[xo + k] * dtW[wo + k];
        const delta = softplus(dtp);
        dtps[t] = dtp;
        deltas[t] = delta;
        const ut = u[row * di + d];
        const dlu = delta * ut;
        const bo = xo + r;
        const co = bo + n;
        const o = t * n; // row t of ab, row t (h_{t-1}) of hs
        let acc = dd * ut;
        const eo = ((b * di + d) * nl + t) * n;
        for (let k = 0; k < n; k++) {
          const a = decays ? decays[eo + k] : expNonPositive(delta * A[ao + k]);
          ab[o + k] = a;
          const hk = a * hs[o + k] + dlu * xdbl[bo + k];
          hs[o + n + k] = hk;
          acc += hk * xdbl[co + k];
        }
        ypres[t] = acc;
      }
      // the reverse walk with the adjoint
      gc.fill(0);
      let sD = 0;
      let sBias = 0;
      for (let t = nl - 1; t >= 0; t--) {
        const row = b * nl + t;
        const xo = row * s;
        const bo = xo + r;
        const co = bo + n;
        const o = t * n;
        const lo = t * s; // row t of dx
        const ut = u[row * di + d];
        const zi = row * zw + zOffset + d;
        const zv = z[zi];
        const go = dout[row * di + d];
        const delta = deltas[t];
        const sz = sigmoid(zv);
        const dy = go * zv * sz;
        dz[zi] = go * ypres[t] * sz * (1 + zv * (1 - sz));
        const dlu = delta * ut;
        let sumGB = 0;
        let sumGAH = 0;
        for (let k = 0; k < n; k++) {
          const a = ab[o + k];
          const ahp = a * hs[o + k]; // A_bar_t h_{t-1}
          const bn = xdbl[bo + k];
          const g = xdbl[co + k] * dy + gc[k];
          const gah = g * ahp;
          sumGB += g * bn;
          sumGAH += gah * A[ao + k];
          pA[ao + k] += gah * delta;
          dx[lo + r + k] += g * dlu;
          dx[lo + r + n + k] += dy * hs[o + n + k];
          gc[k] = a * g;
        }
        // d/dDelta of A_bar_t h_{t-1} + Delta u_t B_t, against the adjoint
        const ddt = (sumGAH + ut * sumGB) * sigmoid(dtps[t]);
        for (let k = 0; k < r; k++) {
          dx[lo + k] += ddt * dtW[wo + k];
          pW[wo + k] += ddt * xdbl[xo + k];
        }
        sD += dy * ut;
        sBias += ddt;
        du[row * di + d] = dd * dy + delta * sumGB;
      }
      pD[d] += sD;
      pBias[d] += sBias;
    }
    dxdbl.set(dx, b * nl * s);
  }
  dW.set(pW);
  for (let i = 0; i < pA.length; i++) dALog[i] = pA[i] * A[i];
  dD.set(pD);
  dBias.set(pBias);
}

// ---------------------------------------------------------------------------------------------
// Reading inputs and making outputs on each host backend

function readInputs(io: HostIo, inputs: Record<string, TensorInfo>): ScanArrays {
  return {
    u: io.read(inputs.u),
    xdbl: io.read(inputs.xdbl),
    z: io.read(inputs.z),
    dtW: io.read(inputs.dtW),
    dtBias: io.read(inputs.dtBias),
    ALog: io.read(inputs.ALog),
    D: io.read(inputs.D),
  };
}

// ---------------------------------------------------------------------------------------------
// The forward's decays kept for the backward (bounded)

/**
 * Decays of forwards whose backward has not run yet. The decays depend only on dt_low (xdbl's
 * first R columns), dtW, dtBias and A_log, so each entry keeps copies of those (B L R + Di (R + 1 +
 * N) numbers, ~1/N of the decays) and a backward takes the newest entry whose copies equal its own
 * inputs exactly (tensor identities cannot serve: tfjs hands the gradient copies of the forward's
 * inputs). At most `decayBudget` bytes of decays; the oldest entries go first, and a forward whose
 * decays alone exceed the budget keeps none (its backward recomputes them). Entries whose backward
 * never comes (inference) are pushed out by later forwards.
 */
interface DecayEntry {
  dims: Dims;
  dtLow: Float32Array;
  dtW: Float32Array;
  dtBias: Float32Array;
  ALog: Float32Array;
  decays: Float32Array;
}
const DEFAULT_DECAY_BUDGET = 32 * 1024 * 1024;
let decayBudget = DEFAULT_DECAY_BUDGET;
let decayEntries: DecayEntry[] = []; // oldest first
let decayBytes = 0;
let spareDecays: Float32Array[] = []; // buffers of finished backwards, for the next forwards
const decayStats = { kept: 0, used: 0, recomputed: 0 };

const sameDims = (a: Dims, b: Dims): boolean =>
  a.b === b.b && a.l === b.l && a.di === b.di && a.r === b.r && a.n === b.n && a.s === b.s;

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** xdbl's first R columns, [B L, R]. */
function dtLowOf(dims: Dims, xdbl: Float32Array): Float32Array {
  const rows = dims.b * dims.l;
  const out = new Float32Array(rows * dims.r);
  for (let row = 0; row < rows; row++) {
    for (let k = 0; k < dims.r; k++) out[row * dims.r + k] = xdbl[row * dims.s + k];
  }
  return out;
}

function removeEntry(i: number): void {
  decayBytes -= decayEntries[i].decays.byteLength;
  decayEntries.splice(i, 1);
}

/** A new decay buffer for this forward, or undefined when it would not fit the budget. */
function keepDecays(dims: Dims, x: ScanArrays): Float32Array | undefined {
  const bytes = dims.b * dims.l * dims.di * dims.n * 4;
  if (bytes > decayBudget) return undefined;
  while (decayEntries.length > 0 && decayBytes + bytes > decayBudget) removeEntry(0);
  // reuse a buffer a backward gave back (the forward overwrites all of it)
  const spare = spareDecays.findIndex((a) => a.length === bytes / 4);
  const decays = spare >= 0 ? spareDecays.splice(spare, 1)[0] : new Float32Array(bytes / 4);
  decayEntries.push({
    dims,
    dtLow: dtLowOf(dims, x.xdbl),
    dtW: x.dtW.slice(),
    dtBias: x.dtBias.slice(),
    ALog: x.ALog.slice(),
    decays,
  });
  decayBytes += bytes;
  decayStats.kept++;
  return decays;
}

/** The decays of a forward of these inputs (removed from the cache), if one is kept. */
function takeDecays(dims: Dims, x: ScanArrays): Float32Array | undefined {
  let dtLow: Float32Array | undefined;
  for (let i = decayEntries.length - 1; i >= 0; i--) {
    const e = decayEntries[i];
    if (!sameDims(e.dims, dims)) continue;
    if (!sameValues(e.dtW, x.dtW) || !sameValues(e.dtBias, x.dtBias) || !sameValues(e.ALog, x.ALog)) continue;
    dtLow ??= dtLowOf(dims, x.xdbl);
    if (!sameValues(e.dtLow, dtLow)) continue;
    removeEntry(i);
    decayStats.used++;
    return e.decays;
  }
  decayStats.recomputed++;
  return undefined;
}

/** A backward is done with `decays`: keep the buffer for a later forward, within the budget. */
function giveBackDecays(decays: Float32Array | undefined): void {
  if (!decays) return;
  let spareBytes = decays.byteLength;
  for (const a of spareDecays) spareBytes += a.byteLength;
  if (spareBytes <= decayBudget) spareDecays.push(decays);
}

/**
 * Bytes of forward decays kept for the backward (default 32 MiB; 0 turns keeping off), and the
 * counts so far (tests, benchmarks). Setting the budget empties the cache.
 */
export function setScanDecayBudget(bytes: number = DEFAULT_DECAY_BUDGET): void {
  decayBudget = Math.max(0, bytes);
  decayEntries = [];
  decayBytes = 0;
  spareDecays = [];
}
export function scanDecayStats(): { kept: number; used: number; recomputed: number; bytes: number } {
  return { ...decayStats, bytes: decayBytes };
}

function forwardKernel(backendName: HostScanBackend): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ins = inputs as Record<string, TensorInfo>;
    const dims = dimsOf(ins, Number(attrs?.zOffset ?? 0));
    const io = hostIo(backendName, backend);
    const { infos, arrays } = io.outputs([[dims.b, dims.l, dims.di]]);
    const x = readInputs(io, ins);
    if (runsSimdScan(dims)) scanForwardSimd(dims, x, arrays[0]);
    else scanForwardHost(dims, x, arrays[0], keepDecays(dims, x));
    return infos[0];
  };
}

function backwardKernel(backendName: HostScanBackend): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ins = inputs as Record<string, TensorInfo>;
    const dims = dimsOf(ins, Number(attrs?.zOffset ?? 0));
    const { b, l, di, r, n, s, zw } = dims;
    const io = hostIo(backendName, backend);
    const { infos, arrays } = io.outputs([[b, l, di], [b, l, s], [b, l, zw], [di, r], [di], [di, n], [di]]);
    const [du, dxdbl, dz, dW, dBias, dALog, dD] = arrays;
    const dout = io.read(ins.dy);
    const x = readInputs(io, ins);
    if (runsSimdScan(dims)) {
      scanBackwardSimd(dims, x, dout, { du, dxdbl, dz, dW, dBias, dALog, dD });
      return infos;
    }
    const decays = takeDecays(dims, x);
    scanBackwardHost(dims, x, dout, { du, dxdbl, dz, dW, dBias, dALog, dD }, decays);
    giveBackDecays(decays);
    return infos;
  };
}

/** Register the host scan kernels for 'cpu' and 'wasm' (replacing earlier registrations). */
export function registerHostScanKernels(): void {
  for (const backendName of HOST_SCAN_BACKENDS) {
    registerKernelOnce({ kernelName: SELECTIVE_SCAN, backendName, kernelFunc: forwardKernel(backendName) });
    registerKernelOnce({
      kernelName: SELECTIVE_SCAN_GRAD,
      backendName,
      kernelFunc: backwardKernel(backendName),
    });
  }
}
