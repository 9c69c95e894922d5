/**
 * Step replay on tfjs's WebGPU backend (issue 12 item 4: a GPU step bound by the GPU). A fused
 * training step enqueues ~60-90 dispatches, yet tfjs spends ~20-85 µs of JavaScript on each (the
 * tape, kernel lookups, tensor bookkeeping around ~300 engine kernels), so the step is bound by
 * JavaScript, not the GPU. Every step enqueues the same work: the same pipelines over the same
 * buffers (record-cache.ts makes the pool hand out the same buffers and keeps the bind groups),
 * only the uploaded batch differs. So:
 *
 * 1. **Record** a step run through tfjs: every `queue.writeBuffer` (with its bytes), every
 *    dispatch (pipeline, bind groups, workgroup counts), buffer copy and queue submit, by wrapping
 *    the device, its queue, and the command encoders and compute passes created during the step.
 * 2. **Verify** with the next recorded step: the two must enqueue identical work, except writes whose
 *    bytes equal one of the step's declared inputs (the same input in both steps). A write that
 *    changes and is no input (a seeded dropout mask, a value in a uniform) makes them differ: no
 *    replay, the step stays with tfjs.
 * 3. **Claim** the step's scratch buffers (those free in tfjs's pool once the step is done): taken
 *    out of the pool, so that no other tensor is ever put in them.
 * 4. **Replay**: write the new step's inputs into their buffers, enqueue the recorded dispatches and
 *    copies, copy the loss and the gradient norm into fresh tensors, submit. Writes that the
 *    original step made between two submits stay between them when an earlier command of the step
 *    uses their buffer (queue writes run before the commands of the next submit).
 *
 * A parameter or optimiser buffer released by tfjs (weights loaded, moments replaced, the model
 * disposed) ends the replay (`invalidate`), and the scratch buffers go back to the pool.
 */
import * as tf from '@tensorflow/tfjs';
import type { ReplayedStep, StepReplayer, StepReplayStats } from '../train/step-replay';
import { bindGroupBuffers } from './record-cache';
import { type BackendInternals, internalsOf } from './runner';

interface WriteEvent {
  kind: 'write';
  buffer: GPUBuffer;
  offset: number;
  bytes: Uint8Array;
  /** the declared input this write uploaded (that very array), or null */
  input: number | null;
  /** bytes written */
  length: number;
}
interface DispatchEvent {
  kind: 'dispatch';
  pipeline: GPUComputePipeline;
  groups: GPUBindGroup[];
  x: number;
  y: number;
  z: number;
}
interface CopyEvent {
  kind: 'copy';
  src: GPUBuffer;
  srcOffset: number;
  dst: GPUBuffer;
  dstOffset: number;
  size: number;
}
interface SubmitEvent {
  kind: 'submit';
}
type TraceEvent = WriteEvent | DispatchEvent | CopyEvent | SubmitEvent;

/** One step as recorded: what it enqueued, where its outputs are. */
interface Recording {
  events: TraceEvent[];
  outputs: GPUBuffer[];
  /** why this recording cannot be replayed whatever the next one does (null: it may) */
  problem: string | null;
}

/** A write of a replayed step: from input `input`, or constant bytes. */
type ReplayWrite =
  | { buffer: GPUBuffer; offset: number; input: number }
  | { buffer: GPUBuffer; offset: number; bytes: Uint8Array };

/** Writes, then commands, then a submit. */
interface ReplayGroup {
  writes: ReplayWrite[];
  commands: Array<DispatchEvent | CopyEvent>;
}

interface ReplayProgram {
  key: string;
  groups: ReplayGroup[];
  outputs: GPUBuffer[];
  /** byte length of each input the program writes */
  inputBytes: Map<number, number>;
  /** every buffer the program touches */
  buffers: Set<GPUBuffer>;
  /** buffers owned by live tensors when claimed (parameters, moments): their release ends the replay */
  persistent: Set<GPUBuffer>;
  /** scratch buffers taken out of the pool */
  claimed: GPUBuffer[];
  dispatches: number;
}

