/**
 * Checkpoints as safetensors (docs/CHECKPOINTS.md has the names per architecture and the rules).
 *
 * Two files per model:
 *  - the model file: exactly the tensors of the authors' PyTorch state_dict (names, shapes and
 *    layouts: the model's variables already use them, nn.Linear [out, in], HF GPT-2 Conv1D
 *    [in, out]), float32, so `model.load_state_dict(safetensors.torch.load_file(path), strict=False)`
 *    loads it (strict=False only for the unused tensors we never create, see IGNORABLE below).
 *    Metadata: `format: pt`, `icl_lab: model`, the experiment JSON, the model index and spec, the
 *    step, the architecture, the task, the parameter count.
 *  - the optimiser file (optional): Adam's moments as `exp_avg.<param>` / `exp_avg_sq.<param>`,
 *    metadata `icl_lab: adam`, Adam's step count and settings, the trainer step. Kept apart so the
 *    model file stays a plain state_dict.
 *
 * Loading never throws on a bad or mismatched file: it returns a report listing every problem
 * (format errors, missing, unexpected, shape and dtype mismatches, metadata differences). With
 * `strict` (default) nothing is changed unless the file matches exactly; otherwise every matching
 * tensor is loaded.
 */
import { isTiedHead, readOutPrefix } from '../models/model';
import type { ModelSpec } from '../schema/architecture';
import { type Experiment, parseExperiment } from '../schema/experiment';
import { type NamedTensor, readSafetensors, type SafetensorsFile, writeSafetensors } from './safetensors';
import { type LossRecord, Trainer, type TrainerOptions } from './trainer';

export const CHECKPOINT_VERSION = 1;

export interface CheckpointFiles {
  /** the state_dict file */
  model: Uint8Array;
  /** Adam's moments (absent when not saved) */
  optimizer?: Uint8Array;
}

/**
 * Names a PyTorch state_dict of the authors' models has but that we never create (unused token
 * embeddings and HF GPT-2's causal-mask buffers): reported as `ignored` when found in a file.
 */
export const IGNORABLE: readonly RegExp[] = [
  /^_backbone\.wte\.weight$/,
  /^_backbone\.h\.\d+\.attn\.(bias|masked_bias)$/,
  /^_backbone\.embedding\.weight$/,
];

export interface ShapeMismatch {
  name: string;
  expected: number[];
  found: number[];
}

export interface LoadReport {
  /** true when the file matched and was loaded (with strict: exactly; otherwise: loaded something) */
  ok: boolean;
  /** tensors loaded into the model (or optimiser, prefixed `exp_avg.` / `exp_avg_sq.`) */
  loaded: string[];
  /** expected by the model, absent from the file */
  missing: string[];
  /** in the file, unknown to the model */
  unexpected: string[];
  /** known-unused PyTorch tensors found in the file (see IGNORABLE) */
  ignored: string[];
  shapeMismatches: ShapeMismatch[];
  dtypeMismatches: Array<{ name: string; expected: 'F32'; found: string }>;
  /** the file could not be read at all, or its metadata is unusable */
  errors: string[];
  /** things that do not stop loading (a different experiment, F64 read as F32, ...) */
  warnings: string[];
  /** the trainer step recorded in the file (null if absent) */
  step: number | null;
}

/** One line per problem, for logs and alerts. */
export function describeLoadReport(r: LoadReport): string[] {
  const lines: string[] = [...r.errors];
  if (r.missing.length) lines.push(`missing from the file (${r.missing.length}): ${r.missing.join(', ')}`);
  if (r.unexpected.length) {
    lines.push(`not in the model (${r.unexpected.length}): ${r.unexpected.join(', ')}`);
  }
  for (const m of r.shapeMismatches) {
    lines.push(`${m.name}: shape [${m.found}] in the file, the model needs [${m.expected}]`);
  }
  for (const m of r.dtypeMismatches)
    lines.push(`${m.name}: dtype ${m.found} in the file, needs ${m.expected}`);
  lines.push(...r.warnings);
  if (r.ignored.length) lines.push(`ignored unused PyTorch tensors: ${r.ignored.join(', ')}`);
  return lines;
}

