/**
 * Experiment presets (docs/PRESETS.md has the measured steps-to-phenomenon):
 *  - 'paper': the sizes of paper.md and the authors' per-task configs (d, N, each task's width D and
 *    depth, batch 64, LR, clip, curriculum and steps of its table), for headless GPU runs;
 *  - 'classroom' (the lesson preset): each task's own sizes (src/tasks/<task>.ts `classroom`), chosen
 *    by GPU sweeps so that the paper's finding shows in the fewest steps (d 4-16, D 32-64, a shortened
 *    curriculum, batch 64-256, LR 1e-3; docs/TABLE1.md has the runs).
 * A preset is a function (task, architectures) -> experiment input, which goes through
 * `parseExperiment` like any other input (so every bound and default still applies).
 */
import { ARCHITECTURE_INFO, type Architecture, layersFor, type ModelSpecInput } from '../schema/architecture';
import {
  EXPERIMENT_VERSION,
  type Experiment,
  type ExperimentInput,
  parseExperiment,
} from '../schema/experiment';
import { getTask, TASKS } from '../tasks';
import type { ClassroomSettings, CurriculumSpec, Schedule, TaskName } from '../tasks/types';

export const PRESET_NAMES = ['classroom', 'paper'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(s: string): s is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(s);
}

export const DEFAULT_ARCHITECTURES: readonly Architecture[] = ['transformer', 'mamba', 'mambaformer'];

/** Classroom sizes of one task (each task's own `classroom`). */
export type { ClassroomSettings } from '../tasks/types';

/** Each task's classroom settings by name (read from the tasks: `getTask(name).classroom`). */
export const CLASSROOM = Object.fromEntries(TASKS.map((t) => [t.name, t.classroom])) as Readonly<
  Record<TaskName, ClassroomSettings>
>;

/**
 * Rows of the learned position embedding in the authors' configs (n_positions = 101): HF GPT-2
 * gets 2 x 101, the standard hybrid's `wpe` 101. Pass as `positionRows` to the Trainer for
 * checkpoints whose shapes match the authors' state_dicts. Undefined: no position embedding.
 */
export function paperPositionRows(arch: Architecture): number | undefined {
  return ARCHITECTURE_INFO[arch].paperPositionRows;
}

/** The classroom curriculum: the paper's schedule with its interval shortened. */
function shortenCurriculum(paper: CurriculumSpec, interval: number): CurriculumSpec {
  const shorten = (s: Schedule): Schedule => (s.start === s.end ? s : { ...s, interval });
  return { dims: shorten(paper.dims), points: shorten(paper.points) };
}

/**
 * Classroom models: width D with 4 heads, as deep as a GPT-2 of `gpt2Layers` layers (default 2: the
 * Transformer 2 layers, the SSM and hybrid models 4 blocks: paper.md's counting).
 */
function classroomModel(arch: Architecture, dModel: number, gpt2Layers = 2): ModelSpecInput {
  return { arch, dModel, nHead: 4, nLayer: layersFor(arch, gpt2Layers) };
}

/** The paper's model of a task: its authors' width and depth (the depth counted per architecture). */
function paperModel(arch: Architecture, task: TaskName): ModelSpecInput {
  const { dModel, gpt2Layers } = getTask(task).paper;
  return { arch, dModel, nLayer: layersFor(arch, gpt2Layers) };
}

/** The experiment input of a preset (not yet validated: pass it to parseExperiment). */
export function presetInput(
  preset: PresetName,
  task: TaskName,
  archs: readonly Architecture[] = DEFAULT_ARCHITECTURES,
  seed = 0,
): ExperimentInput {
  if (preset === 'paper') {
    return {
      version: EXPERIMENT_VERSION,
      task: { name: task, params: {} },
      models: archs.map((arch) => paperModel(arch, task)),
      seed,
    };
  }
  const c = getTask(task).classroom;
  return {
    version: EXPERIMENT_VERSION,
    task: { name: task, params: c.params },
    models: archs.map((arch) => classroomModel(arch, c.dModel, c.gpt2Layers)),
    optimizer: { lr: c.lr, warmupSteps: c.warmupSteps ?? 0 },
    batchSize: c.batchSize ?? 64,
    steps: c.steps,
    seed,
    evaluation: { prompts: 256, everySteps: 250, bootstrap: 200 },
  };
}

/**
 * A validated experiment of a preset. The classroom curriculum is derived from the task's own
 * (paper) curriculum at the classroom parameters, with the interval shortened. `overrides` are
 * merged on top (shallowly per section) before validation. Throws with every problem listed.
 */
export function presetExperiment(
  preset: PresetName,
  task: TaskName,
  archs: readonly Architecture[] = DEFAULT_ARCHITECTURES,
  seed = 0,
  overrides: Partial<ExperimentInput> = {},
): Experiment {
  const input = presetInput(preset, task, archs, seed);
  const merged: Record<string, unknown> = { ...input, ...overrides };
  if (overrides.optimizer) merged.optimizer = { ...input.optimizer, ...overrides.optimizer };
  if (overrides.evaluation) merged.evaluation = { ...input.evaluation, ...overrides.evaluation };
  if (overrides.task) merged.task = { ...input.task, ...overrides.task };
  let parsed = parseExperiment(merged);
  if (parsed.ok && preset === 'classroom' && !overrides.curriculum) {
    const curriculum = shortenCurriculum(parsed.experiment.curriculum, getTask(task).classroom.interval);
    parsed = parseExperiment({ ...merged, curriculum });
  }
  if (!parsed.ok)
    throw new Error(`preset ${preset} for ${task} is invalid:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.experiment;
}
