/**
 * Less host work per dispatch on tfjs's WebGPU backend (issue 12 item 4): a training step records
 * the same ~100 dispatches with the same shapes every step, yet tfjs 4.22 builds every one from
 * scratch: a uniform buffer taken from the pool and written (`queue.writeBuffer`), the pipeline's
 * bind group layout fetched, a new bind group created. Installed on one backend instance (nothing
 * in node_modules is edited), this keeps:
 *
 * - uniform buffers by content: `makeUniforms` lays the values out as tfjs does (the same byte
 *   layout, tested against tfjs's own) and returns a buffer written once with exactly those
 *   bytes; it is never written again, so any number of dispatches in flight may share it;
 * - bind group layouts per pipeline (`getBindGroupLayout` of a pipeline created on this device
 *   returns one object, not a new one per call);
 * - bind groups by (layout, every bound buffer with its offset and size): a bind group is fully
 *   defined by those, so one created for the same key is the same binding. Once the uniform
 *   buffers repeat and the buffer pool hands the same buffers out step after step, the bind
 *   groups repeat too;
 * - host values (a step's batch) written into a free pooled buffer with `queue.writeBuffer`
 *   instead of through a mapped staging buffer created and destroyed per tensor.
 *
 * Resources other than buffers (textures, samplers) and layouts of pipelines created before the
 * install are passed through uncached. Both caches are bounded (two generations each). This applies
 * to tfjs's own programs and to runner.ts's alike (both go through the patched device and
 * `makeUniforms`).
 */

/** One uniform field as tfjs passes it to `makeUniforms` (tfjs uses 'int32', 'uint32', 'float32'). */
export interface UniformField {
  type: string;
  data: number[];
}

export interface RecordCacheStats {
  uniformHits: number;
  uniformMisses: number;
  bindGroupHits: number;
  bindGroupMisses: number;
  /** bind groups created without the cache (resources or layouts it does not handle) */
  bindGroupPassThrough: number;
  /** host values written into a pooled buffer by queue.writeBuffer (no staging buffer) */
  uploadsWritten: number;
}

interface TensorData {
  values?: ArrayLike<number> | null;
  resource?: unknown;
  dtype: string;
  shape: number[];
}

interface CachedBackend {
  device: GPUDevice;
  tensorMap: { get(dataId: object): TensorData };
  uploadToGPU(dataId: object): void;
  makeUniforms(u: UniformField[]): GPUBufferBinding;
  bufferManager?: {
    acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): GPUBuffer;
    freeBuffers?: Map<string, GPUBuffer[]>;
  };
}

const INSTALLED = Symbol('iclRecordCache');
/** entries per generation (see GenerationalCache) */
const UNIFORM_GENERATION = 4096;
const BIND_GROUP_GENERATION = 8192;

/**
 * A map bounded to two generations: new entries go into the current one; an entry found only in
 * the previous one moves to the current one; when the current one is full it becomes the
 * previous one (the old previous one is dropped). What every step uses stays; what changes every
 * step (Adam's bias-corrected step size in its uniforms) is dropped after two generations.
 * Dropped GPU objects are not destroyed (a recorded, unsubmitted command may still use them):
 * they are released when collected.
 */
export class GenerationalCache<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  constructor(private readonly generation: number) {}

  get(key: string): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined) return v;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/**
 * The bytes of tfjs's uniform struct for `fields`: each field aligned to 4 (scalar), 8 (2
 * values) or 16 bytes (3 to 6 values; also any field after a 5- or 6-value one), the struct
 * padded to its largest alignment. An empty field counts as one value 1 (and is set so, as tfjs
 * does).
 */