function emptyReport(): LoadReport {
  return {
    ok: false,
    loaded: [],
    missing: [],
    unexpected: [],
    ignored: [],
    shapeMismatches: [],
    dtypeMismatches: [],
    errors: [],
    warnings: [],
    step: null,
  };
}

/** JSON with sorted keys, so equal values compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function sameExperiment(text: string, experiment: Experiment): boolean {
  try {
    const parsed = parseExperiment(JSON.parse(text));
    return parsed.ok && canonical(parsed.experiment) === canonical(experiment);
  } catch {
    return false;
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** Serialise the trainer's model (and, by default, Adam's moments). */
export async function saveCheckpoint(
  trainer: Trainer,
  options: { optimizer?: boolean } = {},
): Promise<CheckpointFiles> {
  const weights = await trainer.model.getWeights();
  const tensors: NamedTensor[] = [];
  for (const [name, v] of trainer.model.variables) {
    tensors.push({ name, dtype: 'F32', shape: [...v.shape], data: weights.get(name)! });
  }
  // A tied read-out (token MQAR: logits = h _read_in.weight^T) has no variable of its own; PyTorch's
  // tied nn.Linear still lists it in the state_dict, so write the shared tensor under its name too.
  const model0 = trainer.model;
  model0.heads.forEach((head, i) => {
    if (!isTiedHead(model0.readIn, head)) return;
    const src = tensors.find((t) => t.name === '_read_in.weight');
    if (src) tensors.push({ ...src, name: `${readOutPrefix(model0.heads, i)}weight` });
  });
  const step = String(trainer.stepCount);
  const model = writeSafetensors(tensors, {
    format: 'pt',
    icl_lab: 'model',
    icl_lab_version: String(CHECKPOINT_VERSION),
    experiment: JSON.stringify(trainer.experiment),
    model_index: String(trainer.modelIndex),
    model: JSON.stringify(trainer.modelSpec),
    arch: trainer.modelSpec.arch,
    task: trainer.experiment.task.name,
    step,
    parameter_count: String(trainer.model.parameterCount),
    position_rows: String(trainer.positionRows),
  });
  if (options.optimizer === false) return { model };
  const state = await trainer.optimizer.readState();
  const moments: NamedTensor[] = [];
  for (const name of trainer.model.variables.keys()) {
    const m = state.get(name);
    if (!m) continue;
    moments.push({ name: `exp_avg.${name}`, dtype: 'F32', shape: m.shape, data: m.expAvg });
    moments.push({ name: `exp_avg_sq.${name}`, dtype: 'F32', shape: m.shape, data: m.expAvgSq });
  }
  const s = trainer.optimizer.settings;
  const optimizer = writeSafetensors(moments, {
    format: 'pt',
    icl_lab: 'adam',
    icl_lab_version: String(CHECKPOINT_VERSION),
    step,
    adam_step: String(trainer.optimizer.stepCount),
    lr: String(s.lr),
    beta1: String(s.beta1),
    beta2: String(s.beta2),
    eps: String(s.eps),
  });
  return { model, optimizer };
}

/** What a model file says about itself. */
export interface CheckpointInfo {
  /** rows of the learned position embedding the model was built with (null if not recorded) */
  positionRows: number | null;
  experiment: Experiment | null;
  modelIndex: number | null;
  model: ModelSpec | null;
  step: number | null;
  arch: string | null;
  errors: string[];
}

function readFile(bytes: Uint8Array, what: string, report: LoadReport): SafetensorsFile | null {
  try {
    return readSafetensors(bytes, { skipUnsupported: true });
  } catch (e) {
    report.errors.push(`${what}: ${(e as Error).message}`);
    return null;
  }
}

function intOrNull(text: string | undefined): number | null {
  if (text === undefined || !/^-?\d+$/.test(text)) return null;
  return Number(text);
}

