/**
 * The one reducer of the live store: every write of its writer (the race or the recorded-run
 * player, src/app/stores/live-writer.ts) is an action applied here, as a pure function of the
 * state. A training worker's event goes through `applyTrainingEvent` (src/app/race/training-events.ts).
 */
import type { ClientEvent } from '../../workers/training/client';
import { applyTrainingEvent, backToStart, type LiveData } from '../race/training-events';
import type { ModelLive } from './live-store';

export type LiveAction =
  /** an event of the training worker in `slot` (`checkpointStep`: its last checkpoint, for a crash) */
  | { type: 'worker-event'; slot: number; event: ClientEvent; checkpointStep: number | null }
  /** every model back at its initialisation (Reset) */
  | { type: 'back-to-start' }
  /** a writer's own models take the charts: not training, no run, no notice about another model */
  | { type: 'show-models'; models: ModelLive[] }
  /** changes to the models shown, by position (null: none); a model unchanged keeps its object */
  | { type: 'patch-models'; patches: ReadonlyArray<Partial<ModelLive> | null> }
  /** no model shown */
  | { type: 'clear-models' };

export function reduceLive(s: LiveData, a: LiveAction): LiveData {
  switch (a.type) {
    case 'worker-event':
      return applyTrainingEvent(s, a.slot, a.event, { checkpointStep: a.checkpointStep });
    case 'back-to-start':
      return { ...s, ...backToStart(s) };
    case 'show-models':
      return {
        ...s,
        training: false,
        runId: null,
        notices: s.notices.filter((n) => n.slot === undefined),
        models: a.models,
      };
    case 'patch-models': {
      if (!a.patches.some((p) => p && Object.keys(p).length > 0)) return s;
      const models = s.models.map((m, i) => {
        const p = a.patches[i];
        return p && Object.keys(p).length > 0 ? { ...m, ...p } : m;
      });
      return { ...s, models };
    }
    case 'clear-models':
      return { ...s, models: [] };
  }
}
