/**
 * The page's state: which task is chosen, the gallery, and the baseline curves of each task
 * (computed in the baselines worker, cached per task for this visit).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { IclCurveSet } from '../eval/types';
import type { TaskName } from '../tasks/types';
import type { BaselinesClient } from '../workers/baselines-client';
import { buildGallery, type GalleryCard } from './gallery';

export type BaselinesView =
  | { status: 'idle' }
  | { status: 'computing'; done: number; total: number; label: string }
  | { status: 'done'; curves: IclCurveSet; elapsedMs: number }
  | { status: 'error'; error: string };

export interface LabState {
  /** seed of the gallery sketches and of the evaluation prompts */
  seed: number;
  /** evaluation prompts per baseline curve */
  prompts: number;
  gallery: GalleryCard[];
  selectedTask: TaskName;
  baselines: Partial<Record<TaskName, BaselinesView>>;
  /** Choose a task; starts its baselines unless they are known or on their way. */
  selectTask(name: TaskName): void;
  /** Recompute the chosen task's baselines (after an error). */
  retryBaselines(): void;
}

export interface LabStoreOptions {
  client: BaselinesClient;
  seed?: number;
  prompts?: number;
  /** the first task; default: the first of the gallery */
  initialTask?: TaskName;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_BASELINE_PROMPTS = 256;

export function createLabStore(options: LabStoreOptions): StoreApi<LabState> {
  const { client } = options;
  const seed = options.seed ?? DEFAULT_SEED;
  const prompts = options.prompts ?? DEFAULT_BASELINE_PROMPTS;
  const gallery = buildGallery(seed);
  if (gallery.length === 0) throw new Error('no tasks registered');
  const initialTask =
    options.initialTask && gallery.some((c) => c.name === options.initialTask)
      ? options.initialTask
      : gallery[0].name;

  return createStore<LabState>()((set, get) => {
    const setView = (task: TaskName, view: BaselinesView) =>
      set((s) => ({ baselines: { ...s.baselines, [task]: view } }));

    const computeBaselines = (task: TaskName) => {
      // Only one computation at a time: starting this one cancels any other, which forgets it.
      for (const [name, view] of Object.entries(get().baselines)) {
        if (name !== task && view?.status === 'computing') setView(name as TaskName, { status: 'idle' });
      }
      setView(task, { status: 'computing', done: 0, total: prompts, label: '' });
      client
        .compute({ task, params: {}, prompts, seed }, (done, total, label) => {
          if (get().baselines[task]?.status === 'computing') {
            setView(task, { status: 'computing', done, total, label });
          }
        })
        .then((result) => {
          if (result.ok)
            setView(task, { status: 'done', curves: result.curves, elapsedMs: result.elapsedMs });
          else if (!result.cancelled) setView(task, { status: 'error', error: result.error });
        });
    };

    return {
      seed,
      prompts,
      gallery,
      selectedTask: initialTask,
      baselines: {},
      selectTask(name) {
        if (!get().gallery.some((c) => c.name === name)) return;
        set({ selectedTask: name });
        const view = get().baselines[name];
        if (!view || view.status === 'idle') computeBaselines(name);
      },
      retryBaselines() {
        computeBaselines(get().selectedTask);
      },
    };
  });
}
