/**
 * Checkpoints along a CLI run, and a run continued from them (`train --checkpoint-every N`,
 * `train --resume`): a long run can be cut into pieces that each fit a machine's time limit, and a
 * run stopped from outside loses at most N steps.
 *
 * In the run's folder, per model (stem = the model's file name):
 *   <stem>.safetensors, <stem>.optim.safetensors   the model and Adam's moments at the step written
 *   <stem>-loss.csv                                step, loss, grad_norm of every step up to it
 *   <stem>-evals.jsonl                             every evaluation (kept only up to that step on resume)
 *   <stem>.recording.iclreplay                     with --record: the model's recording so far (its
 *                                                  evaluations and probes, one model's replay file)
 * Each is written through a temporary file and a rename, so a kill mid-write leaves the previous
 * checkpoint whole. The training stream is a function of (seed, step) and the checkpoint holds the
 * step and Adam's step count, so a resumed run trains on the batches the uninterrupted run would have.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mark } from '../eval/verdict';
import { decodeReplay, encodeReplay, MAX_REPLAY_BYTES, type ReplayModel } from '../formats/replay';
import { parseEvalRecords } from '../formats/table1';
import type { Experiment } from '../schema/experiment';
import {
  type CheckpointFiles,
  describeLoadReport,
  inspectCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from '../train/checkpoint';
import type { LossRecord, Trainer } from '../train/trainer';

/** Write through a temporary file and a rename, so a process killed mid-write leaves the old file. */
export function writeFileAtomically(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export function lossCsv(records: readonly LossRecord[]): string {
  return `step,loss,grad_norm\n${records.map((r) => `${r.step},${r.loss},${r.gradNorm}`).join('\n')}\n`;
}

/** The rows of a `-loss.csv` (a header, then step,loss,grad_norm); a row cut short by a kill is skipped. */
export function parseLossCsv(text: string): LossRecord[] {
  const out: LossRecord[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cells = line.split(',');
    if (cells.length !== 3) continue;
    const [step, loss, gradNorm] = cells.map(Number);
    if (!Number.isInteger(step) || step < 0 || Number.isNaN(loss) || Number.isNaN(gradNorm)) continue;
    out.push({ step, loss, gradNorm });
  }
  return out;
}

/** Two experiments equal in every field but `field` (keys compared in sorted order). */
function sameBut(a: Experiment, b: Experiment, field: keyof Experiment): boolean {
  const canonical = (e: Experiment) =>
    JSON.stringify({ ...e, [field]: null }, (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
        : v,
    );
  return canonical(a) === canonical(b);
}

/** The file of a model's recording so far, beside its checkpoint. */
export const recordingFile = (out: string, stem: string) => join(out, `${stem}.recording.iclreplay`);

/**
 * The model, its optimiser and its losses so far, as a resumable checkpoint; with `recording` (a
 * recorded run), the model's recording so far too, as a one-model replay file.
 */
export async function writeRunCheckpoint(
  out: string,
  stem: string,
  trainer: Trainer,
  recording?: { model: ReplayModel; backend: string },
): Promise<void> {
  const files = await saveCheckpoint(trainer);
  writeFileAtomically(join(out, `${stem}-loss.csv`), lossCsv(trainer.state().history));
  if (recording) writeRecording(out, stem, trainer.experiment, recording);
  if (files.optimizer) writeFileAtomically(join(out, `${stem}.optim.safetensors`), files.optimizer);
  // the model file last: its step is the checkpoint's step, so it must never be newer than the rest
  writeFileAtomically(join(out, `${stem}.safetensors`), files.model);
}

export interface Resumed {
  /** the step the model continues from */
  step: number;
  /** the evaluations' lines up to that step, as they were in the jsonl */
  evalLines: string[];
  /** their verdict marks, in order (null where a line had none) */
  marks: (Mark | null)[];
}

/**
 * Load the model's checkpoint from the run folder into the trainer. Returns null (and changes nothing)
 * when there is no checkpoint; throws with every problem of the file when there is one that does not
 * fit this model (a different experiment's step counts, shapes, a corrupt file), so a resumed run never
 * silently starts from scratch on top of an older one.
 */
export async function resumeFromCheckpoint(
  out: string,
  stem: string,
  trainer: Trainer,
): Promise<Resumed | null> {
  const modelFile = join(out, `${stem}.safetensors`);
  if (!existsSync(modelFile)) return null;
  const optimFile = join(out, `${stem}.optim.safetensors`);
  const files: CheckpointFiles = {
    model: new Uint8Array(readFileSync(modelFile)),
    ...(existsSync(optimFile) ? { optimizer: new Uint8Array(readFileSync(optimFile)) } : {}),
  };
  const lossFile = join(out, `${stem}-loss.csv`);
  const saved = inspectCheckpoint(files.model).experiment;
  if (saved && !sameBut(saved, trainer.experiment, 'steps')) {
    throw new Error(
      `cannot resume from ${modelFile}: it was trained under other settings than this command's ` +
        '(only --steps may change); give another --out or the same options',
    );
  }
  const report = await loadCheckpoint(trainer, files, { strict: true });
  if (!report.ok) {
    throw new Error(`cannot resume from ${modelFile}:\n  ${describeLoadReport(report).join('\n  ')}`);
  }
  if (!files.optimizer) throw new Error(`cannot resume from ${modelFile}: ${optimFile} is missing`);
  const step = trainer.stepCount;
  const history = existsSync(lossFile)
    ? parseLossCsv(readFileSync(lossFile, 'utf8')).filter((r) => r.step < step)
    : [];
  trainer.restoreProgress(step, history);
  const evalsFile = join(out, `${stem}-evals.jsonl`);
  const evalLines: string[] = [];
  const marks: (Mark | null)[] = [];
  if (existsSync(evalsFile)) {
    const text = readFileSync(evalsFile, 'utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const records = parseEvalRecords(text);
    records.forEach((r, k) => {
      if (r.step > step) return;
      evalLines.push(lines[k]);
      marks.push(r.mark ?? null);
    });
  }
  return { step, evalLines, marks };
}

/**
 * A model's recording so far, beside its checkpoint, as a one-model replay file within the largest
 * budget a replay may take (so nothing is thinned before the run's own replay is written).
 */
export function writeRecording(
  out: string,
  stem: string,
  experiment: Experiment,
  recording: { model: ReplayModel; backend: string },
): void {
  const { bytes } = encodeReplay(
    {
      experiment,
      backend: recording.backend,
      createdAt: new Date().toISOString(),
      totalSteps: experiment.steps,
      baselines: null,
      models: [{ ...recording.model, index: 0 }],
    },
    { budget: MAX_REPLAY_BYTES },
  );
  writeFileAtomically(recordingFile(out, stem), bytes);
}

/**
 * The evaluations and probes a recorded model had made by the step it resumes from (`step`), read
 * from its recording beside the checkpoint. Throws when there is none (the checkpoint was written
 * without --record), when it is broken, of other settings, or left frames out (a recording cut
 * short there would not be the uninterrupted run's).
 */
export function readRecordingSoFar(
  out: string,
  stem: string,
  experiment: Experiment,
  step: number,
): Pick<ReplayModel, 'evaluations' | 'probes'> {
  const file = recordingFile(out, stem);
  if (!existsSync(file)) {
    throw new Error(
      `cannot resume the recording: ${file} is missing (the checkpoint was written without --record); ` +
        'resume without --record, or record from step 0 in another --out',
    );
  }
  const read = decodeReplay(new Uint8Array(readFileSync(file)));
  if (!read.ok) throw new Error(`cannot resume the recording: ${file}: ${read.error}`);
  const { replay } = read;
  if (!sameBut(replay.experiment, experiment, 'steps') || replay.models.length !== 1) {
    throw new Error(
      `cannot resume the recording: ${file} was recorded under other settings than this command's`,
    );
  }
  if (replay.probeFramesDropped > 0) {
    throw new Error(
      `cannot resume the recording: ${file} left ${replay.probeFramesDropped} probe frames out`,
    );
  }
  const [model] = replay.models;
  const evaluations = model.evaluations.filter((e) => e.step <= step);
  if (evaluations.at(-1)?.step !== step) {
    throw new Error(
      `cannot resume the recording: ${file} has no evaluation at step ${step}, the checkpoint's`,
    );
  }
  return { evaluations, probes: model.probes.filter((p) => p.step <= step) };
}
