/**
 * The files the Export menu offers, made from the stores: all curves (CSV, JSON), the run summary
 * (Markdown) and any model's checkpoint (safetensors, asked of its worker). The serialisers are
 * pure (src/formats/export); this module only gathers their input. Charts are exported from the page's
 * own drawing (src/ui/share/chart-dom.ts).
 */
import type { StoreApi } from 'zustand/vanilla';
import { combineCurves } from '../../eval/icl-combine';
import { seriesPoints } from '../../eval/loss-series';
import { collectCurves, curvesCsv, curvesJson } from '../../formats/export/curves';
import { exportFileName } from '../../formats/export/filenames';
import { runSummaryMarkdown } from '../../formats/export/markdown';
import { pytorchConfigYaml } from '../../formats/pytorch-config';
import { ARCHITECTURE_TITLES } from '../../schema/architecture';
import type { Experiment } from '../../schema/experiment';
import { getTask } from '../../tasks';
import type { Result } from '../../workers/training/protocol';
import type { ExperimentState } from '../stores/experiment-store';
import type { LabState } from '../stores/lab-store';
import type { LiveState } from '../stores/live-store';
import { shownBaselines } from '../stores/selectors';

export interface ExportFile {
  name: string;
  /** MIME type */
  type: string;
  data: string | Uint8Array;
}

export interface CheckpointTarget {
  slot: number;
  title: string;
  step: number;
}

export interface ExportsDeps {
  experiment: StoreApi<ExperimentState>;
  live: StoreApi<LiveState>;
  lab: StoreApi<LabState>;
  /** one model's weights as safetensors (RaceController.exportCheckpoint) */
  checkpoint(slot: number): Promise<Result<{ model: Uint8Array; step: number }>>;
  /** a link that reopens `experiment` */
  link(experiment: Experiment): string;
  now?: () => Date;
}

export interface Exports {
  /** every curve (loss per model, ICL curves of the models and the baselines with their bands) */
  curves(format: 'csv' | 'json'): ExportFile | null;
  /** configuration, models and the final ICL table */
  summary(): ExportFile | null;
  /** the models whose checkpoint can be downloaded now */
  checkpointTargets(): CheckpointTarget[];
  checkpoint(slot: number): Promise<Result<{ file: ExportFile }>>;
  /** "Continue in PyTorch": the authors' training config (YAML) of a model, next to its checkpoint */
  pytorchConfig(slot: number): Result<{ file: ExportFile }>;
}

const titleOf = (arch: string, label: string) =>
  ARCHITECTURE_TITLES[arch as keyof typeof ARCHITECTURE_TITLES] ?? label;

export function createExports(deps: ExportsDeps): Exports {
  const now = deps.now ?? (() => new Date());
  const baselines = () => {
    const view = shownBaselines(deps.lab.getState());
    return view.status === 'done' ? view.curves : null;
  };
  const stem = (e: Experiment) => [e.task.name, `seed-${e.seed}`];

  return {
    curves(format) {
      const e = deps.experiment.getState().experiment;
      if (!e) return null;
      const record = collectCurves({
        experiment: e,
        models: deps.live.getState().models.map((m) => {
          const points = seriesPoints(m.loss);
          return {
            model: titleOf(m.arch, m.label),
            arch: m.arch,
            loss: { x: points.x, y: points.y, width: m.loss.width },
            curves: m.curves,
            curvesStep: m.curvesStep,
          };
        }),
        baselines: baselines(),
        exportedAt: now(),
      });
      return format === 'csv'
        ? { name: exportFileName([...stem(e), 'curves'], 'csv'), type: 'text/csv', data: curvesCsv(record) }
        : {
            name: exportFileName([...stem(e), 'curves'], 'json'),
            type: 'application/json',
            data: curvesJson(record),
          };
    },
    summary() {
      const e = deps.experiment.getState().experiment;
      if (!e) return null;
      const models = deps.live.getState().models;
      const icl = combineCurves(
        baselines(),
        models.map((m) => ({ arch: m.arch, curves: m.curves, curvesStep: m.curvesStep })),
      );
      const data = runSummaryMarkdown({
        experiment: e,
        taskTitle: getTask(e.task.name).title,
        link: deps.link(e),
        models: models.map((m) => ({
          title: titleOf(m.arch, m.label),
          spec: e.models[m.index] ?? e.models[0],
          step: m.step,
          state: m.state,
          lastLoss: m.lastLoss,
        })),
        icl,
        exportedAt: now(),
      });
      return { name: exportFileName([...stem(e), 'summary'], 'md'), type: 'text/markdown', data };
    },
    checkpointTargets() {
      return deps.live
        .getState()
        .models.filter((m) => m.state !== 'starting' && m.state !== 'failed')
        .map((m) => ({ slot: m.slot, title: titleOf(m.arch, m.label), step: m.step }));
    },
    pytorchConfig(slot) {
      const e = deps.experiment.getState().experiment;
      const m = deps.live.getState().models.find((x) => x.slot === slot);
      if (!m) return { ok: false, error: 'that model is not in the race any more' };
      if (!e) return { ok: false, error: 'the settings are not a valid experiment' };
      const yaml = pytorchConfigYaml(e, m.index);
      if (yaml instanceof Error) return { ok: false, error: yaml.message };
      return {
        ok: true,
        file: {
          name: exportFileName([e.task.name, m.arch, 'pytorch-config'], 'yaml'),
          type: 'application/yaml',
          data: yaml,
        },
      };
    },
    async checkpoint(slot) {
      const e = deps.experiment.getState().experiment;
      const m = deps.live.getState().models.find((x) => x.slot === slot);
      if (!m) return { ok: false, error: 'that model is not in the race any more' };
      const r = await deps.checkpoint(slot);
      if (!r.ok) return { ok: false, error: `${titleOf(m.arch, m.label)}: ${r.error}` };
      const parts = [e?.task.name ?? 'model', m.arch, `step-${r.step}`];
      return {
        ok: true,
        file: {
          name: exportFileName(parts, 'safetensors'),
          type: 'application/octet-stream',
          data: r.model,
        },
      };
    },
  };
}
