/**
 * The experiment store: what the user has chosen (task, architectures, preset and every setting
 * the panel changes: src/app/settings/experiment-draft.ts) and the validated Experiment it makes. Owned by
 * the settings UI; the race controller follows it. Every experiment goes through the presets and
 * parseExperiment (src/train/presets, src/schema), so every bound applies; a bad combination is
 * reported (with the setting it concerns), never thrown.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { ARCHITECTURES, type Architecture } from '../../schema/architecture';
import type { Experiment } from '../../schema/experiment';
import type { CurriculumSpec, TaskName } from '../../tasks/types';
import type { PresetName } from '../../train/presets';
import {
  applySetting,
  baseCurriculum,
  buildExperiment,
  clearOverrides,
  type DraftIssue,
  defaultDraft,
  draftOf,
  type ExperimentDraft,
  resetGroup,
  type SettingId,
  type SettingsGroup,
  type SettingValue,
  type SizeKey,
} from '../settings/experiment-draft';
import { isModelNumberKey } from '../settings/setting-path';

export type {
  ExperimentDraft,
  ModelKey,
  ModelOverrides,
  SettingId,
  SettingsGroup,
  SizeKey,
  SizeOverrides,
} from '../settings/experiment-draft';
export {
  buildExperiment,
  DEFAULT_EXPERIMENT_SEED,
  defaultDraft,
  draftOf,
} from '../settings/experiment-draft';

export interface ExperimentState {
  draft: ExperimentDraft;
  /** the validated experiment of the draft (null when it has errors) */
  experiment: Experiment | null;
  errors: string[];
  /** the errors with the experiment path each is about */
  issues: DraftIssue[];
  /** the experiment of the draft without any of its changes (the placeholders of the fields) */
  presetDefaults: Experiment | null;
  /** the paper preset for the same task and models (quoted by the fields' explanations) */
  paperDefaults: Experiment | null;
  /** the curriculum without the draft's curriculum changes (it follows the task's parameters) */
  derivedCurriculum: CurriculumSpec | null;
  setTask(task: TaskName): void;
  toggleArch(arch: Architecture, on: boolean): void;
  setPreset(preset: PresetName): void;
  setLearningRate(lr: number | null): void;
  setSeed(seed: number): void;
  setSize(key: SizeKey, value: number | undefined): void;
  setParam(key: string, value: number | boolean | undefined): void;
  /** Change one setting of the panel (undefined: back to the preset's). */
  setSetting(id: SettingId, value: SettingValue): void;
  /** Drop the changes of one group of settings. */
  resetGroup(group: SettingsGroup): void;
  /** Drop every change (the preset again; task, models and preset kept). */
  resetAll(): void;
  /** Show a stored experiment (resuming a run): the draft follows it as far as it can. */
  load(experiment: Experiment): void;
  /** Put back a draft kept earlier (leaving a recorded run restores what was there before it). */
  restore(draft: ExperimentDraft): void;
}

function derive(draft: ExperimentDraft) {
  const built = buildExperiment(draft);
  const fallbackArchs: Architecture[] = draft.archs.length ? draft.archs : ['transformer'];
  const cleared = { ...clearOverrides(draft), archs: fallbackArchs };
  const hasCurriculum = Object.keys(draft.curriculum).length > 0;
  return {
    draft,
    experiment: built.experiment,
    errors: built.errors,
    issues: built.issues,
    presetDefaults: buildExperiment(cleared).experiment,
    paperDefaults: buildExperiment({ ...cleared, preset: 'paper' }).experiment,
    derivedCurriculum: hasCurriculum ? baseCurriculum(draft) : (built.experiment?.curriculum ?? null),
  };
}

export function createExperimentStore(initial: ExperimentDraft = defaultDraft()): StoreApi<ExperimentState> {
  return createStore<ExperimentState>()((set, get) => {
    const update = (change: Partial<ExperimentDraft>) => set(derive({ ...get().draft, ...change }));
    const replace = (draft: ExperimentDraft) => set(derive(draft));
    return {
      ...derive(initial),
      setTask(task) {
        if (task !== get().draft.task) update({ task, params: {}, curriculum: {} });
      },
      toggleArch(arch, on) {
        const now = new Set(get().draft.archs);
        if (on) now.add(arch);
        else now.delete(arch);
        update({ archs: ARCHITECTURES.filter((a) => now.has(a)) });
      },
      setPreset(preset) {
        replace({ ...clearOverrides(get().draft), preset });
      },
      setLearningRate(lr) {
        replace(applySetting(get().draft, 'optimizer.lr', lr ?? undefined));
      },
      setSeed(seed) {
        update({ seed });
      },
      setSize(key, value) {
        const id: SettingId = isModelNumberKey(key) ? `models.all.${key}` : key;
        replace(applySetting(get().draft, id, value));
      },
      setParam(key, value) {
        replace(applySetting(get().draft, `task.params.${key}`, value));
      },
      setSetting(id, value) {
        const next = applySetting(get().draft, id, value);
        if (next !== get().draft) replace(next);
      },
      resetGroup(group) {
        replace(resetGroup(get().draft, group));
      },
      resetAll() {
        replace(clearOverrides(get().draft));
      },
      load(experiment) {
        // the draft builds the stored experiment again (shown as the same object); only one the
        // draft cannot hold (two models of one architecture) is shown as stored, apart from it
        set({ ...derive(draftOf(experiment)), experiment, errors: [], issues: [] });
      },
      restore(draft) {
        replace(draft);
      },
    };
  });
}
