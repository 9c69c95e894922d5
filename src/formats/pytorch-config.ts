/**
 * "Continue in PyTorch": one model of an experiment as a training config of the authors' code
 * (krafton-ai/mambaformer-icl, src/conf/*.yaml, checked by its src/schema.py): model family and
 * sizes, task and its arguments, data sampler, batch, learning rate, clip, steps and curriculum.
 * With the `<model>.safetensors` beside it (docs/CHECKPOINTS.md) a run can go on in PyTorch.
 *
 * What their config cannot say (our seed, warm-up, Adam betas other than the defaults, Mamba's
 * d_state / d_conv / expand, fixed at 16 / 4 / 2 in their code) is listed in `notes` and written as
 * comments at the top of the YAML. Tasks without a counterpart in their code (chain-of-thought is
 * Li et al.'s separate code; token MQAR is Zoology's) have no config: `pytorchConfig` says why.
 *
 * The YAML is emitted by a small writer of nested maps of scalars (no dependency).
 */
import type { ModelSpec } from '../schema/architecture';
import type { Experiment } from '../schema/experiment';
import type { TaskName } from '../tasks/types';

/** A number their schema types as float (`tfloat`): always written with a decimal point. */
export class YamlFloat {
  constructor(readonly value: number) {}
}

type Scalar = string | number | boolean | null | YamlFloat;
export interface YamlMap {
  [key: string]: Scalar | YamlMap | readonly string[];
}

export interface PytorchConfig {
  /** the config as plain data, in their schema's keys */
  config: YamlMap;
  /** what differs from our run and the config cannot express */
  notes: string[];
}

/** Their name of each architecture: `model.family` (+ `mixed_attn` for the hybrids). */
const FAMILY: Record<ModelSpec['arch'], { family: string; mixedAttn?: string }> = {
  transformer: { family: 'gpt2' },
  mamba: { family: 'mamba' },
  mambaformer: { family: 'tf-mamba', mixedAttn: 'mambaformer' },
  hybrid: { family: 'tf-mamba', mixedAttn: 'standard' },
  s4: { family: 's4d' },
  's4-mamba': { family: 's4-mamba' },
};

interface TaskMapping {
  task: string;
  data: string;
  taskKwargs: YamlMap;
  samplerKwargs?: YamlMap;
  /** x and y as separate tokens (true) or the raw sequence (retrieval) */
  interleave: boolean;
}

/** Our task -> their task, data sampler and arguments; null: no counterpart (with the reason). */
function taskMapping(name: TaskName, params: Record<string, unknown>): TaskMapping | string {
  const n = (k: string) => params[k] as number;
  switch (name) {
    case 'linear-regression':
      return { task: 'linear_regression', data: 'gaussian', taskKwargs: {}, interleave: true };
    case 'sparse-linear-regression':
      return {
        task: 'sparse_linear_regression',
        data: 'gaussian',
        taskKwargs: { sparsity: n('k') },
        interleave: true,
      };
    case 'relu-nn-regression':
      return {
        task: 'relu_2nn_regression',
        data: 'gaussian',
        taskKwargs: { hidden_layer_size: n('hidden') },
        interleave: true,
      };
    case 'decision-tree':
      return { task: 'decision_tree', data: 'gaussian', taskKwargs: { depth: n('depth') }, interleave: true };
    case 'orthogonal-outlier-regression':
      return {
        task: 'filter_ortho_linear_regression',
        data: 'filter',
        taskKwargs: {},
        samplerKwargs: { prob: new YamlFloat(n('p')) },
        interleave: true,
      };
    case 'many-outlier-regression':
      return {
        task: 'filter_linear_regression',
        data: 'filter',
        taskKwargs: {},
        samplerKwargs: { prob: new YamlFloat(n('p')) },
        interleave: true,
      };
    case 'sparse-parity':
      return {
        task: 'sparse_parity',
        data: 'sparse_parity_sampler',
        taskKwargs: { k: n('k') },
        interleave: true,
      };
    case 'vector-mqar':
      return { task: 'retrieval', data: 'gaussian_for_retrieval', taskKwargs: {}, interleave: false };
    case 'chain-of-thought':
      return "chain-of-thought is not in the authors' code (Li et al.'s Dissecting-CoT has its own trainer)";
    case 'token-mqar':
      return "token MQAR is not in the authors' code (it comes from Zoology)";
  }
}

/** The paper's data dimension of a task: `n_dims` (d). */
function nDims(params: Record<string, unknown>): number {
  return params.d as number;
}

/**
 * The authors' config for model `index` of `experiment`. Returns the reason as an Error when the
 * task has no counterpart in their code.
 */
