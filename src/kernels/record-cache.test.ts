/**
 * record-cache.ts on Dawn (SwiftShader):
 *   - the two-generation bound of the caches keeps the hot entries and drops per-step ones;
 *   - `uniformBytes` writes exactly the bytes tfjs's own `makeUniforms` writes, for seeded random
 *     uniform lists (1 to 6 values per field, int32 / uint32 / float32, NaN and Infinity, empty
 *     fields, the 16-byte alignment after 5- and 6-value fields);
 *   - with the cache installed (initBackend's default), repeated tfjs ops and a fused kernel on
 *     the same shapes but different tensors give the values of plain JavaScript arithmetic
 *     (a stale bind group or uniform buffer would return the previous operands' result), and the
 *     repeated dispatches reuse their uniform buffers and bind groups (hits counted);
 *   - host values uploaded by queue.writeBuffer into pooled buffers (float32, int32, bool): a
 *     tensor disposed while a recorded dispatch still reads it keeps its values (the next
 *     upload does not reuse its buffer before the submit), with and without submits between;
 *   - a whole fused MambaFormer training step gives the same loss and the same parameters after
 *     3 steps with the cache as on a backend without it.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTrainingStep } from '../../bench/step';
import { initBackend } from './backend';
import { fusedLayerNorm } from './layer-norm';
import { GenerationalCache, recordCacheStats, type UniformField, uniformBytes } from './record-cache';
import { registerAllKernels } from './register';
import { internalsOf } from './runner';
import { Rng } from './testing/helpers';
import { expectNoGpuErrors, setupWebGpu } from './testing/webgpu';

let gpu = false;

beforeAll(async () => {
  registerAllKernels();
  const r = await setupWebGpu();
  gpu = r.info !== null;
  if (!gpu) console.warn(`WebGPU record-cache tests skipped: ${r.reason}`);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** tfjs's own makeUniforms (the prototype's, not the cached one), its written bytes captured. */
function tfjsUniformBytes(fields: UniformField[]): Uint8Array {
  const be = tf.backend() as unknown as { queue: GPUQueue };
  const proto = Object.getPrototypeOf(be) as { makeUniforms(f: UniformField[]): GPUBufferBinding };
  const queue = be.queue;
  const write = queue.writeBuffer;
  let captured: Uint8Array | null = null;
  queue.writeBuffer = ((_b: GPUBuffer, _o: number, data: ArrayBuffer, off = 0, size?: number) => {
    captured = new Uint8Array(data.slice(off, off + (size ?? data.byteLength - off)));
  }) as GPUQueue['writeBuffer'];
  try {
    proto.makeUniforms.call(be, fields);
  } finally {
    queue.writeBuffer = write;
  }
  if (!captured) throw new Error('tfjs makeUniforms wrote nothing');
  return captured;
}

describe('uniformBytes', () => {
  it('matches tfjs makeUniforms byte for byte', () => {
    if (!gpu) return;
    const rng = new Rng(7);
    const types = ['int32', 'uint32', 'float32'];
    const special = [Number.NaN, Number.POSITIVE_INFINITY, -0.5, 3.25e-7, 2 ** 31 - 1];
    let sixes = 0;
    for (let trial = 0; trial < 300; trial++) {
      const fields: UniformField[] = [];
      const n = 1 + Math.floor(rng.uniform() * 9);
      for (let i = 0; i < n; i++) {
        const len = trial % 50 === 0 && i === 0 ? 0 : 1 + Math.floor(rng.uniform() * 6);
        if (len >= 5) sixes++;
        const type = types[Math.floor(rng.uniform() * 3)];
        const data = Array.from({ length: len }, () => {
          if (type === 'float32' && rng.uniform() < 0.2) return special[Math.floor(rng.uniform() * 5)];
          return type === 'float32' ? rng.uniform() * 100 - 50 : Math.floor(rng.uniform() * 1000);
        });
        fields.push({ type, data });
      }
      const copy = fields.map((f) => ({ type: f.type, data: [...f.data] }));
      const ours = new Uint8Array(uniformBytes(copy));
      const theirs = tfjsUniformBytes(fields);
      expect(ours.length, JSON.stringify(fields)).toBe(theirs.length);
      expect([...ours], JSON.stringify(fields)).toEqual([...theirs]);
    }
    expect(sixes).toBeGreaterThan(20);
  });

  it('rejects fields of more than 6 values', () => {
    expect(() => uniformBytes([{ type: 'int32', data: [1, 2, 3, 4, 5, 6, 7] }])).toThrow();
  });
});

