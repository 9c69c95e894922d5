/**
 * Every curve of a run, as one plain record, and its CSV and JSON forms: the training loss of each
 * model, and the in-context curves of the models and of the task's baselines, each point with its
 * 5–95 % bootstrap band and the number of prompts scored there.
 */
import type { IclCurveSet } from '../../eval/types';
import type { Experiment } from '../../schema/experiment';
import { toCsv } from './csv';

export interface LossCurveExport {
  /** the model's title, e.g. "Mamba" */
  model: string;
  arch: string;
  /** steps per point (the curve is bucketed: each point is the mean loss of its bucket) */
  bucketSteps: number;
  /** first step of each point's bucket */
  step: number[];
  /** mean training loss (null: no finite loss in the bucket) */
  loss: (number | null)[];
}

export interface IclCurveExport {
  source: 'model' | 'baseline';
  /** the model's title (models only) */
  model?: string;
  /** the training step the model was scored at (models only) */
  trainedSteps?: number | null;
  key: string;
  label: string;
  head: string;
  metric: string;
  yLabel: string;
  /** the trivial predictor's level */
  chance: number;
  prompts: number;
  seed: number;
  examples: number[];
  mean: (number | null)[];
  lo: (number | null)[];
  hi: (number | null)[];
  count: number[];
}

export interface CurvesExport {
  format: 'icl-lab-curves';
  version: 1;
  exportedAt: string;
  experiment: Experiment;
  loss: LossCurveExport[];
  icl: IclCurveExport[];
}

export interface ModelCurvesInput {
  model: string;
  arch: string;
  loss: { x: readonly number[]; y: readonly number[]; width: number };
  curves: readonly IclCurveSet[] | null;
  curvesStep: number | null;
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

function iclEntries(
  set: IclCurveSet,
  source: IclCurveExport['source'],
  model?: { model: string; step: number | null },
): IclCurveExport[] {
  return set.curves.map((c) => ({
    source,
    ...(model && { model: model.model, trainedSteps: model.step }),
    key: c.key,
    label: c.label,
    head: set.head,
    metric: set.metric,
    yLabel: set.yLabel,
    chance: set.chance,
    prompts: set.prompts,
    seed: set.seed,
    examples: Array.from(c.examples),
    mean: Array.from(c.mean, finiteOrNull),
    lo: Array.from(c.lo, finiteOrNull),
    hi: Array.from(c.hi, finiteOrNull),
    count: Array.from(c.count),
  }));
}

/** The record of every curve: models' losses, models' ICL curves (every head), then the baselines. */
export function collectCurves(input: {
  experiment: Experiment;
  models: readonly ModelCurvesInput[];
  baselines: IclCurveSet | null;
  exportedAt: Date;
}): CurvesExport {
  const loss = input.models.map((m) => ({
    model: m.model,
    arch: m.arch,
    bucketSteps: m.loss.width,
    step: [...m.loss.x],
    loss: m.loss.y.map(finiteOrNull),
  }));
  const icl = [
    ...input.models.flatMap((m) =>
      (m.curves ?? []).flatMap((set) => iclEntries(set, 'model', { model: m.model, step: m.curvesStep })),
    ),
    ...(input.baselines ? iclEntries(input.baselines, 'baseline') : []),
  ];
  return {
    format: 'icl-lab-curves',
    version: 1,
    exportedAt: input.exportedAt.toISOString(),
    experiment: input.experiment,
    loss,
    icl,
  };
}

export function curvesJson(curves: CurvesExport): string {
  return `${JSON.stringify(curves, null, 1)}\n`;
}

export const CURVES_CSV_HEADER = [
  'series',
  'source',
  'model',
  'label',
  'head',
  'metric',
  'x_kind',
  'x',
  'y',
  'lo',
  'hi',
  'count',
  'trained_steps',
] as const;

/** Long ("tidy") CSV: one row per point of every curve; loss rows first, then ICL rows. */
export function curvesCsv(curves: CurvesExport): string {
  const rows: (string | number | null)[][] = [];
  for (const c of curves.loss) {
    c.step.forEach((step, i) => {
      rows.push([
        'loss',
        'model',
        c.model,
        c.model,
        '',
        'training loss',
        'step',
        step,
        c.loss[i],
        null,
        null,
        null,
        null,
      ]);
    });
  }
  for (const c of curves.icl) {
    c.examples.forEach((x, i) => {
      rows.push([
        'icl',
        c.source,
        c.model ?? '',
        c.label,
        c.head,
        c.yLabel,
        'examples',
        x,
        c.mean[i],
        c.lo[i],
        c.hi[i],
        c.count[i],
        c.trainedSteps ?? null,
      ]);
    });
  }
  return toCsv(CURVES_CSV_HEADER, rows);
}
