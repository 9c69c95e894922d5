/**
 * The page's one store, and the hook components read it with.
 */
import { useStore } from 'zustand';
import { createBaselinesClient } from '../workers/baselines-client';
import { createLabStore, type LabState } from './lab-store';

export type { BaselinesView, LabState } from './lab-store';
export { createLabStore } from './lab-store';

export const labStore = createLabStore({ client: createBaselinesClient() });

export function useLab<T>(selector: (state: LabState) => T): T {
  return useStore(labStore, selector);
}
