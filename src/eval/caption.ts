/**
 * Captions generated from measured data: what a recorded (or live) run shows, in one sentence per
 * model, from its evaluations and the baselines on the same prompts. Every number and mark in a
 * caption is computed here from the curves (src/eval/verdict.ts), so a caption cannot claim what its
 * chart does not show.
 */
import type { IclCurveSet } from './types';
import {
  baselineCurve,
  type Mark,
  REFERENCE_BASELINE,
  stepsToVerdict,
  type Verdict,
  verdictOfSet,
} from './verdict';

/** One model of a run: its label and its evaluations (step and one curve set per head, heads[0] first). */
export interface CaptionModel {
  label: string;
  evaluations: readonly { step: number; sets: readonly IclCurveSet[] }[];
}

/** What one model reached: its verdict at the last evaluation and since when it holds. */
export interface ModelOutcome {
  label: string;
  /** step of the last evaluation */
  step: number;
  verdict: Verdict;
  /** first evaluation step from which the last mark held at every later evaluation */
  since: number | null;
}

const MARK_WORD: Record<Mark, string> = { learns: 'learns', partial: 'partly learns', fails: 'fails' };

/**
 * Outcome of each model with at least one evaluation whose verdict can be computed (models with
 * none are left out). `baselines`: the baseline set on the same prompts (zero predictor and the
 * task's reference), or null.
 */
export function modelOutcomes(
  models: readonly CaptionModel[],
  baselines: Pick<IclCurveSet, 'curves'> | null,
): ModelOutcome[] {
  const out: ModelOutcome[] = [];
  for (const m of models) {
    const history: { step: number; verdict: Verdict }[] = [];
    for (const e of m.evaluations) {
      const set = e.sets[0];
      if (!set) continue;
      try {
        history.push({ step: e.step, verdict: verdictOfSet(set, baselines) });
      } catch {
        // no finite value in the regime (a diverged or empty evaluation): not a verdict
      }
    }
    if (history.length === 0) continue;
    history.sort((a, b) => a.step - b.step);
    const last = history[history.length - 1];
    out.push({
      label: m.label,
      step: last.step,
      verdict: last.verdict,
      since: stepsToVerdict(history.map((h) => ({ step: h.step, mark: h.verdict.mark }))),
    });
  }
  return out;
}

/** A metric value as the caption prints it (2 decimals; 3 significant digits below 0.01). */
export function formatValue(v: number): string {
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(2) : v.toPrecision(2);
}

/** One model's clause, e.g. "Mamba 0.98 (learns since step 2250)". */
export function outcomeClause(o: ModelOutcome): string {
  const since = o.since !== null && o.since < o.step ? ` since step ${o.since}` : '';
  return `${o.label} ${formatValue(o.verdict.value)} (${MARK_WORD[o.verdict.mark]}${since})`;
}

/**
 * The caption of a run: the models' measured levels over the in-context regime, best first, with
 * the trivial predictor and the reference on the same prompts, e.g.
 * "Accuracy over 20-39 examples at step 6000 (seed 0): Mamba 0.98 (learns since step 2250),
 * MambaFormer 1.00 (learns since step 4500), Transformer 0.59 (fails); chance 0.50, perfect 1."
 * Empty when no model has an evaluation.
 */
export function captionOf(
  models: readonly CaptionModel[],
  baselines: Pick<IclCurveSet, 'curves'> | null,
  seed: number,
): string {
  const outcomes = modelOutcomes(models, baselines);
  if (outcomes.length === 0) return '';
  const v0 = outcomes[0].verdict;
  const better = (a: ModelOutcome, b: ModelOutcome) =>
    v0.kind === 'accuracy' ? b.verdict.value - a.verdict.value : a.verdict.value - b.verdict.value;
  const sorted = [...outcomes].sort(better);
  const steps = [...new Set(outcomes.map((o) => o.step))];
  const at = steps.length === 1 ? `at step ${steps[0]}` : `at the last evaluation`;
  const what = v0.kind === 'accuracy' ? 'Accuracy' : 'Error';
  const [a, b] = v0.regime;
  const regime = a === b ? `${a} examples` : `${a}-${b} examples`;
  const refs =
    v0.kind === 'accuracy'
      ? `chance ${formatValue(v0.trivial)}, perfect 1`
      : `predict 0: ${formatValue(v0.trivial)}, ${v0.referenceLabel.toLowerCase()}: ${formatValue(v0.reference)}`;
  return `${what} over ${regime} ${at} (seed ${seed}): ${sorted.map(outcomeClause).join(', ')}; ${refs}.`;
}

/** The reference baseline's key of a task's verdict (null: the perfect predictor), and whether the set holds it. */
export function hasReference(
  task: IclCurveSet['task'],
  baselines: Pick<IclCurveSet, 'curves'> | null,
): boolean {
  const name = REFERENCE_BASELINE[task];
  return name === null || baselineCurve(baselines, name) !== null;
}
