/**
 * A small runner for hand-written WGSL compute programs on tfjs's WebGPU backend, with several
 * outputs per dispatch (tfjs's own `runWebGPUProgram` has exactly one).
 *
 * It records into the backend's own command encoder and compute pass, exactly as
 * `WebGPUBackend.recordAndSubmit` does (same ordering with every tfjs op, same deferred submit
 * batching, same buffer pool), so a fused kernel is just another dispatch in the stream. Only
 * members that exist on the JS object of tfjs 4.22 are used (see `BackendInternals`).
 *
 * WGSL conventions of the programs here: bindings 0..outputs-1 are the outputs
 * (`var<storage, read_write>`), then the inputs (`var<storage, read>`), then one uniform struct
 * `U` at the last binding. Every binding must be used by the shader (layout 'auto').
 * The program's WGSL text is cached by `key`: the key MUST contain everything that is baked into
 * the text (webgpu.md: tfjs's pipeline cache ignores sizes, and so does this one).
 */

import type { TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { subgroupLayoutOf } from './subgroup-layout';

/** The members of tfjs 4.22's WebGPUBackend used here (most are private in its typings). */
export interface BackendInternals {
  device: GPUDevice;
  tensorMap: {
    get(dataId: object): { resource?: unknown; refCount: number; shape: number[]; dtype: string };
    has(dataId: object): boolean;
  };
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  makeUniforms(u: Array<{ type: string; data: number[] }>): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  activeTimers?: Array<{ name: string; query: Promise<number> }> | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  getQueryTime(): Promise<number>;
  recordAndSubmit(program: { constructor: { name: string }; shaderKey?: string }, ...rest: unknown[]): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

export type Uniform = { type: 'int32' | 'uint32' | 'float32'; data: number[] };

export interface RawProgram {
  /** name shown in dispatch counts and profiles */
  name: string;
  /** cache key: everything baked into the WGSL text */
  key: string;
  /** full WGSL source (only called on a cache miss) */
  wgsl: () => string;
  /** workgroups in x, y, z */
  dispatch: [number, number, number];
  /** scalar uniforms, in the order of the WGSL struct U */
  uniforms?: Uniform[];
}

/** Per-device pipeline cache (a backend is re-created with a new device after a loss). */
const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Hook called once per dispatch recorded by this runner (for dispatch counting). */
let dispatchHook: ((name: string) => void) | null = null;

export function setRawDispatchHook(hook: ((name: string) => void) | null): void {
  dispatchHook = hook;
}

export function internalsOf(backend: unknown): BackendInternals {
  return backend as BackendInternals;
}

function pipelineFor(device: GPUDevice, program: RawProgram): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) {
    cache = new Map();
    pipelines.set(device, cache);
  }
  let pipeline = cache.get(program.key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: program.wgsl(), label: program.name });
    pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
      label: program.name,
    });
    cache.set(program.key, pipeline);
  }
  return pipeline;
}

/** Storage buffers a program may bind on this backend's device. */
export function maxStorageBuffers(backend: unknown): number {
  return internalsOf(backend).device.limits.maxStorageBuffersPerShaderStage;
}

/**
 * The smallest subgroup of the backend's device, where it was created with WGSL `subgroups`
 * (kernels/backend.ts asks for the feature wherever the adapter has it) and its subgroups passed
 * the layout check (subgroup-layout.ts: lanes in invocation order, as the subgroup programs pair
 * them); null elsewhere, so the kernels run their forms without subgroups.
 */
