/**
 * The runs store: the list of runs kept in the browser (IndexedDB), newest first. Written by the
 * race controller (which owns the database); the run list UI reads it and calls the controller.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { ARCHITECTURE_TITLES, type Architecture } from '../schema/architecture';
import { getTask } from '../tasks';
import type { ValidRun } from './run-db';

export interface RunSummary {
  id: string;
  label: string;
  createdAt: number;
  updatedAt: number;
  taskTitle: string;
  models: Array<{ arch: string; title: string; step: number }>;
  totalSteps: number;
}

export interface RunsState {
  /** 'memory': IndexedDB unavailable, runs last until the page closes */
  status: 'loading' | 'ready' | 'memory';
  runs: RunSummary[];
}

export function createRunsStore(): StoreApi<RunsState> {
  return createStore<RunsState>()(() => ({ status: 'loading', runs: [] }));
}

export function summariseRun(run: ValidRun): RunSummary {
  return {
    id: run.id,
    label: run.label,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    taskTitle: getTask(run.experiment.task.name).title,
    models: run.models.map((m) => ({
      arch: m.arch,
      title: ARCHITECTURE_TITLES[m.arch as Architecture] ?? m.arch,
      step: m.checkpointStep ?? 0,
    })),
    totalSteps: run.experiment.steps,
  };
}
