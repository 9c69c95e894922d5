/**
 * What one training worker's event does to the live store, as a pure function: the race controller
 * (race.ts) hands every event of its workers to `applyTrainingEvent` and writes the state it
 * returns; what the event asks of the outside world (save the run, keep a checkpoint) stays with
 * the controller. No store, no timers, no workers here: every branch is tested on plain objects.
 */

import { addEvaluation } from '../../eval/live-evaluations';
import { appendLosses, emptySeries, truncateSeries } from '../../eval/loss-series';
import { ARCHITECTURE_TITLES, type Architecture } from '../../schema/architecture';
import type { Experiment } from '../../schema/experiment';
import { approximateEventBytes, type ClientEvent } from '../../workers/training/client';
import { type LiveState, type ModelLive, type Notice, newModelLive } from '../stores/live-store';

/** The part of the live store a training event can change. */
export type LiveData = Pick<LiveState, 'models' | 'notices' | 'training' | 'traffic' | 'runId'>;

export interface EventContext {
  /** the step of the last checkpoint the controller holds for this slot (null: none yet) */
  checkpointStep: number | null;
}

function patch(
  models: readonly ModelLive[],
  slot: number,
  change: Partial<ModelLive> | ((m: ModelLive) => Partial<ModelLive>),
): ModelLive[] {
  return models.map((m) =>
    m.slot === slot ? { ...m, ...(typeof change === 'function' ? change(m) : change) } : m,
  );
}

/** The notices with `notice` in place of one of the same id (at the end). */
export function withNotice(notices: readonly Notice[], notice: Notice): Notice[] {
  return [...notices.filter((n) => n.id !== notice.id), notice];
}

function titleOf(models: readonly ModelLive[], slot: number): string {
  const m = models.find((x) => x.slot === slot);
  return m ? (ARCHITECTURE_TITLES[m.arch] ?? m.label) : 'the model';
}

/** The race stops counting as training once no model can go on by itself. */
function settled(s: LiveData): LiveData {
  if (!s.training) return s;
  const going = s.models.some((m) => m.state === 'training' || m.state === 'starting');
  return going ? s : { ...s, training: false };
}

function fallbackNotice(s: LiveData, report: NonNullable<ModelLive['backend']>): Notice[] {
  if (s.notices.some((n) => n.id === 'backend')) return s.notices;
  const why = report.attempts
    .filter((a) => !a.ok)
    .map((a) => `${a.name}: ${a.reason}`)
    .join('; ');
  return withNotice(s.notices, {
    id: 'backend',
    kind: 'backend',
    message: `WebGPU is not available here, so the models train on ${report.name} (slower). Why: ${why}.`,
  });
}

/**
 * The live data after event `e` of the worker in slot `slot`. Events of a slot the store does not
 * show change nothing but the traffic count.
 */
