/**
 * Files of the Table 1 pipeline (docs/TABLE1.md):
 *  - `<model>-evals.jsonl`, one line per evaluation of a CLI training run, appended as it happens
 *    (a run stopped by a timeout keeps every evaluation it reached): the step and each head's curve;
 *  - the `table1 --json` file: the grid of tasks x architectures, the paper's mark and ours per seed,
 *    for the page's Table 1 view.
 */
import { z } from 'zod';
import type { IclCurveSet } from '../eval/types';
import type { Mark, PaperMark } from '../eval/verdict';

const MARKS = ['learns', 'partial', 'fails'] as const satisfies readonly Mark[];
const PAPER_MARKS = [...MARKS, 'unknown'] as const satisfies readonly PaperMark[];

/** A number that JSON may have turned into null (NaN / infinity). */
const value = z.number().nullable();

export const evalHeadSchema = z.object({
  head: z.string(),
  metric: z.string(),
  chance: z.number(),
  examples: z.array(z.number().int()),
  mean: z.array(value),
});

export const evalRecordSchema = z.object({
  step: z.number().int().min(0),
  heads: z.array(evalHeadSchema).min(1),
  /** the verdict of the primary head, when the run computed one (train --stop-at-verdict) */
  mark: z.enum(MARKS).optional(),
  gapClosed: z.number().nullable().optional(),
});
export type EvalRecord = z.infer<typeof evalRecordSchema>;

/** One evaluation as a line of `<model>-evals.jsonl` (no trailing newline). */
export function evalRecordLine(
  step: number,
  sets: readonly IclCurveSet[],
  verdict?: { mark: Mark; gapClosed: number },
): string {
  const record: EvalRecord = {
    step,
    heads: sets.map((s) => ({
      head: s.head,
      metric: s.metric,
      chance: s.chance,
      examples: Array.from(s.curves[0]?.examples ?? []),
      mean: Array.from(s.curves[0]?.mean ?? [], (v) => (Number.isFinite(v) ? v : null)),
    })),
    ...(verdict
      ? { mark: verdict.mark, gapClosed: Number.isFinite(verdict.gapClosed) ? verdict.gapClosed : null }
      : {}),
  };
  return JSON.stringify(record);
}

/** Parse a `-evals.jsonl` text; a last line cut short by a kill is skipped, any other bad line throws. */
export function parseEvalRecords(text: string): EvalRecord[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const out: EvalRecord[] = [];
  lines.forEach((line, i) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      if (i === lines.length - 1) return;
      throw new Error(`line ${i + 1}: ${(e as Error).message}`);
    }
    const parsed = evalRecordSchema.safeParse(json);
    if (!parsed.success) throw new Error(`line ${i + 1}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    out.push(parsed.data);
  });
  return out;
}

export const table1SeedSchema = z.object({
  seed: z.number().int(),
  /** the run folder, as given on the command line */
  run: z.string(),
  mark: z.enum(MARKS).nullable(),
  /** fraction of the gap closed at the last evaluation (docs/VERDICTS.md) */
  gapClosed: z.number().nullable(),
  /** the model's mean metric over the in-context regime at the last evaluation */
  value: z.number().nullable(),
  reference: z.string(),
  /** the step of the last evaluation */
  lastStep: z.number().int(),
  /** the first step from which the final mark held at every later evaluation */
  stepsToVerdict: z.number().int().nullable(),
  /** why there is no mark (no evaluation, a refused verdict) */
  error: z.string().optional(),
  /** the run's settings in words: width, depth, batch, LR, task parameters (src/cli/run-settings.ts) */
  settings: z.string().optional(),
  /**
   * the run ended before its planned steps without having learnt (a sweep's time limit stopped it):
   * its mark is provisional and does not count towards the cell's mark
   */
  cutShort: z.boolean().optional(),
});
export type Table1Seed = z.infer<typeof table1SeedSchema>;

export const table1CellSchema = z.object({
  task: z.string(),
  arch: z.string(),
  paper: z.enum(PAPER_MARKS),
  seeds: z.array(table1SeedSchema),
  /** our mark: the most common mark over the seeds that ran their course (ties to the worse), null without any */
  mark: z.enum(MARKS).nullable(),
  /** how many seeds have `mark` */
  agreeing: z.number().int(),
  /** the settings of its runs in words (a grid cell: the task's lesson preset) */
  settings: z.string().optional(),
});
export type Table1Cell = z.infer<typeof table1CellSchema>;

/** The seeds of a cell that ran their course (the ones its mark counts), and how many were cut short. */
export function seedsCounted(cell: Pick<Table1Cell, 'seeds'>): { counted: Table1Seed[]; cutShort: number } {
  const counted = cell.seeds.filter((s) => !s.cutShort);
  return { counted, cutShort: cell.seeds.length - counted.length };
}

export const table1Schema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  machine: z.string(),
  command: z.string(),
  /** the backends the runs trained on (from their summary.json), e.g. "webgpu (nvidia ...)" */
  trainedOn: z.array(z.string()).default([]),
  tasks: z.array(z.string()),
  archs: z.array(z.string()),
  /** the grid: runs at each task's lesson preset */
  cells: z.array(table1CellSchema),
  /** runs at other settings (sweeps that looked for the lesson preset), one cell per setting */
  explored: z.array(table1CellSchema).default([]),
});
export type Table1 = z.infer<typeof table1Schema>;