describe('GenerationalCache', () => {
  it('keeps what is used every round, drops what changes every round, stays bounded', () => {
    const c = new GenerationalCache<number>(10);
    const hot = ['a', 'b', 'c', 'd'];
    for (let round = 0; round < 50; round++) {
      for (const k of hot) {
        if (c.get(k) === undefined) {
          expect(round).toBe(0);
          c.set(k, k.charCodeAt(0));
        }
        expect(c.get(k)).toBe(k.charCodeAt(0));
      }
      // a key new in every round (a per-step uniform value)
      expect(c.get(`step ${round}`)).toBeUndefined();
      c.set(`step ${round}`, round);
      expect(c.size).toBeLessThanOrEqual(20);
    }
    expect(c.get('step 49')).toBe(49);
    expect(c.get('step 0')).toBeUndefined();
  });
});

describe('record cache on the WebGPU backend', () => {
  it('is installed by initBackend and keeps results right across reused bind groups', async () => {
    if (!gpu) return;
    const stats = recordCacheStats(tf.backend());
    expect(stats).not.toBeNull();
    const before = { ...stats! };
    const rng = new Rng(3);
    // above tfjs's CPU hand-off size (small tensors with host values run on the CPU)
    const [R, C] = [211, 8];
    const shape = [R, C];
    const size = R * C;
    const host = () => Float32Array.from({ length: size }, () => rng.uniform() * 2 - 1);
    for (let round = 0; round < 12; round++) {
      const a = host();
      const b = host();
      const w = host().slice(0, C);
      const ta = tf.tensor2d(a, shape as [number, number]);
      const tb = tf.tensor2d(b, shape as [number, number]);
      const tw = tf.tensor1d(w);
      // tfjs programs (add, mul, matMul) and a runner.ts kernel (the fused LayerNorm)
      const out = tf.tidy(() => {
        const s = tf.add(ta, tb);
        const p = tf.mul(s, tw);
        const m = tf.matMul(p, tb, false, true);
        const ln = fusedLayerNorm(p, tw, tw);
        return [p, m, ln];
      });
      const [p, m, ln] = await Promise.all(out.map((t) => t.data()));
      for (let i = 0; i < size; i++) expect(p[i]).toBeCloseTo((a[i] + b[i]) * w[i % C], 5);
      for (let i = 0; i < R; i += 13) {
        for (let j = 0; j < R; j += 17) {
          let dot = 0;
          for (let k = 0; k < C; k++) dot += (a[i * C + k] + b[i * C + k]) * w[k] * b[j * C + k];
          expect(m[i * R + j]).toBeCloseTo(dot, 4);
        }
      }
      for (let i = 0; i < R; i += 11) {
        const row = Array.from({ length: C }, (_, k) => p[i * C + k]);
        const mean = row.reduce((x, y) => x + y, 0) / C;
        const v = row.reduce((x, y) => x + (y - mean) ** 2, 0) / C;
        for (let k = 0; k < C; k++) {
          const want = ((row[k] - mean) / Math.sqrt(v + 1e-5)) * w[k] + w[k];
          expect(Math.abs(ln[i * C + k] - want)).toBeLessThan(1e-3 * Math.max(1, Math.abs(want)));
        }
      }
      tf.dispose([ta, tb, tw, ...out]);
    }
    expectNoGpuErrors();
    expect(stats!.uniformHits - before.uniformHits).toBeGreaterThan(30);
    expect(stats!.bindGroupHits - before.bindGroupHits).toBeGreaterThan(20);
  });

  it('uploads host values into pooled buffers, in order with the recorded commands', async () => {
    if (!gpu) return;
    const stats = recordCacheStats(tf.backend())!;
    const before = stats.uploadsWritten;
    const rng = new Rng(11);
    const n = 2048; // above tfjs's CPU hand-off size
    const saved = tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
    try {
      for (const batch of [1e9, 2]) {
        // 1e9: everything in one open encoder until the read-back; 2: submits in between
        tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batch);
        for (let round = 0; round < 6; round++) {
          const h1 = Float32Array.from({ length: n }, () => rng.uniform());
          const h2 = Float32Array.from({ length: n }, () => rng.uniform());
          const hi = Int32Array.from({ length: n }, () => Math.floor(rng.uniform() * 100));
          const hb = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0));
          const a = tf.tensor1d(h1);
          const y = a.mul(2); // records a dispatch that reads a's buffer
          a.dispose(); // freed only at the next submit: the next upload must not take it
          const b = tf.tensor1d(h2);
          const z = b.add(1);
          const i = tf.tensor1d(hi, 'int32');
          const zi = i.add(tf.scalar(3, 'int32'));
          const bo = tf.tensor1d(hb, 'bool');
          const zb = bo.cast('float32').add(0.5);
          const [yv, zv, ziv, zbv] = await Promise.all([y.data(), z.data(), zi.data(), zb.data()]);
          for (let k = 0; k < n; k += 7) {
            expect(yv[k]).toBeCloseTo(2 * h1[k], 6);
            expect(zv[k]).toBeCloseTo(h2[k] + 1, 6);
            expect(ziv[k]).toBe(hi[k] + 3);
            expect(zbv[k]).toBe(hb[k] + 0.5);
          }
          tf.dispose([y, b, z, i, zi, bo, zb]);
        }
      }
    } finally {
      tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', saved);
    }
    expectNoGpuErrors();
    expect(stats.uploadsWritten - before).toBeGreaterThan(20);
  });

  it('a fused MambaFormer step: same loss and parameters with and without the cache', async () => {
    if (!gpu) return;
    const run = async (recordCache: boolean) => {
      const info = await initBackend(['webgpu'], { recordCache });
      expect(info.name).toBe('webgpu');
      expect(recordCacheStats(tf.backend()) !== null).toBe(recordCache);
      const s = makeTrainingStep({ arch: 'mambaformer', size: 'classroom', fused: true, batchSize: 2 });
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const loss = s.step();
        losses.push((await loss.data())[0]);
        loss.dispose();
      }
      const params: Float32Array[] = [];
      for (const v of s.model.variables.values()) params.push((await v.data()) as Float32Array);
      s.dispose();
      expectNoGpuErrors();
      return { losses, params };
    };
    const off = await run(false);
    const on = await run(true);
    // the same programs in the same order on the same device kind: identical up to float
    // rounding of reductions whose order the pool's buffer choice cannot change
    for (let i = 0; i < 3; i++) expect(on.losses[i]).toBeCloseTo(off.losses[i], 5);
    expect(on.losses[2]).not.toBe(on.losses[0]);
    expect(on.params.length).toBe(off.params.length);
    let maxDiff = 0;
    for (let i = 0; i < on.params.length; i++) {
      for (let j = 0; j < on.params[i].length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(on.params[i][j] - off.params[i][j]));
      }
    }
    expect(maxDiff).toBeLessThan(1e-5);
    // back to the default backend of the other tests
    await initBackend(['webgpu']);
    expect(internalsOf(tf.backend()).device).toBeDefined();
  }, 300_000);
});
