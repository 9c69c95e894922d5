/**
 * The S4D layer of S4 and S4-Mamba fused (src/models/s4.ts has the maths and the plain-ops path):
 *
 * 'IclS4dKernel': the convolution kernel from its parameters, per channel h and mode m
 *   (dt = exp(log_dt), A = -exp(log_A_real) + i A_imag, z = dt A, P = C (e^z - 1) / A):
 *     K[h, l] = 2 Re sum_m P[h, m] e^{z l},   l = 0..L-1
 *   forward one dispatch (one invocation per (h, l)); backward two: with S = sum_l g_l e^{z l} and
 *   T = sum_l g_l l e^{z l} (g = dL/dK), for a real loss L and the gradient of a complex v written
 *   grad v = dL/dRe v + i dL/dIm v (holomorphic u = f(v): grad v = conj(f'(v)) grad u):
 *     grad P = 2 conj(S)
 *     grad z = 2 conj(P T) + conj(C e^z / A) grad P         (through e^{z l}, and through P)
 *     grad C = conj((e^z - 1) / A) grad P
 *     grad A = conj(-C (e^z - 1) / A^2) grad P + dt grad z
 *            = conj(C (1 + e^z (z - 1)) / A^2) grad P + dt 2 conj(P T)
 *     dL/d dt = sum_m Re(grad z conj(A));   dL/d log_dt = dt dL/d dt
 *     dL/d log_A_real = Re(grad A) Re(A);   dL/d A_imag = Im(grad A)
 *   (1) dC and dlog_dt, (2) dlog_A_real and dA_imag; each invocation recomputes its S and T.
 *   e^z - 1 is taken without cancellation (dt A is ~1e-3 at the smallest steps, where exp(z) - 1
 *   in float32 keeps three digits): the fused kernel is closer to float64 than the plain ops.
 * 'IclS4dConv': the causal convolution with the skip, u [B, L, H], K [H, L], D [H]:
 *     y[b, t, h] = sum_{s<=t} K[h, t - s] u[b, s, h] + D[h] u[b, t, h]
 *   forward one dispatch; backward two:
 *     du[b, s, h] = sum_{t>=s} K[h, t - s] dy[b, t, h] + D[h] dy[b, s, h]
 *     dK[h, j] = sum_b sum_{t>=j} dy[b, t, h] u[b, t - j, h];   dD[h] = sum_{b,t} dy u
 * Unfused, the kernel alone took ~30 tfjs ops forward and ~60 backward per layer, and S4-Mamba's step
 * ran ~1050 dispatches against Mamba's ~160 (bench/s4-step.ts). Off WebGPU both functions are the
 * plain-ops path of src/models/s4.ts.
 */

