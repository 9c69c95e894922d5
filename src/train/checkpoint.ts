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
import { type ModelSpec, modelSchema } from '../schema/architecture';
import { type Experiment, parseExperiment } from '../schema/experiment';
import { LIMITS } from '../schema/limits';
import {
  type CheckpointFiles,
  type CheckpointTarget,
  checkCheckpoint,
  clean,
  emptyReport,
  type LoadReport,
  MAX_CHECKPOINT_HEADER_BYTES,
  MAX_POSITION_ROWS,
  parseCounter,
} from './checkpoint-check';
import { checkpointLayout, type ModelPlan, planModel } from './model-plan';
import { type NamedTensor, readSafetensors, type SafetensorsFile, writeSafetensors } from './safetensors';
import { type LossRecord, Trainer, type TrainerOptions } from './trainer';

export {
  type CheckpointFiles,
  IGNORABLE,
  type LoadReport,
  MAX_CHECKPOINT_HEADER_BYTES,
  type ShapeMismatch,
} from './checkpoint-check';

export const CHECKPOINT_VERSION = 1;

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

/** Read the metadata of a model file (the experiment and model are validated by the schema). */
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
    file = readSafetensors(bytes, { skipUnsupported: true, maxHeaderBytes: MAX_CHECKPOINT_HEADER_BYTES });
  } catch (e) {
    info.errors.push((e as Error).message);
    return info;
  }
  const md = file.metadata;
  if (md.icl_lab !== undefined && md.icl_lab !== 'model') {
    info.errors.push(`this is an ICL Lab "${md.icl_lab.slice(0, 40)}" file, not a model checkpoint`);
  }
  const counter = (key: string, max: number): number | null => {
    const text = md[key];
    const n = parseCounter(text, max);
    if (text !== undefined && n === null)
      info.errors.push(`bad ${key} "${text.slice(0, 40)}" (a whole number up to ${max})`);
    return n;
  };
  info.step = counter('step', LIMITS.steps.max);
  info.positionRows = counter('position_rows', MAX_POSITION_ROWS);
  // -1: a model spec of its own (metadata `model`)
  info.modelIndex = md.model_index === '-1' ? -1 : counter('model_index', LIMITS.model.count.max - 1);
  info.arch = md.arch ?? null;
  if (md.experiment === undefined) {
    info.errors.push('the file has no experiment in its metadata (not written by ICL Lab?)');
  } else {
    try {
      const parsed = parseExperiment(JSON.parse(md.experiment));
      if (parsed.ok) info.experiment = parsed.experiment;
      else info.errors.push(...parsed.errors.slice(0, 4).map((e) => `metadata experiment: ${e}`));
    } catch (e) {
      info.errors.push(`metadata experiment is not JSON: ${(e as Error).message}`);
    }
  }
  if (md.model !== undefined) {
    try {
      const parsed = modelSchema.safeParse(JSON.parse(md.model));
      if (parsed.success) info.model = parsed.data;
      else info.errors.push(`metadata model: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    } catch {
      info.errors.push('metadata model is not JSON');
    }
  }
  if (info.model === null && info.experiment && info.modelIndex !== null) {
    info.model = info.experiment.models[info.modelIndex] ?? null;
  }
  return info;
}

/** What `trainer` expects of a file. */
function trainerTarget(trainer: Trainer): CheckpointTarget {
  const shapes = new Map<string, readonly number[]>();
  for (const [name, v] of trainer.model.variables) shapes.set(name, v.shape);
  const { readIn, heads } = trainer.model;
  const tied = new Set(
    heads.flatMap((h, i) => (isTiedHead(readIn, h) ? [`${readOutPrefix(heads, i)}weight`] : [])),
  );
  return {
    shapes,
    tied,
    arch: trainer.modelSpec.arch,
    task: trainer.experiment.task.name,
    sameExperiment: (text) => sameExperiment(text, trainer.experiment),
  };
}

/**
 * Load a checkpoint into a trainer. `strict` (default true): all or nothing. Everything is checked
 * before the trainer is touched (checkpoint-check.ts: names, shapes, finite values, step counters).
 * The optimiser file is optional; without it the optimiser restarts (fresh moments, Adam step 0) and
 * a warning says so. On success the trainer's step counter is set to the file's step (its loss
 * history is kept only if `history` is given).
 */
export async function loadCheckpoint(
  trainer: Trainer,
  files: CheckpointFiles,
  options: { strict?: boolean; history?: readonly LossRecord[] } = {},
): Promise<LoadReport> {
  const strict = options.strict ?? true;
  const { report, weights, moments, adamStep } = checkCheckpoint(files, trainerTarget(trainer));
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

function failed(errors: string[]): { trainer: null; report: LoadReport } {
  const report = emptyReport();
  report.errors.push(...errors);
  return { trainer: null, report };
}

/**
 * A trainer rebuilt from a model file's own metadata (experiment + model index), then loaded.
 * The files are checked against the model the metadata describes before that model is built
 * (its layout comes from model-plan.ts, without tfjs): a bad or mismatched file costs no model.
 * Returns the trainer (null when the files are unusable) and the load report.
 */
export async function trainerFromCheckpoint(
  files: CheckpointFiles,
  options: TrainerOptions & { strict?: boolean } = {},
): Promise<{ trainer: Trainer | null; report: LoadReport }> {
  const info = inspectCheckpoint(files.model);
  if (!info.experiment || info.errors.length > 0) {
    return failed(info.errors.length > 0 ? info.errors : ['no experiment in the file']);
  }
  const experiment = info.experiment;
  const model = info.modelIndex !== null && info.modelIndex >= 0 ? info.modelIndex : info.model;
  if (model === null) return failed(['the file names neither a model index nor a model']);
  const positionRows = options.positionRows ?? info.positionRows ?? undefined;
  let plan: ModelPlan;
  try {
    plan = planModel(experiment, model, positionRows);
  } catch (e) {
    return failed([`cannot build the model of the file: ${(e as Error).message}`]);
  }
  let layout: ReturnType<typeof checkpointLayout>;
  try {
    layout = checkpointLayout(plan);
  } catch (e) {
    return failed([`cannot build the model of the file: ${(e as Error).message}`]);
  }
  const checked = checkCheckpoint(files, {
    ...layout,
    arch: plan.modelSpec.arch,
    task: experiment.task.name,
    sameExperiment: (text) => sameExperiment(text, experiment),
  });
  const strict = options.strict ?? true;
  if (strict ? !clean(checked.report) : checked.report.errors.length > 0 && checked.weights.size === 0) {
    return { trainer: null, report: checked.report };
  }
  let trainer: Trainer;
  try {
    trainer = new Trainer(experiment, model, { ...options, positionRows });
  } catch (e) {
    return failed([`cannot build the model of the file: ${(e as Error).message}`]);
  }
  const report = await loadCheckpoint(trainer, files, { strict });
  if (!report.ok) {
    trainer.dispose();
    return { trainer: null, report };
  }
  return { trainer, report };
}
