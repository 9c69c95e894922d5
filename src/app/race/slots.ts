/**
 * The race's workers, one slot per model: what a slot holds, its checkpoint key, the checkpoint
 * notices the probe scrubber listens to, and how a stored run's models are loaded back into them.
 */

import type { StoreApi } from 'zustand/vanilla';
import type { LiveEvaluation } from '../../eval/live-evaluations';
import { emptySeries, seriesFromStored, truncateSeries } from '../../eval/loss-series';
import type { IclCurveSet } from '../../eval/types';
import type { Experiment } from '../../schema/experiment';
import type { TrainingClient } from '../../workers/training/client';
import type { Result } from '../../workers/training/protocol';
import { modelSignature } from '../../workers/training/reconfigure';
import type { ValidRun } from '../runs/run-db';
import type { Checkpoint, RunRecorder } from '../runs/run-recorder';
import { type LiveState, notify, patchModel } from '../stores/live-store';

/** A checkpoint a model reported (model bytes only), for the probe scrubber. */
export interface CheckpointNotice {
  slot: number;
  index: number;
  modelKey: string;
  step: number;
  model: Uint8Array;
}

export interface Slot {
  id: number;
  client: TrainingClient;
  /** what the worker was last configured with (null: not yet) */
  experiment: Experiment | null;
  index: number;
  modelKey: string;
  checkpoint: Checkpoint | null;
  /** it was training when its worker crashed: a restart trains on (cleared by Pause) */
  trainOnRestart?: boolean;
}

/** A short stable key for a model spec (checkpoint names in storage). */
export function modelKey(spec: Experiment['models'][number]): string {
  const text = modelSignature(spec);
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return `${spec.arch}-${h.toString(36)}`;
}

export function randomId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  return `run-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

/** A stored run keeps its last evaluation only: the live verdict's history starts from it. */
function storedEvaluations(
  now: LiveEvaluation[],
  curves: IclCurveSet[] | null,
  step: number | null,
): LiveEvaluation[] {
  if (now.length > 0 || !curves || step === null) return now;
  return [{ step, sets: curves }];
}

/** A stored run's model back in its slot: its last checkpoint loaded, its stored curves shown. */
export async function loadStoredModel(
  slot: Slot,
  run: ValidRun,
  recorder: RunRecorder,
  live: StoreApi<LiveState>,
): Promise<void> {
  const stored = run.models.find((m) => m.key === slot.modelKey);
  const c = await recorder.readCheckpoint(run.id, slot.modelKey);
  if (c) {
    const r = await slot.client.loadCheckpoint(c);
    if (r.ok) {
      slot.checkpoint = c;
      const loss = truncateSeries(seriesFromStored(stored?.loss), r.step);
      patchModel(live, slot.id, (m) => ({
        loss,
        step: r.step,
        checkpointStep: r.step,
        curves: m.curves ?? stored?.curves ?? null,
        curvesStep: m.curvesStep ?? stored?.curvesStep ?? null,
        evaluations: storedEvaluations(m.evaluations, stored?.curves ?? null, stored?.curvesStep ?? null),
      }));
      if (r.warnings.length) {
        notify(live, {
          id: `warning:${slot.id}:load`,
          kind: 'warning',
          slot: slot.id,
          message: r.warnings.join('; '),
        });
      }
      return;
    }
    notify(live, { id: `error:${slot.id}`, kind: 'error', slot: slot.id, message: r.error });
  }
}

/**
 * One model's current weights as safetensors (for download): asked of its worker (which answers at
 * a step boundary, also while training); a crashed worker's last checkpoint otherwise.
 */
export async function slotCheckpoint(
  slot: Slot | undefined,
): Promise<Result<{ model: Uint8Array; step: number }>> {
  if (!slot) return { ok: false, error: 'that model is not in the race any more' };
  const r = slot.client.crashed ? null : await slot.client.saveCheckpoint();
  if (r?.ok) return { ok: true, model: r.model, step: r.step };
  const last = slot.checkpoint;
  if (last) return { ok: true, model: last.model, step: last.step };
  return { ok: false, error: r ? r.error : 'its worker stopped before saving a checkpoint' };
}

/**
 * A restarted worker's model back where it was: its last checkpoint (held by the race, else the
 * stored one of run `runId`), the loss curve cut there; with none, back to its initialisation.
 */
export async function restartFromCheckpoint(
  slot: Slot,
  runId: string | null,
  recorder: RunRecorder,
  live: StoreApi<LiveState>,
): Promise<void> {
  const c = slot.checkpoint ?? (runId ? await recorder.readCheckpoint(runId, slot.modelKey) : null);
  if (c) {
    const loaded = await slot.client.loadCheckpoint(c);
    if (loaded.ok) {
      patchModel(live, slot.id, (m) => ({ loss: truncateSeries(m.loss, loaded.step), step: loaded.step }));
    }
  } else {
    patchModel(live, slot.id, { loss: emptySeries(), step: 0, curves: null, evaluations: [] });
  }
}

/**
 * A model's current weights kept as its checkpoint and stored (its worker answers at the next step
 * boundary and goes on training); nothing when the worker is gone or the checkpoint is not newer.
 */
export async function takeCheckpoint(
  slot: Slot,
  recorder: RunRecorder,
  live: StoreApi<LiveState>,
): Promise<void> {
  if (slot.client.crashed || !slot.experiment) return;
  const r = await slot.client.saveCheckpoint();
  if (!r.ok || slot.client.crashed) return;
  if (slot.checkpoint && slot.checkpoint.step >= r.step) return;
  slot.checkpoint = { step: r.step, model: r.model, optimizer: r.optimizer };
  patchModel(live, slot.id, { checkpointStep: r.step });
  await recorder.storeCheckpoint(slot);
}

/** The probe scrubber's listeners of the checkpoints models report. */
export class CheckpointFeed {
  private readonly listeners = new Set<(c: CheckpointNotice) => void>();

  add(listener: (c: CheckpointNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  tell(slot: Slot, step: number, model: Uint8Array): void {
    const notice = { slot: slot.id, index: slot.index, modelKey: slot.modelKey, step, model };
    for (const listener of this.listeners) listener(notice);
  }

  /** A resumed run's stored checkpoints, told again for the slots holding their models. */
  retell(
    slots: readonly Slot[],
    history: ReadonlyArray<{ modelKey: string; step: number; model: Uint8Array }>,
  ) {
    for (const c of history) {
      const slot = slots.find((s) => s.modelKey === c.modelKey);
      if (slot) this.tell(slot, c.step, c.model);
    }
  }
}

/**
 * A fresh worker's slot takes a crashed one's place: its model, its checkpoint, its line in the live
 * store (starting again); the old slot's notices go, `why` (an automatic restart's alert) stays.
 */
export function takeOver(old: Slot, fresh: Slot, live: StoreApi<LiveState>, why?: string): Slot {
  fresh.index = old.index;
  fresh.modelKey = old.modelKey;
  fresh.checkpoint = old.checkpoint;
  live.setState((s) => ({
    models: s.models.map((m) =>
      m.slot === old.id ? { ...m, slot: fresh.id, state: 'starting', error: null } : m,
    ),
    notices: s.notices.filter((n) => n.slot !== old.id),
  }));
  if (why) notify(live, { id: `restarted:${fresh.id}`, kind: 'crashed', slot: fresh.id, message: why });
  return fresh;
}
