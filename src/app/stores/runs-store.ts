/**
 * The runs store: the list of runs kept in the browser (IndexedDB), newest first. Written by the
 * race controller (which owns the database); the run list UI reads it and calls the controller.
 * Each summary keeps the run's experiment, loss curves and latest ICL curves as stored, for the
 * run history's labels and the comparison chart.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { type LossSeries, seriesFromStored } from '../../eval/loss-series';
import type { IclCurveSet } from '../../eval/types';
import { ARCHITECTURE_TITLES, ARCHITECTURES, type Architecture } from '../../schema/architecture';
import type { Experiment } from '../../schema/experiment';
import { getTask } from '../../tasks';
import type { ValidRun } from '../runs/run-db';

export interface RunModelSummary {
  /** the architecture as stored */
  arch: string;
  title: string;
  step: number;
  /** a known architecture (for colours); null when the stored name is not one */
  architecture: Architecture | null;
  loss: LossSeries;
  curves: IclCurveSet[] | null;
  curvesStep: number | null;
}

export interface RunSummary {
  id: string;
  label: string;
  createdAt: number;
  updatedAt: number;
  taskTitle: string;
  experiment: Experiment;
  models: RunModelSummary[];
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

const isArchitecture = (s: string): s is Architecture => (ARCHITECTURES as readonly string[]).includes(s);

export function summariseRun(run: ValidRun): RunSummary {
  return {
    id: run.id,
    label: run.label,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    taskTitle: getTask(run.experiment.task.name).title,
    experiment: run.experiment,
    models: run.models.map((m) => ({
      arch: m.arch,
      title: isArchitecture(m.arch) ? ARCHITECTURE_TITLES[m.arch] : m.arch,
      step: m.checkpointStep ?? 0,
      architecture: isArchitecture(m.arch) ? m.arch : null,
      loss: seriesFromStored(m.loss),
      curves: m.curves,
      curvesStep: m.curvesStep,
    })),
    totalSteps: run.experiment.steps,
  };
}
