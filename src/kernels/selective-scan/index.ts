/**
 * The fused selective scan of Mamba (paper.md section 4, steps 4-9) as one tfjs kernel,
 * 'IclSelectiveScan', with a WGSL implementation on 'webgpu', plain JavaScript loops on 'cpu' and
 * 'wasm' (host.ts) and the reference (plain tfjs ops) on 'webgl', so every backend
 * runs the same model through the same kernel name.
 *
 * Inputs (layout "batch, length, channels"; R = dt rank, N = state size, S = R + 2N):
 *   u      [B, L, Di]     scan input (after the causal conv and SiLU)
 *   xdbl   [B, L, S]      x_proj(u) unsplit: dt_low = [0, R), B_t = [R, R+N), C_t = [R+N, R+2N)
 *   z      [B, L, Zw]     gate source: z = z[..., zOffset : zOffset + Di] (Zw a multiple of Di;
 *                         e.g. in_proj's output [B, L, 2 Di] with zOffset Di, or z itself)
 *   dtW    [Di, R]        dt_proj.weight
 *   dtBias [Di]           dt_proj.bias
 *   ALog   [Di, N]        A = -exp(A_log)
 *   D      [Di]
 * Output y [B, L, Di]:
 *   Delta = softplus(dt_low dtW^T + dtBias); A_bar = exp(Delta A); h_t = A_bar h_{t-1} + Delta B_t u_t;
 *   y_t = (sum_n C_t[n] h_t[n] + D u_t) * SiLU(z_t).
 *
 * WebGPU forward, one dispatch, H never materialised; 'auto' runs the first of these that fits the
 * device (each was the fastest on the H200 where it runs: bench/RESULTS.md):
 * - 'staged' (staged-forward-program.ts): one invocation per (b, channel, part of the states), t in
 *   tiles of T steps whose x_dbl rows (as vec4s), u and z are staged in workgroup memory,
 *   double-buffered so the next tile's loads are in flight during this tile's steps; where its timed
 *   layout fits the device's workgroup memory unchanged (scanTuning.staged);
 * - 'lanes' (lanes-forward-program.ts, devices with WGSL subgroups): one invocation per (b, channel,
 *   lane), a channel's states spread over neighbouring lanes of a subgroup, the sums over states by
 *   subgroup shuffles, no workgroup memory and no barrier (scanTuning.lanes);
 * - 'chunked' for long L (chunked-forward-program.ts): one invocation per (b, channel, chunk of t):
 *   each scans its chunk from a zero state, the chunk end states and summed Delta go through
 *   workgroup memory (a chunk's decay is exp(A sum Delta)), each invocation folds in the chunks before
 *   its own and rescans its chunk from the true state;
 * - 'sequential' (forward-program.ts): one invocation per (b, channel), N states in registers, a loop
 *   over t (prefetching P steps of u and z).
 * WebGPU backward ('IclSelectiveScanGrad', paper.md section 4's equations). 'auto' runs the
 * block-parallel program (blocks-backward-program.ts, its header has the equations) wherever its
 * layout fits: a workgroup of WD channels x TL segments of E steps, the states one after the other,
 * each segment's steps folded into maps that the segments join in workgroup memory, so the scan is
 * parallel over L; blocksOptions (plans.ts) picks its forms (the sums over channels by subgroup shuffles
 * where the device has subgroups, the chunks' starting states from a dispatch of their own,
 * blocks-starts-program.ts, where L has many chunks). Elsewhere ('channels', backward-program.ts):
 *   1. (only where the device binds fewer than 12 storage buffers) pack dtW | A_log | D | dtBias into
 *      [Di, R+N+2];
 *   2. one workgroup per (b, group of WG channels). Each invocation runs the forward once, storing
 *      the state h at the start of every chunk of K >= N steps into the rows of its own column of
 *      the du output (chunk c's N values in rows [(c-1)N, cN), which du overwrites only after
 *      chunk c has been consumed, since chunks are processed last to first and K >= N). Then, chunk
 *      by chunk from the end: recompute the chunk's states into a private K x N array, and walk it
 *      backwards with the adjoint g (paper.md: g_t = C_t dy_t + A_bar_{t+1} g_{t+1}), writing du, dz
 *      and accumulating d dtW, dA_log, dD, d dtBias in registers. The per-step reductions over
 *      channels (d dt_low, dB, dC: the xdbl gradient) go through workgroup memory into partial sums
 *      per channel group;
 *   3. sum the partials over channel groups (xdbl gradient) and over the batch (parameters); the
 *      block-parallel program ends with the same dispatch.
 * Nothing of size B x L x Di x N is ever stored.
 */

