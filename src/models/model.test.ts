/**
 * Whole models: forward vs the float64 reference for all six architectures and the three read-in
 * kinds, gradients of every variable through read-in / position embedding / read-out, causality,
 * probes, weight I/O and tensor hygiene.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng';
import type { HeadSpec, ReadIn } from '../tasks/types';
import { ARCH_KINDS, type ArchConfig, type ArchKind, archConfigFromSettings } from './config';
import { buildModel, forwardModel, type SequenceModel } from './model';
import { getterOf } from './params';
import { mambaImplicitAttention, mambaStateNorms } from './probes';
import { selectiveScan64 } from './reference64/mamba';
import { getter64 } from './reference64/math';
import { forwardModel64 } from './reference64/model';
import { selectiveScanReference } from './selective-scan-reference';
import {
  checkGradients,
  normalValues,
  randomArray,
  randomParams,
  relativeError,
  uniformValues,
} from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mambaBlock = { dState: 4, dConv: 4, expand: 2 };

function tinyConfig(arch: ArchKind, dModel = 8): ArchConfig {
  switch (arch) {
    case 'transformer':
      return { arch, dModel, nLayer: 2, nHead: 2, positionEmbedding: true, maxPositions: 16 };
    case 'mamba':
      return { arch, dModel, nLayer: 2, positionEmbedding: false, ...mambaBlock };
    case 'hybrid':
      return { arch, dModel, nLayer: 2, nHead: 2, positionEmbedding: true, maxPositions: 16, ...mambaBlock };
    case 'mambaformer':
      return { arch, dModel, nLayer: 2, nHead: 2, positionEmbedding: false, ...mambaBlock };
    case 's4':
      return { arch, dModel, nLayer: 2, positionEmbedding: false, dState: 4 };
    case 's4-mamba':
      return { arch, dModel, nLayer: 2, positionEmbedding: false, ...mambaBlock };
  }
}

const scalarHead: HeadSpec = { name: 'y', dim: 1, loss: 'mse', metric: 'squared-error', normalisation: 1 };
const linearIn: ReadIn = { kind: 'linear', tokenDim: 3 };
const cotIn: ReadIn = { kind: 'linear-per-kind', tokenDims: [3, 2, 1] };
const cotHeads: HeadSpec[] = [
  { name: 's', dim: 2, loss: 'mse', metric: 'squared-error', normalisation: 1 },
  { name: 'y', dim: 1, loss: 'mse', metric: 'squared-error', normalisation: 1 },
];
const tokenIn: ReadIn = { kind: 'embedding', vocabSize: 6 };
const tokenHeads: HeadSpec[] = [
  { name: 'token', dim: 6, loss: 'cross-entropy', metric: 'token-accuracy', normalisation: 1 },
];

interface Prompt {
  tokens: Float64Array;
  bt: number;
  l: number;
  tokenDim: number;
  kinds: Uint8Array;
}

function prompt(readIn: ReadIn, bt: number, l: number, seed: number): Prompt {
  const rng = new Rng(seed);
  if (readIn.kind === 'embedding') {
    const tokens = Float64Array.from({ length: bt * l }, () => rng.int(readIn.vocabSize));
    return { tokens, bt, l, tokenDim: 1, kinds: new Uint8Array(l) };
  }
  const tokenDim = readIn.kind === 'linear' ? readIn.tokenDim : Math.max(...readIn.tokenDims);
  const kinds = new Uint8Array(l);
  const tokens = randomArray(rng, bt * l * tokenDim);
  if (readIn.kind === 'linear-per-kind') {
    for (let t = 0; t < l; t++) {
      kinds[t] = t % readIn.tokenDims.length;
      // zero the padding features of shorter kinds, as a task would
      for (let b = 0; b < bt; b++) {
        for (let i = readIn.tokenDims[kinds[t]]; i < tokenDim; i++) tokens[(b * l + t) * tokenDim + i] = 0;
      }
    }
  }
  return { tokens, bt, l, tokenDim, kinds };
}

const tokensTensor = (p: Prompt) => tf.tensor3d(Float32Array.from(p.tokens), [p.bt, p.l, p.tokenDim]);

/** Randomise a model's weights (init + noise, float32), return them as float64 too. */
function randomise(model: SequenceModel, seed: number): Map<string, Float64Array> {
  const values = randomParams(model.specs, seed, 0.2, {
    'dt_proj.bias': normalValues(0, 1),
    'kernel.log_dt': uniformValues(-2, 0),
  });
  model.setWeights(new Map([...values].map(([k, v]) => [k, Float32Array.from(v)])));
  return values;
}

