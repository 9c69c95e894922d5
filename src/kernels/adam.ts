/**
 * Global-norm clipping + Adam, fused (torch.nn.utils.clip_grad_norm_ then torch.optim.Adam, the
 * same maths as src/train/adam.ts, which stays the reference), over one flat layout of all
 * parameters (adam-flat.ts): the moments live in one [4, P] buffer on WebGPU (row 2 for this step's
 * gradients, row 3 for their sums of squares by chunk; [2, P] elsewhere); each step packs the
 * gradients into it with their sums of squares (~P/11 dispatches for P parameter tensors at 12
 * storage buffers; the linear layers' gradients whose reductions are still queued are summed
 * straight into it instead, linear-grad-reduce.ts, and cost the pack no binding), then updates the moments and the parameters in place (~P/11 dispatches), the
 * clip coefficient derived inside the update. Off WebGPU the same class
 * runs plain ops over the same flat moments (one update of the flat moments, one assign per
 * parameter), with results identical to src/train/adam.ts.
 *
 * In place: the parameter and state variables' GPU buffers are written directly (no new tensors),
 * so each must own its buffer; a variable sharing its data with another tensor is first given a
 * copy of its own.
 */

import * as tf from '@tensorflow/tfjs';
import { readCopies } from '../models/read-copies';
import { Adam, type AdamMoments, globalNorm } from '../train/adam';
import {
  type FlatLayout,
  flatAdamProgram,
  flatBuffers,
  flatLayout,
  packGroupsFor,
  packProgram,
} from './adam-flat';
import { claimReductions, reduceInto } from './linear-grad-reduce';
import { internalsOf, maxStorageBuffers, runRaw } from './runner';

type HostMoments = { expAvg: Float32Array; expAvgSq: Float32Array; shape: number[] };

/** The optimiser's state over one flat layout. */
interface FlatState {
  layout: FlatLayout;
  /** storage buffers the layout's groups were made for */
  buffers: number;
  /**
   * [rows, P]: exp_avg in row 0, exp_avg_sq in row 1, on WebGPU this step's gradients in row 2 and
   * their sums of squares per chunk at the start of row 3 (scratch; rows 4 there, 2 elsewhere)
   */
  moments: tf.Variable;
  rows: number;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Adam with global-norm clipping, fused on WebGPU. A subclass of src/train/adam.ts's Adam (same
 * settings, step count, checkpoint state through `readState` / `setMoments`), so it can stand
 * wherever an Adam is expected; `apply` takes the fused path too, `applyClipped` adds the clipping.
 * Its moments are one flat buffer, not per-parameter variables: `state` is always empty, read them
 * with `readState()`.
 */
export class FusedAdam extends Adam {
  private flat: FlatState | null = null;
  /** moments set by `setMoments` and not yet moved into the flat buffer, by name */
  private readonly pending = new Map<string, HostMoments>();