type Pool = {
  freeBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The declared input `data` is (the same array, or the same bytes of the same memory), or null.
 * By identity, not by value: a constant that happens to equal an input (a gradient seed of 1 and
 * a loss denominator of 1) must not be mistaken for it.
 */
function inputOf(
  data: unknown,
  dataOffset: number | undefined,
  size: number | undefined,
  inputs: readonly ArrayBufferView[],
): number | null {
  if (!ArrayBuffer.isView(data) || (dataOffset ?? 0) !== 0 || size !== undefined) return null;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i];
    if (x === data) return i;
    if (x.buffer === data.buffer && x.byteOffset === data.byteOffset && x.byteLength === data.byteLength)
      return i;
  }
  return null;
}

/** Copy of the bytes `queue.writeBuffer(buffer, offset, data, dataOffset, size)` writes. */
function writtenBytes(
  data: BufferSource | SharedArrayBuffer,
  dataOffset?: number,
  size?: number,
): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    const element = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    const start = data.byteOffset + (dataOffset ?? 0) * element;
    const length = size !== undefined ? size * element : data.byteLength - (dataOffset ?? 0) * element;
    return new Uint8Array(data.buffer.slice(start, start + length));
  }
  const buffer = data as ArrayBuffer;
  const start = dataOffset ?? 0;
  return new Uint8Array(buffer.slice(start, size !== undefined ? start + size : undefined));
}

/** Replace `obj[name]` for the duration of a recording; returns the undo. */
function patch<T extends object, K extends keyof T>(
  obj: T,
  name: K,
  make: (original: T[K]) => T[K],
): () => void {
  const own = Object.getOwnPropertyDescriptor(obj, name);
  const original = (obj[name] as unknown as (...a: unknown[]) => unknown).bind(obj) as T[K];
  Object.defineProperty(obj, name, { value: make(original), configurable: true, writable: true });
  return () => {
    if (own) Object.defineProperty(obj, name, own);
    else delete (obj as Record<PropertyKey, unknown>)[name as PropertyKey];
  };
}

