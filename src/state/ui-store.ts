/**
 * The UI store: view choices that are nobody else's business (which model's maps are shown, which
 * layer and head, log scale). Owned by the UI components.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';

export interface UiState {
  /** slot of the model whose attention / SSM maps are shown large (null: the first that has them) */
  probeSlot: number | null;
  /** attention head shown (null: the mean over heads) */
  head: number | null;
  /** training loss on a log scale */
  logLoss: boolean;
  setProbeSlot(slot: number | null): void;
  setHead(head: number | null): void;
  setLogLoss(on: boolean): void;
}

export function createUiStore(): StoreApi<UiState> {
  return createStore<UiState>()((set) => ({
    probeSlot: null,
    head: null,
    logLoss: true,
    setProbeSlot: (probeSlot) => set({ probeSlot }),
    setHead: (head) => set({ head }),
    setLogLoss: (logLoss) => set({ logLoss }),
  }));
}