function forwardAll(model: SequenceModel, p: Prompt): Float32Array[] {
  const outs = model.forward(tokensTensor(p), p.kinds);
  const data = outs.map((o) => o.dataSync().slice() as Float32Array);
  outs.forEach((o) => {
    o.dispose();
  });
  return data;
}

const CASES: Array<{ arch: ArchKind; readIn: ReadIn; heads: HeadSpec[] }> = [
  ...ARCH_KINDS.map((arch) => ({ arch, readIn: linearIn, heads: [scalarHead] })),
  { arch: 'mambaformer', readIn: cotIn, heads: cotHeads },
  { arch: 'transformer', readIn: cotIn, heads: cotHeads },
  { arch: 'transformer', readIn: tokenIn, heads: tokenHeads },
  { arch: 'mamba', readIn: tokenIn, heads: tokenHeads },
];

describe('models match the float64 reference', () => {
  for (const c of CASES) {
    it(`${c.arch} with a '${c.readIn.kind}' read-in`, () => {
      const model = buildModel(tinyConfig(c.arch), c.readIn, c.heads, 3);
      const values = randomise(model, 4);
      for (const l of [1, 7]) {
        const p = prompt(c.readIn, 2, l, 10 + l);
        const outs = forwardAll(model, p);
        const ref = forwardModel64(
          model.config,
          c.readIn,
          c.heads,
          getter64(values),
          p.tokens,
          p.bt,
          l,
          p.tokenDim,
          p.kinds,
        );
        outs.forEach((o, i) => {
          expect(o.length).toBe(p.bt * l * c.heads[i].dim);
          expect(relativeError(o, ref[i])).toBeLessThan(1e-5);
        });
      }
      model.dispose();
    });
  }

  it('reads out at the given positions only', () => {
    const model = buildModel(tinyConfig('mambaformer'), cotIn, cotHeads, 3);
    const p = prompt(cotIn, 2, 9, 1);
    const all = forwardAll(model, p);
    const positions = [Int32Array.from([0, 3, 6]), Int32Array.from([1, 4, 7])];
    const outs = model.forward(tokensTensor(p), p.kinds, positions);
    outs.forEach((o, i) => {
      const dim = cotHeads[i].dim;
      expect(o.shape).toEqual([2, 3, dim]);
      const got = o.dataSync();
      for (let b = 0; b < 2; b++) {
        positions[i].forEach((pos, j) => {
          for (let k = 0; k < dim; k++)
            expect(got[(b * 3 + j) * dim + k]).toBe(all[i][(b * 9 + pos) * dim + k]);
        });
      }
      o.dispose();
    });
    model.dispose();
  });
});

describe('every architecture is causal', () => {
  for (const arch of ARCH_KINDS) {
    it(arch, () => {
      const model = buildModel(tinyConfig(arch), linearIn, [scalarHead], 5);
      randomise(model, 6);
      const p = prompt(linearIn, 1, 9, 2);
      const base = forwardAll(model, p)[0];
      for (const t0 of [0, 3, 8]) {
        const moved = { ...p, tokens: Float64Array.from(p.tokens) };
        for (let i = 0; i < p.tokenDim; i++) moved.tokens[t0 * p.tokenDim + i] += 1;
        const out = forwardAll(model, moved)[0];
        for (let t = 0; t < t0; t++)
          expect(out[t], `position ${t} moved when token ${t0} changed`).toBe(base[t]);
        expect(Math.abs(out[t0] - base[t0])).toBeGreaterThan(1e-6);
      }
      model.dispose();
    });
  }
});

