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
import { type BackendInternals, internalsOf } from './runner';
import { type Recording, record } from './step-recording';
import { compile, type ReplayProgram } from './step-replay-program';

type Pool = {
  freeBuffers: Map<string, GPUBuffer[]>;
  numFreeBuffers: number;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
};

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
    if (!p?.buffers.has(buffer)) return;
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
