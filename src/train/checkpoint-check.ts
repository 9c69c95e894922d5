/**
 * Checkpoint validation before anything is built or changed: the files are read (header capped),
 * their tensors compared by name and shape with the layout the experiment's model needs (from
 * model-plan.ts, no tfjs variable created), every value checked finite (Adam's second moments also
 * non-negative), and the step counters checked to be whole numbers in the schema's range.
 * `checkCheckpoint` never throws: every problem lands in the report.
 */
import { LIMITS } from '../schema/limits';
import type { CheckpointLayout } from './model-plan';
import { readSafetensors, type SafetensorsFile } from './safetensors';

/**
 * Largest safetensors header accepted (bytes). The biggest model the schema allows (24 layers,
 * width 1024) writes an optimiser header of about 68 kB; this leaves four times that.
 */
export const MAX_CHECKPOINT_HEADER_BYTES = 256 * 1024;
/** Largest position-embedding row count a model file may name (the longest prompt is far shorter). */
export const MAX_POSITION_ROWS = 4 * LIMITS.schedule.value.max;

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
  /** the file could not be read at all, its metadata is unusable, or its values are not finite */
  errors: string[];
  /** things that do not stop loading (a different experiment, F64 read as F32, ...) */
  warnings: string[];
  /** the trainer step recorded in the file (null if absent or invalid) */
  step: number | null;
}

export function emptyReport(): LoadReport {
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

/** No problem that stops a strict load. */
export function clean(report: LoadReport): boolean {
  return (
    report.errors.length === 0 &&
    report.missing.length === 0 &&
    report.unexpected.length === 0 &&
    report.shapeMismatches.length === 0 &&
    report.dtypeMismatches.length === 0
  );
}

/** Read a safetensors file with the checkpoint header cap; null (and an error) when unreadable. */
export function readCheckpointFile(
  bytes: Uint8Array,
  what: string,
  report: LoadReport,
): SafetensorsFile | null {
  try {
    return readSafetensors(bytes, { skipUnsupported: true, maxHeaderBytes: MAX_CHECKPOINT_HEADER_BYTES });
  } catch (e) {
    report.errors.push(`${what}: ${(e as Error).message}`);
    return null;
  }
}

/** A whole-number counter in [0, max], or null: "-5", "1e23", "12.5" and 10^23 are all refused. */
export function parseCounter(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n <= max ? n : null;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** Why these values cannot be loaded (NaN, infinite, or negative where `nonNegative`), or null. */
export function badValues(data: Float32Array, nonNegative = false): string | null {
  let nonFinite = 0;
  let negative = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) nonFinite++;
    else if (nonNegative && v < 0) negative++;
  }
  if (nonFinite > 0) return `${nonFinite} of its ${data.length} values are NaN or infinite`;
  if (negative > 0)
    return `${negative} of its ${data.length} values are negative (a squared-gradient mean cannot be)`;
  return null;
}

/** Compare a file's tensors with the expected names and shapes (fills the report's lists). */
function matchTensors(
  file: SafetensorsFile,
  expected: ReadonlyMap<string, readonly number[]>,
  report: LoadReport,
  ignore: (name: string) => boolean,
  what: string,
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
      const why = badValues(t.data, name.startsWith('exp_avg_sq.'));
      if (why) report.errors.push(`${what}: ${name}: ${why}`);
      else ok.set(name, t.data);
    }
  }
  for (const name of [...file.tensors.keys(), ...skipped.keys()]) {
    if (expected.has(name)) continue;
    if (ignore(name)) report.ignored.push(name);
    else report.unexpected.push(name);
  }
  return ok;
}

/** What a model is expected to be, for the comparison with a file. */
export interface CheckpointTarget extends CheckpointLayout {
  arch: string;
  task: string;
  /** false when the file's experiment differs from the target's (a warning, not an error) */
  sameExperiment: (experimentJson: string) => boolean;
}

