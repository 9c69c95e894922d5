/**
 * The experiment store: what the user has chosen (task, architectures, preset, learning rate, seed,
 * sizes) and the validated Experiment it makes. Owned by the settings UI; the race controller
 * follows it. Every experiment goes through the presets and parseExperiment (src/train/presets,
 * src/schema), so every bound applies; a bad combination is reported, never thrown.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { ARCHITECTURES, type Architecture } from '../schema/architecture';
import type { Experiment } from '../schema/experiment';
import type { TaskName } from '../tasks/types';
import { DEFAULT_ARCHITECTURES, type PresetName, presetExperiment, presetInput } from '../train/presets';

/** Size settings that override the preset (absent: the preset's value). */
export interface SizeOverrides {
  dModel?: number;
  nLayer?: number;
  nHead?: number;
  dState?: number;
  batchSize?: number;
  steps?: number;
  evalPrompts?: number;
  evalEvery?: number;
}

export type SizeKey = keyof SizeOverrides;

export interface ExperimentDraft {
  task: TaskName;
  preset: PresetName;
  /** in ARCHITECTURES order */
  archs: Architecture[];
  /** null: the preset's */
  lr: number | null;
  seed: number;
  sizes: SizeOverrides;
  /** task parameters that override the preset's (numbers only: d, nPoints, k, pairs, ...) */
  params: Record<string, number>;
}

export interface ExperimentState {
  draft: ExperimentDraft;
  /** the validated experiment of the draft (null when it has errors) */
  experiment: Experiment | null;
  errors: string[];
  /** the experiment of the draft without its size overrides (the placeholders of the fields) */
  presetDefaults: Experiment | null;
  setTask(task: TaskName): void;
  toggleArch(arch: Architecture, on: boolean): void;
  setPreset(preset: PresetName): void;
  setLearningRate(lr: number | null): void;
  setSeed(seed: number): void;
  setSize(key: SizeKey, value: number | undefined): void;
  setParam(key: string, value: number | undefined): void;
  /** Show a stored experiment (resuming a run): the draft follows it as far as it can. */
  load(experiment: Experiment): void;
}

export const DEFAULT_EXPERIMENT_SEED = 1;

export function defaultDraft(task: TaskName = 'linear-regression'): ExperimentDraft {
  return {
    task,
    preset: 'classroom',
    archs: [...DEFAULT_ARCHITECTURES],
    lr: null,
    seed: DEFAULT_EXPERIMENT_SEED,
    sizes: {},
    params: {},
  };
}

function errorLines(error: unknown): string[] {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('preset '));
}

/** The experiment a draft describes, or why it cannot be built. */
export function buildExperiment(draft: ExperimentDraft): { experiment: Experiment | null; errors: string[] } {
  if (draft.archs.length === 0) return { experiment: null, errors: ['Choose at least one architecture.'] };
  const s = draft.sizes;
  const input = presetInput(draft.preset, draft.task, draft.archs, draft.seed);
  const models = (input.models ?? []).map((m) => ({
    ...m,
    ...(s.dModel !== undefined && { dModel: s.dModel }),
    ...(s.nLayer !== undefined && { nLayer: s.nLayer }),
    ...(s.nHead !== undefined && { nHead: s.nHead }),
    ...(s.dState !== undefined && { dState: s.dState }),
  }));
  const evaluation: Record<string, number> = {};
  if (s.evalPrompts !== undefined) evaluation.prompts = s.evalPrompts;
  if (s.evalEvery !== undefined) evaluation.everySteps = s.evalEvery;
  try {
    const params = { ...(input.task?.params ?? {}), ...draft.params };
    const experiment = presetExperiment(draft.preset, draft.task, draft.archs, draft.seed, {
      models,
      ...(Object.keys(draft.params).length > 0 && { task: { name: draft.task, params } }),
      ...(s.batchSize !== undefined && { batchSize: s.batchSize }),
      ...(s.steps !== undefined && { steps: s.steps }),
      ...(draft.lr !== null && { optimizer: { lr: draft.lr } }),
      ...(Object.keys(evaluation).length > 0 && { evaluation }),
    });
    return { experiment, errors: [] };
  } catch (error) {
    return { experiment: null, errors: errorLines(error) };
  }
}

function derive(draft: ExperimentDraft) {
  const built = buildExperiment(draft);
  const defaults = buildExperiment({
    ...draft,
    sizes: {},
    params: {},
    lr: null,
    archs: draft.archs.length ? draft.archs : ['transformer'],
  });
  return { draft, experiment: built.experiment, errors: built.errors, presetDefaults: defaults.experiment };
}

/** A draft as close as the controls allow to a stored experiment. */
export function draftOf(e: Experiment): ExperimentDraft {
  const first = e.models[0];
  const archs = ARCHITECTURES.filter((a) => e.models.some((m) => m.arch === a));
  return {
    task: e.task.name,
    preset: 'classroom',
    archs,
    lr: e.optimizer.lr ?? null,
    seed: e.seed,
    sizes: {
      dModel: first?.dModel,
      nLayer: e.models.every((m) => m.nLayer === first?.nLayer) ? first?.nLayer : undefined,
      nHead: first?.nHead,
      dState: first?.dState,
      batchSize: e.batchSize,
      steps: e.steps,
      evalPrompts: e.evaluation.prompts,
      evalEvery: e.evaluation.everySteps,
    },
    params: Object.fromEntries(
      Object.entries(e.task.params).filter((kv): kv is [string, number] => typeof kv[1] === 'number'),
    ),
  };
}

export function createExperimentStore(initial: ExperimentDraft = defaultDraft()): StoreApi<ExperimentState> {
  return createStore<ExperimentState>()((set, get) => {
    const update = (change: Partial<ExperimentDraft>) => set(derive({ ...get().draft, ...change }));
    return {
      ...derive(initial),
      setTask(task) {
        if (task !== get().draft.task) update({ task, params: {} });
      },
      toggleArch(arch, on) {
        const now = new Set(get().draft.archs);
        if (on) now.add(arch);
        else now.delete(arch);
        update({ archs: ARCHITECTURES.filter((a) => now.has(a)) });
      },
      setPreset(preset) {
        update({ preset, sizes: {}, params: {}, lr: null });
      },
      setLearningRate(lr) {
        update({ lr });
      },
      setSeed(seed) {
        update({ seed });
      },
      setSize(key, value) {
        const sizes = { ...get().draft.sizes };
        if (value === undefined || !Number.isFinite(value)) delete sizes[key];
        else sizes[key] = value;
        update({ sizes });
      },
      setParam(key, value) {
        const params = { ...get().draft.params };
        if (value === undefined || !Number.isFinite(value)) delete params[key];
        else params[key] = value;
        update({ params });
      },
      load(experiment) {
        const draft = draftOf(experiment);
        set({ ...derive(draft), experiment, errors: [] });
      },
    };
  });
}