describe('gradients of whole models vs float64 finite differences', () => {
  const gradCases: Array<{ arch: ArchKind; readIn: ReadIn; heads: HeadSpec[] }> = [
    { arch: 'mambaformer', readIn: cotIn, heads: cotHeads },
    { arch: 'hybrid', readIn: linearIn, heads: [scalarHead] },
    { arch: 'transformer', readIn: tokenIn, heads: tokenHeads },
    { arch: 's4', readIn: linearIn, heads: [scalarHead] },
    { arch: 's4-mamba', readIn: linearIn, heads: [scalarHead] },
  ];
  for (const c of gradCases) {
    it(`${c.arch} with a '${c.readIn.kind}' read-in: every variable`, () => {
      const config = tinyConfig(c.arch, 4);
      const model = buildModel(
        config.arch === 'transformer' || config.arch === 'hybrid' || config.arch === 'mambaformer'
          ? { ...config, nHead: 2 }
          : config,
        c.readIn,
        c.heads,
        7,
      );
      const values = randomise(model, 8);
      const p = prompt(c.readIn, 1, 5, 3);
      const weights = c.heads.map((h, i) => randomArray(new Rng(20 + i), p.l * h.dim));
      const specs = model.specs;
      const settings = {
        config: model.config,
        readIn: c.readIn,
        heads: c.heads,
        selectiveScan: selectiveScanReference,
      };
      const result = checkGradients({
        names: specs.map((s) => s.name),
        shapes: specs.map((s) => s.shape),
        values: specs.map((s) => values.get(s.name)!),
        tfLoss: (ts) => {
          const m = new Map(specs.map((s, i) => [s.name, ts[i]]));
          const outs = forwardModel(settings, getterOf(m), tokensTensor(p), p.kinds);
          return tf.addN(
            outs.map((o, i) => o.mul(tf.tensor(Float32Array.from(weights[i]), o.shape)).sum()),
          ) as tf.Scalar;
        },
        refLoss: (vals) => {
          const m = new Map(specs.map((s, i) => [s.name, vals[i]]));
          const outs = forwardModel64(
            model.config,
            c.readIn,
            c.heads,
            getter64(m),
            p.tokens,
            1,
            p.l,
            p.tokenDim,
            p.kinds,
          );
          return outs.reduce((acc, o, i) => acc + o.reduce((a, v, j) => a + v * weights[i][j], 0), 0);
        },
      });
      expect(result.worstRatio, result.worstEntry).toBeLessThanOrEqual(1);
      // Every parameter gets a gradient (the embedding rows of absent tokens may legitimately be 0).
      expect(result.zeroGradients).toEqual([]);
      model.dispose();
    });
  }

  it('variableGrads through model.forward reaches every variable', () => {
    const model = buildModel(tinyConfig('mambaformer'), linearIn, [scalarHead], 1);
    const p = prompt(linearIn, 2, 6, 1);
    const { value, grads } = tf.variableGrads(
      () => model.forward(tokensTensor(p), p.kinds)[0].square().mean() as tf.Scalar,
    );
    expect(Object.keys(grads).length).toBe(model.variables.size);
    for (const g of Object.values(grads)) expect(Number.isFinite(g.sum().dataSync()[0])).toBe(true);
    value.dispose();
    Object.values(grads).forEach((g) => {
      g.dispose();
    });
    model.dispose();
  });
});

describe('probes', () => {
  it('attention maps are causal row-stochastic; Mamba traces are consistent', async () => {
    const model = buildModel(tinyConfig('mambaformer'), linearIn, [scalarHead], 2);
    randomise(model, 3);
    const p = prompt(linearIn, 2, 7, 4);
    const before = tf.memory().numTensors;
    const result = await model.probe(tokensTensor(p), p.kinds, { index: 1 });
    expect(tf.memory().numTensors).toBe(before + 1); // only the tokens tensor made here
    expect(result.layers.map((x) => x.kind)).toEqual(['mamba', 'attention', 'mamba']);
    const l = 7;
    for (const layer of result.layers) {
      if (layer.kind === 'attention') {
        expect(layer.weights.length).toBe(layer.nHead * l * l);
        for (let h = 0; h < layer.nHead; h++) {
          for (let t = 0; t < l; t++) {
            let sum = 0;
            for (let s = 0; s < l; s++) {
              const w = layer.weights[(h * l + t) * l + s];
              if (s > t) expect(w).toBe(0);
              sum += w;
            }
            expect(sum).toBeCloseTo(1, 5);
          }
        }
      } else if (layer.kind === 'mamba') {
        expect(layer.delta.length).toBe(l * layer.dInner);
        expect(layer.stateNorm.length).toBe(l);
        expect(layer.implicitAttention?.length).toBe(l * l);
        for (const v of layer.delta) expect(v).toBeGreaterThan(0);
      }
    }
    // the probe's outputs are the forward's outputs of prompt 1
    const all = forwardAll(model, p)[0];
    expect(relativeError(result.outputs[0], all.slice(l, 2 * l))).toBeLessThan(1e-6);
    model.dispose();
  });

  it('S4 probes give the kernel per channel', async () => {
    const model = buildModel(tinyConfig('s4-mamba'), linearIn, [scalarHead], 2);
    const p = prompt(linearIn, 1, 5, 4);
    const result = await model.probe(tokensTensor(p), p.kinds);
    expect(result.layers.map((x) => x.kind)).toEqual(['s4', 's4']);
    const first = result.layers[0];
    if (first.kind !== 's4') throw new Error('expected s4');
    expect(first.channels).toBe(16);
    expect(first.kernel.length).toBe(16 * 5);
    model.dispose();
  });

  it('implicit attention reproduces the scan output; state norms match the recurrence', () => {
    const rng = new Rng(5);
    const l = 6;
    const di = 3;
    const n = 4;
    const u = randomArray(rng, l * di);
    const delta = randomArray(rng, l * di).map((v) => Math.log1p(Math.exp(v)));
    const A = Float64Array.from({ length: di * n }, (_, i) => -((i % n) + 1) * 0.5);
    const B = randomArray(rng, l * n);
    const C = randomArray(rng, l * n);
    const zeroD = new Float64Array(di);
    const y = selectiveScan64(1, l, di, n, u, delta, A, B, C, zeroD);
    const inputs = { seqLen: l, dInner: di, dState: n, u, delta, A, B, C };
    for (let d = 0; d < di; d++) {
      const alpha = mambaImplicitAttention(inputs, [d]);
      for (let t = 0; t < l; t++) {
        let acc = 0;
        for (let s = 0; s < l; s++) {
          if (s > t) expect(alpha[t * l + s]).toBe(0);
          acc += alpha[t * l + s] * u[s * di + d];
        }
        expect(acc).toBeCloseTo(y[t * di + d], 10);
      }
    }
    // ||h_t|| by brute force: h_t[d, n] = sum_{s<=t} exp(A sum_{k=s+1..t} Delta_k) Delta_s B_s u_s
    const norms = mambaStateNorms(inputs);
    for (let t = 0; t < l; t++) {
      let total = 0;
      for (let d = 0; d < di; d++) {
        for (let k = 0; k < n; k++) {
          let h = 0;
          for (let s = 0; s <= t; s++) {
            let sum = 0;
            for (let j = s + 1; j <= t; j++) sum += delta[j * di + d];
            h += Math.exp(A[d * n + k] * sum) * delta[s * di + d] * B[s * n + k] * u[s * di + d];
          }
          total += h * h;
        }
      }
      expect(norms.stateNorm[t]).toBeCloseTo(Math.sqrt(total), 4);
    }
  });
});

