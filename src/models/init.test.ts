/**
 * The initialisation follows paper.md section 4 / the authors' code, at the paper's size
 * (D = 128, d = 20). Values come from the specs alone (no tensors).
 */
import { describe, expect, it } from 'vitest';
import type { HeadSpec, ReadIn } from '../tasks/types';
import { type ArchKind, paperArchConfig } from './config';
import { modelParamSpecs } from './model';
import { initialValues } from './params';

const readIn: ReadIn = { kind: 'linear', tokenDim: 20 };
const heads: HeadSpec[] = [{ name: 'y', dim: 1, loss: 'mse', metric: 'squared-error', normalisation: 20 }];

function values(arch: ArchKind, seed = 1): Map<string, Float32Array> {
  const specs = modelParamSpecs(paperArchConfig(arch), readIn, heads);
  return new Map(specs.map((s) => [s.name, initialValues(s, seed)]));
}

const maxAbs = (v: Float32Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
const std = (v: ArrayLike<number>) => {
  const m = mean(v);
  return Math.sqrt(Array.from(v).reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

/** Values within +-bound and reaching close to it (a uniform, not something narrower). */
function expectUniform(v: Float32Array, bound: number) {
  expect(maxAbs(v)).toBeLessThanOrEqual(Math.fround(bound));
  expect(maxAbs(v)).toBeGreaterThan(0.9 * bound);
  expect(Math.abs(mean(v))).toBeLessThan(0.1 * bound);
}

describe('Mamba block init (paper.md section 4)', () => {
  const w = values('mamba');
  const p = '_backbone.layers.0.mixer.';
  const D = 128;
  const Di = 256;
  const N = 16;
  const R = 8;

  it('A_log[d, n] = ln(n + 1), D = 1', () => {
    const aLog = w.get(`${p}A_log`)!;
    expect(aLog.length).toBe(Di * N);
    for (let d = 0; d < Di; d += 37)
      for (let n = 0; n < N; n++) expect(aLog[d * N + n]).toBeCloseTo(Math.log(n + 1), 6);
    expect([...w.get(`${p}D`)!].every((x) => x === 1)).toBe(true);
  });

  it('dt_proj.bias = softplus^-1(dt), dt log-uniform in [1e-3, 1e-1]', () => {
    const bias = w.get(`${p}dt_proj.bias`)!;
    const dt = [...bias].map((b) => Math.log1p(Math.exp(b)));
    for (const x of dt) {
      expect(x).toBeGreaterThanOrEqual(1e-3 * (1 - 1e-5));
      expect(x).toBeLessThanOrEqual(1e-1 * (1 + 1e-5));
    }
    // log-uniform: ln dt has mean (ln 1e-3 + ln 1e-1) / 2
    expect(mean(dt.map(Math.log))).toBeCloseTo((Math.log(1e-3) + Math.log(1e-1)) / 2, 0);
  });

  it('linear weights PyTorch default, dt_proj U(+-R^-1/2), conv U(+-1/2), out_proj / sqrt(n_layer)', () => {
    expectUniform(w.get(`${p}in_proj.weight`)!, 1 / Math.sqrt(D));
    expectUniform(w.get(`${p}x_proj.weight`)!, 1 / Math.sqrt(Di));
    expectUniform(w.get(`${p}dt_proj.weight`)!, 1 / Math.sqrt(R));
    expectUniform(w.get(`${p}conv1d.weight`)!, 0.5);
    expectUniform(w.get(`${p}conv1d.bias`)!, 0.5);
    expectUniform(w.get(`${p}out_proj.weight`)!, 1 / Math.sqrt(Di) / Math.sqrt(4));
  });

  it('LayerNorms 1 / 0; read-in and read-out PyTorch default', () => {
    for (const name of ['_backbone.layers.2.norm.weight', '_backbone.norm_f.weight']) {
      expect([...w.get(name)!].every((x) => x === 1)).toBe(true);
    }
    for (const name of ['_backbone.layers.2.norm.bias', '_backbone.norm_f.bias']) {
      expect([...w.get(name)!].every((x) => x === 0)).toBe(true);
    }
    expectUniform(w.get('_read_in.weight')!, 1 / Math.sqrt(20));
    expectUniform(w.get('_read_in.bias')!, 1 / Math.sqrt(20));
    expectUniform(w.get('_read_out.weight')!, 1 / Math.sqrt(D));
  });
});

describe('attention init', () => {
  it('GPT-2: N(0, 0.02), c_proj N(0, 0.02 / sqrt(2 n_layer)), wpe N(0, 0.02), biases 0', () => {
    const w = values('transformer');
    expect(std(w.get('_backbone.h.0.attn.c_attn.weight')!)).toBeCloseTo(0.02, 3);
    expect(std(w.get('_backbone.h.1.mlp.c_fc.weight')!)).toBeCloseTo(0.02, 3);
    expect(std(w.get('_backbone.h.0.attn.c_proj.weight')!)).toBeCloseTo(0.02 / 2, 3);
    expect(std(w.get('_backbone.h.1.mlp.c_proj.weight')!)).toBeCloseTo(0.02 / 2, 3);
    expect(std(w.get('_backbone.wpe.weight')!)).toBeCloseTo(0.02, 3);
    expect(maxAbs(w.get('_backbone.h.0.attn.c_attn.bias')!)).toBe(0);
    expect(maxAbs(w.get('_backbone.h.0.mlp.c_fc.bias')!)).toBe(0);
  });

  it('hybrid attention: PyTorch-default weights, zero biases, wpe N(0, 1)', () => {
    const w = values('hybrid');
    expectUniform(w.get('_backbone.layers.0.mixer.c_attn.weight')!, 1 / Math.sqrt(128));
    expectUniform(w.get('_backbone.layers.0.mixer.c_proj.weight')!, 1 / Math.sqrt(128));
    expect(maxAbs(w.get('_backbone.layers.0.mixer.c_attn.bias')!)).toBe(0);
    expect(std(w.get('wpe.weight')!)).toBeCloseTo(1, 1);
  });
});

describe('S4D init', () => {
  it('log_A_real = ln 0.5, A_imag = pi n, log_dt in [ln 1e-3, ln 1e-1], C complex N(0, 1), D N(0, 1)', () => {
    const w = values('s4');
    const p = '_backbone.layers.0.mixer.s4.';
    expect([...w.get(`${p}kernel.log_A_real`)!].every((x) => x === Math.fround(Math.log(0.5)))).toBe(true);
    const aImag = w.get(`${p}kernel.A_imag`)!;
    for (let h = 0; h < 128; h += 31)
      for (let n = 0; n < 8; n++) expect(aImag[h * 8 + n]).toBeCloseTo(Math.PI * n, 5);
    for (const x of w.get(`${p}kernel.log_dt`)!) {
      expect(x).toBeGreaterThanOrEqual(Math.log(1e-3) - 1e-6);
      expect(x).toBeLessThanOrEqual(Math.log(1e-1) + 1e-6);
    }
    const c = w.get(`${p}kernel.C`)!;
    expect(mean(Array.from(c, (x) => x * x)) * 2).toBeCloseTo(1, 1); // E|C|^2 = 1
    expect(std(w.get(`${p}D`)!)).toBeCloseTo(1, 0);
    expectUniform(w.get(`${p}output_linear.0.weight`)!, 1 / Math.sqrt(128));
  });

  it('S4-Mamba: S4D on the inner width, out_proj / sqrt(n_layer)', () => {
    const w = values('s4-mamba');
    const p = '_backbone.layers.3.mixer.';
    expect(w.get(`${p}S4DMamba.kernel.C`)!.length).toBe(256 * 8 * 2);
    expectUniform(w.get(`${p}out_proj.weight`)!, 1 / Math.sqrt(256) / 2);
  });
});

it('initial values depend on the seed and the name only', () => {
  const a = values('mambaformer', 3);
  const b = values('mambaformer', 3);
  const c = values('mambaformer', 4);
  for (const [name, v] of a) expect(b.get(name)).toEqual(v);
  expect(c.get('_backbone.layers.0.mixer.in_proj.weight')).not.toEqual(
    a.get('_backbone.layers.0.mixer.in_proj.weight'),
  );
  // the two Mamba blocks differ although their specs are the same
  expect(a.get('_backbone.layers.0.mixer.in_proj.weight')).not.toEqual(
    a.get('_backbone.layers.2.mixer.in_proj.weight'),
  );
});
