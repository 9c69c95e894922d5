/**
 * `npm run cli -- table1 --from DIR [DIR...] [--markdown FILE] [--json FILE]`
 * `npm run cli -- table1 --plan [--seeds N] [--models a,b] [--tasks t1,t2] [--steps N] [--no-stop]`
 *
 * Reads the runs a sweep left (bench/sweep.sh: OUTDIR/runs/<tag>/experiment.json + <model>-evals.jsonl,
 * or, for a run without the jsonl, the evaluation lines of OUTDIR/<tag>.log), computes every model's
 * verdict and steps-to-verdict (src/eval/verdict.ts, docs/VERDICTS.md) against the task's reference
 * baseline, computed here on the run's seeded evaluation prompts (once per task, parameters, seed
 * and prompt count), and prints the grid tasks x architectures next to the paper's marks.
 * `--plan` prints a sweep plan (one CLI train run a line) for bench/sweep.sh instead.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, hostname, platform } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateBaselines } from '../eval';
import type { IclCurveSet } from '../eval/types';
import {
  type Mark,
  type MarkAt,
  type PaperMark,
  paperMark,
  paperWord,
  REFERENCE_BASELINE,
  stepsToVerdict,
  verdictOfSet,
} from '../eval/verdict';
import {
  type EvalRecord,
  parseEvalRecords,
  type Table1,
  type Table1Cell,
  type Table1Seed,
  table1Schema,
} from '../formats/table1';
import { ARCHITECTURE_TITLES, ARCHITECTURES, type Architecture } from '../schema/architecture';
import { type Experiment, parseExperiment } from '../schema/experiment';
import { TASKS } from '../tasks';
import type { MetricKind, TaskName } from '../tasks/types';
import { isLessonRun, settingsKey, settingsLabel } from '../train/run-settings';
import { UsageError } from './task-args';

export const TABLE1_USAGE = `usage: npm run cli -- table1 --from DIR [DIR...] [--markdown FILE] [--json FILE]
       npm run cli -- table1 --plan [--seeds N] [--models a,b,c] [--tasks t1,t2] [--steps N] [--no-stop]
  --from DIR...   run folders (experiment.json + <model>-evals.jsonl), or folders holding them
                  (searched 3 levels deep, e.g. a sweep's OUTDIR)
  --markdown FILE write the grid and the per-seed numbers as Markdown (date, machine, command)
  --json FILE     write the grid as JSON (src/formats/table1.ts) for the page
  --plan          print a sweep plan for bench/sweep.sh: one line per task x model x seed
  --seeds N       seeds 0..N-1 (default 3)
  --models a,b,c  architectures (default transformer,mamba,mambaformer)
  --tasks t1,t2   tasks (default: the nine of the paper's table)
  --steps N       training steps per run (default: the lesson preset's)
  --no-stop       leave out --stop-at-verdict (runs go to their last step)`;

// ---------------------------------------------------------------------------------------------
// Reading runs

/** One model of one run: its evaluations (step and curves), oldest first. */
export interface RunModel {
  run: string;
  experiment: Experiment;
  index: number;
  arch: Architecture;
  records: EvalRecord[];
  /** 'jsonl' or 'log' */
  source: string;
  /** the backend it trained on (summary.json), when the run finished and wrote one */
  backend?: string;
}

/** File stem of each model of an experiment, as CLI train writes them. */
export function modelStems(experiment: Experiment): string[] {
  const archs = experiment.models.map((m) => m.arch);
  return archs.map((a, i) => (archs.filter((b) => b === a).length > 1 ? `${a}-${i}` : a));
}

/** Folders under `root` (itself included, at most `depth` levels down) that hold an experiment.json. */
export function findRunFolders(root: string, depth = 3): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`no folder ${root}`);
  if (existsSync(join(root, 'experiment.json'))) return [root];
  if (depth === 0) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .flatMap((name) => findRunFolders(join(root, name), depth - 1));
}

const TITLE_TO_ARCH = new Map(Object.entries(ARCHITECTURE_TITLES).map(([a, t]) => [t, a as Architecture]));