/** Read the metadata of a model file (the experiment is validated with parseExperiment). */
export function inspectCheckpoint(bytes: Uint8Array): CheckpointInfo {
  const info: CheckpointInfo = {
    positionRows: null,
    experiment: null,
    modelIndex: null,
    model: null,
    step: null,
    arch: null,
    errors: [],
  };
  let file: SafetensorsFile;
  try {
    file = readSafetensors(bytes, { skipUnsupported: true });
  } catch (e) {
    info.errors.push((e as Error).message);
    return info;
  }
  const md = file.metadata;
  if (md.icl_lab !== undefined && md.icl_lab !== 'model') {
    info.errors.push(`this is an ICL Lab "${md.icl_lab}" file, not a model checkpoint`);
  }
  info.step = intOrNull(md.step);
  info.positionRows = intOrNull(md.position_rows);
  info.modelIndex = intOrNull(md.model_index);
  info.arch = md.arch ?? null;
  if (md.experiment === undefined) {
    info.errors.push('the file has no experiment in its metadata (not written by ICL Lab?)');
  } else {
    try {
      const parsed = parseExperiment(JSON.parse(md.experiment));
      if (parsed.ok) info.experiment = parsed.experiment;
      else info.errors.push(...parsed.errors.map((e) => `metadata experiment: ${e}`));
    } catch (e) {
      info.errors.push(`metadata experiment is not JSON: ${(e as Error).message}`);
    }
  }
  if (md.model !== undefined) {
    try {
      info.model = JSON.parse(md.model) as ModelSpec;
    } catch {
      info.errors.push('metadata model is not JSON');
    }
  }
  if (info.model === null && info.experiment && info.modelIndex !== null) {
    info.model = info.experiment.models[info.modelIndex] ?? null;
  }
  return info;
}

/** Compare a file's tensors with the expected names and shapes (fills the report's lists). */
function matchTensors(
  file: SafetensorsFile,
  expected: ReadonlyMap<string, readonly number[]>,
  report: LoadReport,
  ignore: (name: string) => boolean,
): Map<string, Float32Array> {
  const ok = new Map<string, Float32Array>();
  const skipped = new Map(file.skipped.map((s) => [s.name, s]));
  for (const [name, shape] of expected) {
    const t = file.tensors.get(name);
    const bad = skipped.get(name);
    if (bad) {
      report.dtypeMismatches.push({ name, expected: 'F32', found: bad.dtype });
    } else if (!t) {
      report.missing.push(name);
    } else if (!sameShape(t.shape, shape)) {
      report.shapeMismatches.push({ name, expected: [...shape], found: [...t.shape] });
    } else {
      ok.set(name, t.data);
    }
  }
  for (const name of [...file.tensors.keys(), ...skipped.keys()]) {
    if (expected.has(name)) continue;
    if (ignore(name)) report.ignored.push(name);
    else report.unexpected.push(name);
  }
  return ok;
}

function clean(report: LoadReport): boolean {
  return (
    report.errors.length === 0 &&
    report.missing.length === 0 &&
    report.unexpected.length === 0 &&
    report.shapeMismatches.length === 0 &&
    report.dtypeMismatches.length === 0
  );
}

/**
 * Load a checkpoint into a trainer. `strict` (default true): all or nothing. The optimiser file is
 * optional; without it the optimiser restarts (fresh moments, Adam step 0) and a warning says so.
 * On success the trainer's step counter is set to the file's step (its loss history is kept only
 * if `history` is given).
 */