/** Run `step` through tfjs while recording what it enqueues. */
function record(be: BackendInternals, inputs: readonly ArrayBufferView[], step: () => tf.Tensor[]) {
  const device = be.device;
  const queue = device.queue;
  // start from a fresh encoder: what tfjs had recorded before belongs to earlier work
  be.endComputePassEncoder();
  if (be.commandEncoder) be.submitQueue();
  const events: TraceEvent[] = [];
  let problem: string | null = tf.env().getBool('WEBGPU_CPU_FORWARD')
    ? 'tfjs may run small ops on the CPU (WEBGPU_CPU_FORWARD) and upload what they compute'
    : null;
  const flag = (why: string) => {
    problem ??= why;
  };
  const wrapPass = (pass: GPUComputePassEncoder): GPUComputePassEncoder => {
    let pipeline: GPUComputePipeline | null = null;
    const groups: GPUBindGroup[] = [];
    return new Proxy(pass, {
      get(target, prop) {
        switch (prop) {
          case 'setPipeline':
            return (p: GPUComputePipeline) => {
              pipeline = p;
              target.setPipeline(p);
            };
          case 'setBindGroup':
            return (index: number, group: GPUBindGroup, offsets?: Iterable<number>) => {
              if (offsets && [...offsets].length > 0) flag('a bind group with dynamic offsets');
              groups[index] = group;
              target.setBindGroup(index, group);
            };
          case 'dispatchWorkgroups':
            return (x: number, y = 1, z = 1) => {
              if (!pipeline) flag('a dispatch without a pipeline');
              else events.push({ kind: 'dispatch', pipeline, groups: groups.slice(), x, y, z });
              target.dispatchWorkgroups(x, y, z);
            };
          case 'end':
            return () => target.end();
          default: {
            const v = Reflect.get(target, prop, target) as unknown;
            if (typeof v !== 'function') return v;
            return (...a: unknown[]) => {
              flag(`an unrecorded compute pass call (${String(prop)})`);
              return (v as (...x: unknown[]) => unknown).apply(target, a);
            };
          }
        }
      },
    });
  };
  const wrapEncoder = (encoder: GPUCommandEncoder): GPUCommandEncoder =>
    new Proxy(encoder, {
      get(target, prop) {
        switch (prop) {
          case 'beginComputePass':
            return (d?: GPUComputePassDescriptor) => {
              if (d?.timestampWrites) flag('timestamp queries (a profile) during the step');
              return wrapPass(target.beginComputePass(d));
            };
          case 'copyBufferToBuffer':
            return (...a: unknown[]) => {
              if (a.length !== 5) flag('a buffer copy of an unknown form');
              else {
                const [src, srcOffset, dst, dstOffset, size] = a as [
                  GPUBuffer,
                  number,
                  GPUBuffer,
                  number,
                  number,
                ];
                events.push({ kind: 'copy', src, srcOffset, dst, dstOffset, size });
              }
              return (target.copyBufferToBuffer as (...x: unknown[]) => void)(...a);
            };
          case 'finish':
            return (d?: GPUCommandBufferDescriptor) => target.finish(d);
          default: {
            const v = Reflect.get(target, prop, target) as unknown;
            if (typeof v !== 'function') return v;
            return (...a: unknown[]) => {
              flag(`an unrecorded command encoder call (${String(prop)})`);
              return (v as (...x: unknown[]) => unknown).apply(target, a);
            };
          }
        }
      },
    });
  const undo = [
    patch(
      queue,
      'writeBuffer',
      (original) =>
        ((buffer: GPUBuffer, offset: number, data: BufferSource, dataOffset?: number, size?: number) => {
          const input = inputOf(data, dataOffset, size, inputs);
          events.push({
            kind: 'write',
            buffer,
            offset,
            bytes: input === null ? writtenBytes(data, dataOffset, size) : new Uint8Array(0),
            input,
            length: input === null ? -1 : inputs[input].byteLength,
          });
          return (original as (...a: unknown[]) => void)(buffer, offset, data, dataOffset, size);
        }) as GPUQueue['writeBuffer'],
    ),
    patch(
      queue,
      'submit',
      (original) =>
        ((buffers: Iterable<GPUCommandBuffer>) => {
          events.push({ kind: 'submit' });
          return original(buffers);
        }) as GPUQueue['submit'],
    ),
    patch(
      device,
      'createBuffer',
      (original) =>
        ((d: GPUBufferDescriptor) => {
          if (d.mappedAtCreation)
            flag('a buffer filled at creation during the step (the pool had none free)');
          return original(d);
        }) as GPUDevice['createBuffer'],
    ),
    patch(
      device,
      'createCommandEncoder',
      (original) =>
        ((d?: GPUCommandEncoderDescriptor) => wrapEncoder(original(d))) as GPUDevice['createCommandEncoder'],
    ),
  ];
  let outputs: tf.Tensor[];
  try {
    outputs = step();
  } finally {
    try {
      be.endComputePassEncoder();
      if (be.commandEncoder) be.submitQueue();
    } finally {
      for (const u of undo.reverse()) u();
    }
  }
  const outputBuffers = outputs.map((t) => {
    be.uploadToGPU(t.dataId);
    return be.tensorMap.get(t.dataId).resource as GPUBuffer;
  });
  const rec: Recording = { events, outputs: outputBuffers, problem };
  return { outputs, rec };
}

/** The buffers a command reads or writes (null: a bind group of unknown buffers). */
function touched(c: DispatchEvent | CopyEvent): GPUBuffer[] | null {
  if (c.kind === 'copy') return [c.src, c.dst];
  const out: GPUBuffer[] = [];
  for (const g of c.groups) {
    if (!g) continue;
    const bs = bindGroupBuffers(g);
    if (!bs) return null;
    out.push(...bs);
  }
  return out;
}

/**
 * The replay program of two recordings that agree, or why they do not. Writes are tagged with
 * the input whose bytes they carry in both recordings; any other write must carry the same bytes
 * in both.
 */
