/**
 * The split-rows linear backwards' reductions (linear-grad.ts), run together.
 *
 * Each split-rows backward leaves its dW (and db) as partial sums over row blocks, `part`
 * [blocks, E + nb]; one reduction program per layer would sum them: 15 dispatches in MambaFormer's
 * paper-size step. Here the backward hands out dW and db as tensors whose buffers are not written
 * yet and queues the reduction; the queue is flushed, as few batched programs as the device's
 * storage-buffer limit allows (each slot binds its part, dW and db), the moment anything touches
 * one of those tensors: a program binding it as an input (tfjs's or ours: both go through the
 * backend's `uploadToGPU`), a read-back, a copy, its disposal. In a training step that is FusedAdam
 * packing the gradients, so the step's reductions cost 3-4 dispatches instead of 15. Each slot sums
 * exactly as `linearGradReduceProgram` does (same lanes, same order): the same bits.
 * FusedAdam goes one further (`claimReductions` + `reduceInto`): it takes the queued reductions of
 * its gradients out of the queue and has them summed straight into its flat gradient row, one
 * binding for all of them, so their dW and db are never written and its pack binds only the other
 * gradients.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import { bindings, FLAT_INDEX } from './common';
import { type BackendInternals, dispatch1d, internalsOf, maxStorageBuffers, release, runRaw } from './runner';

/** One layer's reduction waiting to run. */
interface PendingReduction {
  part: TensorInfo;
  dw: TensorInfo;
  db: TensorInfo | null;
  /** dW's elements, db's, and the row blocks summed */
  e: number;
  nb: number;
  blocks: number;
}

interface Queue {
  pending: PendingReduction[];
  /** dataIds of the outputs not yet written */
  outputs: WeakSet<object>;
  /** outputs whose sums went into a consumer's buffer instead (`claimReductions`): never written */
  claimed: WeakSet<object>;
}

const queues = new WeakMap<object, Queue>();

/** threads per workgroup of the reduction */
const RED_THREADS = 256;

/**
 * Lanes of blocks per reduced element (elements per workgroup: 256 / lanes): 4, or 16 where 4
 * would leave fewer than 264 workgroups (2 per SM of an H200) and there are 16+ blocks to share
 * (small weights cut into many blocks, e.g. 64 x 64: 65 -> 260 workgroups, 32 -> 8 loads a lane).
 */
export function reduceLanes(elements: number, blocks: number): number {
  return Math.ceil(elements / (RED_THREADS / 4)) < 264 && blocks >= 16 ? 16 : 4;
}

/**
 * The split-rows form's second program: part [blocks, E + nb] summed over its blocks -> dW (the
 * first E = wp wq) and db (the last nb = N, with a bias). A workgroup owns 256 / lanes consecutive
 * elements (coalesced reads of each block's stretch); the lanes stride over the blocks, two sums
 * each, and their sums are added in lane order (a fixed order: the same bits every run).
 */