/**
 * The evaluation lines of a CLI train log (src/cli/train.ts evaluationLine):
 * "<Model> (N params) step S <head> <label> (chance C): ex:val ex:val ..." -> records per architecture.
 * Each head's metric is not in the line: `metricOf(head)` gives it.
 */
export function parseEvaluationLog(
  text: string,
  metricOf: (head: string) => MetricKind,
): Map<Architecture, EvalRecord[]> {
  const out = new Map<Architecture, EvalRecord[]>();
  const pattern = /^(.+?) \(([\d,]+) params\) step (\d+) (\S+) .*\(chance ([^)]+)\): (.*)$/;
  for (const raw of text.split(/[\r\n]+/)) {
    const m = pattern.exec(raw.trim());
    if (!m) continue;
    const arch = TITLE_TO_ARCH.get(m[1]);
    if (!arch) continue;
    const step = Number(m[3]);
    const pairs = m[6]
      .split(/\s+/)
      .map((p) => /^(\d+):(\S+)$/.exec(p))
      .filter((p): p is RegExpExecArray => p !== null);
    const head = {
      head: m[4],
      metric: metricOf(m[4]),
      chance: Number(m[5]),
      examples: pairs.map((p) => Number(p[1])),
      mean: pairs.map((p) => (Number.isFinite(Number(p[2])) ? Number(p[2]) : null)),
    };
    const list = out.get(arch) ?? [];
    const last = list[list.length - 1];
    if (last && last.step === step) last.heads.push(head);
    else list.push({ step, heads: [head] });
    out.set(arch, list);
  }
  return out;
}