function compile(key: string, a: Recording, b: Recording): ReplayProgram | string {
  if (a.problem) return a.problem;
  if (b.problem) return b.problem;
  if (a.events.length !== b.events.length)
    return `two recorded steps enqueued different work (${a.events.length} and ${b.events.length} commands)`;
  if (a.outputs.length !== b.outputs.length || a.outputs.some((o, i) => o !== b.outputs[i]))
    return 'two recorded steps left their loss in different buffers';
  const segments: Array<{ writes: ReplayWrite[]; commands: Array<DispatchEvent | CopyEvent> }> = [];
  let current: (typeof segments)[number] = { writes: [], commands: [] };
  const inputBytes = new Map<number, number>();
  let dispatches = 0;
  for (let i = 0; i < a.events.length; i++) {
    const x = a.events[i];
    const y = b.events[i];
    if (x.kind !== y.kind) return `two recorded steps differ at command ${i} (${x.kind} / ${y.kind})`;
    if (x.kind === 'submit') {
      segments.push(current);
      current = { writes: [], commands: [] };
    } else if (x.kind === 'dispatch') {
      const d = y as DispatchEvent;
      if (
        x.pipeline !== d.pipeline ||
        x.x !== d.x ||
        x.y !== d.y ||
        x.z !== d.z ||
        x.groups.length !== d.groups.length ||
        x.groups.some((g, j) => g !== d.groups[j])
      )
        return `two recorded steps differ at dispatch ${dispatches} (program, bindings or size)`;
      current.commands.push(x);
      dispatches++;
    } else if (x.kind === 'copy') {
      const c = y as CopyEvent;
      if (
        x.src !== c.src ||
        x.dst !== c.dst ||
        x.srcOffset !== c.srcOffset ||
        x.dstOffset !== c.dstOffset ||
        x.size !== c.size
      )
        return `two recorded steps differ at a buffer copy (command ${i})`;
      current.commands.push(x);
    } else {
      const w = y as WriteEvent;
      if (x.buffer !== w.buffer || x.offset !== w.offset || x.input !== w.input)
        return `two recorded steps upload into different buffers (command ${i})`;
      if (x.input !== null) {
        current.writes.push({ buffer: x.buffer, offset: x.offset, input: x.input });
        inputBytes.set(x.input, x.length);
      } else if (sameBytes(x.bytes, w.bytes)) {
        current.writes.push({ buffer: x.buffer, offset: x.offset, bytes: x.bytes });
      } else {
        return `the step uploads ${x.bytes.length} bytes that change from step to step and are none of its inputs`;
      }
    }
  }
  if (current.writes.length > 0 || current.commands.length > 0) segments.push(current);
  // Merge consecutive segments where the later one's writes touch no buffer the merged commands
  // (or writes) use: those writes may then run before all of them, as the queue runs writes
  // before the commands of the next submit.
  const groups: ReplayGroup[] = [];
  const buffers = new Set<GPUBuffer>();
  let used = new Set<GPUBuffer>();
  for (const s of segments) {
    const segmentBuffers: GPUBuffer[] = [];
    for (const c of s.commands) {
      const t = touched(c);
      if (!t) return 'a dispatch binds something other than buffers';
      segmentBuffers.push(...t);
    }
    for (const w of s.writes) buffers.add(w.buffer);
    for (const t of segmentBuffers) buffers.add(t);
    const last = groups[groups.length - 1];
    if (last && s.writes.every((w) => !used.has(w.buffer))) {
      last.writes.push(...s.writes);
      last.commands.push(...s.commands);
    } else {
      groups.push({ writes: [...s.writes], commands: [...s.commands] });
      used = new Set();
      for (const w of groups[groups.length - 1].writes) used.add(w.buffer);
    }
    for (const t of segmentBuffers) used.add(t);
    for (const w of s.writes) used.add(w.buffer);
  }
  for (const o of a.outputs) buffers.add(o);
  return {
    key,
    groups,
    outputs: a.outputs,
    inputBytes,
    buffers,
    persistent: new Set(),
    claimed: [],
    dispatches,
  };
}

const poolKey = (b: GPUBuffer) => `${b.size}_${b.usage}`;

/** Take `buffer` out of the pool's free list (true if it was there). */
function takeFree(pool: Pool, buffer: GPUBuffer): boolean {
  const list = pool.freeBuffers.get(poolKey(buffer));
  const i = list ? list.indexOf(buffer) : -1;
  if (i < 0) return false;
  list!.splice(i, 1);
  pool.numFreeBuffers--;
  return true;
}

function giveBack(pool: Pool, buffer: GPUBuffer): void {
  const key = poolKey(buffer);
  if (!pool.freeBuffers.has(key)) pool.freeBuffers.set(key, []);
  pool.freeBuffers.get(key)!.push(buffer);
  pool.numFreeBuffers++;
}

/** Replayers per backend, for the release hook. */
const active = new WeakMap<object, Set<WebGpuStepReplay>>();

