/**
 * A run summary in Markdown: what was trained (the configuration, in a table and as the exact
 * experiment JSON), how far each model got, and the final in-context curves as a table (one row per
 * number of in-context examples, one column per model or baseline) with the last point's bootstrap
 * band.
 */
import type { IclCurveSet } from '../../eval/types';
import type { Experiment } from '../../schema/experiment';

/** One table cell: pipes and backslashes escaped, line breaks folded, never empty. */
export function markdownCell(text: string): string {
  const t = text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .trim();
  return t || ' ';
}

/** A GitHub-flavoured Markdown table; `numeric` columns are right-aligned. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[] = [],
): string {
  const line = (cells: readonly string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  const rule = `|${header.map((_, i) => (numeric[i] ? ' ---: ' : ' --- ')).join('|')}|`;
  const body = rows.map((r) => {
    if (r.length !== header.length)
      throw new Error(`table row has ${r.length} cells, the header ${header.length}`);
    return line(r);
  });
  return [line(header), rule, ...body].join('\n');
}

/** 4 significant digits, '–' for a missing value. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

export interface SummaryModel {
  title: string;
  spec: Experiment['models'][number];
  step: number;
  state: string;
  lastLoss: number | null;
}

export interface RunSummaryInput {
  experiment: Experiment;
  taskTitle: string;
  /** a link that reopens the experiment */
  link?: string;
  models: readonly SummaryModel[];
  /** the ICL chart's curves: baselines and models on the same prompts */
  icl: IclCurveSet | null;
  exportedAt: Date;
}

function configRows(e: Experiment, taskTitle: string): string[][] {
  const rows: string[][] = [['Task', `${taskTitle} (${e.task.name})`]];
  for (const [k, v] of Object.entries(e.task.params)) rows.push([`Task: ${k}`, JSON.stringify(v)]);
  rows.push(
    ['Seed', String(e.seed)],
    ['Batch size', String(e.batchSize)],
    ['Steps', String(e.steps)],
    ['Learning rate', formatNumber(e.optimizer.lr ?? null)],
    ['Adam β1, β2, ε', `${e.optimizer.beta1}, ${e.optimizer.beta2}, ${e.optimizer.eps}`],
    ['Gradient clip (global norm)', e.clip === null || e.clip === undefined ? 'none' : String(e.clip)],
    [
      'Curriculum: dimensions',
      `${e.curriculum.dims.start} → ${e.curriculum.dims.end} (+${e.curriculum.dims.inc} every ${e.curriculum.dims.interval} steps)`,
    ],
    [
      'Curriculum: examples',
      `${e.curriculum.points.start} → ${e.curriculum.points.end} (+${e.curriculum.points.inc} every ${e.curriculum.points.interval} steps)`,
    ],
    [
      'Evaluation',
      `${e.evaluation.prompts} prompts every ${e.evaluation.everySteps} steps, ${e.evaluation.bootstrap} bootstrap resamples`,
    ],
  );
  return rows;
}

function iclSection(set: IclCurveSet): string[] {
  const xs = [...new Set(set.curves.flatMap((c) => Array.from(c.examples)))].sort((a, b) => a - b);
  const at = (c: IclCurveSet['curves'][number], x: number) => {
    const i = Array.from(c.examples).indexOf(x);
    return i < 0 || c.count[i] === 0 ? null : c.mean[i];
  };
  const table = markdownTable(
    ['examples', ...set.curves.map((c) => c.label)],
    xs.map((x) => [String(x), ...set.curves.map((c) => formatNumber(at(c, x)))]),
    [true, ...set.curves.map(() => true)],
  );
  const last = markdownTable(
    ['curve', 'examples', `mean ${set.yLabel}`, '5 %', '95 %', 'prompts'],
    set.curves.map((c) => {
      const i = c.examples.length - 1;
      return i < 0
        ? [c.label, '–', '–', '–', '–', '0']
        : [
            c.label,
            String(c.examples[i]),
            formatNumber(c.mean[i]),
            formatNumber(c.lo[i]),
            formatNumber(c.hi[i]),
            String(c.count[i]),
          ];
    }),
    [false, true, true, true, true, true],
  );
  return [
    `## Final in-context ${set.metric === 'squared-error' ? 'error' : 'accuracy'}`,
    '',
    `Mean ${set.yLabel} over ${set.prompts} evaluation prompts (seed ${set.seed}), by number of in-context ` +
      `examples; the trivial predictor scores ${formatNumber(set.chance)}.`,
    '',
    table,
    '',
    'At the last point, with the 5–95 % bootstrap band of the mean:',
    '',
    last,
  ];
}

export function runSummaryMarkdown(input: RunSummaryInput): string {
  const e = input.experiment;
  const lines: string[] = [
    `# ICL Lab run: ${input.taskTitle}`,
    '',
    `Exported ${input.exportedAt.toISOString()}.${input.link ? ` Reopen this experiment: <${input.link}>` : ''}`,
    '',
    '## Configuration',
    '',
    markdownTable(['setting', 'value'], configRows(e, input.taskTitle)),
    '',
    '## Models',
    '',
    markdownTable(
      ['model', 'width', 'layers', 'heads', 'state size', 'trained steps', 'last loss', 'state'],
      e.models.map((spec, i) => {
        const m = input.models.find((x) => x.spec === spec) ?? input.models[i];
        return [
          m?.title ?? spec.arch,
          String(spec.dModel),
          String(spec.nLayer),
          String(spec.nHead),
          String(spec.dState),
          m ? `${m.step} / ${e.steps}` : `0 / ${e.steps}`,
          formatNumber(m?.lastLoss ?? null),
          m?.state ?? 'not started',
        ];
      }),
      [false, true, true, true, true, true, true, false],
    ),
    '',
  ];
  if (input.icl && input.icl.curves.length > 0) lines.push(...iclSection(input.icl), '');
  else lines.push('No in-context curves yet.', '');
  lines.push('## Experiment (exact)', '', '```json', JSON.stringify(e, null, 2), '```', '');
  return lines.join('\n');
}