export function uniformBytes(fields: UniformField[]): ArrayBuffer {
  const offsets: number[] = [];
  let offset = 0;
  let structAlign = 1;
  let previous = 0;
  for (const f of fields) {
    if (f.data.length === 0) f.data = [1];
    const n = f.data.length;
    if (n > 6) throw new Error(`uniform field of ${n} values: tfjs supports at most 6`);
    let align = n === 1 ? 4 : n === 2 ? 8 : 16;
    if (previous === 5 || previous === 6) align = 16;
    structAlign = Math.max(structAlign, align);
    offset = Math.ceil(offset / align) * align;
    offsets.push(offset);
    offset += 4 * n;
    previous = n;
  }
  const size = Math.ceil(offset / structAlign) * structAlign;
  const bytes = new ArrayBuffer(size);
  const i32 = new Int32Array(bytes);
  const u32 = new Uint32Array(bytes);
  const f32 = new Float32Array(bytes);
  fields.forEach((f, k) => {
    const view = f.type === 'int32' ? i32 : f.type === 'uint32' ? u32 : f32;
    const at = offsets[k] / 4;
    for (let j = 0; j < f.data.length; j++) view[at + j] = f.data[j];
  });
  return bytes;
}

/** The buffers each bind group created through an installed cache binds (step-replay.ts reads them). */
const boundBuffers = new WeakMap<GPUBindGroup, readonly GPUBuffer[]>();

/**
 * The buffers `group` binds, when it was created on a backend with the cache installed and binds
 * buffers only (undefined otherwise: textures, samplers, or created elsewhere).
 */
export function bindGroupBuffers(group: GPUBindGroup): readonly GPUBuffer[] | undefined {
  return boundBuffers.get(group);
}

/** Stats of the cache installed on `backend` (null if none). */
export function recordCacheStats(backend: unknown): RecordCacheStats | null {
  return (backend as { [INSTALLED]?: RecordCacheStats })[INSTALLED] ?? null;
}

/**
 * Install the caches on a tfjs WebGPUBackend (and its device). Idempotent; returns the live stats.
 * Call it right after creating the backend, before any pipeline is compiled, so every pipeline's
 * layout is cached (pipelines compiled earlier still work, uncached).
 */