export function linearGradReduceProgram(e: number, nb: number, blocks: number) {
  const lanes = reduceLanes(e + nb, blocks);
  const cols = RED_THREADS / lanes;
  const dispatch = dispatch1d(e + nb, cols);
  const outputs = nb > 0 ? ['dw', 'db'] : ['dw'];
  return {
    name: 'LinearGradReduce',
    key: `lingradred_${nb > 0 ? 'b' : ''}${lanes}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [e] },
      { type: 'int32' as const, data: [nb] },
      { type: 'int32' as const, data: [blocks] },
      { type: 'int32' as const, data: [dispatch[0]] },
    ],
    wgsl: () => /* wgsl */ `
${bindings(outputs, ['part'], 'E: i32, NB: i32, blocks: i32, nx: i32')}
${FLAT_INDEX}
var<workgroup> acc: array<f32, ${RED_THREADS}>;
@compute @workgroup_size(${RED_THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let col = lid % ${cols};
  let lane = lid / ${cols};
  let e = flatGroup(wid) * ${cols} + col;
  let stride = uni.E + uni.NB;
  var a0 = 0.0;
  var a1 = 0.0;
  if (e < stride) {
    var b = lane;
    for (; b + ${lanes} < uni.blocks; b += ${2 * lanes}) {
      a0 += part[b * stride + e];
      a1 += part[(b + ${lanes}) * stride + e];
    }
    if (b < uni.blocks) { a0 += part[b * stride + e]; }
  }
  acc[lid] = a0 + a1;
  workgroupBarrier();
  if (lane == 0 && e < stride) {
    var v = acc[col];
    for (var l = 1; l < ${lanes}; l++) { v += acc[col + l * ${cols}]; }
    ${nb > 0 ? 'if (e < uni.E) { dw[e] = v; } else { db[e - uni.E] = v; }' : 'dw[e] = v;'}
  }
}
`,
  };
}

/**
 * Whether the split-rows backwards queue their reductions to run together (`deferReduction`): on by
 * default; off, each layer's reduction runs at once (`linearGradReduceProgram`), to compare.
 */
export const reductionTuning = {
  defer: true,
  /**
   * Partial sums the queue may hold (bytes): a layer whose part would pass it runs the queue first,
   * so queuing adds at most this much to a step's peak memory. MambaFormer's 15 layers at paper size
   * hold ~28 MB: all of them stay queued until FusedAdam sums them into its gradient row
   * (`claimReductions`); a layer run early by this bound costs its gradients' bindings in the pack.
   */
  maxQueuedBytes: 64 * 2 ** 20,
};

/**
 * The WGSL of one slot: the sums of part{i} into dw{i} (and db{i}), or with `into`, into the one
 * output buffer `dst` at the slot's offsets (dwAt{i}, dbAt{i}), for the flat workgroup `g`.
 */
function slotBody(i: number, lanes: number, bias: boolean, into: boolean): string {
  const cols = RED_THREADS / lanes;
  const write = into
    ? bias
      ? `if (e < uni.E${i}) { dst[uni.dwAt${i} + e] = v; } else { dst[uni.dbAt${i} + e - uni.E${i}] = v; }`
      : `dst[uni.dwAt${i} + e] = v;`
    : bias
      ? `if (e < uni.E${i}) { dw${i}[e] = v; } else { db${i}[e - uni.E${i}] = v; }`
      : `dw${i}[e] = v;`;
  return `
    let col = lid % ${cols};
    let lane = lid / ${cols};
    let e = (g - uni.start${i}) * ${cols} + col;
    let stride = uni.E${i} + uni.NB${i};
    var a0 = 0.0;
    var a1 = 0.0;
    if (e < stride) {
      var b = lane;
      for (; b + ${lanes} < uni.blocks${i}; b += ${2 * lanes}) {
        a0 += part${i}[b * stride + e];
        a1 += part${i}[(b + ${lanes}) * stride + e];
      }
      if (b < uni.blocks${i}) { a0 += part${i}[b * stride + e]; }
    }
    acc[lid] = a0 + a1;
    workgroupBarrier();
    if (lane == 0 && e < stride) {
      var v = acc[col];
      for (var l = 1; l < ${lanes}; l++) { v += acc[col + l * ${cols}]; }
      ${write}
    }`;
}

/** Where `reduceInto` writes a slot's sums: float offsets of dW and db in the destination. */
export interface SlotDestination {
  dwAt: number;
  dbAt: number;
}

/**
 * One program summing every slot's partials: the workgroups are the slots' own, one after another.
 * Each slot writes its own dW (and db), or with `into` (one destination a slot), all of them write
 * the one output `dst`.
 */
export function batchedReduceProgram(slots: readonly PendingReduction[], into?: readonly SlotDestination[]) {
  const lanes = slots.map((s) => reduceLanes(s.e + s.nb, s.blocks));
  const groups = slots.map((s, i) => Math.max(1, Math.ceil((s.e + s.nb) / (RED_THREADS / lanes[i]))));
  const starts = groups.map((_, i) => groups.slice(0, i).reduce((a, b) => a + b, 0));
  const total = groups.reduce((a, b) => a + b, 0);
  const dispatch = dispatch1d(total, 1);
  const outputs = into ? ['dst'] : slots.flatMap((s, i) => (s.db ? [`dw${i}`, `db${i}`] : [`dw${i}`]));
  const inputs = slots.map((_, i) => `part${i}`);
  const fields = slots
    .map(
      (_, i) =>
        `E${i}: i32, NB${i}: i32, blocks${i}: i32, start${i}: i32${into ? `, dwAt${i}: i32, dbAt${i}: i32` : ''}`,
    )
    .join(', ');
  const branches = slots
    .map((s, i) => {
      const body = slotBody(i, lanes[i], s.db !== null, into !== undefined);
      if (i === slots.length - 1) return slots.length === 1 ? body : ` else {${body}\n  }`;
      return `${i === 0 ? '  ' : ' else '}if (g < uni.start${i + 1}) {${body}\n  }`;
    })
    .join('');
  return {
    name: into ? 'LinearGradReduceInto' : 'LinearGradReduceBatch',
    key: `lingradredb${into ? 'i' : ''}_${slots.map((s, i) => `${s.db ? 'b' : ''}${lanes[i]}`).join('_')}`,
    dispatch,
    uniforms: [
      { type: 'int32' as const, data: [dispatch[0]] },
      ...slots.flatMap((s, i) => [
        { type: 'int32' as const, data: [s.e] },
        { type: 'int32' as const, data: [s.nb] },
        { type: 'int32' as const, data: [s.blocks] },
        { type: 'int32' as const, data: [starts[i]] },
        ...(into
          ? [
              { type: 'int32' as const, data: [into[i].dwAt] },
              { type: 'int32' as const, data: [into[i].dbAt] },
            ]
          : []),
      ]),
    ],
    wgsl: () => /* wgsl */ `
${bindings(outputs, inputs, `nx: i32, ${fields}`)}
${FLAT_INDEX}
var<workgroup> acc: array<f32, ${RED_THREADS}>;
@compute @workgroup_size(${RED_THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidu: u32) {
  let lid = i32(lidu);
  let g = flatGroup(wid);
${branches}
}
`,
  };
}

/** Run every queued reduction of `backend` now (a no-op when none is queued). */
export function flushReductions(backend: unknown): void {
  const queue = queues.get(internalsOf(backend) as object);
  if (!queue || queue.pending.length === 0) return;
  const pending = queue.pending;
  // cleared first: the programs below bind the outputs, which would flush again
  queue.pending = [];
  queue.outputs = new WeakSet();
  // each slot binds part, dW and db (when the layer has a bias); one binding is the uniforms'
  const limit = Math.max(3, maxStorageBuffers(backend));
  let batch: PendingReduction[] = [];
  let used = 0;
  const run = () => {
    if (batch.length === 0) return;
    const outs = batch.flatMap((s) => (s.db ? [s.dw, s.db] : [s.dw]));
    runRaw(
      backend,
      batchedReduceProgram(batch),
      batch.map((s) => s.part),
      outs,
    );
    release(backend, ...batch.map((s) => s.part));
    batch = [];
    used = 0;
  };
  for (const p of pending) {
    const need = p.db ? 3 : 2;
    if (used + need > limit) run();
    batch.push(p);
    used += need;
  }
  run();
}

/** Wrap the backend's entry points that touch a tensor's buffer: a queued output flushes first. */
function install(be: BackendInternals): Queue {
  const queue: Queue = { pending: [], outputs: new WeakSet(), claimed: new WeakSet() };
  queues.set(be as object, queue);
  const guarded = be as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['uploadToGPU', 'read', 'readSync', 'readToGPU', 'disposeData']) {
    const original = guarded[method];
    if (typeof original !== 'function') continue;
    const bound = original.bind(be);
    guarded[method] = (dataId: unknown, ...rest: unknown[]) => {
      if (typeof dataId === 'object' && dataId !== null) {
        if (queue.pending.length > 0 && queue.outputs.has(dataId)) flushReductions(be);
        if (queue.claimed.has(dataId)) {
          if (method !== 'disposeData')
            throw new Error(
              "a gradient summed into the optimiser's own buffer (claimReductions) was read afterwards: read gradients before the optimiser step",
            );
          queue.claimed.delete(dataId);
        }
      }
      return bound(dataId, ...rest);
    };
  }
  return queue;
}

/**
 * Queue the reduction of `part` [blocks, e + nb] into new dW (shape `dwShape`) and db ([nb], when
 * nb > 0) tensors, returned at once; their values are written before anything reads them.
 */
export function deferReduction(
  backend: unknown,
  part: TensorInfo,
  dwShape: number[],
  nb: number,
  blocks: number,
): TensorInfo[] {
  const be = internalsOf(backend);
  const queue = queues.get(be as object) ?? install(be);
  const dw = be.makeTensorInfo(dwShape, 'float32');
  const db = nb > 0 ? be.makeTensorInfo([nb], 'float32') : null;
  const e = dwShape.reduce((a, b) => a * b, 1);
  const bytes = (p: PendingReduction) => 4 * p.blocks * (p.e + p.nb);
  const held = queue.pending.reduce((sum, p) => sum + bytes(p), 0);
  if (held > 0 && held + 4 * blocks * (e + nb) > reductionTuning.maxQueuedBytes) flushReductions(backend);
  queue.pending.push({ part, dw, db, e, nb, blocks });
  queue.outputs.add(dw.dataId);
  if (db) queue.outputs.add(db.dataId);
  return db ? [dw, db] : [dw];
}

/**
 * Take out of the queue every pending reduction whose outputs (dW, and db with a bias) are all
 * among `wanted` (dataIds), for a consumer that sums them into its own buffer with `reduceInto`
 * (FusedAdam: straight into its flat gradient row, no dW tensor written, no copy). The outputs are
 * never written: disposing them is all that may follow (any other touch throws).
 */
export function claimReductions(backend: unknown, wanted: ReadonlySet<object>): PendingReduction[] {
  const queue = queues.get(internalsOf(backend) as object);
  if (!queue || queue.pending.length === 0) return [];
  const taken: PendingReduction[] = [];
  const kept: PendingReduction[] = [];
  for (const p of queue.pending) {
    const all = wanted.has(p.dw.dataId) && (p.db === null || wanted.has(p.db.dataId));
    (all ? taken : kept).push(p);
  }
  if (taken.length === 0) return [];
  queue.pending = kept;
  queue.outputs = new WeakSet(kept.flatMap((p) => (p.db ? [p.dw.dataId, p.db.dataId] : [p.dw.dataId])));
  for (const p of taken) {
    queue.claimed.add(p.dw.dataId);
    if (p.db) queue.claimed.add(p.db.dataId);
  }
  return taken;
}

/**
 * Sum claimed reductions into `dst` (a tensor the caller owns, written in place) at their
 * destinations: as few programs as the storage-buffer limit allows (one binding for `dst`, one per
 * slot), each slot summing exactly as its own reduction would (the same bits).
 */
export function reduceInto(
  backend: unknown,
  slots: readonly PendingReduction[],
  destinations: readonly SlotDestination[],
  dst: TensorInfo,
): void {
  const perProgram = Math.max(1, maxStorageBuffers(backend) - 1);
  for (let i = 0; i < slots.length; i += perProgram) {
    const batch = slots.slice(i, i + perProgram);
    runRaw(
      backend,
      batchedReduceProgram(batch, destinations.slice(i, i + perProgram)),
      batch.map((s) => s.part),
      [dst],
    );
    release(backend, ...batch.map((s) => s.part));
  }
}

export type { PendingReduction };