export function applyTrainingEvent(s: LiveData, slot: number, e: ClientEvent, ctx: EventContext): LiveData {
  if (e.type === 'waiting') {
    // a slow start, told: replaced by the next one, cleared by the worker's next report
    return {
      ...s,
      notices: withNotice(s.notices, {
        id: `waiting:${slot}`,
        kind: 'warning',
        slot,
        message: `${titleOf(s.models, slot)}: ${e.message}`,
      }),
    };
  }
  if ((e.type === 'status' || e.type === 'metrics') && s.notices.some((n) => n.id === `waiting:${slot}`))
    s = { ...s, notices: s.notices.filter((n) => n.id !== `waiting:${slot}`) };
  if (e.type !== 'crashed') {
    const bytes = approximateEventBytes(e);
    s = { ...s, traffic: { ...s.traffic, bytes: s.traffic.bytes + bytes, events: s.traffic.events + 1 } };
  }
  switch (e.type) {
    case 'status': {
      const models = patch(s.models, slot, (m) => ({
        state: m.state === 'crashed' ? m.state : e.state,
        step: e.step,
        totalSteps: e.totalSteps,
        lr: e.lr,
        stepsPerSecond: e.stepsPerSecond,
        etaSeconds: e.etaSeconds,
        backend: e.backend,
        tensors: e.tensors,
      }));
      const notices = e.backend?.fallback ? fallbackNotice(s, e.backend) : s.notices;
      const next = { ...s, models, notices };
      return e.state === 'done' || e.state === 'diverged' || e.state === 'failed' ? settled(next) : next;
    }
    case 'metrics':
      return {
        ...s,
        models: patch(s.models, slot, (m) => ({
          loss: appendLosses(m.loss, e.steps, e.losses),
          lastLoss: e.losses.length ? e.losses[e.losses.length - 1] : m.lastLoss,
          step: e.step,
          totalSteps: e.totalSteps,
          lr: e.lr,
          stepsPerSecond: e.stepsPerSecond,
          etaSeconds: e.etaSeconds,
          tensors: e.tensors,
          bytes: e.bytes,
          reloadLoss: e.reloadLoss,
        })),
      };
    case 'curves':
      return {
        ...s,
        models: patch(s.models, slot, (m) => ({
          curves: e.sets,
          curvesStep: e.step,
          evaluations: addEvaluation(m.evaluations, { step: e.step, sets: e.sets }),
          recall: e.recall,
        })),
      };
    case 'probe':
      // the live store holds the seeded probe prompt's maps; edited prompts are the probe lab's
      return e.custom ? s : { ...s, models: patch(s.models, slot, { probe: e.result, probeStep: e.step }) };
    case 'checkpoint':
      return { ...s, models: patch(s.models, slot, { checkpointStep: e.step }) };
    case 'diverged': {
      const title = titleOf(s.models, slot);
      return {
        ...s,
        models: patch(s.models, slot, (m) => ({
          state: 'diverged',
          loss: truncateSeries(m.loss, e.restoredStep),
          step: e.restoredStep,
        })),
        notices: withNotice(s.notices, {
          id: `diverged:${slot}`,
          kind: 'diverged',
          slot,
          message: e.message,
          action: {
            label: `Use learning rate ${e.suggestedLr} for ${title}`,
            kind: 'lower-lr',
            lr: e.suggestedLr,
          },
        }),
      };
    }
    case 'warning':
      return {
        ...s,
        notices: withNotice(s.notices, {
          id: `warning:${slot}:${e.message}`,
          kind: 'warning',
          slot,
          message: e.message,
        }),
      };
    case 'error':
      if (e.fatal) return s;
      return {
        ...s,
        notices: withNotice(s.notices, { id: `error:${slot}`, kind: 'error', slot, message: e.message }),
      };
    case 'crashed': {
      const title = titleOf(s.models, slot);
      const from =
        ctx.checkpointStep !== null
          ? `its last checkpoint (step ${ctx.checkpointStep})`
          : 'its initialisation';
      const next = settled({
        ...s,
        models: patch(s.models, slot, {
          state: 'crashed',
          error: e.message,
          stepsPerSecond: 0,
          etaSeconds: null,
        }),
      });
      return {
        ...next,
        notices: withNotice(next.notices, {
          id: `crashed:${slot}`,
          kind: 'crashed',
          slot,
          message: `${title}'s worker stopped: ${e.message}. The other models are not affected.`,
          action: { label: `Restart ${title} from ${from}`, kind: 'restart' },
        }),
      };
    }
  }
}

/**
 * The live models after the race's workers were lined up with experiment `e` (`placed`: each
 * model's slot and index, in the experiment's order; `keep`: the worker kept its trained model,
 * which keeps its curves). Notices of slots gone are dropped.
 */
export function modelsPlaced(
  s: Pick<LiveData, 'models' | 'notices'>,
  placed: ReadonlyArray<{ slot: number; index: number; keep: boolean }>,
  e: Experiment,
): Pick<LiveData, 'models' | 'notices'> {
  const models = placed.map(({ slot, index, keep }) => {
    const arch = e.models[index].arch as Architecture;
    const prev = s.models.find((m) => m.slot === slot);
    return keep && prev
      ? { ...prev, index }
      : newModelLive(slot, index, arch, ARCHITECTURE_TITLES[arch] ?? arch);
  });
  const notices = s.notices.filter((n) => n.slot === undefined || placed.some((p) => p.slot === n.slot));
  return { models, notices };
}

/** Every model back at its initialisation (Reset): no losses, curves or checkpoint; no divergence. */
export function backToStart(s: Pick<LiveData, 'models' | 'notices'>): Pick<LiveData, 'models' | 'notices'> {
  return {
    models: s.models.map((m) => ({
      ...m,
      loss: emptySeries(),
      lastLoss: null,
      curves: null,
      curvesStep: null,
      evaluations: [],
      recall: null,
      checkpointStep: null,
      step: 0,
    })),
    notices: s.notices.filter((n) => n.kind !== 'diverged'),
  };
}