import type { GradConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { causalConvolve, s4dKernelFromParams } from '../models/s4';
import { bindings, FLAT_INDEX, registerKernelOnce } from './common';
import { dispatch1d, runRaw } from './runner';

export const S4D_KERNEL = 'IclS4dKernel';
export const S4D_KERNEL_GRAD_C = 'IclS4dKernelGradC';
export const S4D_KERNEL_GRAD_A = 'IclS4dKernelGradA';
export const S4D_CONV = 'IclS4dConv';
export const S4D_CONV_GRAD_U = 'IclS4dConvGradU';
export const S4D_CONV_GRAD_K = 'IclS4dConvGradK';

/** Complex arithmetic on vec2 (re, im) and the mode's constants, shared by the kernel programs. */
const COMPLEX = /* wgsl */ `
const TWO_PI = 6.2831853071795862;
fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
fn cdiv(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let d = b.x * b.x + b.y * b.y;
  return vec2<f32>((a.x * b.x + a.y * b.y) / d, (a.y * b.x - a.x * b.y) / d);
}
fn conj(a: vec2<f32>) -> vec2<f32> { return vec2<f32>(a.x, -a.y); }
// e^{re + i im}, the angle reduced to [-pi, pi] first (WGSL's cos / sin are accurate there only)
fn cexp(re: f32, im: f32) -> vec2<f32> {
  let a = im - TWO_PI * round(im / TWO_PI);
  return exp(re) * vec2<f32>(cos(a), sin(a));
}
// e^x - 1 without the cancellation of exp(x) - 1 at small x (dt A is ~1e-3 at S4D's smallest steps)
fn expm1f(x: f32) -> f32 {
  if (abs(x) < 0.03) { return x * (1.0 + x * (0.5 + x * (0.16666667 + x * 0.041666668))); }
  return exp(x) - 1.0;
}
// e^z - 1 = (expm1(re) cos(im) - 2 sin^2(im / 2)) + i e^re sin(im)
fn cexpm1(z: vec2<f32>) -> vec2<f32> {
  let s = sin(0.5 * z.y);
  return vec2<f32>(expm1f(z.x) * cos(z.y) - 2.0 * s * s, exp(z.x) * sin(z.y));
}
struct Mode { dt: f32, A: vec2<f32>, z: vec2<f32>, ez: vec2<f32>, E: vec2<f32>, C: vec2<f32>, P: vec2<f32> };
fn mode(h: i32, m: i32) -> Mode {
  let dt = exp(logDt[h]);
  let j = h * uni.M + m;
  let A = vec2<f32>(-exp(logAre[j]), aIm[j]);
  let z = dt * A;
  let ez = cexp(z.x, z.y);
  let E = cexpm1(z);
  let C = vec2<f32>(cParts[2 * j], cParts[2 * j + 1]);
  let P = cdiv(cmul(C, E), A);
  return Mode(dt, A, z, ez, E, C, P);
}
`;

/**
 * WGSL: the gradients of mode (h, m) from dK (the formulas in the header), arranged without the
 * cancellations of small dt A: grad A as conj(C f(z) / A^2) grad P + dt 2 conj(P T), with
 * f(z) = 1 + e^z (z - 1) (= d/dA of (e^{dt A} - 1) / A times A^2, z = dt A) by its series
 * sum_{k>=2} z^k (k - 1) / k! at small |z|; dL/d dt = Re(conj(A) 2 conj(P T) + conj(C e^z) grad P).
 */
const MODE_GRADS = /* wgsl */ `
struct ModeGrads { gC: vec2<f32>, gA: vec2<f32>, gDt: f32 };
fn fz(z: vec2<f32>, ez: vec2<f32>) -> vec2<f32> {
  if (length(z) < 0.1) {
    let z2 = cmul(z, z);
    let z3 = cmul(z2, z);
    let z4 = cmul(z3, z);
    let z5 = cmul(z4, z);
    let z6 = cmul(z5, z);
    return 0.5 * z2 + (2.0 / 6.0) * z3 + (3.0 / 24.0) * z4 + (4.0 / 120.0) * z5 + (5.0 / 720.0) * z6;
  }
  return vec2<f32>(1.0, 0.0) + cmul(ez, z - vec2<f32>(1.0, 0.0));
}
fn modeGrads(h: i32, m: i32) -> ModeGrads {
  let md = mode(h, m);
  var S = vec2<f32>(0.0, 0.0);
  var T = vec2<f32>(0.0, 0.0);
  for (var l = 0; l < uni.L; l++) {
    let fl = f32(l);
    let g = dK[h * uni.L + l] * cexp(md.z.x * fl, md.z.y * fl);
    S += g;
    T += fl * g;
  }
  let gP = 2.0 * conj(S);
  let gzDirect = 2.0 * conj(cmul(md.P, T));
  let gC = cmul(conj(cdiv(md.E, md.A)), gP);
  let gA = cmul(conj(cdiv(cmul(md.C, fz(md.z, md.ez)), cmul(md.A, md.A))), gP) + md.dt * gzDirect;
  let gDt = cmul(conj(md.A), gzDirect).x + cmul(conj(cmul(md.C, md.ez)), gP).x;
  return ModeGrads(gC, gA, gDt);
}
`;

const KERNEL_UNIFORMS = 'H: i32, M: i32, L: i32, nx: i32';
const KERNEL_INPUTS = ['cParts', 'logDt', 'logAre', 'aIm'];

function kernelUniforms(h: number, m: number, l: number, nx: number) {
  return [h, m, l, nx].map((v) => ({ type: 'int32' as const, data: [v] }));
}

function kernelForwardProgram(h: number, m: number, l: number) {
  const dispatch = dispatch1d(h * l, 64);
  return {
    name: 'S4dKernelForward',
    key: 's4dk_fwd',
    dispatch,
    uniforms: kernelUniforms(h, m, l, dispatch[0]),
    wgsl: () => /* wgsl */ `
${bindings(['K'], KERNEL_INPUTS, KERNEL_UNIFORMS)}
${FLAT_INDEX}
${COMPLEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.H * uni.L) { return; }
  let h = i / uni.L;
  let fl = f32(i % uni.L);
  var acc = 0.0;
  for (var m = 0; m < uni.M; m++) {
    let md = mode(h, m);
    acc += cmul(md.P, cexp(md.z.x * fl, md.z.y * fl)).x;
  }
  K[i] = 2.0 * acc;
}
`,
  };
}

/** Backward (1): dC [H, M, 2] (one invocation per mode) and dlog_dt [H] (one per channel). */
function kernelGradCProgram(h: number, m: number, l: number) {
  const dispatch = dispatch1d(h * m + h, 64);
  return {
    name: 'S4dKernelBackwardC',
    key: 's4dk_bwd_c',
    dispatch,
    uniforms: kernelUniforms(h, m, l, dispatch[0]),
    wgsl: () => /* wgsl */ `
${bindings(['dC', 'dLogDt'], [...KERNEL_INPUTS, 'dK'], KERNEL_UNIFORMS)}
${FLAT_INDEX}
${COMPLEX}
${MODE_GRADS}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  let modes = uni.H * uni.M;
  if (i < modes) {
    let g = modeGrads(i / uni.M, i % uni.M);
    dC[2 * i] = g.gC.x;
    dC[2 * i + 1] = g.gC.y;
    return;
  }
  let h = i - modes;
  if (h >= uni.H) { return; }
  var acc = 0.0;
  for (var m = 0; m < uni.M; m++) {
    acc += modeGrads(h, m).gDt;
  }
  dLogDt[h] = exp(logDt[h]) * acc;
}
`,
  };
}

/** Backward (2): dlog_A_real and dA_imag [H, M], one invocation per mode. */
function kernelGradAProgram(h: number, m: number, l: number) {
  const dispatch = dispatch1d(h * m, 64);
  return {
    name: 'S4dKernelBackwardA',
    key: 's4dk_bwd_a',
    dispatch,
    uniforms: kernelUniforms(h, m, l, dispatch[0]),
    wgsl: () => /* wgsl */ `
${bindings(['dLogAre', 'dAIm'], [...KERNEL_INPUTS, 'dK'], KERNEL_UNIFORMS)}
${FLAT_INDEX}
${COMPLEX}
${MODE_GRADS}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.H * uni.M) { return; }
  let g = modeGrads(i / uni.M, i % uni.M);
  dLogAre[i] = -g.gA.x * exp(logAre[i]);
  dAIm[i] = g.gA.y;
}
`,
  };
}

const CONV_UNIFORMS = 'B: i32, L: i32, H: i32, nx: i32';

function convUniforms(b: number, l: number, h: number, nx: number) {
  return [b, l, h, nx].map((v) => ({ type: 'int32' as const, data: [v] }));
}

/** Forward (dy absent) or du (dy given): a causal (or anti-causal) sum over the kernel taps plus the skip. */
function convProgram(b: number, l: number, h: number, backward: boolean) {
  const dispatch = dispatch1d(b * l * h, 64);
  const [src, out] = backward ? ['dy', 'du'] : ['u', 'y'];
  const taps = backward
    ? 'for (var s = t; s < uni.L; s++) { acc += K[h * uni.L + s - t] * dy[(b * uni.L + s) * uni.H + h]; }'
    : 'for (var s = 0; s <= t; s++) { acc += K[h * uni.L + t - s] * u[(b * uni.L + s) * uni.H + h]; }';
  return {
    name: backward ? 'S4dConvBackwardU' : 'S4dConvForward',
    key: backward ? 's4dc_bwd_u' : 's4dc_fwd',
    dispatch,
    uniforms: convUniforms(b, l, h, dispatch[0]),
    wgsl: () => /* wgsl */ `
${bindings([out], [src, 'K', 'D'], CONV_UNIFORMS)}
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  if (i >= uni.B * uni.L * uni.H) { return; }
  let h = i % uni.H;
  let row = i / uni.H;
  let t = row % uni.L;
  let b = row / uni.L;
  var acc = 0.0;
  ${taps}
  ${out}[i] = acc + D[h] * ${src}[i];
}
`,
  };
}

/** dK [H, L] (one invocation per tap) and dD [H] (one per channel), summed over batch and time. */
function convGradKProgram(b: number, l: number, h: number) {
  const dispatch = dispatch1d(h * l + h, 64);
  return {
    name: 'S4dConvBackwardK',
    key: 's4dc_bwd_k',
    dispatch,
    uniforms: convUniforms(b, l, h, dispatch[0]),
    wgsl: () => /* wgsl */ `
${bindings(['dK', 'dD'], ['u', 'dy'], CONV_UNIFORMS)}
${FLAT_INDEX}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid) * 64 + i32(lid);
  let taps = uni.H * uni.L;
  if (i < taps) {
    let h = i / uni.L;
    let j = i % uni.L;
    var acc = 0.0;
    for (var b = 0; b < uni.B; b++) {
      for (var t = j; t < uni.L; t++) {
        acc += dy[(b * uni.L + t) * uni.H + h] * u[(b * uni.L + t - j) * uni.H + h];
      }
    }
    dK[i] = acc;
    return;
  }
  let h = i - taps;
  if (h >= uni.H) { return; }
  var acc = 0.0;
  for (var r = 0; r < uni.B * uni.L; r++) { acc += dy[r * uni.H + h] * u[r * uni.H + h]; }
  dD[h] = acc;
}
`,
  };
}

function kernelDims(inputs: Record<string, TensorInfo>, attrs: NamedAttrMap | undefined) {
  const [h, m] = inputs.cParts.shape;
  return { h, m, l: Number(attrs?.l) };
}

const kernelForward: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, TensorInfo>;
  const { h, m, l } = kernelDims(ins, attrs);
  const order = [ins.cParts, ins.logDt, ins.logAre, ins.aIm];
  return runRaw(backend, kernelForwardProgram(h, m, l), order, [[h, l]])[0];
};

