/**
 * Whether a WebGPU device's subgroups are laid out as the subgroup kernels assume: a workgroup's
 * invocations split into subgroups of S consecutive local invocation indices, lane i of a subgroup
 * being invocation (start + i), so that `subgroup_invocation_id == local_invocation_index % S`.
 *
 * The scan's subgroup programs (the staged forward's lanes, the lane-parallel forward, the
 * block-parallel backward's sums by shuffles) pair lanes by invocation index. WGSL does not promise
 * that layout; a device that lays subgroups out otherwise would have those programs sum the wrong
 * lanes. So `initBackend` asks the device once, in one small dispatch read back asynchronously,
 * before any kernel runs; where the answer is not that layout (or there is no answer), the kernels
 * see no subgroups (`subgroupMinSize` in runner.ts) and run their forms without them.
 */

/** What the device's answer says. */
export interface SubgroupLayout {
  /** the subgroup programs may run */
  usable: boolean;
  /** lanes per subgroup seen in the check (null where none were seen) */
  size: number | null;
  /** one sentence for Diagnostics and logs */
  why: string;
}

/** Invocations of the check's workgroup: the largest workgroup the subgroup programs use. */
export const LAYOUT_INVOCATIONS = 256;

/**
 * The verdict on one workgroup's answer: `ids[i]` and `sizes[i]` are invocation i's
 * subgroup_invocation_id and subgroup_size; `minSize` the adapter's subgroupMinSize (null: not
 * given). Usable when every invocation saw one size S, a power of two of at least 2 lanes and at
 * least minSize, and every id is its index mod S.
 */
export function judgeSubgroupLayout(
  ids: ArrayLike<number>,
  sizes: ArrayLike<number>,
  minSize: number | null,
): SubgroupLayout {
  const n = ids.length;
  if (n === 0 || sizes.length !== n)
    return { usable: false, size: null, why: 'the subgroup check returned nothing' };
  const size = sizes[0];
  for (let i = 1; i < n; i++) {
    if (sizes[i] !== size)
      return {
        usable: false,
        size: null,
        why: `subgroups of unequal sizes in one workgroup (${size} and ${sizes[i]} lanes): subgroup kernels off`,
      };
  }
  if (!(size >= 2) || (size & (size - 1)) !== 0)
    return {
      usable: false,
      size,
      why: `subgroups of ${size} lanes (not a power of two >= 2): subgroup kernels off`,
    };
  if (minSize !== null && size < minSize)
    return {
      usable: false,
      size,
      why: `subgroups of ${size} lanes, below the adapter's minimum of ${minSize}: subgroup kernels off`,
    };
  for (let i = 0; i < n; i++) {
    if (ids[i] !== i % size)
      return {
        usable: false,
        size,
        why: `invocation ${i} is lane ${ids[i]} of its subgroup, not ${i % size}: subgroups not in invocation order, subgroup kernels off`,
      };
  }
  return { usable: true, size, why: `subgroups of ${size} lanes in invocation order` };
}

const CHECK_WGSL = /* wgsl */ `enable subgroups;
@group(0) @binding(0) var<storage, read_write> seen: array<u32, ${2 * LAYOUT_INVOCATIONS}>;
@compute @workgroup_size(${LAYOUT_INVOCATIONS})
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32,
        @builtin(subgroup_size) size: u32) {
  seen[2u * lid] = lane;
  seen[2u * lid + 1u] = size;
}
`;

const layouts = new WeakMap<object, SubgroupLayout>();

/** The check's verdict for this device (undefined: never checked). */
export function subgroupLayoutOf(device: object): SubgroupLayout | undefined {
  return layouts.get(device);
}

/**
 * Ask the device (created with the 'subgroups' feature) how it lays out a workgroup of
 * LAYOUT_INVOCATIONS invocations, judge the answer and remember it for the device. Never throws:
 * a shader the device rejects, a read-back that fails or takes longer than `timeoutMs` gives an
 * unusable layout saying so.
 */
export async function checkSubgroupLayout(
  device: GPUDevice,
  minSize: number | null,
  timeoutMs = 5000,
): Promise<SubgroupLayout> {
  const bytes = 2 * LAYOUT_INVOCATIONS * 4;
  let out: GPUBuffer | null = null;
  let read: GPUBuffer | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let verdict: SubgroupLayout;
  try {
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: CHECK_WGSL, label: 'SubgroupLayoutCheck' });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
      label: 'SubgroupLayoutCheck',
    });
    out = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    read = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: out } }],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(out, 0, read, 0, bytes);
    device.queue.submit([encoder.finish()]);
    const invalid = await device.popErrorScope();
    if (invalid) throw new Error(invalid.message);
    const target = read;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer in ${(timeoutMs / 1000).toFixed(0)} s`)),
        timeoutMs,
      );
    });
    await Promise.race([target.mapAsync(GPUMapMode.READ), timeout]);
    const seen = new Uint32Array(target.getMappedRange().slice(0));
    target.unmap();
    const ids = seen.filter((_, i) => i % 2 === 0);
    const sizes = seen.filter((_, i) => i % 2 === 1);
    verdict = judgeSubgroupLayout(ids, sizes, minSize);
  } catch (e) {
    verdict = {
      usable: false,
      size: null,
      why: `the subgroup check failed (${(e as Error).message}): subgroup kernels off`,
    };
  } finally {
    clearTimeout(timer);
    out?.destroy();
    read?.destroy();
  }
  layouts.set(device, verdict);
  return verdict;
}
