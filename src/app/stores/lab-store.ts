/**
 * The lab store: the task gallery and the classical baselines' ICL curves (computed in the baselines
 * worker, cached per request for this visit). The baselines shown are those of the current
 * experiment: the same task parameters, seed, number of prompts and curriculum end as the models'
 * evaluation, so model and baseline curves are scored on exactly the same prompts.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { IclCurveSet } from '../../eval/types';
import type { Experiment } from '../../schema/experiment';
import type { BaselinesClient } from '../../workers/baselines/client';
import { type BaselinesRequest, baselinesRequestKey } from '../../workers/baselines/protocol';
import { buildGallery, type GalleryCard } from './gallery';

export type BaselinesView =
  | { status: 'idle' }
  | { status: 'computing'; done: number; total: number; label: string }
  | { status: 'done'; curves: IclCurveSet; elapsedMs: number }
  | { status: 'error'; error: string };

export interface LabState {
  /** seed of the gallery sketches */
  seed: number;
  gallery: GalleryCard[];
  /** the request whose baselines are shown (null before the first) */
  request: BaselinesRequest | null;
  /** views by request key */
  baselines: Record<string, BaselinesView>;
  /** Show the baselines of `request`; computes them unless known or on their way. */
  requestBaselines(request: BaselinesRequest): void;
  /** Recompute the shown baselines (after an error). */
  retryBaselines(): void;
}

export interface LabStoreOptions {
  client: BaselinesClient;
  seed?: number;
}

export const DEFAULT_SEED = 1;

/** The baselines request matching an experiment's evaluation. */
export function baselinesRequestFor(e: Experiment): BaselinesRequest {
  return {
    task: e.task.name,
    params: e.task.params,
    prompts: e.evaluation.prompts,
    seed: e.seed,
    curriculum: e.curriculum,
  };
}

export function createLabStore(options: LabStoreOptions): StoreApi<LabState> {
  const { client } = options;
  const seed = options.seed ?? DEFAULT_SEED;
  const gallery = buildGallery(seed);
  if (gallery.length === 0) throw new Error('no tasks registered');

  return createStore<LabState>()((set, get) => {
    const setView = (key: string, view: BaselinesView) =>
      set((s) => ({ baselines: { ...s.baselines, [key]: view } }));

    const compute = (request: BaselinesRequest) => {
      const key = baselinesRequestKey(request);
      // Only one computation at a time: starting this one cancels any other, which forgets it.
      for (const [other, view] of Object.entries(get().baselines)) {
        if (other !== key && view.status === 'computing') setView(other, { status: 'idle' });
      }
      setView(key, { status: 'computing', done: 0, total: request.prompts, label: '' });
      client
        .compute(request, (done, total, label) => {
          if (get().baselines[key]?.status === 'computing')
            setView(key, { status: 'computing', done, total, label });
        })
        .then((result) => {
          if (result.ok) setView(key, { status: 'done', curves: result.curves, elapsedMs: result.elapsedMs });
          else if (!result.cancelled) setView(key, { status: 'error', error: result.error });
        });
    };

    return {
      seed,
      gallery,
      request: null,
      baselines: {},
      requestBaselines(request) {
        set({ request });
        const view = get().baselines[baselinesRequestKey(request)];
        if (!view || view.status === 'idle') compute(request);
      },
      retryBaselines() {
        const request = get().request;
        if (request) compute(request);
      },
    };
  });
}