const kernelGradC: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, TensorInfo>;
  const { h, m, l } = kernelDims(ins, attrs);
  const order = [ins.cParts, ins.logDt, ins.logAre, ins.aIm, ins.dK];
  return runRaw(backend, kernelGradCProgram(h, m, l), order, [[h, m, 2], [h]]);
};

const kernelGradA: KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, TensorInfo>;
  const { h, m, l } = kernelDims(ins, attrs);
  const order = [ins.cParts, ins.logDt, ins.logAre, ins.aIm, ins.dK];
  return runRaw(backend, kernelGradAProgram(h, m, l), order, [
    [h, m],
    [h, m],
  ]);
};

const convForward: KernelFunc = ({ inputs, backend }) => {
  const { u, k, d } = inputs as Record<string, TensorInfo>;
  const [b, l, h] = u.shape;
  return runRaw(backend, convProgram(b, l, h, false), [u, k, d], [u.shape.slice()])[0];
};

const convGradU: KernelFunc = ({ inputs, backend }) => {
  const { dy, k, d } = inputs as Record<string, TensorInfo>;
  const [b, l, h] = dy.shape;
  return runRaw(backend, convProgram(b, l, h, true), [dy, k, d], [dy.shape.slice()])[0];
};

const convGradK: KernelFunc = ({ inputs, backend }) => {
  const { u, dy } = inputs as Record<string, TensorInfo>;
  const [b, l, h] = u.shape;
  return runRaw(backend, convGradKProgram(b, l, h), [u, dy], [[h, l], [h]]);
};

