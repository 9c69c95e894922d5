/**
 * The live store: what the training workers report, per model (status, losses, ICL curves, probe
 * results), and the notices that need the user's attention. Written only by the race controller
 * (src/app/race/race.ts); the UI reads it (and may dismiss notices).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { LiveEvaluation } from '../../eval/live-evaluations';
import { emptySeries, type LossSeries } from '../../eval/loss-series';
import type { RecallBreakdown } from '../../eval/recall';
import type { IclCurveSet } from '../../eval/types';
import type { Architecture } from '../../schema/architecture';
import type { BackendReport, ProbeResult, ReloadLoss, SessionState } from '../../workers/training/protocol';

export type ModelState = SessionState | 'starting' | 'crashed';

export interface ModelLive {
  /** the worker's stable id */
  slot: number;
  /** position in the experiment's models */
  index: number;
  arch: Architecture;
  label: string;
  state: ModelState;
  step: number;
  totalSteps: number;
  lr: number;
  stepsPerSecond: number;
  etaSeconds: number | null;
  backend: BackendReport | null;
  tensors: number | null;
  /** bytes held by the worker's backend */
  bytes: number | null;
  loss: LossSeries;
  lastLoss: number | null;
  curves: IclCurveSet[] | null;
  curvesStep: number | null;
  /** every evaluation of this training so far, oldest first (the live verdict's history) */
  evaluations: LiveEvaluation[];
  recall: RecallBreakdown | null;
  probe: ProbeResult | null;
  probeStep: number | null;
  checkpointStep: number | null;
  /** how many steps a reload can lose now (checkpoints at the read-back, or the periodic ones) */
  reloadLoss: ReloadLoss | null;
  error: string | null;
}

export type NoticeKind = 'backend' | 'diverged' | 'crashed' | 'storage' | 'error' | 'warning';

export interface Notice {
  id: string;
  kind: NoticeKind;
  message: string;
  slot?: number;
  /** what the notice's button does */
  action?: { label: string; kind: 'lower-lr'; lr: number } | { label: string; kind: 'restart' };
}

export interface LiveState {
  models: ModelLive[];
  notices: Notice[];
  /** the user's intent: the race trains (Train pressed, not paused since) */
  training: boolean;
  /**
   * Pause pressed and some model still finishing the step in flight (a slow backend can take
   * seconds): the status lines say "pausing" at once instead of "training"
   */
  pausing?: boolean;
  /** the run the models belong to (persisted) */
  runId: string | null;
  /** bytes and events the page received from the workers since `since` (ms) */
  traffic: { bytes: number; events: number; since: number };
  dismiss(id: string): void;
}

export function newModelLive(slot: number, index: number, arch: Architecture, label: string): ModelLive {
  return {
    slot,
    index,
    arch,
    label,
    state: 'starting',
    step: 0,
    totalSteps: 0,
    lr: 0,
    stepsPerSecond: 0,
    etaSeconds: null,
    backend: null,
    tensors: null,
    bytes: null,
    loss: emptySeries(),
    lastLoss: null,
    curves: null,
    curvesStep: null,
    evaluations: [],
    recall: null,
    probe: null,
    probeStep: null,
    checkpointStep: null,
    reloadLoss: null,
    error: null,
  };
}

export function createLiveStore(now: () => number = () => performance.now()): StoreApi<LiveState> {
  return createStore<LiveState>()((set) => ({
    models: [],
    notices: [],
    training: false,
    runId: null,
    traffic: { bytes: 0, events: 0, since: now() },
    dismiss(id) {
      set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
    },
  }));
}

/** Update one model (by slot) in place of the list. */
export function patchModel(
  store: StoreApi<LiveState>,
  slot: number,
  patch: Partial<ModelLive> | ((m: ModelLive) => Partial<ModelLive>),
): void {
  store.setState((s) => {
    const i = s.models.findIndex((m) => m.slot === slot);
    if (i < 0) return s;
    const m = s.models[i];
    const change = typeof patch === 'function' ? patch(m) : patch;
    const models = s.models.slice();
    models[i] = { ...m, ...change };
    return { models };
  });
}

/** Add or replace a notice (same id: replaced, so a repeated problem shows once). */
export function notify(store: StoreApi<LiveState>, notice: Notice): void {
  store.setState((s) => {
    const others = s.notices.filter((n) => n.id !== notice.id);
    return { notices: [...others, notice] };
  });
}

export function clearNotices(store: StoreApi<LiveState>, match: (n: Notice) => boolean): void {
  store.setState((s) => ({ notices: s.notices.filter((n) => !match(n)) }));
}