function hookReleases(be: BackendInternals, pool: Pool): Set<WebGpuStepReplay> {
  let set = active.get(be);
  if (set) return set;
  set = new Set();
  active.set(be, set);
  const replayers = set;
  const release = pool.releaseBuffer.bind(pool);
  pool.releaseBuffer = (buffer: GPUBuffer, reuse = true) => {
    release(buffer, reuse);
    for (const r of replayers) r.released(buffer);
  };
  return set;
}

/** How many recordings that disagree before the replayer stops trying for a key. */
const MAX_ATTEMPTS = 4;

class WebGpuStepReplay implements StepReplayer {
  private readonly be: BackendInternals;
  private readonly pool: Pool;
  private readonly replayers: Set<WebGpuStepReplay>;
  private program: ReplayProgram | null = null;
  private previous: { key: string; rec: Recording } | null = null;
  /** keys given up on, with the reason */
  private readonly refused = new Map<string, string>();
  private attempts = new Map<string, number>();
  private counts = { replayed: 0, recorded: 0 };
  private reason = 'no step recorded yet';
  /** outputs of the program's verifying step, still owned by their tensors */
  private pendingOutputs = new Set<GPUBuffer>();

  constructor(backend: unknown) {
    this.be = internalsOf(backend);
    this.pool = (backend as { bufferManager: Pool }).bufferManager;
    this.replayers = hookReleases(this.be, this.pool);
    this.replayers.add(this);
  }

