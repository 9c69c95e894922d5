/**
 * The settings of one model of a sweep run, as the Table 1 pipeline needs them: a short label for the
 * tables ("D 32 · 2 layers · batch 256 · LR 3e-4, warm-up 250 · d 5, N 11") and whether the run used
 * its task's lesson preset (the classroom preset of src/tasks/<task>.ts). Only lesson-preset runs make
 * the grid; runs at other settings are listed as explorations, never dropped.
 *
 * Two runs have the same settings when everything that changes what a model learns agrees: the task
 * parameters, the model's size, the optimiser, the clip, the batch and the curriculum. The number of
 * steps and the evaluation are left out: a sweep caps steps per run and stops a model at its verdict.
 */
import type { Architecture } from '../schema/architecture';
import type { Experiment } from '../schema/experiment';
import { presetExperiment } from './presets';

type ModelSpec = Experiment['models'][number];

/** The fields of a model spec that shape it (the name-free part of the spec). */
function modelShape(spec: ModelSpec): Record<string, unknown> {
  const { arch: _arch, ...rest } = spec as ModelSpec & Record<string, unknown>;
  return rest;
}

/** What makes two runs of one architecture the same setting (see the module comment). */
export function settingsKey(experiment: Experiment, index: number): string {
  const spec = experiment.models[index];
  return JSON.stringify({
    task: experiment.task,
    model: modelShape(spec),
    optimizer: experiment.optimizer,
    clip: experiment.clip,
    batchSize: experiment.batchSize,
    curriculum: experiment.curriculum,
  });
}

/** True when model `index` of the run used its task's lesson preset (any seed, any step count). */
export function isLessonRun(experiment: Experiment, index: number): boolean {
  const arch: Architecture = experiment.models[index].arch;
  const lesson = presetExperiment('classroom', experiment.task.name, [arch], experiment.seed);
  return settingsKey(lesson, 0) === settingsKey(experiment, index);
}

/** 3e-4, 1e-3, 0.01 */
const num = (x: number) => (Math.abs(x) < 1e-2 ? x.toExponential(0) : String(x));

/** "D 32 · 2 layers, 4 heads · batch 256 · LR 3e-4, warm-up 250 · d 5, nPoints 11" (every task parameter). */
export function settingsLabel(experiment: Experiment, index: number): string {
  const spec = experiment.models[index] as ModelSpec & { nHead?: number };
  const { lr, warmupSteps } = experiment.optimizer;
  const params = Object.entries(experiment.task.params)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'boolean')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const parts = [
    `D ${spec.dModel}`,
    `${spec.nLayer} layers${spec.nHead ? `, ${spec.nHead} heads` : ''}`,
    `batch ${experiment.batchSize}`,
    `LR ${num(lr)}${warmupSteps ? `, warm-up ${warmupSteps}` : ''}`,
    params,
  ];
  const c = experiment.curriculum;
  if (c && (c.dims.start !== c.dims.end || c.points.start !== c.points.end))
    parts.push(`curriculum d ${c.dims.start}→${c.dims.end}, N ${c.points.start}→${c.points.end}`);
  return parts.filter(Boolean).join(' · ');
}

/**
 * For a recorded or shared run: null when every model used its task's lesson preset, else one
 * sentence naming the run's settings and the lesson's, e.g. "Recorded at D 32 · 2 layers, 4 heads ·
 * batch 64 · LR 1e-3 · d 5, nPoints 11; this task's lesson preset is D 64 · 3 layers, ...".
 */
export function lessonSettingsNote(experiment: Experiment): string | null {
  const off = experiment.models.findIndex((_, i) => !isLessonRun(experiment, i));
  if (off < 0) return null;
  const lesson = presetExperiment(
    'classroom',
    experiment.task.name,
    [experiment.models[off].arch],
    experiment.seed,
  );
  return `Recorded at ${settingsLabel(experiment, off)}; this task's lesson preset is ${settingsLabel(lesson, 0)}.`;
}
