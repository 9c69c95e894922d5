/**
 * The page's Table 1 view, pure: the measured grid (public/table1.json, written by
 * `npm run cli -- table1 --json`, read as untrusted through `table1Schema`) as rows of tasks x
 * architectures, each cell the paper's mark beside ours with the number and the seeds behind it.
 * Every task of the registry (the paper's nine and token MQAR) and every architecture of the table
 * has a cell: one without runs says "not measured", never hidden.
 */
import { formatValue } from '../../eval/caption';
import { type Mark, type PaperMark, paperMark } from '../../eval/verdict';
import { seedsCounted, type Table1, type Table1Cell, table1Schema } from '../../formats/table1';
import { ARCHITECTURE_TITLES, type Architecture } from '../../schema/architecture';
import { TASK_NAMES } from '../../tasks';
import type { TaskName } from '../../tasks/types';
import { taskTitle } from '../recordings/recorded-tasks';

/** The columns, in the order of the page (the paper's three, then the others). */
export const TABLE1_COLUMNS = [
  'transformer',
  'mamba',
  'mambaformer',
  'hybrid',
  's4-mamba',
  's4',
] as const satisfies readonly Architecture[];

export type Agreement = 'agrees' | 'differs' | 'no-paper-mark' | 'not-measured' | 'no-verdict';

export interface Table1CellView {
  task: TaskName;
  arch: Architecture;
  paper: PaperMark;
  /** the paper's word: "yes", "gap", "fails", or "–" where it gives none */
  paperText: string;
  ours: Mark | null;
  /** "learns 3/3", "partial 2/3", "no verdict" (runs without a mark), "not measured" */
  oursText: string;
  /** "0.98 · 3 seeds · from step 2250" (empty when not measured) */
  detail: string;
  agreement: Agreement;
  /** the agreement in words, with a sign: "✓ agrees", "✗ differs", "paper: no mark", "" */
  agreementText: string;
  /** the settings of its runs (the task's lesson preset), e.g. "D 64 · 3 layers, 4 heads · batch 256 ..." */
  settings: string;
  /** the cell's accessible name */
  label: string;
}

export interface Table1Row {
  task: TaskName;
  title: string;
  cells: Table1CellView[];
}

export interface Table1View {
  columns: Array<{ arch: Architecture; title: string }>;
  rows: Table1Row[];
  /** where the numbers come from: date, machine, seeds, runs */
  caption: string;
}

const PAPER_TEXT: Record<PaperMark, string> = { learns: 'yes', partial: 'gap', fails: 'fails', unknown: '–' };