export function installRecordCache(backend: unknown): RecordCacheStats {
  const be = backend as CachedBackend & { [INSTALLED]?: RecordCacheStats };
  if (be[INSTALLED]) return be[INSTALLED];
  const stats: RecordCacheStats = {
    uniformHits: 0,
    uniformMisses: 0,
    bindGroupHits: 0,
    bindGroupMisses: 0,
    bindGroupPassThrough: 0,
    uploadsWritten: 0,
  };
  be[INSTALLED] = stats;
  const device = be.device;

  // uniform buffers by content
  const uniforms = new GenerationalCache<GPUBufferBinding>(UNIFORM_GENERATION);
  be.makeUniforms = (fields: UniformField[]): GPUBufferBinding => {
    const bytes = uniformBytes(fields);
    const key = new Uint32Array(bytes).join(',');
    let binding = uniforms.get(key);
    if (binding) {
      stats.uniformHits++;
      return binding;
    }
    stats.uniformMisses++;
    const buffer = device.createBuffer({
      size: bytes.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'icl-uniforms',
    });
    device.queue.writeBuffer(buffer, 0, bytes);
    binding = { buffer, offset: 0, size: bytes.byteLength };
    uniforms.set(key, binding);
    return binding;
  };

  // one bind group layout object per (pipeline, group), each with an id
  const layoutIds = new WeakMap<GPUBindGroupLayout, number>();
  let nextLayoutId = 1;
  const memoiseLayouts = (pipeline: GPUComputePipeline): GPUComputePipeline => {
    const original = pipeline.getBindGroupLayout.bind(pipeline);
    const layouts = new Map<number, GPUBindGroupLayout>();
    pipeline.getBindGroupLayout = (index: number): GPUBindGroupLayout => {
      let layout = layouts.get(index);
      if (!layout) {
        layout = original(index);
        layouts.set(index, layout);
        layoutIds.set(layout, nextLayoutId++);
      }
      return layout;
    };
    return pipeline;
  };
  const createPipeline = device.createComputePipeline.bind(device);
  device.createComputePipeline = (d: GPUComputePipelineDescriptor) => memoiseLayouts(createPipeline(d));
  const createPipelineAsync = device.createComputePipelineAsync.bind(device);
  device.createComputePipelineAsync = (d: GPUComputePipelineDescriptor) =>
    createPipelineAsync(d).then(memoiseLayouts);

  // bind groups by layout and buffers
  const bufferIds = new WeakMap<GPUBuffer, number>();
  let nextBufferId = 1;
  const bufferId = (b: GPUBuffer): number => {
    let id = bufferIds.get(b);
    if (id === undefined) {
      id = nextBufferId++;
      bufferIds.set(b, id);
    }
    return id;
  };
  // The pool hands out its lowest-numbered free buffer of the size asked for (tfjs: the last one
  // freed). Which free buffer a tensor gets does not matter to the results; with this rule a
  // step that frees what it took gets the same buffers as the step before, so its bind groups
  // repeat (with tfjs's rule they come back in a new order every step).
  const pool = be.bufferManager;
  if (pool?.freeBuffers instanceof Map) {
    const acquire = pool.acquireBuffer.bind(pool);
    const free = pool.freeBuffers;
    pool.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
      const list = reuse ? free.get(`${size}_${usage}`) : undefined;
      if (list && list.length > 1) {
        let best = list.length - 1;
        let bestId = bufferId(list[best]);
        for (let i = 0; i < list.length - 1; i++) {
          const id = bufferId(list[i]);
          if (id < bestId) {
            best = i;
            bestId = id;
          }
        }
        const last = list.length - 1;
        if (best !== last) [list[best], list[last]] = [list[last], list[best]];
      }
      return acquire(size, usage, mappedAtCreation, reuse);
    };
  }

  // Host values (the batch of every step) into a free pooled buffer with queue.writeBuffer, where
  // tfjs creates, fills and destroys a mapped staging buffer per tensor. A free buffer is used by
  // no command still being recorded (tfjs frees a buffer of the open encoder only at submit), so
  // the write, which the queue runs before the open encoder's commands, is seen by exactly the
  // commands recorded after this upload. Fresh buffers (none free of that size) stay with tfjs,
  // which maps them at creation.
  if (pool?.freeBuffers instanceof Map) {
    const upload = be.uploadToGPU.bind(be);
    const free = pool.freeBuffers;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    be.uploadToGPU = (dataId: object): void => {
      const d = be.tensorMap.get(dataId);
      const values = d.values;
      if (
        d.resource != null ||
        !values ||
        !(d.dtype === 'float32' || d.dtype === 'int32' || d.dtype === 'bool')
      ) {
        upload(dataId);
        return;
      }
      const size = 4 * d.shape.reduce((a, b) => a * b, 1);
      if (size === 0 || values.length * 4 !== size || !free.get(`${size}_${usage}`)?.length) {
        upload(dataId);
        return;
      }
      const data =
        d.dtype === 'float32'
          ? values instanceof Float32Array
            ? values
            : Float32Array.from(values)
          : values instanceof Int32Array
            ? values
            : Int32Array.from(values);
      const buffer = pool.acquireBuffer(size, usage);
      device.queue.writeBuffer(buffer, 0, data as Float32Array<ArrayBuffer>);
      d.values = null;
      d.resource = buffer;
      stats.uploadsWritten++;
    };
  }

  const bindGroups = new GenerationalCache<GPUBindGroup>(BIND_GROUP_GENERATION);
  const createBindGroup = device.createBindGroup.bind(device);
  device.createBindGroup = (d: GPUBindGroupDescriptor): GPUBindGroup => {
    const layoutId = layoutIds.get(d.layout);
    let key = layoutId === undefined ? null : `${layoutId}`;
    const buffers: GPUBuffer[] = [];
    let onlyBuffers = true;
    for (const e of d.entries) {
      const r = e.resource as Partial<GPUBufferBinding>;
      if (!r || !(r.buffer instanceof GPUBuffer)) {
        onlyBuffers = false;
        key = null;
        break;
      }
      buffers.push(r.buffer);
      if (key !== null) key += `|${e.binding}:${bufferId(r.buffer)}:${r.offset ?? 0}:${r.size ?? -1}`;
    }
    if (key === null) {
      stats.bindGroupPassThrough++;
      const group = createBindGroup(d);
      if (onlyBuffers) boundBuffers.set(group, buffers);
      return group;
    }
    let group = bindGroups.get(key);
    if (group) {
      stats.bindGroupHits++;
      return group;
    }
    stats.bindGroupMisses++;
    group = createBindGroup(d);
    boundBuffers.set(group, buffers);
    bindGroups.set(key, group);
    return group;
  };
  return stats;
}
