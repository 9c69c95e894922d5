/**
 * Lessons: a guided sequence a teacher steps through in front of a class, built from data. A
 * lesson's definition (below) holds only its framing: each step's title, the task it is about and
 * a question for the class. Which steps there are, which recording each opens and the sentence that
 * says what to look for all come from the measured data: the recordings of public/replays/
 * (index.json and the curves of each replay) and, where there is one, the Table 1 file
 * (src/formats/table1.ts). A step with neither is left out; no sentence here states a result that
 * was not computed from a curve (src/eval/verdict.ts, src/eval/caption.ts).
 */
import { formatValue, type ModelOutcome, modelOutcomes } from '../../eval/caption';
import type { Mark } from '../../eval/verdict';
import type { ReplayContent, ReplayIndexEntry } from '../../formats/replay';
import { seedsCounted, type Table1, type Table1Cell } from '../../formats/table1';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';

/** One step of a lesson as written: framing only, never a result. */
export interface LessonStepDef {
  /** the task whose recording (or Table 1 row) the step shows; absent for the summary */
  task?: string;
  title: string;
  /** a question for the class */
  question: string;
  /** the summary step: the outcomes of the lesson's recordings side by side */
  summary?: boolean;
}

export interface LessonDef {
  id: string;
  title: string;
  steps: readonly LessonStepDef[];
}

/**
 * "Can Mamba learn how to learn?" (Park et al. 2024), told with the recorded runs: the rows of the
 * paper's Table 1 where the architectures part ways (token MQAR, not in that table, is left out).
 */
export const MAMBA_LESSON: LessonDef = {
  id: 'mamba-icl',
  title: 'Can Mamba learn how to learn?',
  steps: [
    {
      task: 'linear-regression',
      title: 'Linear regression: who learns from the examples in the prompt?',
      question: 'No model was told the rule. Why does the error keep falling as the prompt gets longer?',
    },
    {
      task: 'sparse-parity',
      title: 'Sparse parity: a few bits that decide the label',
      question: 'Why could a rule that reads only a few of many bits be hard to find from examples?',
    },
    {
      task: 'vector-mqar',
      title: 'Vector-valued MQAR: recall a value from the prompt',
      question: 'To answer, a model must recall a value seen earlier. Where can each architecture keep it?',
    },
    {
      summary: true,
      title: 'MambaFormer: attention and Mamba in one model',
      question: 'What does attention add to Mamba, and what does Mamba add to attention?',
    },
  ],
};

export const LESSONS: readonly LessonDef[] = [MAMBA_LESSON];

export const lessonById = (id: string): LessonDef | null => LESSONS.find((l) => l.id === id) ?? null;

/** A step as the page shows it: its framing and the data behind it. */
export interface LessonStep {
  title: string;
  question: string;
  task: string | null;
  /** the recording the step opens (null: none installed; the step then rests on Table 1) */
  recording: ReplayIndexEntry | null;
  /** the Table 1 cells of the step's task (empty without a Table 1 file) */
  table1: Table1Cell[];
  /** the summary step: the recordings it compares */
  compares: ReplayIndexEntry[];
}

export interface Lesson {
  id: string;
  title: string;
  steps: LessonStep[];
}

/**
 * The lesson's steps from the data at hand: a task step needs a recording of its task or Table 1
 * cells with a mark; the summary step needs two recordings or more (it opens the last one).
 */
export function buildLesson(
  def: LessonDef,
  index: readonly ReplayIndexEntry[],
  table1: Table1 | null,
): Lesson {
  const steps: LessonStep[] = [];
  const used: ReplayIndexEntry[] = [];
  for (const s of def.steps) {
    if (s.summary) continue;
    const recording = index.find((r) => r.task === s.task) ?? null;
    const cells = (table1?.cells ?? []).filter((c) => c.task === s.task && c.mark !== null);
    if (!recording && cells.length === 0) continue;
    if (recording) used.push(recording);
    steps.push({
      title: s.title,
      question: s.question,
      task: s.task ?? null,
      recording,
      table1: cells,
      compares: [],
    });
  }
  const summary = def.steps.find((s) => s.summary);
  if (summary && used.length >= 2) {
    steps.push({
      title: summary.title,
      question: summary.question,
      task: null,
      recording: used[used.length - 1],
      table1: [],
      compares: used,
    });
  }
  return { id: def.id, title: def.title, steps };
}

/** A step number brought into the lesson (0-based; NaN -> 0). */
export function clampStep(lesson: Pick<Lesson, 'steps'>, step: number): number {
  if (!Number.isFinite(step) || lesson.steps.length === 0) return 0;
  return Math.max(0, Math.min(lesson.steps.length - 1, Math.trunc(step)));
}

const MARK_VERB: Record<Mark, [one: string, many: string]> = {
  learns: ['learns', 'learn'],
  partial: ['partly learns', 'partly learn'],
  fails: ['fails', 'fail'],
};
const MARK_ORDER: readonly Mark[] = ['learns', 'partial', 'fails'];