export function pytorchConfig(experiment: Experiment, index: number): PytorchConfig | Error {
  const spec = experiment.models[index];
  if (!spec) return new Error(`the experiment has no model ${index}`);
  const params = experiment.task.params as Record<string, unknown>;
  const mapping = taskMapping(experiment.task.name, params);
  if (typeof mapping === 'string') return new Error(mapping);
  const curriculum = experiment.curriculum!;
  const { family, mixedAttn } = FAMILY[spec.arch];
  const attention = spec.arch === 'transformer' || spec.arch === 'hybrid' || spec.arch === 'mambaformer';
  const pairs = params.pairs as number | undefined;
  // interleaved prompts: n_positions = examples (their GPT-2 makes 2 x n_positions rows);
  // retrieval: the raw sequence of 2 P + 1 tokens, as their retrieval.yaml (130 for 64 pairs)
  const nPositions = mapping.interleave ? curriculum.points.end : 2 * (pairs ?? curriculum.points.end) + 2;
  const model: YamlMap = {
    family,
    n_embd: spec.dModel,
    n_layer: spec.nLayer,
    ...(attention ? { n_head: spec.nHead } : {}),
    n_dims: nDims(params),
    n_positions: nPositions,
    interleave: mapping.interleave,
    ...(mixedAttn ? { mixed_attn: mixedAttn } : {}),
  };
  const steps = experiment.steps!;
  const schedule = (s: { start: number; end: number; inc: number; interval: number }): YamlMap => ({
    start: s.start,
    end: s.end,
    inc: s.inc,
    interval: s.interval,
  });
  const training: YamlMap = {
    task: mapping.task,
    task_kwargs: mapping.taskKwargs,
    data: mapping.data,
    ...(mapping.samplerKwargs ? { data_sampler_kwargs: mapping.samplerKwargs } : {}),
    batch_size: experiment.batchSize,
    learning_rate: new YamlFloat(experiment.optimizer.lr!),
    gradient_clip: new YamlFloat(experiment.clip ?? Number.POSITIVE_INFINITY),
    train_steps: steps,
    save_every_steps: Math.max(1, Math.min(steps, 1000)),
    keep_every_steps: -1,
    curriculum: { dims: schedule(curriculum.dims), points: schedule(curriculum.points) },
  };
  const tag = `icl-lab-${experiment.task.name}-${spec.arch}-seed${experiment.seed}`;
  const config: YamlMap = {
    inherit: ['wandb.yaml'],
    model,
    training,
    out_dir: `../models/${tag}`,
    wandb: { name: tag },
  };
  const notes: string[] = [`ICL Lab seed ${experiment.seed} (the released code draws its own seeds)`];
  const o = experiment.optimizer;
  if (o.warmupSteps > 0)
    notes.push(`learning-rate warm-up over ${o.warmupSteps} steps (their code: constant)`);
  if (o.beta1 !== 0.9 || o.beta2 !== 0.999 || o.eps !== 1e-8)
    notes.push(`Adam beta1 ${o.beta1}, beta2 ${o.beta2}, eps ${o.eps} (their code: 0.9, 0.999, 1e-8)`);
  if (spec.arch !== 'transformer' && (spec.dState !== 16 || spec.dConv !== 4 || spec.expand !== 2))
    notes.push(
      `d_state ${spec.dState}, d_conv ${spec.dConv}, expand ${spec.expand} (fixed at 16, 4, 2 in their code)`,
    );
  if (experiment.task.name === 'sparse-parity' && params.subsetPerPrompt === true)
    notes.push('hidden subset drawn per prompt (their code: one per batch)');
  if (experiment.task.name === 'orthogonal-outlier-regression' && params.outlierMode !== 'released-code')
    notes.push(`outliers built '${String(params.outlierMode)}' (their code: 'released-code')`);
  if (experiment.task.name === 'vector-mqar' && params.metric !== 'released-key-match')
    notes.push('recall scored by the nearest value (their code: key match)');
  if (spec.positionEmbedding !== (spec.arch === 'transformer' || spec.arch === 'hybrid'))
    notes.push(
      `position embedding ${spec.positionEmbedding ? 'on' : 'off'} (their code fixes it per family)`,
    );
  return { config, notes };
}

function scalar(v: Scalar): string {
  if (v instanceof YamlFloat) {
    const text = scalar(v.value);
    return /^-?\d+$/.test(text) ? `${text}.0` : text;
  }
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (v === Number.POSITIVE_INFINITY) return '.inf';
    if (v === Number.NEGATIVE_INFINITY) return '-.inf';
    if (Number.isNaN(v)) return '.nan';
    // YAML 1.1 (PyYAML) reads 1e-4 as a string: keep a dot in the mantissa of exponent forms
    const text = String(v);
    return /e/.test(text) && !/\./.test(text.split('e')[0]) ? text.replace('e', '.0e') : text;
  }
  return JSON.stringify(v);
}

/** A nested map of scalars (and lists of strings) as block YAML, 4 spaces per level as theirs. */
export function toYaml(map: YamlMap, indent = 0): string {
  const pad = ' '.repeat(indent);
  return Object.entries(map)
    .map(([key, value]) => {
      if (Array.isArray(value)) {
        return `${pad}${key}:\n${value.map((v) => `${pad}    - ${JSON.stringify(v)}`).join('\n')}`;
      }
      if (value !== null && typeof value === 'object' && !(value instanceof YamlFloat)) {
        const inner = value as YamlMap;
        if (Object.keys(inner).length === 0) return `${pad}${key}: {}`;
        return `${pad}${key}:\n${toYaml(inner, indent + 4)}`;
      }
      return `${pad}${key}: ${scalar(value as Scalar)}`;
    })
    .join('\n');
}

/** The YAML file text: a header comment (source, notes) and the config; an Error when no counterpart. */
export function pytorchConfigYaml(experiment: Experiment, index: number): string | Error {
  const result = pytorchConfig(experiment, index);
  if (result instanceof Error) return result;
  const header = [
    "# Training config for the authors' code (krafton-ai/mambaformer-icl, src/train.py), written by ICL Lab.",
    '# Save it in their src/conf/ (it inherits wandb.yaml there); the weights: the .safetensors beside it.',
    ...result.notes.map((n) => `# not in this config: ${n}`),
  ];
  return `${header.join('\n')}\n${toYaml(result.config)}\n`;
}
