/**
 * One recorded run from several: recordings of the same task, settings and seed made one model per
 * process (in parallel on a GPU machine) joined into the replay the page plays, and the caption of
 * a replay generated from its measured curves (src/eval/caption.ts).
 */
import { captionOf } from '../eval/caption';
import type { Replay, ReplayContent } from './replay';

/** Everything of an experiment but its models, as JSON (what must agree between joined recordings). */
function settingsKey(r: Replay): string {
  const { models: _models, ...rest } = r.experiment;
  return JSON.stringify(rest);
}

/**
 * The replays' models in one replay, in the order given (model indices renumbered), the baselines
 * of the first replay that has them. Throws when the replays differ in anything but their models
 * (task, parameters, seed, steps, optimiser, evaluation ...): they would not be one run.
 */
export function combineReplays(replays: readonly Replay[]): ReplayContent {
  if (replays.length === 0) throw new Error('no replays to combine');
  const first = replays[0];
  const key = settingsKey(first);
  for (const r of replays.slice(1)) {
    if (settingsKey(r) !== key) {
      throw new Error(
        `recordings differ in more than their models (${first.experiment.task.name} seed ${first.experiment.seed} ` +
          `vs ${r.experiment.task.name} seed ${r.experiment.seed}): they are not one run`,
      );
    }
  }
  const models = replays.flatMap((r) => r.models).map((m, index) => ({ ...m, index }));
  return {
    experiment: { ...first.experiment, models: replays.flatMap((r) => r.experiment.models) },
    backend: first.backend,
    createdAt: replays.map((r) => r.createdAt).sort()[replays.length - 1],
    totalSteps: Math.max(...replays.map((r) => r.totalSteps)),
    baselines: replays.find((r) => r.baselines !== null)?.baselines ?? null,
    models,
  };
}

/** The caption of a recorded run, generated from its evaluations (what the index's `shows` says). */
export function replayCaption(replay: Pick<ReplayContent, 'experiment' | 'baselines' | 'models'>): string {
  return captionOf(
    replay.models.map((m) => ({ label: m.label, evaluations: m.evaluations })),
    replay.baselines,
    replay.experiment.seed,
  ).slice(0, 500);
}
