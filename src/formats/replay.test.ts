import { gunzipSync, gzipSync, strFromU8, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { IclCurveSet } from '../eval/types';
import type { ProbeResult } from '../models/probes';
import { presetExperiment } from '../train/presets';
import {
  decodeReplay,
  encodeReplay,
  MAX_REPLAY_BYTES,
  packQ8,
  parseReplayIndex,
  type ReplayContent,
  thinEvenly,
  upsertReplayIndex,
} from './replay';

const experiment = presetExperiment('classroom', 'linear-regression', ['transformer', 'mamba'], 3);

function curveSet(key: string, scale: number): IclCurveSet {
  return {
    task: 'linear-regression',
    head: 'y',
    metric: 'squared-error',
    yLabel: 'squared error / d',
    chance: 1,
    prompts: 64,
    seed: 3,
    curves: [
      {
        key,
        label: key,
        examples: Int32Array.of(0, 1, 2),
        mean: Float64Array.of(1 * scale, 0.5 * scale, Number.NaN),
        lo: Float64Array.of(0.9 * scale, 0.4 * scale, Number.NaN),
        hi: Float64Array.of(1.1 * scale, 0.6 * scale, Number.NaN),
        count: Int32Array.of(64, 64, 0),
      },
    ],
  };
}

/** A deterministic pseudo-random float array (incompressible enough to test the byte budget). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  });
}

function probe(seqLen: number, seed: number): ProbeResult {
  return {
    arch: 'transformer',
    seqLen,
    outputs: [noise(seqLen, seed)],
    layers: [
      {
        kind: 'attention',
        layer: 0,
        name: 'l0',
        nHead: 2,
        seqLen,
        weights: noise(2 * seqLen * seqLen, seed + 1),
      },
    ],
  };
}

function mambaProbe(seqLen: number, dInner: number): ProbeResult {
  return {
    arch: 'mamba',
    seqLen,
    outputs: [noise(seqLen, 9)],
    layers: [
      {
        kind: 'mamba',
        layer: 0,
        name: 'm0',
        seqLen,
        dInner,
        dState: 4,
        delta: noise(seqLen * dInner, 10),
        stateNorm: noise(seqLen, 11),
        stateNormPerChannel: noise(seqLen * dInner, 12),
        implicitAttention: null,
      },
    ],
  };
}

function content(frames: number, seqLen = 8): ReplayContent {
  return {
    experiment,
    backend: 'wasm',
    createdAt: '2025-01-01T00:00:00.000Z',
    totalSteps: 100,
    baselines: curveSet('least-squares', 0.5),
    models: [
      {
        index: 0,
        arch: 'transformer',
        label: 'Transformer',
        parameters: 1234,
        steps: 100,
        diverged: null,
        loss: { width: 2, x: [0, 2, 4], y: [3, 2.5, Number.NaN] },
        evaluations: [
          { step: 50, sets: [curveSet('model:0:transformer', 1)], recall: null },
          { step: 100, sets: [curveSet('model:0:transformer', 0.5)], recall: null },
        ],
        probes: Array.from({ length: frames }, (_, i) => ({
          step: (i + 1) * 10,
          result: probe(seqLen, i + 1),
        })),
      },
      {
        index: 1,
        arch: 'mamba',
        label: 'Mamba',
        parameters: 999,
        steps: 100,
        diverged: 'the loss was NaN at step 40',
        loss: { width: 1, x: [0], y: [4] },
        evaluations: [],
        probes: [{ step: 100, result: mambaProbe(seqLen, 6) }],
      },
    ],
  };
}

describe('replay files', () => {
  it('round-trip: what is read back is what was written (heatmaps to 8 bits)', () => {
    const written = content(3);
    const { bytes, probeFramesDropped } = encodeReplay(written);
    expect(probeFramesDropped).toBe(0);
    expect(bytes[0]).toBe(0x1f);
    const read = decodeReplay(bytes);
    if (!read.ok) throw new Error(read.error);
    const r = read.replay;
    expect(r.experiment).toEqual(experiment);
    expect(r.totalSteps).toBe(100);
    expect(r.backend).toBe('wasm');
    expect(r.models.map((m) => m.arch)).toEqual(['transformer', 'mamba']);
    expect(r.models[1].diverged).toMatch(/NaN/);
    const loss = r.models[0].loss;
    expect(loss.x).toEqual([0, 2, 4]);
    expect(loss.y.slice(0, 2)).toEqual([3, 2.5]);
    expect(Number.isNaN(loss.y[2])).toBe(true);
    const curve = r.models[0].evaluations[1].sets[0].curves[0];
    expect(curve.examples).toEqual(Int32Array.of(0, 1, 2));
    expect(Array.from(curve.mean.slice(0, 2))).toEqual([0.5, 0.25]);
    expect(Number.isNaN(curve.mean[2])).toBe(true);
    expect(r.baselines?.curves[0].key).toBe('least-squares');
    // float32 read-outs exactly, quantised maps within half a level
    const p0 = written.models[0].probes[2].result;
    const q0 = r.models[0].probes[2].result;
    expect(q0.outputs[0]).toEqual(p0.outputs[0]);
    const a = p0.layers[0] as Extract<ProbeResult['layers'][number], { kind: 'attention' }>;
    const b = q0.layers[0] as typeof a;
    expect(b.weights.length).toBe(a.weights.length);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of a.weights) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const half = (hi - lo) / 254 / 2 + 1e-6;
    for (let i = 0; i < a.weights.length; i++)
      expect(Math.abs(b.weights[i] - a.weights[i])).toBeLessThan(half);
    const m = r.models[1].probes[0].result.layers[0];
    expect(m.kind).toBe('mamba');
    if (m.kind === 'mamba') {
      expect(m.stateNorm).toEqual((written.models[1].probes[0].result.layers[0] as typeof m).stateNorm);
      expect(m.implicitAttention).toBeNull();
    }
  });

  it('keeps non-finite values of a heatmap as NaN and a constant map as its value', () => {
    const p = packQ8([Number.NaN, 2, 2]);
    expect(p.t === 'q8' && p.lo === 2 && p.hi === 2).toBe(true);
  });

  it('drops evenly spaced probe frames (keeping the first and last) to fit the byte budget', () => {
    const big = content(40, 32);
    const full = encodeReplay(big, { budget: MAX_REPLAY_BYTES });
    expect(full.probeFramesDropped).toBe(0);
    const budget = Math.floor(full.bytes.length / 3);
    const small = encodeReplay(big, { budget });
    expect(small.bytes.length).toBeLessThanOrEqual(budget);
    expect(small.probeFramesDropped).toBeGreaterThan(0);
    const read = decodeReplay(small.bytes);
    if (!read.ok) throw new Error(read.error);
    const steps = read.replay.models[0].probes.map((p) => p.step);
    expect(steps[0]).toBe(10);
    expect(steps[steps.length - 1]).toBe(400);
    expect(read.replay.probeFramesDropped).toBe(small.probeFramesDropped);
    // the single frame of the other model stays
    expect(read.replay.models[1].probes).toHaveLength(1);
    expect(() => encodeReplay(big, { budget: 200 })).toThrow(/over the budget of 200 bytes/);
  });

  it('thins a list evenly', () => {
    expect(thinEvenly([1, 2, 3, 4, 5], 3)).toEqual([1, 3, 5]);
    expect(thinEvenly([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(thinEvenly([1, 2, 3], 1)).toEqual([3]);
  });

  it('a corrupt, truncated, foreign or oversized file gives a clear error, never a throw', () => {
    const { bytes } = encodeReplay(content(2));
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /empty/],
      [bytes.slice(0, Math.floor(bytes.length / 2)), /ends early|not a readable gzip/],
      [Uint8Array.from(bytes, (b, i) => (i > 20 && i < 60 ? b ^ 0x5a : b)), /gzip|JSON|replay|invalid/],
      [strToU8('<html>not found</html>'), /neither gzip nor JSON/],
      [strToU8(JSON.stringify({ format: 'something-else' })), /not an ICL Lab replay/],
      [strToU8(JSON.stringify({ format: 'icl-lab-replay', version: 99 })), /newer ICL Lab/],
      [new Uint8Array(MAX_REPLAY_BYTES + 1), /more than the 4194304 accepted/],
    ];
    for (const [input, why] of cases) {
      const r = decodeReplay(input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error).toMatch(/^This recorded run cannot be played: /);
        expect(r.error).toMatch(why);
      }
    }
  });

  it('refuses a file that inflates past the limit (a zip bomb)', () => {
    const bomb = gzipSync(new Uint8Array(60 * 1024 * 1024).fill(32));
    expect(bomb.length).toBeLessThan(MAX_REPLAY_BYTES);
    const r = decodeReplay(bomb);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/inflates to more than/);
  });

  it('refuses arrays whose length does not match the shapes they claim', () => {
    const { bytes } = encodeReplay(content(1));
    const read = decodeReplay(bytes);
    if (!read.ok) throw new Error(read.error);
    // the same file with one attention map claiming 3 heads
    const json = JSON.parse(strFromU8(gunzipSync(bytes)));
    json.models[0].probes[0].result.layers[0].nHead = 3;
    const text = JSON.stringify(json);
    const r = decodeReplay(strToU8(text));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/weights: 128 values, expected 3x8x8 = 192/);
  });

  it('reads the index and replaces an entry of the same file', () => {
    const entry = {
      file: 'lr.iclreplay',
      task: 'linear-regression',
      title: 'Linear regression',
      models: ['transformer' as const],
      steps: 10,
      seed: 0,
      preset: 'classroom',
      backend: 'wasm',
      shows: 'x',
      bytes: 10,
    };
    const index = upsertReplayIndex(upsertReplayIndex(null, entry), { ...entry, steps: 20 });
    expect(index.replays).toHaveLength(1);
    expect(parseReplayIndex(JSON.parse(JSON.stringify(index)))).toEqual({ ok: true, index });
    const bad = parseReplayIndex({ ...index, replays: [{ ...entry, file: '../../etc/passwd' }] });
    expect(bad.ok).toBe(false);
  });
});
