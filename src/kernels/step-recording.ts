/**
 * Recording one training step on tfjs's WebGPU backend (step-replay.ts): every queue write (with its
 * bytes, or which declared input it uploaded), dispatch (pipeline, bind groups, workgroups), buffer
 * copy and submit the step makes, by wrapping the device, its queue, and the command encoders and
 * compute passes created during the step.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendInternals } from './runner';

export interface WriteEvent {
  kind: 'write';
  buffer: GPUBuffer;
  offset: number;
  bytes: Uint8Array;
  /** the declared input this write uploaded (that very array), or null */
  input: number | null;
  /** bytes written */
  length: number;
}
export interface DispatchEvent {
  kind: 'dispatch';
  pipeline: GPUComputePipeline;
  groups: GPUBindGroup[];
  x: number;
  y: number;
  z: number;
}
export interface CopyEvent {
  kind: 'copy';
  src: GPUBuffer;
  srcOffset: number;
  dst: GPUBuffer;
  dstOffset: number;
  size: number;
}
export interface SubmitEvent {
  kind: 'submit';
}
export type TraceEvent = WriteEvent | DispatchEvent | CopyEvent | SubmitEvent;

/** One step as recorded: what it enqueued, where its outputs are. */
export interface Recording {
  events: TraceEvent[];
  outputs: GPUBuffer[];
  /** why this recording cannot be replayed whatever the next one does (null: it may) */
  problem: string | null;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
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
export function record(be: BackendInternals, inputs: readonly ArrayBufferView[], step: () => tf.Tensor[]) {
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