export interface CheckedCheckpoint {
  report: LoadReport;
  /** the model's tensors that passed every check */
  weights: Map<string, Float32Array>;
  /** Adam's moments that passed (null without an optimiser file) */
  moments: Map<string, Float32Array> | null;
  /** Adam's step count (null without a valid one) */
  adamStep: number | null;
}

/** Read and check both files against `target`; builds nothing, changes nothing, never throws. */
export function checkCheckpoint(files: CheckpointFiles, target: CheckpointTarget): CheckedCheckpoint {
  const report = emptyReport();
  const none: CheckedCheckpoint = { report, weights: new Map(), moments: null, adamStep: null };
  const file = readCheckpointFile(files.model, 'model file', report);
  if (!file) return none;
  const md = file.metadata;
  if (md.icl_lab === 'adam') {
    report.errors.push('model file: this is an optimiser file; pass it as `optimizer`');
    return none;
  }
  report.step = parseCounter(md.step, LIMITS.steps.max);
  if (md.step !== undefined && report.step === null) {
    report.errors.push(
      `model file: bad step "${md.step.slice(0, 40)}" (a whole number up to ${LIMITS.steps.max})`,
    );
  }
  if (md.arch !== undefined && md.arch !== target.arch) {
    report.warnings.push(`the file holds a ${md.arch.slice(0, 40)} model, this trainer a ${target.arch}`);
  }
  if (md.task !== undefined && md.task !== target.task) {
    report.warnings.push(
      `the file was trained on ${md.task.slice(0, 40)}, this experiment is ${target.task}`,
    );
  }
  if (md.experiment !== undefined && !target.sameExperiment(md.experiment)) {
    report.warnings.push('the file was written under different experiment settings');
  }
  const weights = matchTensors(
    file,
    target.shapes,
    report,
    (n) => target.tied.has(n) || IGNORABLE.some((r) => r.test(n)),
    'model file',
  );

  let moments: Map<string, Float32Array> | null = null;
  let adamStep: number | null = null;
  if (files.optimizer) {
    const opt = readCheckpointFile(files.optimizer, 'optimiser file', report);
    if (opt) {
      const om = opt.metadata;
      if (om.icl_lab !== undefined && om.icl_lab !== 'adam') {
        report.errors.push(
          `optimiser file: this is an ICL Lab "${om.icl_lab.slice(0, 40)}" file, not Adam's state`,
        );
      }
      adamStep = parseCounter(om.adam_step, LIMITS.steps.max);
      if (om.adam_step === undefined) report.errors.push('optimiser file: no adam_step in its metadata');
      else if (adamStep === null) {
        report.errors.push(
          `optimiser file: bad adam_step "${om.adam_step.slice(0, 40)}" (a whole number up to ${LIMITS.steps.max})`,
        );
      } else if (report.step !== null && adamStep > report.step) {
        report.errors.push(
          `optimiser file: Adam made ${adamStep} steps, more than the model's ${report.step}`,
        );
        adamStep = null;
      }
      const optStep = parseCounter(om.step, LIMITS.steps.max);
      if (om.step !== undefined && optStep === null)
        report.errors.push(`optimiser file: bad step "${om.step.slice(0, 40)}"`);
      if (optStep !== null && report.step !== null && optStep !== report.step) {
        report.warnings.push(
          `the optimiser file is from step ${optStep}, the model file from step ${report.step}`,
        );
      }
      const expectedMoments = new Map<string, readonly number[]>();
      // Moments exist only after the first step: an optimiser file of step 0 is empty.
      if (opt.tensors.size > 0 || opt.skipped.length > 0 || (adamStep ?? 0) > 0) {
        for (const [name, shape] of target.shapes) {
          expectedMoments.set(`exp_avg.${name}`, shape);
          expectedMoments.set(`exp_avg_sq.${name}`, shape);
        }
      }
      moments = matchTensors(opt, expectedMoments, report, () => false, 'optimiser file');
    }
  } else {
    report.warnings.push('no optimiser state: Adam restarts with zero moments');
  }
  return { report, weights, moments, adamStep };
}
