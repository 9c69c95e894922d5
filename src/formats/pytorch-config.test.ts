import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tinyExperiment } from '../train/test-experiments';
import { pytorchConfig, pytorchConfigYaml, toYaml, YamlFloat } from './pytorch-config';

/** Parse our YAML back with an independent parser (yaml 1.2 core; floats as written). */
function parsed(text: string): Record<string, unknown> {
  return parse(text) as Record<string, unknown>;
}

describe("the authors' training config (Continue in PyTorch)", () => {
  it('linear regression, Transformer: every key of their schema that we know, parsed back', () => {
    const e = tinyExperiment(
      ['transformer', 'mambaformer'],
      { seed: 7, optimizer: { lr: 1e-4 } },
      'linear-regression',
      {
        d: 5,
        nPoints: 11,
      },
    );
    const text = pytorchConfigYaml(e, 0);
    if (text instanceof Error) throw text;
    const y = parsed(text);
    expect(Object.keys(y).sort()).toEqual(['inherit', 'model', 'out_dir', 'training', 'wandb']);
    expect(y.inherit).toEqual(['wandb.yaml']);
    expect(y.model).toEqual({
      family: 'gpt2',
      n_embd: 8,
      n_layer: 1,
      n_head: 2,
      n_dims: 5,
      n_positions: 11,
      interleave: true,
    });
    const training = y.training as Record<string, unknown>;
    expect(training.task).toBe('linear_regression');
    expect(training.task_kwargs).toEqual({});
    expect(training.data).toBe('gaussian');
    expect(training.batch_size).toBe(4);
    expect(training.learning_rate).toBe(1e-4);
    expect(training.gradient_clip).toBe(e.clip ?? Number.POSITIVE_INFINITY);
    // floats of their schema keep a decimal point (PyYAML would read 10 as an int)
    expect(text).toMatch(/gradient_clip: (\d+\.\d+|\.inf)\n/);
    expect(training.train_steps).toBe(50);
    expect(training.curriculum).toEqual({
      dims: { ...e.curriculum!.dims },
      points: { ...e.curriculum!.points },
    });
    expect(text).toMatch(/^# .*krafton-ai\/mambaformer-icl/);
    expect(text).toContain('# not in this config: ICL Lab seed 7');
    const mf = parsed(pytorchConfigYaml(e, 1) as string);
    expect(mf.model).toMatchObject({ family: 'tf-mamba', mixed_attn: 'mambaformer', n_head: 2 });
  });

  it('maps tasks, sampler arguments and families as their configs do', () => {
    const outl = tinyExperiment(['s4-mamba'], {}, 'orthogonal-outlier-regression', { d: 4, nPoints: 8 });
    const c = pytorchConfig(outl, 0);
    if (c instanceof Error) throw c;
    const t = c.config.training as Record<string, unknown>;
    expect(t.task).toBe('filter_ortho_linear_regression');
    expect(t.data).toBe('filter');
    expect(t.data_sampler_kwargs).toEqual({ prob: new YamlFloat(0.5) });
    expect((c.config.model as Record<string, unknown>).family).toBe('s4-mamba');
    expect((c.config.model as Record<string, unknown>).n_head).toBeUndefined();
    // d_state 4 in the tiny model: not expressible, noted
    expect(c.notes.some((n) => n.startsWith('d_state 4'))).toBe(true);

    const parity = pytorchConfig(
      tinyExperiment(['hybrid'], {}, 'sparse-parity', { d: 6, nPoints: 20, k: 2 }),
      0,
    );
    if (parity instanceof Error) throw parity;
    expect(parity.config.training).toMatchObject({
      task: 'sparse_parity',
      data: 'sparse_parity_sampler',
      task_kwargs: { k: 2 },
    });
    expect(parity.config.model).toMatchObject({ family: 'tf-mamba', mixed_attn: 'standard', n_dims: 6 });
    expect(parity.notes).toContain('hidden subset drawn per prompt (their code: one per batch)');

    const mqar = pytorchConfig(tinyExperiment(['mamba'], {}, 'vector-mqar', { d: 4, pairs: 8 }), 0);
    if (mqar instanceof Error) throw mqar;
    expect(mqar.config.model).toMatchObject({ family: 'mamba', interleave: false, n_positions: 18 });
    expect((mqar.config.training as Record<string, unknown>).task).toBe('retrieval');

    const s4 = pytorchConfig(
      tinyExperiment(['s4'], {}, 'sparse-linear-regression', { d: 4, nPoints: 8, k: 2 }),
      0,
    );
    if (s4 instanceof Error) throw s4;
    expect(s4.config.model).toMatchObject({ family: 's4d' });
    expect(s4.config.training).toMatchObject({
      task: 'sparse_linear_regression',
      task_kwargs: { sparsity: 2 },
    });

    const cot = pytorchConfig(tinyExperiment(['mamba'], {}, 'chain-of-thought', { d: 3, nPoints: 4 }), 0);
    expect(cot).toBeInstanceOf(Error);
  });

  it('writes floats PyYAML reads as floats, infinity, empty maps and quoted strings', () => {
    const text = toYaml({
      a: 1e-7,
      b: 0.0001,
      c: Number.POSITIVE_INFINITY,
      d: {},
      e: 'x: y',
      f: true,
      g: 3e21,
    });
    expect(text).toBe('a: 1.0e-7\nb: 0.0001\nc: .inf\nd: {}\ne: "x: y"\nf: true\ng: 3.0e+21');
    expect(parse(text)).toEqual({
      a: 1e-7,
      b: 0.0001,
      c: Number.POSITIVE_INFINITY,
      d: {},
      e: 'x: y',
      f: true,
      g: 3e21,
    });
  });
});
