/**
 * The race's workers, one slot per model: what a slot holds, its checkpoint key, the checkpoint
 * notices the probe scrubber listens to, and how a stored run's models are loaded back into them.
 */

import type { StoreApi } from 'zustand/vanilla';
import { emptySeries, seriesFromStored, truncateSeries } from '../../eval/loss-series';
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
    patchModel(live, slot.id, { loss: emptySeries(), step: 0, curves: null });
  }
}
