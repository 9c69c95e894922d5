/**
 * What the Preset select shows: the chosen preset while the experiment is exactly that preset (for
 * its task, models and seed), "custom" once any setting differs from it. Choosing a preset again
 * drops every change (ExperimentState.setPreset).
 */
import type { Experiment } from '../../schema/experiment';
import { diffExperiments } from '../../schema/experiment-diff';
import type { PresetName } from '../../train/presets';
import type { ExperimentDraft } from './experiment-draft';

export type PresetChoice = PresetName | 'custom';

export interface PresetChoiceInput {
  draft: ExperimentDraft;
  /** the draft's experiment (null when it has errors) */
  experiment: Experiment | null;
  /** the preset itself for the same task, models and seed */
  presetDefaults: Experiment | null;
}

/** True when the draft holds any change over its preset (whether or not it builds). */
export function draftHasChanges(draft: ExperimentDraft): boolean {
  const nonEmpty = (o: object) => Object.values(o).some((v) => v !== undefined);
  return (
    nonEmpty(draft.sizes) ||
    nonEmpty(draft.params) ||
    Object.values(draft.models).some((m) => m !== undefined && nonEmpty(m)) ||
    nonEmpty(draft.optimizer) ||
    nonEmpty(draft.evaluation) ||
    nonEmpty(draft.clip) ||
    Object.values(draft.curriculum).some((c) => c !== undefined && nonEmpty(c)) ||
    draft.positionEmbedding !== undefined
  );
}

/** The settings that differ from the preset, as short labels ("lr 0.001 -> 0.0003"). */
export function presetChanges(input: PresetChoiceInput): string[] {
  const { experiment, presetDefaults } = input;
  if (!experiment || !presetDefaults) return draftHasChanges(input.draft) ? ['settings with errors'] : [];
  return diffExperiments(presetDefaults, experiment);
}

export function presetChoice(input: PresetChoiceInput): PresetChoice {
  return presetChanges(input).length > 0 ? 'custom' : input.draft.preset;
}
