import { describe, expect, it } from 'vitest';
import { appendLosses, emptySeries } from '../../eval/loss-series';
import { curve, curveSet, parseCsv } from '../../formats/export/test-data';
import { baselinesRequestKey } from '../../workers/baselines/protocol';
import { createExperimentStore } from '../stores/experiment-store';
import { baselinesRequestFor, createLabStore } from '../stores/lab-store';
import { createLiveStore, newModelLive } from '../stores/live-store';
import { createExports } from './exports';

function setup() {
  const experiment = createExperimentStore();
  experiment.getState().toggleArch('mambaformer', false);
  const e = experiment.getState().experiment!;
  const live = createLiveStore();
  const lab = createLabStore({
    client: {
      compute: () => new Promise(() => undefined),
      cancel: () => undefined,
      dispose: () => undefined,
    },
  });
  const request = baselinesRequestFor(e);
  lab.setState({
    request,
    baselines: {
      [baselinesRequestKey(request)]: {
        status: 'done',
        curves: curveSet([curve('least-squares', 'Least squares', [1, 0.5])]),
        elapsedMs: 5,
      },
    },
  });
  const transformer = {
    ...newModelLive(1, 0, 'transformer', 'Transformer'),
    state: 'paused' as const,
    step: 3,
    loss: appendLosses(emptySeries(), [0, 1, 2], [2, 1.5, 1]),
    lastLoss: 1,
    curves: [curveSet([curve('model:transformer', 'Transformer', [0.9, 0.4])])],
    curvesStep: 3,
  };
  const mamba = { ...newModelLive(2, 1, 'mamba', 'Mamba'), state: 'starting' as const };
  live.setState({ models: [transformer, mamba] });
  const asked: number[] = [];
  const exports = createExports({
    experiment,
    live,
    lab,
    checkpoint: async (slot) => {
      asked.push(slot);
      return slot === 1
        ? { ok: true, model: Uint8Array.from([8, 0, 0, 0, 0, 0, 0, 0]), step: 3 }
        : { ok: false, error: 'not configured' };
    },
    link: (x) => `http://lab.test/#seed=${x.seed}`,
    now: () => new Date('2025-02-03T04:05:06Z'),
  });
  return { exports, asked, experiment };
}

describe('exports from the stores', () => {
  it('CSV and JSON of all curves: losses of every model, ICL of the models and the baselines', () => {
    const { exports } = setup();
    const csv = exports.curves('csv')!;
    expect(csv.name).toBe('icl-lab_linear-regression_seed-0_curves.csv');
    expect(csv.type).toBe('text/csv');
    const rows = parseCsv(String(csv.data));
    expect(rows.filter((r) => r[0] === 'loss').map((r) => [r[2], r[7], r[8]])).toEqual([
      ['Transformer', '0', '2'],
      ['Transformer', '1', '1.5'],
      ['Transformer', '2', '1'],
    ]);
    expect(new Set(rows.filter((r) => r[0] === 'icl').map((r) => `${r[1]}:${r[3]}`))).toEqual(
      new Set(['model:Transformer', 'baseline:Least squares']),
    );
    const json = JSON.parse(String(exports.curves('json')!.data));
    expect(json.loss.map((l: { model: string }) => l.model)).toEqual(['Transformer', 'Mamba']);
    expect(json.experiment.models.map((m: { arch: string }) => m.arch)).toEqual(['transformer', 'mamba']);
    expect(json.exportedAt).toBe('2025-02-03T04:05:06.000Z');
  });

  it('the summary has the link, the models and the combined ICL table', () => {
    const { exports } = setup();
    const md = exports.summary()!;
    expect(md.name).toBe('icl-lab_linear-regression_seed-0_summary.md');
    const text = String(md.data);
    expect(text).toContain('<http://lab.test/#seed=0>');
    expect(text).toContain('| examples | Least squares | Transformer (step 3) |');
    expect(text).toMatch(/\| Transformer \| 64 \| 3 \| 4 \| 16 \| 3 \/ 4000 \| 1 \| paused \|/);
  });

  it('checkpoints: of models that are built, named by task, architecture and step', async () => {
    const { exports, asked } = setup();
    expect(exports.checkpointTargets()).toEqual([{ slot: 1, title: 'Transformer', step: 3 }]);
    const r = await exports.checkpoint(1);
    expect(r.ok && r.file.name).toBe('icl-lab_linear-regression_transformer_step-3.safetensors');
    expect(r.ok && Array.from(r.file.data as Uint8Array)).toEqual([8, 0, 0, 0, 0, 0, 0, 0]);
    const no = await exports.checkpoint(2);
    expect(no).toEqual({ ok: false, error: 'Mamba: not configured' });
    expect((await exports.checkpoint(9)).ok).toBe(false);
    expect(asked).toEqual([1, 2]);
  });

  it('continues in PyTorch: the authors’ YAML config of each model, named by task and architecture', () => {
    const { exports, experiment } = setup();
    const r = exports.pytorchConfig(1);
    if (!r.ok) throw new Error(r.error);
    expect(r.file.name).toBe('icl-lab_linear-regression_transformer_pytorch-config.yaml');
    expect(r.file.type).toBe('application/yaml');
    const text = r.file.data as string;
    expect(text).toMatch(/^# Training config for the authors' code/);
    expect(text).toContain('    family: "gpt2"\n');
    expect(text).toContain('    task: "linear_regression"\n');
    expect(text).toContain(`    train_steps: ${experiment.getState().experiment!.steps}\n`);
    // the model's own index in the experiment: slot 2 is Mamba
    expect((exports.pytorchConfig(2) as { ok: true; file: { data: string } }).file.data).toContain(
      '    family: "mamba"\n',
    );
    expect(exports.pytorchConfig(9)).toEqual({ ok: false, error: 'that model is not in the race any more' });
    experiment.getState().setTask('token-mqar');
    const none = exports.pytorchConfig(1);
    expect(none.ok).toBe(false);
    expect(!none.ok && none.error).toMatch(/token MQAR is not in the authors' code/);
  });

  it('nothing to export while the settings are invalid', () => {
    const { exports, experiment } = setup();
    for (const a of experiment.getState().draft.archs) experiment.getState().toggleArch(a, false);
    expect(exports.curves('csv')).toBeNull();
    expect(exports.summary()).toBeNull();
  });
});
