/**
 * Verdicts: a model's in-context curve turned into the paper's three marks (paper.md section 5,
 * Table 1: "yes" / "gap" (a performance gap) / "fails"), with the number behind the mark.
 * The rules and why they are what they are: docs/VERDICTS.md.
 *
 * One number per curve, the fraction of the gap closed over the in-context regime (the positions
 * with at least half of the prompt's examples before them):
 *  - error metrics: g = (Z - M) / (Z - R), M the model's mean error over the regime, Z the trivial
 *    predictor's (the 'zero' baseline curve when given, else the set's chance level) and R the task's
 *    reference baseline's (least squares, Lasso, ...; 0, the perfect predictor, when there is none);
 *  - accuracy metrics: g = (M - C) / (1 - C), C the chance accuracy, 1 the perfect predictor.
 * Marks: 'learns' when g >= LEARNS (0.9 for errors, 0.8 for accuracies), 'fails' when g < FAILS
 * (0.2), 'partial' between.
 */
import { TASKS } from '../tasks';
import type { BaselineName, MetricKind, TaskName } from '../tasks/types';
import { isAccuracyMetric } from './score';
import type { IclCurve, IclCurveSet } from './types';

export type Mark = 'learns' | 'partial' | 'fails';
/** A mark of the paper's Table 1; 'unknown' where the paper gives none. */
export type PaperMark = Mark | 'unknown';

/** The thresholds on the fraction of the gap closed, per metric kind (docs/VERDICTS.md). */
export const VERDICT_THRESHOLDS = {
  error: { learns: 0.9, fails: 0.2 },
  accuracy: { learns: 0.8, fails: 0.2 },
} as const;

/** Rounding slack so a value meant to sit on a threshold is not pushed under it by the last bit. */
const EPS = 1e-9;

/** The in-context regime: positions with at least this fraction of the last position's examples. */
export const REGIME_FROM = 0.5;

export interface VerdictReferences {
  /** the trivial predictor's level (IclCurveSet.chance: ~1 for errors, chance accuracy for accuracies) */
  chance: number;
  /** the zero predictor's curve on the same prompts (error metrics; optional, else `chance`) */
  zero?: Pick<IclCurve, 'examples' | 'mean'> | null;
  /** the task's reference baseline's curve on the same prompts (error metrics; optional, else 0) */
  reference?: Pick<IclCurve, 'examples' | 'mean' | 'label'> | null;
}

export interface Verdict {
  mark: Mark;
  /** fraction of the gap from the trivial predictor to the reference closed over the regime */
  gapClosed: number;
  /** the model's mean metric over the regime (error, or accuracy) */
  value: number;
  /** the trivial predictor's level over the regime */
  trivial: number;
  /** the reference's level over the regime (0 error / 1 accuracy when none) */
  reference: number;
  /** what the reference is, e.g. 'Least squares', 'perfect predictor' */
  referenceLabel: string;
  kind: 'error' | 'accuracy';
  /** the first and last number of in-context examples of the regime */
  regime: [number, number];
}

/** Indices of the curve's points in the in-context regime (the second half of the examples). */
export function regimeIndices(examples: ArrayLike<number>): number[] {
  if (examples.length === 0) return [];
  let last = examples[0];
  for (let i = 1; i < examples.length; i++) last = Math.max(last, examples[i]);
  const from = Math.ceil(REGIME_FROM * last);
  const out: number[] = [];
  for (let i = 0; i < examples.length; i++) if (examples[i] >= from) out.push(i);
  return out;
}