/** The models of one run folder with their evaluations (jsonl, else the sweep's log beside runs/). */
export function readRun(folder: string): RunModel[] {
  const parsed = parseExperiment(JSON.parse(readFileSync(join(folder, 'experiment.json'), 'utf8')));
  if (!parsed.ok) throw new Error(`${folder}/experiment.json: ${parsed.errors.join('; ')}`);
  const experiment = parsed.experiment;
  const task = TASKS.find((t) => t.name === experiment.task.name)!;
  const heads = task.heads(experiment.task.params as never);
  const stems = modelStems(experiment);
  const log = join(dirname(dirname(folder)), `${basename(folder)}.log`);
  let fromLog: Map<Architecture, EvalRecord[]> | null = null;
  const summaryFile = join(folder, 'summary.json');
  let backend: string | undefined;
  if (existsSync(summaryFile)) {
    const b = (JSON.parse(readFileSync(summaryFile, 'utf8')) as { backend?: unknown }).backend;
    if (typeof b === 'string') backend = b;
  }
  return experiment.models.map((spec, index) => {
    const file = join(folder, `${stems[index]}-evals.jsonl`);
    let records: EvalRecord[] = [];
    let source = 'jsonl';
    if (existsSync(file)) records = parseEvalRecords(readFileSync(file, 'utf8'));
    else if (existsSync(log)) {
      fromLog ??= parseEvaluationLog(
        readFileSync(log, 'utf8'),
        (head) => heads.find((h) => h.name === head)?.metric ?? 'squared-error',
      );
      records = fromLog.get(spec.arch) ?? [];
      source = 'log';
    }
    return {
      run: folder,
      experiment,
      index,
      arch: spec.arch,
      records,
      source,
      ...(backend ? { backend } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// References and verdicts

/** The task's reference baseline (and zero) on the experiment's evaluation prompts, cached. */
export class ReferenceCache {
  private readonly sets = new Map<string, IclCurveSet | null>();
  computed = 0;

  get(experiment: Experiment): IclCurveSet | null {
    const task = TASKS.find((t) => t.name === experiment.task.name)!;
    const reference = REFERENCE_BASELINE[task.name];
    if (reference === null) return null;
    const key = JSON.stringify([
      task.name,
      experiment.task.params,
      experiment.curriculum,
      experiment.seed,
      experiment.evaluation.prompts,
    ]);
    if (!this.sets.has(key)) {
      this.computed++;
      this.sets.set(
        key,
        evaluateBaselines(
          task,
          experiment.task.params as never,
          experiment.curriculum ?? task.curriculum(experiment.task.params as never),
          {
            prompts: experiment.evaluation.prompts,
            seed: experiment.seed,
            resamples: 0,
            baselines: [reference, 'zero'],
          },
        ),
      );
    }
    return this.sets.get(key) ?? null;
  }
}

/** The verdict of a model at every evaluation, and the summary of its run for the table. */
export function judgeRun(model: RunModel, references: ReferenceCache): Table1Seed {
  const task = model.experiment.task.name;
  const base: Table1Seed = {
    seed: model.experiment.seed,
    run: model.run,
    mark: null,
    gapClosed: null,
    value: null,
    reference: REFERENCE_BASELINE[task] ?? 'perfect predictor',
    lastStep: model.records[model.records.length - 1]?.step ?? 0,
    stepsToVerdict: null,
    settings: settingsLabel(model.experiment, model.index),
  };
  if (model.records.length === 0) return { ...base, error: 'no evaluation' };
  const refs = references.get(model.experiment);
  const history: MarkAt[] = [];
  let last: ReturnType<typeof verdictOfSet> | null = null;
  let error: string | undefined;
  for (const record of model.records) {
    const head = record.heads[0];
    try {
      last = verdictOfSet(
        {
          task,
          metric: head.metric as MetricKind,
          chance: head.chance,
          curves: [
            {
              key: 'model',
              label: 'model',
              examples: Int32Array.from(head.examples),
              mean: Float64Array.from(head.mean, (v) => v ?? Number.NaN),
              lo: new Float64Array(0),
              hi: new Float64Array(0),
              count: new Int32Array(0),
            },
          ],
        },
        refs,
      );
      history.push({ step: record.step, mark: last.mark });
      error = undefined;
    } catch (e) {
      last = null;
      error = (e as Error).message;
    }
  }
  if (!last) return { ...base, error: error ?? 'no verdict' };
  // a model stopped at its verdict has learnt; any other run short of its planned steps (or of the
  // lesson's steps, when it planned more) was cut off
  const planned = Math.min(model.experiment.steps, TASKS.find((t) => t.name === task)!.classroom.steps);
  const cutShort = base.lastStep < planned && last.mark !== 'learns';
  return {
    ...base,
    ...(cutShort ? { cutShort } : {}),
    mark: last.mark,
    gapClosed: last.gapClosed,
    value: last.value,
    reference: last.referenceLabel,
    stepsToVerdict: stepsToVerdict(history),
  };
}

const SEVERITY: Record<Mark, number> = { fails: 0, partial: 1, learns: 2 };

/** The most common mark over the seeds (ties to the worse mark) and how many seeds have it. */
export function majorityMark(marks: readonly (Mark | null)[]): { mark: Mark | null; agreeing: number } {
  const counts = new Map<Mark, number>();
  for (const m of marks) if (m) counts.set(m, (counts.get(m) ?? 0) + 1);
  let best: Mark | null = null;
  for (const [m, c] of counts) {
    const b = best ? counts.get(best)! : -1;
    if (c > b || (c === b && best !== null && SEVERITY[m] < SEVERITY[best])) best = m;
  }
  return { mark: best, agreeing: best ? counts.get(best)! : 0 };
}

/**
 * The cell of `runs` (one task, architecture and setting): every seed judged (a seed run twice counts
 * once, by its longer run), the majority mark over the seeds that ran their course.
 */
function cellOf(
  task: TaskName,
  arch: Architecture,
  runs: readonly RunModel[],
  references: ReferenceCache,
): Table1Cell {
  const bySeed = new Map<number, Table1Seed>();
  for (const run of runs) {
    const judged = judgeRun(run, references);
    const kept = bySeed.get(judged.seed);
    if (!kept || judged.lastStep > kept.lastStep) bySeed.set(judged.seed, judged);
  }
  const seeds = [...bySeed.values()].sort((a, b) => a.seed - b.seed);
  const { mark, agreeing } = majorityMark(seeds.filter((s) => !s.cutShort).map((s) => s.mark));
  return { task, arch, paper: paperMark(task, arch), seeds, mark, agreeing, settings: seeds[0]?.settings };
}

/**
 * The grid: every task of the registry (a task without runs is a row of "not measured", never left
 * out) x the paper's three architectures and every other one present in the runs, in registry order.
 * A cell holds the runs at the task's lesson preset (src/cli/run-settings.ts); runs at any other
 * setting go to `explored`, one cell per task, architecture and setting.
 */
export function buildTable1(
  models: readonly RunModel[],
  references: ReferenceCache,
  meta: { command: string; machine: string; createdAt: string },
  isLesson: (experiment: Experiment, index: number) => boolean = isLessonRun,
): Table1 {
  const tasks = TASKS.map((t) => t.name);
  const paperArchs: readonly Architecture[] = ['transformer', 'mamba', 'mambaformer'];
  const archs = ARCHITECTURES.filter((a) => paperArchs.includes(a) || models.some((m) => m.arch === a));
  const cells: Table1Cell[] = [];
  const explored: Table1Cell[] = [];
  for (const task of tasks) {
    for (const arch of archs) {
      const mine = models.filter((m) => m.experiment.task.name === task && m.arch === arch);
      const lesson = mine.filter((m) => isLesson(m.experiment, m.index));
      if (lesson.length > 0) cells.push(cellOf(task, arch, lesson, references));
      const others = new Map<string, RunModel[]>();
      for (const m of mine) {
        if (lesson.includes(m)) continue;
        const key = settingsKey(m.experiment, m.index);
        others.set(key, [...(others.get(key) ?? []), m]);
      }
      for (const runs of others.values()) explored.push(cellOf(task, arch, runs, references));
    }
  }
  const trainedOn = [...new Set(models.flatMap((m) => (m.backend ? [m.backend] : [])))].sort();
  return table1Schema.parse({ version: 1, ...meta, trainedOn, tasks, archs, cells, explored });
}

// ---------------------------------------------------------------------------------------------
// Output

const taskTitle = (name: string) => TASKS.find((t) => t.name === name)?.title ?? name;
const archTitle = (a: string) => ARCHITECTURE_TITLES[a as Architecture] ?? a;

/**
 * "learns 3/3" (our mark and how many of the seeds that ran their course agree), "+1 cut short" for
 * runs a time limit stopped early, "—" without a mark.
 */
export function cellText(cell: Pick<Table1Cell, 'mark' | 'agreeing' | 'seeds'>): string {
  const cut = cell.seeds.filter((s) => s.cutShort).length;
  const full = cell.seeds.length - cut;
  const main = cell.mark ? `${cell.mark} ${cell.agreeing}/${full}` : '—';
  return cut ? `${main} (+${cut} cut short)` : main;
}

function agreement(paper: PaperMark, mine: Mark | null): string {
  if (paper === 'unknown' || mine === null) return '';
  return paper === mine ? ' ✓' : ' ✗';
}

function seedText(s: Table1Seed): string {
  if (!s.mark) return `seed ${s.seed}: ${s.error ?? 'no verdict'}`;
  const steps = s.stepsToVerdict === null ? '' : ` from step ${s.stepsToVerdict}`;
  const cut = s.cutShort ? ', cut short' : '';
  return `seed ${s.seed}: ${s.mark}${cut} (gap closed ${s.gapClosed!.toFixed(3)}, metric ${s.value!.toPrecision(3)}${steps}; last step ${s.lastStep})`;
}

/** The grid as text: one row per task, per architecture "paper word -> our mark k/n". */
export function formatTable1(table: Table1): string {
  const header = ['Task', ...table.archs.map(archTitle)];
  const rows = table.tasks.map((task) => [
    taskTitle(task),
    ...table.archs.map((arch) => {
      const cell = table.cells.find((c) => c.task === task && c.arch === arch);
      if (!cell) return `${paperWord(paperMark(task as TaskName, arch))} | not measured`;
      return `${paperWord(cell.paper)} | ${cellText(cell)}${agreement(cell.paper, cell.mark)}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const details = table.cells.flatMap((c) => [
    `${taskTitle(c.task)} · ${archTitle(c.arch)} (paper: ${paperWord(c.paper)}; reference: ${c.seeds[0]?.reference ?? '?'})`,
    ...c.seeds.map((s) => `  ${seedText(s)}`),
  ]);
  return [
    'paper mark | ours (seeds agreeing)   ✓ agrees, ✗ differs',
    line(header),
    ...rows.map(line),
    '',
    ...details,
  ].join('\n');
}

/** The grid as Markdown for docs/TABLE1.md. */
export function table1Markdown(table: Table1): string {
  const head = `| Task | ${table.archs.map(archTitle).join(' | ')} |`;
  const rule = `|---|${table.archs.map(() => '---').join('|')}|`;
  const rows = table.tasks.map((task) => {
    const cells = table.archs.map((arch) => {
      const cell = table.cells.find((c) => c.task === task && c.arch === arch);
      return cell
        ? `${paperWord(cell.paper)} / ${cellText(cell)}${agreement(cell.paper, cell.mark)}`
        : `${paperWord(paperMark(task as TaskName, arch))} / not measured`;
    });
    return `| ${taskTitle(task)} | ${cells.join(' | ')} |`;
  });
  const seedRows = (cells: readonly Table1Cell[]) =>
    cells.flatMap((c) =>
      c.seeds.map(
        (s) =>
          `| ${taskTitle(c.task)} | ${archTitle(c.arch)} | ${s.settings ?? '—'} | ${s.seed} | ${s.mark ?? s.error ?? '—'}${s.cutShort ? ' (cut short)' : ''} | ${
            s.gapClosed === null ? '—' : s.gapClosed.toFixed(3)
          } | ${s.value === null ? '—' : s.value.toPrecision(3)} | ${s.reference} | ${s.stepsToVerdict ?? '—'} | ${s.lastStep} |`,
      ),
    );
  const seedHead = [
    '| Task | Model | Settings | Seed | Mark | Gap closed | Metric | Reference | Steps to verdict | Last step |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const explored = table.explored.length
    ? [
        '## Runs at other settings',
        '',
        'Sweeps that looked for each lesson preset: these runs are not in the grid above (its cells hold only',
        "runs at the task's lesson preset), and none is left out here.",
        '',
        ...seedHead,
        ...seedRows(table.explored),
        '',
      ]
    : [];
  return [
    '# Table 1, measured',
    '',
    `Generated ${table.createdAt} on ${table.machine} by \`${table.command}\`.`,
    ...(table.trainedOn.length ? [`Runs trained on: ${table.trainedOn.join('; ')}.`] : []),
    'Each cell: the paper\'s mark / ours ("learns 3/3" = 3 of 3 seeds say learns); ✓ agrees, ✗ differs.',
    'Rules: docs/VERDICTS.md.',
    '',
    head,
    rule,
    ...rows,
    '',
    '## Per seed, at the lesson presets',
    '',
    ...seedHead,
    ...seedRows(table.cells),
    '',
    ...explored,
  ].join('\n');
}

/** The line after which `--markdown` replaces a file's text (the text above it is kept). */
export const MARKDOWN_MARKER = '<!-- table1 --markdown writes below this line -->';

/** The generated Markdown under the marker of an existing file, or the whole file without one. */
export function spliceMarkdown(existing: string | null, generated: string): string {
  const at = existing?.indexOf(MARKDOWN_MARKER) ?? -1;
  if (existing === null || at < 0) return generated;
  return `${existing.slice(0, at + MARKDOWN_MARKER.length)}\n\n${generated}`;
}

// ---------------------------------------------------------------------------------------------
// Plan

/** The tasks of the paper's Table 1, in registry order. */
export const TABLE1_TASKS: readonly TaskName[] = TASKS.map((t) => t.name).filter((t) => t !== 'token-mqar');

/** Per-task settings of a plan line: the preset and any extra CLI train arguments. */
export type PlanSettings = (task: TaskName) => { preset: string; args: readonly string[] };

/** Today's lesson settings: the classroom preset of each task, as CLI train reads it. */
export const lessonPlanSettings: PlanSettings = () => ({ preset: 'classroom', args: [] });

export interface PlanOptions {
  tasks: readonly TaskName[];
  models: readonly Architecture[];
  seeds: number;
  steps?: number;
  stopAtVerdict: boolean;
}

/** One bench/sweep.sh line per task x model x seed: "<tag> <train options>". */
export function planLines(options: PlanOptions, settings: PlanSettings = lessonPlanSettings): string[] {
  const lines: string[] = [];
  for (const task of options.tasks) {
    const s = settings(task);
    for (const arch of options.models) {
      for (let seed = 0; seed < options.seeds; seed++) {
        const args = [
          `--task ${task}`,
          `--models ${arch}`,
          `--seed ${seed}`,
          `--preset ${s.preset}`,
          ...(options.steps !== undefined ? [`--steps ${options.steps}`] : []),
          ...s.args,
          ...(options.stopAtVerdict ? ['--stop-at-verdict'] : []),
        ];
        lines.push(`${task}-${arch}-s${seed} ${args.join(' ')}`);
      }
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Command

function listOption<T extends string>(text: unknown, allowed: readonly T[], flag: string): T[] | undefined {
  if (text === undefined) return undefined;
  const items = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (bad.length || items.length === 0)
    throw new UsageError(`--${flag}: unknown ${bad.join(', ') || '(empty)'}; one of ${allowed.join(', ')}`);
  return items as T[];
}

function machine(): string {
  const c = cpus();
  return `${hostname()} (${platform()}, ${c.length} x ${c[0]?.model.trim() ?? 'cpu'})`;
}

export async function runTable1(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string', multiple: true },
      markdown: { type: 'string' },
      json: { type: 'string' },
      plan: { type: 'boolean' },
      seeds: { type: 'string' },
      models: { type: 'string' },
      tasks: { type: 'string' },
      steps: { type: 'string' },
      'no-stop': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(TABLE1_USAGE);
    return 0;
  }
  if (values.plan) {
    const seeds = Number(values.seeds ?? 3);
    if (!Number.isInteger(seeds) || seeds < 1 || seeds > 100) throw new UsageError('--seeds must be 1..100');
    const steps = values.steps === undefined ? undefined : Number(values.steps);
    if (steps !== undefined && !(Number.isInteger(steps) && steps > 0))
      throw new UsageError('--steps must be a positive integer');
    const lines = planLines({
      tasks:
        listOption(
          values.tasks,
          TASKS.map((t) => t.name),
          'tasks',
        ) ?? TABLE1_TASKS,
      models: listOption(values.models, ARCHITECTURES, 'models') ?? ['transformer', 'mamba', 'mambaformer'],
      seeds,
      steps,
      stopAtVerdict: !values['no-stop'],
    });
    console.log(
      `# Table 1 sweep plan (npm run cli -- table1 ${argv.join(' ')}): ${lines.length} runs\n${lines.join('\n')}`,
    );
    return 0;
  }
  // `--from A B C`: parseArgs takes one value per --from, the rest arrive as positionals
  const roots = [...(values.from ?? []), ...positionals];
  if (roots.length === 0) throw new UsageError(`table1 needs --from DIR or --plan\n${TABLE1_USAGE}`);
  const folders = [...new Set(roots.flatMap((r) => findRunFolders(r)))];
  if (folders.length === 0) throw new UsageError(`no run folder (experiment.json) under ${roots.join(', ')}`);
  const models = folders.flatMap((f) => readRun(f));
  const references = new ReferenceCache();
  const table = buildTable1(models, references, {
    command: `npm run cli -- table1 ${argv.join(' ')}`,
    machine: machine(),
    createdAt: new Date().toISOString(),
  });
  console.log(formatTable1(table));
  console.error(
    `${folders.length} run folder(s), ${models.length} model(s), ${references.computed} reference baseline set(s) computed`,
  );
  if (values.markdown) {
    const existing = existsSync(values.markdown) ? readFileSync(values.markdown, 'utf8') : null;
    writeFileSync(values.markdown, spliceMarkdown(existing, table1Markdown(table)));
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(table, null, 1)}\n`);
  return 0;
}