export async function loadCheckpoint(
  trainer: Trainer,
  files: CheckpointFiles,
  options: { strict?: boolean; history?: readonly LossRecord[] } = {},
): Promise<LoadReport> {
  const strict = options.strict ?? true;
  const report = emptyReport();
  const file = readFile(files.model, 'model file', report);
  if (!file) return report;
  const md = file.metadata;
  if (md.icl_lab === 'adam') {
    report.errors.push('model file: this is an optimiser file; pass it as `optimizer`');
    return report;
  }
  report.step = intOrNull(md.step);
  if (md.step !== undefined && report.step === null) report.errors.push(`model file: bad step "${md.step}"`);
  if (md.arch !== undefined && md.arch !== trainer.modelSpec.arch) {
    report.warnings.push(`the file holds a ${md.arch} model, this trainer a ${trainer.modelSpec.arch}`);
  }
  if (md.task !== undefined && md.task !== trainer.experiment.task.name) {
    report.warnings.push(
      `the file was trained on ${md.task}, this experiment is ${trainer.experiment.task.name}`,
    );
  }
  if (md.experiment !== undefined && !sameExperiment(md.experiment, trainer.experiment)) {
    report.warnings.push('the file was written under different experiment settings');
  }
  const expected = new Map<string, readonly number[]>();
  for (const [name, v] of trainer.model.variables) expected.set(name, v.shape);
  const tied = new Set(
    trainer.model.heads.flatMap((h, i) =>
      isTiedHead(trainer.model.readIn, h) ? [`${readOutPrefix(trainer.model.heads, i)}weight`] : [],
    ),
  );
  const weights = matchTensors(
    file,
    expected,
    report,
    (n) => tied.has(n) || IGNORABLE.some((r) => r.test(n)),
  );

  let moments: Map<string, Float32Array> | null = null;
  let adamStep: number | null = null;
  if (files.optimizer) {
    const opt = readFile(files.optimizer, 'optimiser file', report);
    if (opt) {
      if (opt.metadata.icl_lab !== undefined && opt.metadata.icl_lab !== 'adam') {
        report.errors.push(
          `optimiser file: this is an ICL Lab "${opt.metadata.icl_lab}" file, not Adam's state`,
        );
      }
      adamStep = intOrNull(opt.metadata.adam_step);
      if (adamStep === null) report.errors.push('optimiser file: no adam_step in its metadata');
      const optStep = intOrNull(opt.metadata.step);
      if (optStep !== null && report.step !== null && optStep !== report.step) {
        report.warnings.push(
          `the optimiser file is from step ${optStep}, the model file from step ${report.step}`,
        );
      }
      const expectedMoments = new Map<string, readonly number[]>();
      // Moments exist only after the first step: an optimiser file of step 0 is empty.
      if (opt.tensors.size > 0 || opt.skipped.length > 0 || (adamStep ?? 0) > 0) {
        for (const [name, shape] of expected) {
          expectedMoments.set(`exp_avg.${name}`, shape);
          expectedMoments.set(`exp_avg_sq.${name}`, shape);
        }
      }
      moments = matchTensors(opt, expectedMoments, report, () => false);
    }
  } else {
    report.warnings.push('no optimiser state: Adam restarts with zero moments');
  }

  const exact = clean(report);
  if (strict && !exact) return report;
  if (!strict && report.errors.length > 0 && weights.size === 0) return report;

  trainer.model.setWeights(weights);
  report.loaded.push(...weights.keys());
  trainer.optimizer.reset();
  if (moments && adamStep !== null) {
    for (const [name, v] of trainer.model.variables) {
      const a = moments.get(`exp_avg.${name}`);
      const b = moments.get(`exp_avg_sq.${name}`);
      if (a && b) {
        trainer.optimizer.setMoments(name, v.shape, a, b);
        report.loaded.push(`exp_avg.${name}`, `exp_avg_sq.${name}`);
      }
    }
    trainer.optimizer.stepCount = adamStep;
  }
  trainer.restoreProgress(report.step ?? 0, options.history ?? []);
  report.ok = strict ? exact : report.loaded.length > 0;
  return report;
}

/**
 * A trainer rebuilt from a model file's own metadata (experiment + model index), then loaded.
 * Returns the trainer (null when the metadata is unusable) and the load report.
 */
export async function trainerFromCheckpoint(
  files: CheckpointFiles,
  options: TrainerOptions & { strict?: boolean } = {},
): Promise<{ trainer: Trainer | null; report: LoadReport }> {
  const info = inspectCheckpoint(files.model);
  if (!info.experiment || info.errors.length > 0) {
    const report = emptyReport();
    report.errors.push(...info.errors);
    if (!info.experiment && info.errors.length === 0) report.errors.push('no experiment in the file');
    return { trainer: null, report };
  }
  const model = info.modelIndex !== null && info.modelIndex >= 0 ? info.modelIndex : info.model;
  if (model === null) {
    const report = emptyReport();
    report.errors.push('the file names neither a model index nor a model');
    return { trainer: null, report };
  }
  let trainer: Trainer;
  try {
    trainer = new Trainer(info.experiment, model, {
      ...options,
      positionRows: options.positionRows ?? info.positionRows ?? undefined,
    });
  } catch (e) {
    const report = emptyReport();
    report.errors.push(`cannot build the model of the file: ${(e as Error).message}`);
    return { trainer: null, report };
  }
  const report = await loadCheckpoint(trainer, files, { strict: options.strict });
  if (!report.ok) {
    trainer.dispose();
    return { trainer: null, report };
  }
  return { trainer, report };
}