/** Mean of `mean` at the positions of `curve` whose example counts are in `examples` (NaN skipped). */
function meanAt(curve: Pick<IclCurve, 'examples' | 'mean'>, examples: ReadonlySet<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < curve.examples.length; i++) {
    const v = curve.mean[i];
    if (examples.has(curve.examples[i]) && Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n > 0 ? s / n : Number.NaN;
}

/** Mark of a fraction of the gap closed, for a metric kind. */
export function markOf(gapClosed: number, kind: 'error' | 'accuracy'): Mark {
  const t = VERDICT_THRESHOLDS[kind];
  if (!Number.isFinite(gapClosed)) return 'fails';
  if (gapClosed >= t.learns - EPS) return 'learns';
  if (gapClosed >= t.fails - EPS) return 'partial';
  return 'fails';
}

/**
 * The verdict of one model curve. `metric` is the curve set's metric; error curves are compared
 * with the references on the same positions (the regime is taken from the model's curve).
 * Throws when the curve has no finite value in the regime, or when the reference is no better than
 * the trivial predictor there (no gap to close: the verdict would be meaningless).
 */
export function verdictOf(
  curve: Pick<IclCurve, 'examples' | 'mean'>,
  metric: MetricKind,
  refs: VerdictReferences,
): Verdict {
  const idx = regimeIndices(curve.examples);
  const examples = new Set(idx.map((i) => curve.examples[i]));
  const value = meanAt(curve, examples);
  if (!Number.isFinite(value)) throw new Error('the curve has no finite value in the in-context regime');
  const regime: [number, number] = [curve.examples[idx[0]], curve.examples[idx[idx.length - 1]]];
  if (isAccuracyMetric(metric)) {
    const trivial = refs.chance;
    if (!(trivial < 1)) throw new Error(`chance accuracy ${trivial} leaves no gap to close`);
    const gapClosed = (value - trivial) / (1 - trivial);
    return {
      mark: markOf(gapClosed, 'accuracy'),
      gapClosed,
      value,
      trivial,
      reference: 1,
      referenceLabel: 'perfect predictor',
      kind: 'accuracy',
      regime,
    };
  }
  const zero = refs.zero ? meanAt(refs.zero, examples) : refs.chance;
  const trivial = Number.isFinite(zero) ? zero : refs.chance;
  const refValue = refs.reference ? meanAt(refs.reference, examples) : 0;
  const reference = Number.isFinite(refValue) ? refValue : 0;
  const referenceLabel =
    refs.reference && Number.isFinite(refValue) ? refs.reference.label : 'perfect predictor';
  const gap = trivial - reference;
  if (!(gap > 1e-6 * Math.max(1, Math.abs(trivial)))) {
    throw new Error(
      `the reference (${referenceLabel}, ${reference.toPrecision(3)}) is no better than the trivial predictor ` +
        `(${trivial.toPrecision(3)}) in the in-context regime`,
    );
  }
  const gapClosed = (trivial - value) / gap;
  return {
    mark: markOf(gapClosed, 'error'),
    gapClosed,
    value,
    trivial,
    reference,
    referenceLabel,
    kind: 'error',
    regime,
  };
}

/**
 * The task's reference baseline (docs/VERDICTS.md): the classical method the paper measures the
 * models against, among the cheap ones; each task names its own (`referenceBaseline`). null: none
 * (the perfect predictor).
 */
export const REFERENCE_BASELINE: Readonly<Record<TaskName, BaselineName | null>> = Object.fromEntries(
  TASKS.map((t) => [t.name, t.referenceBaseline]),
) as Record<TaskName, BaselineName | null>;

/** The curve of baseline `name` in a set ('lasso' matches 'lasso:0.01', the first Lasso curve). */
export function baselineCurve(set: Pick<IclCurveSet, 'curves'> | null, name: string): IclCurve | null {
  if (!set) return null;
  return set.curves.find((c) => c.key === name || c.key.startsWith(`${name}:`)) ?? null;
}

/** The verdict of a model's curve set (its first curve) against a baseline set on the same prompts. */
export function verdictOfSet(
  model: Pick<IclCurveSet, 'task' | 'metric' | 'chance' | 'curves'>,
  baselines: Pick<IclCurveSet, 'curves'> | null,
): Verdict {
  const curve = model.curves[0];
  if (!curve) throw new Error('the curve set has no curve');
  const refName = REFERENCE_BASELINE[model.task];
  return verdictOf(curve, model.metric, {
    chance: model.chance,
    zero: baselineCurve(baselines, 'zero'),
    reference: refName ? baselineCurve(baselines, refName) : null,
  });
}

/** One evaluation of a model and its mark. */
export interface MarkAt {
  step: number;
  mark: Mark;
}

/**
 * The first evaluation step from which `mark` (default: the last evaluation's) holds at every later
 * evaluation; null when the history is empty or its last evaluation does not have `mark`.
 * The history is read in step order.
 */
export function stepsToVerdict(history: readonly MarkAt[], mark?: Mark): number | null {
  if (history.length === 0) return null;
  const sorted = [...history].sort((a, b) => a.step - b.step);
  const target = mark ?? sorted[sorted.length - 1].mark;
  let from: number | null = null;
  for (const h of sorted) {
    if (h.mark === target) from ??= h.step;
    else from = null;
  }
  return from;
}

/** The architectures of Table 1 (the schema's names; the eval layer does not import the schema). */
export type Table1Arch = 'transformer' | 'mamba' | 'mambaformer' | 'hybrid' | 's4' | 's4-mamba';

/**
 * The paper's Table 1 (paper.md section 5), from each task's `paperTable1`: "yes" = 'learns', "gap" =
 * 'partial', "fails" = 'fails'; plus the standard hybrid failing sparse parity. Every other cell is
 * 'unknown' (paperMark).
 */
export const PAPER_TABLE1: Readonly<Partial<Record<TaskName, Partial<Record<Table1Arch, Mark>>>>> =
  Object.fromEntries(TASKS.filter((t) => t.paperTable1).map((t) => [t.name, t.paperTable1]));

/** The paper's mark of a task and architecture ('unknown' where the paper gives none). */
export function paperMark(task: TaskName, arch: string): PaperMark {
  return PAPER_TABLE1[task]?.[arch as Table1Arch] ?? 'unknown';
}

/** The paper's word for a mark, as printed in Table 1. */
export function paperWord(mark: PaperMark): string {
  return { learns: 'yes', partial: 'gap', fails: 'fails', unknown: '?' }[mark];
}
