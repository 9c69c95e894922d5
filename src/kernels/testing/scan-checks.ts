/**
 * The selective scan's kernel checks (shared with checks.ts's list): its cases, its inputs and the
 * scan as a function of them, and one check per forward / backward program pairing.
 */
import type * as tf from '@tensorflow/tfjs';
import { fusedSelectiveScan, scanTuning, selectiveScanFusedReference } from '../selective-scan/index';
import { gradOutputs, KERNEL_BACKEND, type KernelCheck, REFERENCE_BACKEND } from './compare';
import { type HostTensor, Rng, randn, relErr, uniform, valueAndGrads } from './helpers';

export interface ScanCase {
  b: number;
  l: number;
  di: number;
  n: number;
  r: number;
  /** 2: z is read from in_proj's [B, L, 2Di] output at offset Di */
  gateWidth: 1 | 2;
}

export const SCAN_CASES: readonly ScanCase[] = [
  { b: 1, l: 1, di: 4, n: 3, r: 1, gateWidth: 1 },
  { b: 2, l: 19, di: 70, n: 4, r: 2, gateWidth: 2 },
  { b: 1, l: 37, di: 16, n: 16, r: 8, gateWidth: 2 },
  { b: 64, l: 3, di: 8, n: 2, r: 1, gateWidth: 1 },
  { b: 3, l: 64, di: 130, n: 5, r: 3, gateWidth: 2 },
];
/** the cases also run with the chunked forward */
const CHUNKED_CASES = [SCAN_CASES[0], SCAN_CASES[1], SCAN_CASES[4]];

export const SCAN_INPUT_NAMES = ['u', 'xdbl', 'z', 'dtW', 'dtBias', 'ALog', 'D'] as const;

/** u, xdbl, z (or xz), dtW, dtBias, A_log, D of a scan case */
export function scanInputs(c: ScanCase, seed: number): HostTensor[] {
  const rng = new Rng(seed);
  const s = c.r + 2 * c.n;
  const aLog = uniform(rng, [c.di, c.n], 0, 1);
  for (let i = 0; i < aLog.values.length; i++) aLog.values[i] += Math.log((i % c.n) + 1);
  return [
    randn(rng, [c.b, c.l, c.di]),
    randn(rng, [c.b, c.l, s], 0.7),
    randn(rng, [c.b, c.l, c.gateWidth * c.di]),
    uniform(rng, [c.di, c.r], -1 / Math.sqrt(c.r), 1 / Math.sqrt(c.r)),
    uniform(rng, [c.di], -5, 1.5), // dtBias: softplus's series, log and near-linear regions
    aLog,
    randn(rng, [c.di]),
  ];
}

/** The scan as a function of its 7 inputs: the fused kernel, or the plain-ops reference. */
export const scanFunction =
  (useFused: boolean, zOffset: number) =>
  (...xs: tf.Tensor[]): tf.Tensor => {
    const [u, xdbl, z, dtW, dtBias, ALog, D] = xs;
    const args = {
      u: u as tf.Tensor3D,
      xdbl: xdbl as tf.Tensor3D,
      z: z as tf.Tensor3D,
      zOffset,
      dtW: dtW as tf.Tensor2D,
      dtBias: dtBias as tf.Tensor1D,
      ALog: ALog as tf.Tensor2D,
      D: D as tf.Tensor1D,
    };
    if (useFused) return fusedSelectiveScan(args);
    // at L = 1 the reference never touches A (h_{-1} = 0): keep A_log on the tape (gradient 0)
    return selectiveScanFusedReference(args).add(ALog.sum().mul(0));
  };

/**
 * A scan check with one forward program and the backward it runs with: under 'auto', the row-staged
 * forward with the block-parallel backward in the forms 'auto' picks (the product's path on a device
 * where the staged layout fits); the others with the channel-parallel backward (the path of devices
 * where the block-parallel layout does not fit).
 */
function scanCheck(c: ScanCase, mode: 'sequential' | 'chunked' | 'lanes' | 'staged'): KernelCheck {
  const backwardMode = mode === 'staged' ? 'blocks' : 'channels';
  return {
    kernel: 'selectiveScan',
    case: `B ${c.b}, L ${c.l}, Di ${c.di}, N ${c.n}, R ${c.r}, gate width ${c.gateWidth} Di, ${mode} forward, ${backwardMode} backward`,
    dims: {
      ...c,
      chunked: mode === 'chunked' ? 1 : 0,
      blocks: backwardMode === 'blocks' ? 1 : 0,
      lanes: mode === 'lanes' ? 1 : 0,
      staged: mode === 'staged' ? 1 : 0,
    },
    outputs: gradOutputs(SCAN_INPUT_NAMES),
    async run() {
      const zOffset = c.gateWidth === 2 ? c.di : 0;
      const inputs = scanInputs(c, 11 + c.l);
      const weights = randn(new Rng(5), [c.b, c.l, c.di]);
      const previous = { forwardMode: scanTuning.forwardMode, backwardMode: scanTuning.backwardMode };
      Object.assign(scanTuning, { forwardMode: mode, backwardMode });
      try {
        const ref = await valueAndGrads(REFERENCE_BACKEND, inputs, weights, scanFunction(false, zOffset));
        const got = await valueAndGrads(KERNEL_BACKEND, inputs, weights, scanFunction(true, zOffset));
        return [
          { output: 'y', maxRelErr: relErr(got.value, ref.value) },
          ...got.grads.map((g, i) => ({
            output: `d${SCAN_INPUT_NAMES[i]}`,
            maxRelErr: relErr(g, ref.grads[i]),
          })),
        ];
      } finally {
        Object.assign(scanTuning, previous);
      }
    },
  };
}

/** Every scan check, in a fixed order: each forward program with the backward it runs with. */
export function scanChecks(): KernelCheck[] {
  return [
    ...SCAN_CASES.map((c) => scanCheck(c, 'sequential')),
    ...CHUNKED_CASES.map((c) => scanCheck(c, 'chunked')),
    // the lane-parallel forward where the device has WGSL subgroups (the sequential one elsewhere)
    ...SCAN_CASES.map((c) => scanCheck(c, 'lanes')),
    // the row-staged forward (a tile's rows, u and z in workgroup memory), the block-parallel backward
    ...SCAN_CASES.map((c) => scanCheck(c, 'staged')),
  ];
}
