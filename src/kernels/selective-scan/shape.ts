/**
 * The fused selective scan's kernel names, input order and shape checks, shared by its
 * implementations (WGSL in index.ts, plain ops in reference.ts, host loops in host.ts).
 */
import type { TensorInfo } from '@tensorflow/tfjs';

export const SELECTIVE_SCAN = 'IclSelectiveScan';
export const SELECTIVE_SCAN_GRAD = 'IclSelectiveScanGrad';

/** Forward inputs, in the order of the backward's outputs (the gradients). */
export const INPUT_NAMES = ['u', 'xdbl', 'z', 'dtW', 'dtBias', 'ALog', 'D'] as const;

export interface Dims {
  b: number;
  l: number;
  di: number;
  r: number;
  n: number;
  s: number;
  zw: number;
  zOffset: number;
}

/** The scan's sizes from its inputs; throws with every problem found. */
export function dimsOf(inputs: Record<string, TensorInfo>, zOffset: number): Dims {
  const [b, l, di] = inputs.u.shape;
  const [dr, r] = inputs.dtW.shape;
  const [da, n] = inputs.ALog.shape;
  const s = inputs.xdbl.shape[2];
  const zw = inputs.z.shape[2];
  const problems: string[] = [];
  if (inputs.u.shape.length !== 3) problems.push('u must be [B, L, Di]');
  if (dr !== di || da !== di) problems.push(`dtW [${dr}, R] and ALog [${da}, N] need Di = ${di} rows`);
  if (s !== r + 2 * n) problems.push(`xdbl has ${s} features, expected R + 2N = ${r + 2 * n}`);
  if (inputs.xdbl.shape[0] !== b || inputs.xdbl.shape[1] !== l) problems.push('xdbl must be [B, L, S]');
  if (inputs.z.shape[0] !== b || inputs.z.shape[1] !== l) problems.push('z must be [B, L, Zw]');
  if (zw % di !== 0 || zOffset % di !== 0 || zOffset + di > zw) {
    problems.push(`z width ${zw} and offset ${zOffset} must be multiples of Di = ${di} with room for Di`);
  }
  if (inputs.dtBias.shape[0] !== di || inputs.D.shape[0] !== di) problems.push('dtBias and D must be [Di]');
  if (problems.length > 0) throw new Error(`${SELECTIVE_SCAN}: ${problems.join('; ')}`);
  return { b, l, di, r, n, s, zw, zOffset };
}

/** The scan's inputs as flat float32 arrays (layouts of index.ts). */
export interface ScanArrays {
  u: Float32Array;
  xdbl: Float32Array;
  z: Float32Array;
  dtW: Float32Array;
  dtBias: Float32Array;
  ALog: Float32Array;
  D: Float32Array;
}

/** The backward's outputs, in the order of the forward's inputs. */
export interface ScanGradArrays {
  du: Float32Array;
  dxdbl: Float32Array;
  dz: Float32Array;
  dW: Float32Array;
  dBias: Float32Array;
  dALog: Float32Array;
  dD: Float32Array;
}