/** "A", "A and B", "A, B and C". */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * What to look for in a recording, from its measured outcomes (src/eval/caption.ts): the models
 * grouped by their mark, each with its level over the in-context regime, and the trivial and
 * reference levels, e.g. "In the in-context chart over 8-15 examples at step 4000: Transformer
 * (1.00) and MambaFormer (0.99) learn; Mamba (0.31) fails; chance 0.50, perfect 1."
 * Empty when nothing was measured.
 */
export function lookForSentence(outcomes: readonly ModelOutcome[]): string {
  if (outcomes.length === 0) return '';
  const v0 = outcomes[0].verdict;
  const [a, b] = v0.regime;
  const regime = a === b ? `${a} examples` : `${a}-${b} examples`;
  const steps = [...new Set(outcomes.map((o) => o.step))];
  const at = steps.length === 1 ? ` at step ${steps[0]}` : '';
  const groups = MARK_ORDER.flatMap((mark) => {
    const ms = outcomes.filter((o) => o.verdict.mark === mark);
    if (ms.length === 0) return [];
    const who = listWords(ms.map((o) => `${o.label} (${formatValue(o.verdict.value)})`));
    return [`${who} ${MARK_VERB[mark][ms.length === 1 ? 0 : 1]}`];
  });
  const what = v0.kind === 'accuracy' ? 'accuracy' : 'error';
  const refs =
    v0.kind === 'accuracy'
      ? `chance ${formatValue(v0.trivial)}, perfect 1`
      : `predict 0: ${formatValue(v0.trivial)}, ${v0.referenceLabel.toLowerCase()}: ${formatValue(v0.reference)}`;
  return `Look at the ${what} over ${regime}${at}: ${groups.join('; ')}; ${refs}.`;
}

/** The measured outcomes of one recording, as the summary compares them. */
export interface MeasuredRun {
  title: string;
  outcomes: readonly ModelOutcome[];
}

/**
 * The summary of several recordings: for each model, on how many it learns (most first), e.g.
 * "Across 3 recordings: MambaFormer learns 3 of 3 (...), Transformer 3 of 3 (...), Mamba 1 of 3
 * (Linear regression)." Empty without two measured recordings.
 */
export function summarySentence(runs: readonly MeasuredRun[]): string {
  const measured = runs.filter((r) => r.outcomes.length > 0);
  if (measured.length < 2) return '';
  const labels = [...new Set(measured.flatMap((r) => r.outcomes.map((o) => o.label)))];
  const rows = labels.map((label) => {
    const on = measured.filter((r) => r.outcomes.some((o) => o.label === label));
    const learns = on.filter((r) => r.outcomes.some((o) => o.label === label && o.verdict.mark === 'learns'));
    return { label, of: on.length, learns: learns.map((r) => r.title) };
  });
  rows.sort((x, y) => y.learns.length / y.of - x.learns.length / x.of);
  const parts = rows.map((r, i) => {
    const which = r.learns.length ? ` (${listWords(r.learns)})` : '';
    return `${r.label} ${i === 0 ? 'learns ' : ''}${r.learns.length} of ${r.of}${which}`;
  });
  return `Across ${measured.length} recordings: ${parts.join(', ')}.`;
}

/**
 * The Table 1 runs of a step, e.g. "Table 1 runs (3 seeds): Transformer fails (3 of 3 seeds),
 * Mamba learns (3 of 3 seeds)." Empty without cells.
 */
export function table1Sentence(cells: readonly Table1Cell[]): string {
  const marked = cells.filter((c) => c.mark !== null);
  if (marked.length === 0) return '';
  const parts = marked.map((c) => {
    const title = ARCHITECTURE_TITLES[c.arch as keyof typeof ARCHITECTURE_TITLES] ?? c.arch;
    return `${title} ${MARK_VERB[c.mark as Mark][0]} (${c.agreeing} of ${seedsCounted(c).counted.length} seeds)`;
  });
  return `Table 1 runs: ${parts.join(', ')}.`;
}

/**
 * The measured sentence of a step: from its recording's outcomes (a summary: from every recording
 * it compares), else from its Table 1 cells. Null while a recording it needs is not measured yet.
 */
export function stepSentence(step: LessonStep, measured: ReadonlyMap<string, MeasuredRun>): string | null {
  if (step.compares.length > 0) {
    const runs = step.compares.map((r) => measured.get(r.file));
    if (runs.some((r) => r === undefined)) return null;
    return summarySentence(runs as MeasuredRun[]);
  }
  if (step.recording) {
    const run = measured.get(step.recording.file);
    if (!run) return null;
    return lookForSentence(run.outcomes);
  }
  return table1Sentence(step.table1);
}

/** The measured outcomes of a decoded recording (its evaluations against its own baselines). */
export function measureReplay(
  title: string,
  replay: Pick<ReplayContent, 'baselines' | 'models'>,
): MeasuredRun {
  return {
    title,
    outcomes: modelOutcomes(
      replay.models.map((m) => ({ label: m.label, evaluations: m.evaluations })),
      replay.baselines,
    ),
  };
}