  /** Adam without clipping (same maths as src/train/adam.ts's `apply`). */
  override apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    this.applyClipped(params, grads, null);
  }

  /** No per-parameter moment variables here (see `readState`). */
  override get state(): ReadonlyMap<string, AdamMoments> {
    return new Map();
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
    this.stepCount += 1;
    if (names.length === 0) return tf.scalar(0);
    const gpu = tf.getBackend() === 'webgpu';
    const buffers = gpu ? flatBuffers(maxStorageBuffers(tf.backend())) : 16;
    const useGpu = gpu && buffers >= 5;
    const flat = this.flatFor(
      names.map((name) => ({ name, shape: params.get(name)!.shape })),
      useGpu ? buffers : 16,
      useGpu ? 4 : 2,
    );
    const { beta1, beta2, eps } = this.settings;
    const scalars = this.scalarsOf(this.stepCount);
    if (!useGpu)
      return this.applyOps(params, grads, names, flat, maxNorm, {
        stepSize: this.stepSizeAt(this.stepCount),
        bc2Sqrt: Math.sqrt(1 - beta2 ** this.stepCount),
      });

    const backend = tf.backend();
    const be = internalsOf(backend);
    const own = (v: tf.Variable) => {
      be.uploadToGPU(v.dataId);
      if (be.tensorMap.get(v.dataId).refCount > 1) v.assign(tf.add(v, 0));
    };
    own(flat.moments);
    // the linear backwards' reductions still queued (linear-grad-reduce.ts) are summed straight into
    // row 2: their dW and db are never written, and the pack binds only the other gradients
    const byId = new Map(names.map((n) => [grads.get(n)!.dataId as object, n]));
    const claimed = claimReductions(backend, new Set(byId.keys()));
    const inRow = new Set<string>();
    if (claimed.length > 0) {
      const at = (t: { dataId: object }) => {
        const name = byId.get(t.dataId)!;
        inRow.add(name);
        return 2 * flat.layout.total + flat.layout.byName.get(name)!.offset;
      };
      const destinations = claimed.map((c) => ({ dwAt: at(c.dw), dbAt: c.db ? at(c.db) : 0 }));
      reduceInto(backend, claimed, destinations, flat.moments);
    }
    const layout = inRow.size > 0 ? this.layoutWithRow(flat, inRow, buffers) : flat.layout;
    for (const group of layout.pack) {
      const ins = group.entries.flatMap((e, i) => (group.bound?.[i] === false ? [] : [grads.get(e.name)!]));
      runRaw(backend, packProgram(layout, group), ins, [flat.moments]);
    }
    const norm = be.makeTensorInfo([1], 'float32');
    const constants = { beta1, beta2, eps, maxNorm };
    const stepInput = tf.tensor1d(scalars);
    for (const group of layout.adam) {
      const ps = group.entries.map((e) => params.get(e.name)!);
      for (const p of ps) own(p);
      const first = group === layout.adam[0];
      runRaw(
        backend,
        flatAdamProgram(layout, group, constants),
        [stepInput],
        [...ps, flat.moments, ...(first ? [norm] : [])],
      );
    }
    stepInput.dispose();
    return tf.engine().makeTensorFromTensorInfo(norm).reshape([]) as tf.Scalar;
  }

  /** the last `layoutWithRow` result, by the set of gradients already in row 2 */
  private rowLayout: { key: string; flat: FlatState; layout: FlatLayout } | null = null;

  /** `flat`'s layout with the pack groups for gradients `inRow` already in state row 2. */
  private layoutWithRow(flat: FlatState, inRow: ReadonlySet<string>, buffers: number): FlatLayout {
    const key = flat.layout.entries.map((e) => (inRow.has(e.name) ? 1 : 0)).join('');
    if (this.rowLayout?.flat === flat && this.rowLayout.key === key) return this.rowLayout.layout;
    const { pack, chunks } = packGroupsFor(flat.layout, (name) => inRow.has(name), buffers);
    const layout = { ...flat.layout, pack, chunks };
    this.rowLayout = { key, flat, layout };
    return layout;
  }

  /** PyTorch's bias-corrected step size lr / (1 - beta1^t) of step t (1-based). */
  private stepSizeAt(t: number): number {
    return this.settings.lr / (1 - this.settings.beta1 ** t);
  }

  /**
   * What the WebGPU update reads of step t (1-based) besides its settings: [lr / (1 - beta1^t),
   * sqrt(1 - beta2^t)] as float32, the bytes uploaded for that step.
   */
  stepScalars(t: number): Float32Array {
    return new Float32Array([this.stepSizeAt(t), Math.sqrt(1 - this.settings.beta2 ** t)]);
  }

  /**
   * The input of the next `applyClipped`, the very array it will upload (a step replayer
   * recognises the upload by it, and writes it in a replayed step: step-replay.ts).
   */
  nextStepScalars(): Float32Array {
    return this.scalarsOf(this.stepCount + 1);
  }

  private nextScalars: { t: number; values: Float32Array } | null = null;

  /** `stepScalars(t)`, the same array for the same t until the next t is asked for. */
  private scalarsOf(t: number): Float32Array {
    if (this.nextScalars?.t !== t) this.nextScalars = { t, values: this.stepScalars(t) };
    return this.nextScalars.values;
  }

  /** Count a step that ran without `applyClipped` (replayed on the GPU with `nextStepScalars()`). */
  countReplayedStep(): void {
    this.stepCount += 1;
  }

  /**
   * The flat state for these parameters: the current one, or a new one that keeps the moments of
   * every name it had and takes those set by `setMoments` (zeros for the rest).
   */
  private flatFor(
    params: ReadonlyArray<{ name: string; shape: readonly number[] }>,
    buffers: number,
    rows: number,
  ): FlatState {
    const old = this.flat;
    const same =
      old !== null &&
      old.buffers === buffers &&
      old.rows === rows &&
      old.layout.entries.length === params.length &&
      params.every(
        (p, i) => old.layout.entries[i].name === p.name && sameShape(old.layout.entries[i].shape, p.shape),
      );
    if (same && this.pending.size === 0) return old!;
    const layout = flatLayout(params, buffers);
    const moments = tf.tidy(() => {
      const pieces = layout.entries.map((e) => {
        const set = this.pending.get(e.name);
        if (set && sameShape(set.shape, e.shape)) {
          const values = new Float32Array(rows * e.size);
          values.set(set.expAvg);
          values.set(set.expAvgSq, e.size);
          return tf.tensor2d(values, [rows, e.size]);
        }
        const had = old?.layout.byName.get(e.name);
        if (old && had && sameShape(had.shape, e.shape)) {
          const kept = old.moments.slice([0, had.offset], [2, had.size]);
          return rows === 2 ? kept : tf.concat([kept, tf.zeros([rows - 2, e.size])]);
        }
        return tf.zeros([rows, e.size]);
      });
      return tf.variable(pieces.length === 1 ? pieces[0] : tf.concat(pieces, 1), false);
    });
    this.disposeFlat();
    this.pending.clear();
    this.flat = { layout, buffers, moments, rows };
    return this.flat;
  }

  private applyOps(
    params: ReadonlyMap<string, tf.Variable>,
    grads: ReadonlyMap<string, tf.Tensor>,
    names: readonly string[],
    flat: FlatState,
    maxNorm: number | null,
    c: { stepSize: number; bc2Sqrt: number },
  ): tf.Scalar {
    const { beta1, beta2, eps } = this.settings;
    const gs = names.map((n) => grads.get(n)!);
    // as clipByGlobalNorm: the norm summed tensor by tensor, every gradient times the coefficient
    const norm = globalNorm(gs);
    const coef = maxNorm === null ? null : tf.minimum(tf.scalar(maxNorm).div(norm.add(1e-6)), 1);
    const parts = gs.map((g) => (coef === null ? g : g.mul(coef)).reshape([-1]));
    const g = parts.length === 1 ? parts[0] : tf.concat(parts);
    const p = flat.layout.total;
    const expAvg = flat.moments.slice([0, 0], [1, p]).reshape([p]);
    const expAvgSq = flat.moments.slice([1, 0], [1, p]).reshape([p]);
    const m = expAvg.add(g.sub(expAvg).mul(1 - beta1));
    const v = expAvgSq.mul(beta2).add(g.square().mul(1 - beta2));
    const denom = v.sqrt().div(c.bc2Sqrt).add(eps);
    flat.moments.assign(tf.stack([m, v]));
    const update = m.div(denom).mul(c.stepSize);
    for (const e of flat.layout.entries) {
      const param = params.get(e.name)!;
      param.assign(param.sub(update.slice(e.offset, e.size).reshape(e.shape)));
    }
    return norm;
  }

  /** Moments as host arrays, by parameter name (for checkpoints). */
  override async readState(): Promise<Map<string, HostMoments>> {
    const out = new Map<string, HostMoments>();
    if (this.flat) {
      const { layout, moments } = this.flat;
      // through a copy: the moments keep their device buffer (models/read-copies.ts says why)
      const [all] = await readCopies([moments]);
      for (const e of layout.entries) {
        out.set(e.name, {
          expAvg: all.slice(e.offset, e.offset + e.size),
          expAvgSq: all.slice(layout.total + e.offset, layout.total + e.offset + e.size),
          shape: [...e.shape],
        });
      }
    }
    for (const [name, m] of this.pending) {
      out.set(name, { expAvg: m.expAvg.slice(), expAvgSq: m.expAvgSq.slice(), shape: [...m.shape] });
    }
    return out;
  }

  /** Overwrite the moments of `name` (moved into the flat buffer at the next step). */
  override setMoments(
    name: string,
    shape: readonly number[],
    expAvg: Float32Array,
    expAvgSq: Float32Array,
  ): void {
    const size = shape.reduce((a, b) => a * b, 1);
    if (expAvg.length !== size || expAvgSq.length !== size)
      throw new Error(
        `moments of ${name}: ${expAvg.length} / ${expAvgSq.length} values for shape [${shape}]`,
      );
    this.pending.set(name, { expAvg: expAvg.slice(), expAvgSq: expAvgSq.slice(), shape: [...shape] });
  }

  /** Forget all moments and the step count (a fresh optimiser). */
  override reset(): void {
    super.reset();
    this.disposeFlat();
    this.flat = null;
    this.pending.clear();
  }

  private disposeFlat(): void {
    if (!this.flat) return;
    this.flat.moments.dispose();
  }
}
