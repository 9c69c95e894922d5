/**
 * The UI store: view choices that are nobody else's business (which model's maps are shown, which
 * layer and head, log scale) and the training pace (the race controller follows it). Owned by the UI
 * components.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';

export interface UiState {
  /** slot of the model whose attention / SSM maps are shown large (null: the first that has them) */
  probeSlot: number | null;
  /** attention head shown (null: the mean over heads) */
  head: number | null;
  /** training loss on a log scale */
  logLoss: boolean;
  /** least time between two training steps (ms; 0: full speed): src/app/race/speed.ts */
  stepIntervalMs: number;
  setProbeSlot(slot: number | null): void;
  setHead(head: number | null): void;
  setLogLoss(on: boolean): void;
  setStepInterval(ms: number): void;
}

export function createUiStore(): StoreApi<UiState> {
  return createStore<UiState>()((set) => ({
    probeSlot: null,
    head: null,
    logLoss: true,
    stepIntervalMs: 0,
    setProbeSlot: (probeSlot) => set({ probeSlot }),
    setHead: (head) => set({ head }),
    setLogLoss: (logLoss) => set({ logLoss }),
    setStepInterval: (stepIntervalMs) => set({ stepIntervalMs }),
  }));
}