describe('model object', () => {
  it('same seed, same weights; another seed, other weights', async () => {
    const a = buildModel(tinyConfig('hybrid'), linearIn, [scalarHead], 9);
    const b = buildModel(tinyConfig('hybrid'), linearIn, [scalarHead], 9);
    const c = buildModel(tinyConfig('hybrid'), linearIn, [scalarHead], 10);
    const [wa, wb, wc] = await Promise.all([a.getWeights(), b.getWeights(), c.getWeights()]);
    for (const [name, v] of wa) {
      expect(wb.get(name)).toEqual(v);
      if (!/norm|bias|\.D$|A_log|A_imag|log_A_real/.test(name)) expect(wc.get(name)).not.toEqual(v);
    }
    [a, b, c].forEach((m) => {
      m.dispose();
    });
  });

  it('getWeights / setWeights round trip, no tensor leak', async () => {
    const model = buildModel(tinyConfig('mamba'), linearIn, [scalarHead], 1);
    const before = tf.memory().numTensors;
    const w = await model.getWeights();
    const scaled = new Map([...w].map(([k, v]) => [k, v.map((x) => 2 * x)]));
    model.setWeights(scaled);
    const back = await model.getWeights();
    for (const [k, v] of scaled) expect(back.get(k)).toEqual(v);
    const p = prompt(linearIn, 2, 5, 1);
    const x = tokensTensor(p);
    const outs = model.forward(x, p.kinds);
    outs.forEach((o) => {
      o.dispose();
    });
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => model.setWeights(new Map([['nope', new Float32Array(1)]]))).toThrow(/unknown/);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before - model.variables.size);
  });

  it('rejects sequences longer than the position embedding and invalid configs', () => {
    const model = buildModel(tinyConfig('transformer'), linearIn, [scalarHead], 1);
    const p = prompt(linearIn, 1, 17, 1);
    expect(() => model.forward(tokensTensor(p), p.kinds)).toThrow(/longer than the 16 learned positions/);
    model.dispose();
    expect(() =>
      buildModel({ ...tinyConfig('transformer'), nHead: 3 } as ArchConfig, linearIn, [scalarHead], 1),
    ).toThrow(/multiple of nHead/);
    expect(() => buildModel(tinyConfig('s4'), linearIn, [], 1)).toThrow(/at least one/);
  });

  it('builds from the experiment settings', () => {
    const config = archConfigFromSettings(
      {
        arch: 'mambaformer',
        dModel: 16,
        nLayer: 4,
        nHead: 4,
        dState: 8,
        dConv: 4,
        expand: 2,
        positionEmbedding: false,
      },
      64,
    );
    const model = buildModel(config, linearIn, [scalarHead], 1);
    expect(model.blocks.map((b) => b.kind)).toEqual(['mamba', 'attention', 'mamba', 'attention', 'mamba']);
    expect(model.variables.has('_backbone.layers.0.mixer.in_proj.weight')).toBe(true);
    expect(model.variables.has('_backbone.layers.1.mixer.c_attn.weight')).toBe(true);
    expect(model.variables.has('wpe.weight')).toBe(false);
    model.dispose();
  });
});