export function subgroupMinSize(backend: unknown): number | null {
  const device = internalsOf(backend).device;
  if (!device.features.has('subgroups' as GPUFeatureName)) return null;
  if (subgroupLayoutOf(device)?.usable !== true) return null;
  const info = (device as unknown as { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo;
  const min = info?.subgroupMinSize;
  return typeof min === 'number' && min >= 1 ? min : null;
}

/**
 * Whether the backend's device runs on a software adapter (SwiftShader, llvmpipe, lavapipe: a CPU
 * emulating a GPU), by its adapter info; false where the device does not say.
 */
export function softwareAdapter(backend: unknown): boolean {
  const device = internalsOf(backend).device as unknown as {
    adapterInfo?: {
      vendor?: string;
      architecture?: string;
      description?: string;
      isFallbackAdapter?: boolean;
    };
  };
  const info = device.adapterInfo;
  if (!info) return false;
  if (info.isFallbackAdapter === true) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
  return /swift\s*shader|llvmpipe|lavapipe|softpipe/i.test(text);
}

/** Workgroup memory per workgroup (bytes) of the backend's device. */
export function maxWorkgroupStorage(backend: unknown): number {
  return internalsOf(backend).device.limits.maxComputeWorkgroupStorageSize;
}

/**
 * Record one dispatch of `program` with `outputs` (fresh float32 tensors of these shapes, unless a
 * TensorInfo is given: it is then written in place) and `inputs`. Returns the output infos (the
 * caller hands them to the engine as kernel outputs, or disposes them).
 */
export function runRaw(
  backend: unknown,
  program: RawProgram,
  inputs: readonly TensorInfo[],
  outputs: ReadonlyArray<number[] | TensorInfo>,
): TensorInfo[] {
  const be = internalsOf(backend);
  const outs = outputs.map((o) => (Array.isArray(o) ? be.makeTensorInfo(o, 'float32') : o));
  for (const t of [...outs, ...inputs]) be.uploadToGPU(t.dataId);
  const pipeline = pipelineFor(be.device, program);
  const uniforms: Uniform[] = [...(program.uniforms ?? [])];
  // pad the struct to 16 bytes (some drivers want a uniform binding of at least 16 bytes)
  while (uniforms.length === 0 || uniforms.length % 4 !== 0) uniforms.push({ type: 'int32', data: [0] });
  const resources: GPUBindingResource[] = [
    ...outs.map((t) => ({ buffer: be.tensorMap.get(t.dataId).resource as GPUBuffer })),
    ...inputs.map((t) => ({ buffer: be.tensorMap.get(t.dataId).resource as GPUBuffer })),
    be.makeUniforms(uniforms),
  ];
  for (const t of [...outs, ...inputs]) be.commandQueueOwnedIds.add(t.dataId);
  const bindGroup = be.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((resource, binding) => ({ binding, resource })),
  });
  be.ensureCommandEncoderReady();
  // under tf.time() / tf.profile(): one pass per dispatch with timestamps, as tfjs's own programs
  const timing = be.activeTimers != null;
  if (timing) {
    be.endComputePassEncoder();
    const descriptor: GPUComputePassDescriptor = {};
    if (be.supportTimestampQuery) {
      if (be.querySet == null) {
        be.querySet = be.device.createQuerySet({ type: 'timestamp', count: be.querySetCount });
      }
      descriptor.timestampWrites = {
        querySet: be.querySet,
        beginningOfPassWriteIndex: 0,
        endOfPassWriteIndex: 1,
      };
    }
    be.computePassEncoder = be.commandEncoder!.beginComputePass(descriptor);
  } else if (!be.computePassEncoder) {
    be.computePassEncoder = be.commandEncoder!.beginComputePass({});
  }
  const pass = be.computePassEncoder!;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  const [x, y, z] = program.dispatch;
  if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
  be.dispatchCountInPass++;
  dispatchHook?.(program.name);
  if (timing) {
    be.endComputePassEncoder();
    be.activeTimers!.push({ name: program.name, query: be.getQueryTime() });
  } else if (be.dispatchCountInPass >= submitBatchSize()) {
    be.endComputePassEncoder();
    be.submitQueue();
  }
  return outs;
}

/** Free intermediate outputs of `runRaw` (their buffers go back to the pool once submitted). */
export function release(backend: unknown, ...infos: TensorInfo[]): void {
  const be = internalsOf(backend);
  for (const t of infos) be.disposeData(t.dataId);
}

/**
 * Workgroup counts for `threads` invocations in workgroups of `size`, folded into y when x would
 * pass the per-dimension limit. Shaders recover the flat workgroup index as wid.x + wid.y * nx,
 * with nx = the first count (pass it as a uniform).
 */
export function dispatch1d(threads: number, size: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / size));
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}

function submitBatchSize(): number {
  try {
    return tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
  } catch {
    return 15;
  }
}

/** Flush the backend's pending work and wait for the GPU (benchmarks). */
export async function gpuSync(backend: unknown): Promise<void> {
  const be = internalsOf(backend);
  be.ensureCommandEncoderReady();
  be.endComputePassEncoder();
  be.submitQueue();
  await be.device.queue.onSubmittedWorkDone();
}
