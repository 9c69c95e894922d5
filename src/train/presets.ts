/**
 * Experiment presets (docs/PRESETS.md has the measured steps-to-phenomenon):
 *  - 'paper': the sizes of paper.md (d, N, D 128, the paper's layers, batch 64, LR, clip, curriculum
 *    and steps of its table), for headless GPU runs;
 *  - 'classroom': small sizes chosen so that each task's phenomenon shows in the fewest steps on a
 *    laptop (d 4-8, D 32, a shortened curriculum, batch 64, LR 1e-3).
 * A preset is a function (task, architectures) -> experiment input, which goes through
 * `parseExperiment` like any other input (so every bound and default still applies).
 */
import type { Architecture, ModelSpecInput } from '../schema/architecture';
import {
  EXPERIMENT_VERSION,
  type Experiment,
  type ExperimentInput,
  parseExperiment,
} from '../schema/experiment';
import type { CurriculumSpec, Schedule, TaskName } from '../tasks/types';

export const PRESET_NAMES = ['classroom', 'paper'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(s: string): s is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(s);
}

export const DEFAULT_ARCHITECTURES: readonly Architecture[] = ['transformer', 'mamba', 'mambaformer'];

/** Classroom sizes of one task. */
export interface ClassroomSettings {
  /** task parameters (the rest keep the paper's defaults) */
  params: Record<string, unknown>;
  /** training steps in which the phenomenon shows (docs/PRESETS.md) */
  steps: number;
  lr: number;
  /** steps between curriculum increments (the paper: 2000) */
  interval: number;
  /** width D */
  dModel: number;
  /** what to look at when the run is done */
  phenomenon: string;
}

/**
 * Classroom settings per task. Widths D 32 with 4 heads; layers: the Transformer 2 GPT-2 layers,
 * the SSM and hybrid models 4 blocks (paper.md's counting: Mamba n_layer 4 ~ Transformer 2 layers).
 */
export const CLASSROOM: Record<TaskName, ClassroomSettings> = {
  'linear-regression': {
    params: { d: 5, nPoints: 11 },
    steps: 3000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'error at 2d examples far below the zero predictor, close to least squares',
  },
  'sparse-linear-regression': {
    params: { d: 8, nPoints: 17, k: 2 },
    steps: 4000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'error below least squares for fewer than d examples, toward Lasso',
  },
  'relu-nn-regression': {
    params: { d: 5, nPoints: 21, hidden: 100 },
    steps: 4000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'error below least squares and 3-NN after ~2d examples',
  },
  'decision-tree': {
    params: { d: 5, nPoints: 21, depth: 3 },
    steps: 5000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'error below the greedy tree and 3-NN; Mamba trails the Transformer',
  },
  'orthogonal-outlier-regression': {
    params: { d: 5, nPoints: 21, p: 0.5 },
    steps: 4000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'error on clean points toward least squares on the clean points',
  },
  'many-outlier-regression': {
    params: { d: 4, nPoints: 80, p: 0.9 },
    steps: 4000,
    lr: 1e-3,
    interval: 50,
    dModel: 32,
    phenomenon: 'error on clean points falls as clean examples accumulate among the dummies',
  },
  'sparse-parity': {
    params: { d: 6, nPoints: 40, k: 2 },
    steps: 6000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'Mamba / MambaFormer accuracy rises toward 1 late in the prompt; Transformer stays near 0.5',
  },
  'vector-mqar': {
    params: { d: 16, pairs: 16 },
    steps: 4000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'Transformer and MambaFormer recall the value; Mamba stays far below',
  },
  'chain-of-thought': {
    params: { d: 5, nPoints: 21, hidden: 4 },
    steps: 4000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'error on y falls toward 0 after a few examples',
  },
  'token-mqar': {
    params: { vocab: 64, pairs: 8, queries: 8 },
    steps: 3000,
    lr: 1e-3,
    interval: 100,
    dModel: 32,
    phenomenon: 'Transformer and MambaFormer accuracy near 1; Mamba lower',
  },
};

/**
 * Rows of the learned position embedding in the authors' configs (n_positions = 101): HF GPT-2
 * gets 2 x 101, the standard hybrid's `wpe` 101. Pass as `positionRows` to the Trainer for
 * checkpoints whose shapes match the authors' state_dicts. Undefined: no position embedding.
 */
export function paperPositionRows(arch: Architecture): number | undefined {
  if (arch === 'transformer') return 202;
  if (arch === 'hybrid') return 101;
  return undefined;
}

/** The classroom curriculum: the paper's schedule with its interval shortened. */
function shortenCurriculum(paper: CurriculumSpec, interval: number): CurriculumSpec {
  const shorten = (s: Schedule): Schedule => (s.start === s.end ? s : { ...s, interval });
  return { dims: shorten(paper.dims), points: shorten(paper.points) };
}

function classroomModel(arch: Architecture, dModel: number): ModelSpecInput {
  return { arch, dModel, nHead: 4, nLayer: arch === 'transformer' ? 2 : 4 };
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
      models: archs.map((arch) => ({ arch })),
      seed,
    };
  }
  const c = CLASSROOM[task];
  return {
    version: EXPERIMENT_VERSION,
    task: { name: task, params: c.params },
    models: archs.map((arch) => classroomModel(arch, c.dModel)),
    optimizer: { lr: c.lr },
    batchSize: 64,
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
    const curriculum = shortenCurriculum(parsed.experiment.curriculum, CLASSROOM[task].interval);
    parsed = parseExperiment({ ...merged, curriculum });
  }
  if (!parsed.ok)
    throw new Error(`preset ${preset} for ${task} is invalid:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.experiment;
}