/** Parse table1.json (untrusted): the table, or a message a reader understands. Never throws. */
export function parseTable1(json: unknown): { ok: true; table: Table1 } | { ok: false; error: string } {
  const parsed = table1Schema.safeParse(json);
  if (parsed.success) return { ok: true, table: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return {
    ok: false,
    error: `table1.json is not a Table 1 file (src/formats/table1.ts): ${issue?.message ?? 'invalid'}${where}.`,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Our side of a cell: the mark over the seeds, and the number and seeds behind it. */
function ours(cell: Table1Cell | undefined): Pick<Table1CellView, 'ours' | 'oursText' | 'detail'> {
  if (!cell || cell.seeds.length === 0) return { ours: null, oursText: 'not measured', detail: '' };
  const { counted, cutShort } = seedsCounted(cell);
  const n = counted.length;
  const cut = cutShort ? `${cutShort} cut short` : null;
  if (!cell.mark) {
    const why = cell.seeds.find((s) => s.error)?.error;
    const what = [plural(n, 'seed'), cut, why].filter((p): p is string => Boolean(p)).join(' · ');
    return { ours: null, oursText: 'no verdict', detail: what };
  }
  const mine = counted.filter((s) => s.mark === cell.mark);
  const values = mine.map((s) => s.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const value = values.length ? formatValue(values.reduce((a, b) => a + b, 0) / values.length) : null;
  // the mark holds for every agreeing seed from the latest of their steps to verdict
  const since = mine.map((s) => s.stepsToVerdict);
  const from = since.every((s): s is number => s !== null) && since.length ? Math.max(...since) : null;
  const parts = [value, plural(n, 'seed'), from !== null ? `from step ${from}` : null, cut];
  return {
    ours: cell.mark,
    oursText: `${cell.mark} ${cell.agreeing}/${n}`,
    detail: parts.filter((p): p is string => p !== null).join(' · '),
  };
}

function agreementOf(paper: PaperMark, mine: Mark | null, measured: boolean): Agreement {
  if (!measured) return 'not-measured';
  if (mine === null) return 'no-verdict';
  if (paper === 'unknown') return 'no-paper-mark';
  return paper === mine ? 'agrees' : 'differs';
}

const AGREEMENT_TEXT: Record<Agreement, string> = {
  agrees: '✓ agrees',
  differs: '✗ differs',
  'no-paper-mark': 'paper: no mark',
  'not-measured': '',
  'no-verdict': '',
};

/** One cell of the grid. */
export function cellView(task: TaskName, arch: Architecture, cell: Table1Cell | undefined): Table1CellView {
  const paper = cell ? cell.paper : paperMark(task, arch);
  const o = ours(cell);
  const agreement = agreementOf(paper, o.ours, o.oursText !== 'not measured');
  const agreementText = AGREEMENT_TEXT[agreement];
  const paperText = PAPER_TEXT[paper];
  const said = paper === 'unknown' ? 'the paper gives no mark' : `the paper: ${paperText}`;
  const measured = o.detail ? `ours: ${o.oursText}, ${o.detail}` : `ours: ${o.oursText}`;
  return {
    task,
    arch,
    paper,
    paperText,
    ...o,
    agreement,
    agreementText,
    settings: cell?.settings ?? '',
    label:
      `${taskTitle(task)}, ${ARCHITECTURE_TITLES[arch]}: ${said}; ${measured}` +
      `${agreementText ? `; ${agreementText.slice(2)}` : ''}. Opens the recording.`,
  };
}

/** "3 December 2026" from an ISO date (the string as it is when it is not one). */
function day(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** The caption above the grid: where the numbers come from. */
export function table1Caption(table: Table1): string {
  const seeds = [...new Set(table.cells.flatMap((c) => c.seeds.map((s) => s.seed)))].sort((a, b) => a - b);
  const runs = table.cells.reduce((n, c) => n + c.seeds.length, 0);
  const seedText = seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds.join(', ')}`;
  return (
    `Measured ${day(table.createdAt)} on ${table.trainedOn.length ? table.trainedOn.join('; ') : table.machine}: ` +
    `${plural(runs, 'run')}, ${seedText}, each task at its lesson preset; ` +
    `each cell the paper's mark beside ours (the most common over the seeds, docs/VERDICTS.md).`
  );
}

/** What the caption says without a measured table. */
export const NO_TABLE1_CAPTION =
  "Nothing measured on this site yet: the paper's marks only; every cell of ours is not measured.";

/** The whole grid: every task of the registry x the six columns (null: no measured table, the paper's marks). */
export function table1View(table: Table1 | null): Table1View {
  const byKey = new Map((table?.cells ?? []).map((c) => [`${c.task}\u0000${c.arch}`, c]));
  return {
    columns: TABLE1_COLUMNS.map((arch) => ({ arch, title: ARCHITECTURE_TITLES[arch] })),
    rows: TASK_NAMES.map((task) => ({
      task,
      title: taskTitle(task),
      cells: TABLE1_COLUMNS.map((arch) => cellView(task, arch, byKey.get(`${task}\u0000${arch}`))),
    })),
    caption: table ? table1Caption(table) : NO_TABLE1_CAPTION,
  };
}