const kernelGradConfig: GradConfig = {
  kernelName: S4D_KERNEL,
  inputsToSave: ['cParts', 'logDt', 'logAre', 'aIm'],
  gradFunc: (dy, saved, attrs) => {
    const [cParts, logDt, logAre, aIm] = saved;
    const ins = { cParts, logDt, logAre, aIm, dK: dy as tf.Tensor };
    const [dC, dLogDt] = tf.engine().runKernel(S4D_KERNEL_GRAD_C, ins, attrs) as tf.Tensor[];
    const [dLogAre, dAIm] = tf.engine().runKernel(S4D_KERNEL_GRAD_A, ins, attrs) as tf.Tensor[];
    return { cParts: () => dC, logDt: () => dLogDt, logAre: () => dLogAre, aIm: () => dAIm };
  },
};

const convGradConfig: GradConfig = {
  kernelName: S4D_CONV,
  inputsToSave: ['u', 'k', 'd'],
  gradFunc: (dy, saved) => {
    const [u, k, d] = saved;
    const du = tf.engine().runKernel(S4D_CONV_GRAD_U, { dy: dy as tf.Tensor, k, d }) as tf.Tensor;
    const [dK, dD] = tf.engine().runKernel(S4D_CONV_GRAD_K, { u, dy: dy as tf.Tensor }) as tf.Tensor[];
    return { u: () => du, k: () => dK, d: () => dD };
  },
};

