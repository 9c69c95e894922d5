/**
 * Global-norm clipping + Adam, fused (torch.nn.utils.clip_grad_norm_ then torch.optim.Adam, the
 * same maths as src/train/adam.ts, which stays the reference):
 *   1. sum of squares of all gradients: one single-workgroup dispatch per group of gradients, each
 *      adding its group to the running total of the previous one; the last also writes the clip
 *      coefficient min(1, maxNorm / (norm + 1e-6)) (1 without clipping);
 *   2. Adam in place on the parameter and its two moments, reading g * coef, one dispatch per
 *      group of parameters (as many as the device's storage-buffer limit allows per program).
 * Per step that is ~P/10 + P/2 dispatches for P parameters, instead of ~15 P with plain ops.
 * Off WebGPU (or on a device with too few storage buffers) the same class runs the plain ops.
 *
 * In place: the parameter and moment variables' GPU buffers are written directly (no new tensors),
 * so each must own its buffer; a variable sharing its data with another tensor is first given a
 * copy of its own.
 */

import type { TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { Adam, type AdamMoments, clipByGlobalNorm } from '../train/adam';
import { bindings } from './common';
import { internalsOf, maxStorageBuffers, runRaw } from './runner';

const WG = 256;

function sumSquaresProgram(sizes: number[], first: boolean, maxNorm: number | null) {
  const k = sizes.length;
  const names = sizes.map((_, i) => `g${i}`);
  const inputs = first ? names : ['prev', ...names];
  const loops = sizes
    .map((_, i) => `for (var i = lid; i < uni.n${i}; i += ${WG}u) { let v = g${i}[i]; acc += v * v; }`)
    .join('\n  ');
  const uniformFields = sizes.map((_, i) => `n${i}: u32`).join(', ');
  return {
    name: 'ClipSumSquares',
    key: `sumsq_${k}_${first}_${maxNorm === null ? 'noclip' : 'clip'}`,
    dispatch: [1, 1, 1] as [number, number, number],
    uniforms: [
      ...sizes.map((s) => ({ type: 'uint32' as const, data: [s] })),
      { type: 'float32' as const, data: [maxNorm ?? 0] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(['out'], inputs, `${uniformFields}, maxNorm: f32`)}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  ${loops}
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let total = part[0]${first ? '' : ' + prev[0]'};
    out[0] = total;
    ${maxNorm === null ? 'out[1] = 1.0;' : 'out[1] = min(1.0, uni.maxNorm / (sqrt(total) + 1e-6));'}
  }
}
`,
  };
}

function adamProgram(sizes: number[]) {
  const k = sizes.length;
  const outs: string[] = [];
  const ins: string[] = [];
  sizes.forEach((_, i) => {
    outs.push(`p${i}`, `m${i}`, `v${i}`);
    ins.push(`g${i}`);
  });
  ins.push('coef');
  const offsets: number[] = [];
  let total = 0;
  for (const s of sizes) {
    offsets.push(total);
    total += s;
  }
  const branches = sizes
    .map(
      (_, i) => `${i === 0 ? '' : 'else '}if (i < uni.end${i}) {
    let j = i - uni.start${i};
    let g = g${i}[j] * c;
    let m = m${i}[j] + (1.0 - uni.beta1) * (g - m${i}[j]);
    let v = uni.beta2 * v${i}[j] + (1.0 - uni.beta2) * g * g;
    m${i}[j] = m;
    v${i}[j] = v;
    p${i}[j] = p${i}[j] - m / (sqrt(v) / uni.bc2Sqrt + uni.eps) * uni.stepSize;
  }`,
    )
    .join(' ');
  const fields = sizes.map((_, i) => `start${i}: u32, end${i}: u32`).join(', ');
  const groups = Math.max(1, Math.ceil(total / WG));
  const nx = Math.min(groups, 65535);
  const ny = Math.ceil(groups / nx);
  return {
    name: 'AdamInPlace',
    key: `adam_${k}`,
    dispatch: [nx, ny, 1] as [number, number, number],
    uniforms: [
      ...sizes.flatMap((s, i) => [
        { type: 'uint32' as const, data: [offsets[i]] },
        { type: 'uint32' as const, data: [offsets[i] + s] },
      ]),
      { type: 'uint32' as const, data: [total] },
      { type: 'uint32' as const, data: [nx] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(outs, ins, `${fields}, total: u32, nx: u32, stepSize: f32, beta1: f32, beta2: f32, eps: f32, bc2Sqrt: f32`)}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * uni.nx) * ${WG}u + lid;
  if (i >= uni.total) { return; }
  let c = coef[1];
  ${branches}
}
`,
  };
}

/**
 * Adam with global-norm clipping, fused on WebGPU. A subclass of src/train/adam.ts's Adam (same
 * moments, settings, step count, checkpoint state), so it can stand wherever an Adam is expected;
 * `apply` takes the fused path too, `applyClipped` adds the fused clipping.
 */
