/**
 * `cli baselines --task <name> [task params] [--prompts 1280] [--seed 0] [--baselines a,b]
 *  [--lasso-alphas 1,0.1,0.01] [--nn-prompts 32] [--rows 12] [--out DIR]`
 * Every applicable baseline's error per number of in-context examples, as a table, CSV and JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BASELINE_LABELS } from '../baselines';
import { evaluateBaselines } from '../eval';
import { LIMITS } from '../schema/limits';
import { bindTask, TASKS } from '../tasks';
import type { BaselineName } from '../tasks/types';
import { curvesToCsv, curvesToJson, formatCurveTable } from './curve-table';
import { ProgressLine } from './progress';
import { describeTaskParams, parseTaskParams, requireTaskName, UsageError } from './task-args';

const OPTIONS = {
  task: { type: 'string' },
  prompts: { type: 'string', default: '1280' },
  seed: { type: 'string', default: '0' },
  baselines: { type: 'string' },
  'lasso-alphas': { type: 'string' },
  'nn-prompts': { type: 'string' },
  rows: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export const BASELINES_USAGE = `usage: npm run cli -- baselines --task <name> [task parameters] [options]
options:
  --prompts N          evaluation prompts (default 1280)
  --seed S             seed of the evaluation prompts (default 0)
  --baselines a,b      only these baselines (default: the task's own list)
  --lasso-alphas a,b   Lasso penalties (default 0.01)
  --nn-prompts N       prompts for the NN-by-GD baseline (default 32; it is slow)
  --rows N             rows of the printed table (default: every number of examples)
  --out DIR            write baselines.csv and baselines.json there
task parameters: see 'npm run cli -- baselines --task <name> --help'`;

function positiveInt(flag: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${flag} must be an integer from 1 to ${max} (got ${text})`);
  return n;
}

export async function runBaselines(argv: string[]): Promise<number> {
  const { values, tokens } = parseArgs({ args: argv, options: OPTIONS, strict: false, tokens: true });
  const taskParams: Record<string, string> = {};
  const known = new Set(Object.keys(OPTIONS));
  const list = tokens ?? [];
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (t.kind === 'positional') throw new UsageError(`unexpected argument "${t.value}"`);
    if (t.kind !== 'option' || known.has(t.name)) continue;
    let value = t.value;
    if (value === undefined) {
      const next = list[i + 1];
      if (next?.kind === 'positional') {
        value = next.value;
        i++;
      } else throw new UsageError(`--${t.name} needs a value`);
    }
    taskParams[t.name] = value;
  }
  if (values.help && !values.task) {
    console.log(BASELINES_USAGE);
    return 0;
  }
  const name = requireTaskName(values.task as string | undefined);
  if (values.help) {
    console.log(`${BASELINES_USAGE}\nparameters of ${name}:\n${describeTaskParams(name)}`);
    return 0;
  }
  const params = parseTaskParams(name, taskParams);
  const task = bindTask(name, params);
  const prompts = positiveInt('prompts', values.prompts as string, LIMITS.evaluation.prompts.max)!;
  const seedText = values.seed as string;
  const seed = Number(seedText);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new UsageError(`--seed must be an integer from 0 to 4294967295 (got ${seedText})`);
  let baselines: BaselineName[] | undefined;
  if (typeof values.baselines === 'string') {
    baselines = values.baselines.split(',').map((s) => s.trim()) as BaselineName[];
    const bad = baselines.filter((b) => !(b in BASELINE_LABELS));
    if (bad.length)
      throw new UsageError(
        `unknown baseline ${bad.join(', ')}; known: ${Object.keys(BASELINE_LABELS).join(', ')}`,
      );
  }
  let lassoAlphas: number[] | undefined;
  if (typeof values['lasso-alphas'] === 'string') {
    lassoAlphas = values['lasso-alphas'].split(',').map(Number);
    if (lassoAlphas.some((a) => !(a > 0)))
      throw new UsageError('--lasso-alphas must be positive numbers, e.g. 1,0.1,0.01');
  }
  const nnPrompts = positiveInt('nn-prompts', values['nn-prompts'] as string | undefined, prompts);
  const rows = positiveInt('rows', values.rows as string | undefined, 10_000);
  if (task.baselines.length === 0 && !baselines) {
    console.error(
      `${task.title} has no classical baseline (its reference is the chance level ${task.chanceLevel()}).`,
    );
  }
  const progress = new ProgressLine(process.stderr);
  const started = performance.now();
  const set = evaluateBaselines(TASKS.find((t) => t.name === name)!, task.params, task.curriculum(), {
    prompts,
    seed,
    baselines,
    lassoAlphas,
    nnPrompts,
    onProgress: (done, total, label) =>
      progress.update(`baselines ${done}/${total} ${label}`, done, total, started),
  });
  progress.done(
    `baselines: ${set.curves.length} curves on ${prompts} prompts in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(`${task.title} (${JSON.stringify(task.params)})`);
  console.log(formatCurveTable(set, rows));
  if (typeof values.out === 'string') {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'baselines.csv'), curvesToCsv(set));
    writeFileSync(join(values.out, 'baselines.json'), curvesToJson(set));
    console.error(`wrote ${join(values.out, 'baselines.csv')} and baselines.json`);
  }
  return 0;
}