import type { GradConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { FusedScanArgs } from '../../models/fused';
import { registerKernelOnce } from '../common';
import { maxStorageBuffers, release, runRaw, subgroupMinSize } from '../runner';
import { chunkedForwardProgram } from './chunked-forward-program';
import { forwardProgram } from './forward-program';
import { registerHostScanKernels } from './host';
import { lanesForwardProgram, lanesPerChannel } from './lanes-forward-program';
import { packProgram } from './pack-program';
import {
  BACKWARD_BUFFERS,
  type BackwardPlan,
  backwardPlan,
  stagedPlan,
  UNPACKED_BACKWARD_BUFFERS,
} from './plans';
import { reduceProgram } from './reduce-program';
import { referenceBackwardKernel, referenceForwardKernel, selectiveScanFusedReference } from './reference';
import { dimsOf, INPUT_NAMES, SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD } from './shape';
import { stagedForwardProgram } from './staged-forward-program';
import { backwardWorkgroup, scanTuning } from './tuning';

export {
  blocksOptions,
  stagedBackwardFit,
  stagedBackwardPlanFor,
  stagedPlanFor,
  stagedStartsPlanFor,
} from './plans';
export type { FusedScanArgs };
export { backwardWorkgroup, SELECTIVE_SCAN, SELECTIVE_SCAN_GRAD, scanTuning, selectiveScanFusedReference };

/** The fused selective scan (recorded on the tape; gradients for every input). */
export function fusedSelectiveScan(args: FusedScanArgs): tf.Tensor3D {
  const { u, xdbl, z, dtW, dtBias, ALog, D } = args;
  return tf
    .engine()
    .runKernel(SELECTIVE_SCAN, { u, xdbl, z, dtW, dtBias, ALog, D } as unknown as tf.NamedTensorMap, {
      zOffset: args.zOffset ?? 0,
    }) as tf.Tensor3D;
}

let warnedLimit = false;

const webgpuForwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const dims = dimsOf(inputs as Record<string, TensorInfo>, Number(attrs?.zOffset ?? 0));
  const ins = INPUT_NAMES.map((k) => inputs[k] as TensorInfo);
  const t = scanTuning;
  const sgMin = subgroupMinSize(backend);
  const staged = stagedPlan(backend, dims, sgMin);
  if (staged) {
    const program = stagedForwardProgram(dims, staged, t.stagedDiagnostic);
    return runRaw(backend, program, ins, [[dims.b, dims.l, dims.di]])[0];
  }
  if (sgMin !== null && (t.forwardMode === 'lanes' || (t.forwardMode === 'auto' && t.lanes))) {
    const program = lanesForwardProgram(
      dims,
      lanesPerChannel(dims.n, sgMin, t.lanesPerChannelMax),
      t.lanesWorkgroup,
      t.lanesDiagnostic,
      t.lanesPrefetch,
    );
    return runRaw(backend, program, ins, [[dims.b, dims.l, dims.di]])[0];
  }
  const chunked = t.forwardMode === 'chunked' || (t.forwardMode === 'auto' && dims.l >= t.chunkedFromLength);
  const program = chunked
    ? chunkedForwardProgram(dims, t.chunkChannels, t.chunks)
    : forwardProgram(dims, t.forwardWorkgroup, t.forwardPrefetch);
  return runRaw(backend, program, ins, [[dims.b, dims.l, dims.di]])[0];
};

const webgpuBackwardKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const dims = dimsOf(inputs as Record<string, TensorInfo>, Number(attrs?.zOffset ?? 0));
  if (maxStorageBuffers(backend) < BACKWARD_BUFFERS) {
    if (!warnedLimit) {
      warnedLimit = true;
      console.warn(
        `${SELECTIVE_SCAN_GRAD}: the WebGPU device binds ${maxStorageBuffers(backend)} storage buffers, ` +
          `the fused backward needs ${BACKWARD_BUFFERS}; using the reference backward (initialise with ` +
          'kernels/backend.ts initBackend to raise the limit)',
      );
    }
    return referenceBackwardKernel({ inputs, backend, attrs });
  }
  const { b, l, di, r, n, s, zw } = dims;
  const t = inputs as Record<string, TensorInfo>;
  // the parameters packed into one buffer only where the device binds fewer than 12 buffers
  let packed = scanTuning.backwardPack === 'always' || maxStorageBuffers(backend) < UNPACKED_BACKWARD_BUFFERS;
  let plan: BackwardPlan = backwardPlan(backend, dims, packed);
  // the starts' buffer is one more: the parameters packed where the device binds only 12
  if (
    !packed &&
    (plan.starts || plan.inlineStarts) &&
    maxStorageBuffers(backend) < UNPACKED_BACKWARD_BUFFERS + 1
  ) {
    packed = true;
    plan = backwardPlan(backend, dims, packed);
  }
  const params = packed
    ? runRaw(backend, packProgram(di, r, n), [t.dtW, t.ALog, t.D, t.dtBias], [[di, r + n + 2]])
    : [t.dtW, t.ALog, t.D, t.dtBias];
  const { program, g } = plan;
  const starts = plan.starts
    ? runRaw(
        backend,
        plan.starts.program,
        plan.starts.staged
          ? [t.u, t.xdbl, t.dtW, t.dtBias, t.ALog]
          : [t.u, t.xdbl, ...(packed ? params : [t.dtW, t.ALog, t.dtBias])],
        [plan.starts.shape],
      )
    : [];
  const [du, dz, part, ppart, ...written] = runRaw(
    backend,
    program,
    [t.u, t.xdbl, t.z, ...params, t.dy, ...starts],
    [
      [b, l, di],
      [b, l, zw],
      [b, l, g, s],
      [b, di, r + n + 2],
      ...(plan.inlineStarts ? [plan.inlineStarts] : []),
    ],
  );
  const [dx, dW, dAL, dD, dBias] = runRaw(
    backend,
    reduceProgram(dims, g),
    [part, ppart],
    [[b, l, s], [di, r], [di, n], [di], [di]],
  );
  release(backend, ...(packed ? params : []), ...starts, ...written, part, ppart);
  return [du, dx, dz, dW, dBias, dAL, dD];
};

const gradConfig: GradConfig = {
  kernelName: SELECTIVE_SCAN,
  inputsToSave: [...INPUT_NAMES],
  gradFunc: (dy, saved, attrs) => {
    const inputs: Record<string, tf.Tensor> = {};
    INPUT_NAMES.forEach((name, i) => {
      inputs[name] = saved[i];
    });
    inputs.dy = dy as tf.Tensor;
    const grads = tf
      .engine()
      .runKernel(
        SELECTIVE_SCAN_GRAD,
        inputs as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
    const out: Record<string, () => tf.Tensor> = {};
    INPUT_NAMES.forEach((name, i) => {
      out[name] = () => grads[i];
    });
    return out;
  },
};

/** Backends that run the scan as plain tfjs ops (cpu and wasm have the host loops instead). */
const REFERENCE_SCAN_BACKENDS = ['webgl', 'tensorflow'] as const;

/** The reference kernels (plain ops forward, explicit plain-ops backward), for tests. */
export const referenceScanKernels = { forward: referenceForwardKernel, backward: referenceBackwardKernel };

/**
 * Register the scan kernels (WGSL on webgpu, host loops on cpu / wasm, reference on webgl /
 * tensorflow) and the gradient. Idempotent.
 */
export function registerSelectiveScanKernels(): void {
  registerKernelOnce({ kernelName: SELECTIVE_SCAN, backendName: 'webgpu', kernelFunc: webgpuForwardKernel });
  registerKernelOnce({
    kernelName: SELECTIVE_SCAN_GRAD,
    backendName: 'webgpu',
    kernelFunc: webgpuBackwardKernel,
  });
  for (const backendName of REFERENCE_SCAN_BACKENDS) {
    registerKernelOnce({ kernelName: SELECTIVE_SCAN, backendName, kernelFunc: referenceForwardKernel });
    registerKernelOnce({ kernelName: SELECTIVE_SCAN_GRAD, backendName, kernelFunc: referenceBackwardKernel });
  }
  registerHostScanKernels();
  if (tf.getGradient(SELECTIVE_SCAN)) tf.unregisterGradient(SELECTIVE_SCAN);
  tf.registerGradient(gradConfig);
}