export function registerS4dKernels(): void {
  const webgpu: Array<[string, KernelFunc]> = [
    [S4D_KERNEL, kernelForward],
    [S4D_KERNEL_GRAD_C, kernelGradC],
    [S4D_KERNEL_GRAD_A, kernelGradA],
    [S4D_CONV, convForward],
    [S4D_CONV_GRAD_U, convGradU],
    [S4D_CONV_GRAD_K, convGradK],
  ];
  for (const [kernelName, kernelFunc] of webgpu)
    registerKernelOnce({ kernelName, backendName: 'webgpu', kernelFunc });
  for (const config of [kernelGradConfig, convGradConfig]) {
    if (tf.getGradient(config.kernelName)) tf.unregisterGradient(config.kernelName);
    tf.registerGradient(config);
  }
}

/** The S4D convolution kernel K [H, L] (see src/models/s4.ts): fused on WebGPU, plain ops elsewhere. */
export function fusedS4dKernel(
  cParts: tf.Tensor,
  logDt: tf.Tensor,
  logAre: tf.Tensor,
  aIm: tf.Tensor,
  l: number,
): tf.Tensor2D {
  if (tf.getBackend() !== 'webgpu') return s4dKernelFromParams(cParts, logDt, logAre, aIm, l);
  return tf.engine().runKernel(S4D_KERNEL, { cParts, logDt, logAre, aIm }, { l }) as tf.Tensor2D;
}

/** K * u (causal, per channel) + D u; u [B, L, H], K [H, L], D [H]: fused on WebGPU, plain ops elsewhere. */
export function fusedS4dConv(u: tf.Tensor3D, k: tf.Tensor2D, d: tf.Tensor1D): tf.Tensor3D {
  if (tf.getBackend() !== 'webgpu') return causalConvolve(u, k).add(u.mul(d)) as tf.Tensor3D;
  return tf.engine().runKernel(S4D_CONV, { u, k, d }) as tf.Tensor3D;
}