  run(
    key: string,
    inputs: readonly ArrayBufferView[],
    step: () => [tf.Scalar, tf.Scalar],
    mayRecord: boolean,
  ): ReplayedStep {
    if (this.program && this.program.key !== key) this.invalidate('the step changed shape (curriculum)');
    if (this.program) {
      const problem = this.inputProblem(inputs);
      if (!problem) return this.replay(inputs);
      this.invalidate(problem);
    }
    const refused = this.refused.get(key);
    if (refused !== undefined || !mayRecord) {
      if (refused !== undefined) this.reason = refused;
      const [loss, gradNorm] = step();
      return { loss, gradNorm, replayed: false };
    }
    const { outputs, rec } = record(this.be, inputs, step);
    this.counts.recorded++;
    const [loss, gradNorm] = outputs as [tf.Scalar, tf.Scalar];
    const before = this.previous;
    this.previous = { key, rec };
    if (!before || before.key !== key) {
      this.reason = 'waiting for a second recorded step';
      return { loss, gradNorm, replayed: false };
    }
    const compiled = compile(key, before.rec, rec);
    if (typeof compiled === 'string') {
      const n = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, n);
      this.reason = compiled;
      if (n >= MAX_ATTEMPTS) {
        this.refused.set(key, compiled);
        this.previous = null;
      }
      return { loss, gradNorm, replayed: false };
    }
    this.install(compiled);
    // the replays write the same output buffers: hand the trainer copies, free the originals
    // (their buffers join the claimed ones in `released`)
    const [lossCopy, normCopy] = this.copyOut(compiled.outputs, null);
    loss.dispose();
    gradNorm.dispose();
    return { loss: lossCopy, gradNorm: normCopy, replayed: false };
  }

  /**
   * Fresh scalar tensors holding the first float of each of `sources`, copied by `encoder` (or by
   * an encoder of its own, submitted at once, when null).
   */
  private copyOut(sources: readonly GPUBuffer[], encoder: GPUCommandEncoder | null): tf.Scalar[] {
    const be = this.be;
    const own = encoder ?? be.device.createCommandEncoder();
    const infos = sources.map((src) => {
      const info = be.makeTensorInfo([], 'float32');
      be.uploadToGPU(info.dataId);
      own.copyBufferToBuffer(src, 0, be.tensorMap.get(info.dataId).resource as GPUBuffer, 0, 4);
      return info;
    });
    if (!encoder) be.device.queue.submit([own.finish()]);
    return infos.map((o) => tf.engine().makeTensorFromTensorInfo(o) as tf.Scalar);
  }

  /** Claim the program's scratch buffers; the live ones are parameters and moments, or its outputs. */
  private install(program: ReplayProgram): void {
    for (const b of program.buffers) {
      if (program.outputs.includes(b)) continue;
      if (takeFree(this.pool, b)) program.claimed.push(b);
      else program.persistent.add(b);
    }
    // the verifying step's loss and norm stay in their tensors until read; their buffers join the
    // claimed ones when those tensors are freed (`released`)
    this.pendingOutputs = new Set(program.outputs);
    this.program = program;
    this.previous = null;
    this.reason = '';
  }

  /** tfjs released `buffer` into the pool (or destroyed it). */
  released(buffer: GPUBuffer): void {
    const p = this.program;
    if (!p || !p.buffers.has(buffer)) return;
    if (this.pendingOutputs.has(buffer)) {
      this.pendingOutputs.delete(buffer);
      if (takeFree(this.pool, buffer)) p.claimed.push(buffer);
      else this.invalidate('an output buffer of the recorded step was destroyed');
      return;
    }
    if (p.persistent.has(buffer))
      this.invalidate('a parameter or optimiser buffer of the recorded step was freed');
  }

  private inputProblem(inputs: readonly ArrayBufferView[]): string | null {
    for (const [i, n] of this.program!.inputBytes) {
      if (i >= inputs.length || inputs[i].byteLength !== n) return `input ${i} changed size`;
    }
    return null;
  }

  private replay(inputs: readonly ArrayBufferView[]): ReplayedStep {
    const p = this.program!;
    const be = this.be;
    const device = be.device;
    const queue = device.queue;
    // what tfjs has recorded so far runs before this step
    be.endComputePassEncoder();
    if (be.commandEncoder) be.submitQueue();
    let outputs: tf.Scalar[] = [];
    p.groups.forEach((g, gi) => {
      for (const w of g.writes) {
        if ('input' in w) {
          const v = inputs[w.input];
          queue.writeBuffer(w.buffer, w.offset, v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);
        } else queue.writeBuffer(w.buffer, w.offset, w.bytes as Uint8Array<ArrayBuffer>);
      }
      const encoder = device.createCommandEncoder();
      let pass: GPUComputePassEncoder | null = null;
      let pipeline: GPUComputePipeline | null = null;
      const bound: GPUBindGroup[] = [];
      for (const c of g.commands) {
        if (c.kind === 'dispatch') {
          if (!pass) {
            pass = encoder.beginComputePass();
            pipeline = null;
            bound.length = 0;
          }
          if (c.pipeline !== pipeline) {
            pass.setPipeline(c.pipeline);
            pipeline = c.pipeline;
          }
          c.groups.forEach((group, i) => {
            if (group && bound[i] !== group) {
              pass!.setBindGroup(i, group);
              bound[i] = group;
            }
          });
          pass.dispatchWorkgroups(c.x, c.y, c.z);
        } else {
          if (pass) {
            pass.end();
            pass = null;
          }
          encoder.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
        }
      }
      if (pass) pass.end();
      if (gi === p.groups.length - 1) outputs = this.copyOut(p.outputs, encoder);
      queue.submit([encoder.finish()]);
    });
    this.counts.replayed++;
    const [loss, gradNorm] = outputs;
    return { loss, gradNorm, replayed: true };
  }

  invalidate(reason: string): void {
    this.reason = reason;
    this.previous = null;
    const p = this.program;
    if (!p) return;
    this.program = null;
    for (const b of p.claimed) giveBack(this.pool, b);
    p.claimed.length = 0;
    this.pendingOutputs.clear();
  }

  stats(): StepReplayStats {
    const p = this.program;
    return {
      state: p ? 'replaying' : this.refused.size > 0 && !this.previous ? 'off' : 'recording',
      reason: p ? '' : this.reason,
      replayed: this.counts.replayed,
      recorded: this.counts.recorded,
      dispatches: p?.dispatches ?? 0,
      submits: p?.groups.length ?? 0,
    };
  }

  dispose(): void {
    this.invalidate('disposed');
    this.replayers.delete(this);
  }
}

/**
 * A step replayer for the current backend: on WebGPU (with the record cache installed by
 * `initBackend`) a `StepReplayer`, elsewhere null (every step runs through tfjs).
 */
export function createStepReplay(): StepReplayer | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const backend = tf.backend() as unknown as { bufferManager?: Partial<Pool> };
  if (!(backend.bufferManager?.freeBuffers instanceof Map)) return null;
  return new WebGpuStepReplay(backend);
}