export class FusedAdam extends Adam {
  private ensureMoments(name: string, shape: readonly number[]): AdamMoments {
    let m = this.state.get(name);
    if (!m) {
      const size = shape.reduce((a, b) => a * b, 1);
      this.setMoments(name, shape, new Float32Array(size), new Float32Array(size));
      m = this.state.get(name)!;
    }
    return m;
  }

  /** Adam without clipping (same maths as src/train/adam.ts's `apply`). */
  override apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    this.applyClipped(params, grads, null);
  }

  /**
   * Clip all gradients to global norm `maxNorm` (null: no clipping) and take one Adam step.
   * Returns the global norm before clipping (a scalar owned by the caller's tidy).
   */
  applyClipped(
    params: ReadonlyMap<string, tf.Variable>,
    grads: ReadonlyMap<string, tf.Tensor>,
    maxNorm: number | null,
  ): tf.Scalar {
    const names = [...params.keys()].filter((n) => grads.has(n));
    for (const n of names) this.ensureMoments(n, params.get(n)!.shape);
    this.stepCount += 1;
    const { lr, beta1, beta2, eps } = this.settings;
    const t = this.stepCount;
    const bc1 = 1 - beta1 ** t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const stepSize = lr / bc1;
    const backend = tf.backend();
    if (tf.getBackend() !== 'webgpu' || maxStorageBuffers(backend) < 8 || names.length === 0) {
      return this.applyOps(params, grads, names, maxNorm, { stepSize, bc2Sqrt });
    }
    const limit = Math.min(maxStorageBuffers(backend), 16);
    const gs = names.map((n) => grads.get(n)!);
    // 1. sum of squares (+ clip coefficient), chained through groups of gradients
    const perSum = limit - 2;
    let total: TensorInfo | null = null;
    for (let i = 0; i < gs.length; i += perSum) {
      const group = gs.slice(i, i + perSum);
      const program = sumSquaresProgram(
        group.map((g) => g.size),
        total === null,
        maxNorm,
      );
      const ins: TensorInfo[] = total === null ? group : [total, ...group];
      const [out] = runRaw(backend, program, ins, [[2]]);
      if (total) backend.disposeData(total.dataId);
      total = out;
    }
    const coefTensor = tf.engine().makeTensorFromTensorInfo(total!) as tf.Tensor1D;
    // 2. Adam in place, groups of parameters
    const perAdam = Math.max(1, Math.floor((limit - 1) / 4));
    const be = internalsOf(backend);
    const own = (v: tf.Variable) => {
      be.uploadToGPU(v.dataId);
      if (be.tensorMap.get(v.dataId).refCount > 1) v.assign(tf.add(v, 0));
    };
    for (let i = 0; i < names.length; i += perAdam) {
      const group = names.slice(i, i + perAdam);
      const outs: TensorInfo[] = [];
      const ins: TensorInfo[] = [];
      for (const n of group) {
        const p = params.get(n)!;
        const m = this.state.get(n)!;
        for (const v of [p, m.expAvg, m.expAvgSq]) own(v);
        outs.push(p, m.expAvg, m.expAvgSq);
        ins.push(grads.get(n)!);
      }
      ins.push(coefTensor);
      const program = adamProgram(group.map((n) => params.get(n)!.size));
      program.uniforms.push(
        { type: 'float32' as const, data: [stepSize] } as never,
        { type: 'float32' as const, data: [beta1] } as never,
        { type: 'float32' as const, data: [beta2] } as never,
        { type: 'float32' as const, data: [eps] } as never,
        { type: 'float32' as const, data: [bc2Sqrt] } as never,
      );
      runRaw(backend, program, ins, outs);
    }
    return coefTensor.slice(0, 1).sqrt().reshape([]) as tf.Scalar;
  }

  private applyOps(
    params: ReadonlyMap<string, tf.Variable>,
    grads: ReadonlyMap<string, tf.Tensor>,
    names: string[],
    maxNorm: number | null,
    c: { stepSize: number; bc2Sqrt: number },
  ): tf.Scalar {
    const { beta1, beta2, eps } = this.settings;
    const clipped = clipByGlobalNorm(
      names.map((n) => grads.get(n)!),
      maxNorm,
    );
    names.forEach((name, i) => {
      const p = params.get(name)!;
      const g = clipped.grads[i];
      const { expAvg, expAvgSq } = this.state.get(name)!;
      const m = expAvg.add(g.sub(expAvg).mul(1 - beta1));
      const v = expAvgSq.mul(beta2).add(g.square().mul(1 - beta2));
      const denom = v.sqrt().div(c.bc2Sqrt).add(eps);
      expAvg.assign(m);
      expAvgSq.assign(v);
      p.assign(p.sub(m.div(denom).mul(c.stepSize)));
    });
    return clipped.norm;
  }
}
