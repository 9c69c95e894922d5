/**
 * "A new task is one file and one registry line": a throwaway task, defined here and added to a
 * copy of the registry through the same lookups the app uses (registryLookups), reaches every
 * consumer with no other edit: the experiment schema, both presets (its paper training and model
 * size, its classroom sizes), the settings panel (its labels), the probe editor (its draft), the
 * gallery (its sketch), the CLI's task parameters and the share link. A consumer that still
 * switched over the known task names would fail here.
 */
import { describe, expect, it, vi } from 'vitest';
import type { GenericTask } from './tasks';
import type { TaskName } from './tasks/types';

vi.mock('./tasks/index', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./tasks/index')>();
  const { z } = await import('zod');
  const common = await import('./tasks/common');
  const draft = await import('./tasks/probe-draft');
  const params = z.object({
    d: z.number().int().min(1).max(16).default(6).describe('dimension of x').meta({ label: 'Dimension d' }),
    nPoints: z.number().int().min(1).max(64).default(12).describe('examples').meta({ label: 'Examples N' }),
    scale: z.number().min(-4).max(4).default(3).describe('the hidden slope').meta({ label: 'Echo scale' }),
  });
  type Params = { d: number; nPoints: number; scale: number };
  const sampleEcho = (
    rng: import('./random/rng').Rng,
    p: Params,
    batchSize: number,
    state: { dims: number; points: number },
  ) => {
    const ex = common.allocateExamples(batchSize, state.points, p.d);
    for (let i = 0; i < batchSize * state.points; i++) {
      common.sampleGaussianX(rng, ex.xs, i * p.d, p.d, state.dims);
      ex.ys[i] = p.scale * ex.xs[i * p.d];
    }
    return common.interleaveExamples('toy-echo' as TaskName, ex, common.scalarHead(1));
  };
  const toy = {
    name: 'toy-echo',
    title: 'Toy echo',
    summary: 'y is the first coordinate of x times a fixed scale.',
    paramsSchema: params,
    defaults: params.parse({}),
    curriculum: (p: Params) => common.regressionCurriculum(p.d, p.nPoints, 2, 4, 1),
    readIn: (p: Params) => ({ kind: 'linear', tokenDim: p.d }),
    heads: () => [common.scalarHead(1)],
    baselines: ['least-squares', 'zero'],
    chanceLevel: () => 1,
    sample: (rng: import('./random/rng').Rng, p: Params, b: number, s: { dims: number; points: number }) =>
      sampleEcho(rng, p, b, s),
    sketch: (batch: import('./tasks/types').PromptBatch, index: number) =>
      common.sketchScatter(batch, index, 'Toy echo'),
    paper: { lr: 3e-4, steps: 1234, clip: 5, dModel: 64, gpt2Layers: 3 },
    classroom: {
      params: { d: 3, nPoints: 9 },
      steps: 321,
      lr: 2e-3,
      interval: 50,
      dModel: 16,
      phenomenon: 'echoes',
    },
    probeDraft: (rng: import('./random/rng').Rng, p: Params, s: { dims: number; points: number }) => {
      const w = new Float64Array(p.d);
      w[0] = p.scale;
      return draft.regressionDraft(
        sampleEcho(rng, p, 1, s),
        { kind: 'linear', w },
        draft.unitAxis(p.d, 0),
        draft.X1_AXIS,
        2,
      );
    },
  };
  const registry = { ...actual.TASK_REGISTRY, 'toy-echo': toy as unknown as GenericTask };
  const lookups = actual.registryLookups(registry);
  return {
    ...actual,
    TASK_REGISTRY: registry,
    TASK_NAMES: lookups.names,
    TASKS: lookups.tasks,
    ALL_TASKS: lookups.tasks,
    isTaskName: lookups.isTaskName,
    getTask: lookups.get,
    bindTask: lookups.bind,
  };
});

const TOY = 'toy-echo' as TaskName;

describe('a task added to the registry alone', () => {
  it('is an experiment with its own paper training', async () => {
    const { parseExperiment, EXPERIMENT_VERSION } = await import('./schema/experiment');
    const parsed = parseExperiment({ version: EXPERIMENT_VERSION, task: { name: TOY, params: { d: 4 } } });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    expect(parsed.experiment.steps).toBe(1234);
    expect(parsed.experiment.optimizer.lr).toBe(3e-4);
    expect(parsed.experiment.clip).toBe(5);
    expect(parsed.experiment.curriculum.dims.end).toBe(4);
  });

  it('has both presets: the paper model size and the classroom sizes of its file', async () => {
    const { presetExperiment } = await import('./train/presets');
    const paper = presetExperiment('paper', TOY, ['transformer', 'mamba', 'mambaformer']);
    expect(paper.models.map((m) => [m.dModel, m.nLayer])).toEqual([
      [64, 3],
      [64, 6],
      [64, 6],
    ]);
    const classroom = presetExperiment('classroom', TOY, ['mamba']);
    expect(classroom.steps).toBe(321);
    expect(classroom.optimizer.lr).toBe(2e-3);
    expect(classroom.task.params).toMatchObject({ d: 3, nPoints: 9 });
    expect(classroom.models[0].dModel).toBe(16);
    expect(classroom.curriculum.dims.interval).toBe(50);
  });

  it('shows its parameters with the labels of its schema in the settings panel', async () => {
    const { createExperimentStore, defaultDraft } = await import('./app/stores/experiment-store');
    const { settingsView } = await import('./app/settings/settings-view');
    const state = createExperimentStore(defaultDraft(TOY)).getState();
    const view = settingsView({ ...state, scope: 'all', classroom: null });
    const taskGroup = view.groups.find((g) => g.group === 'task');
    expect(taskGroup?.fields.map((f) => f.label)).toEqual(['Dimension d', 'Examples N', 'Echo scale']);
    expect(taskGroup?.fields[2].about).toContain('the hidden slope');
  });

  it('gives the probe editor a draft whose labels follow its hidden function', async () => {
    const { presetExperiment } = await import('./train/presets');
    const { createDraft, evaluateHidden, moveExample } = await import('./app/probe/probe-editor');
    const d = createDraft(presetExperiment('classroom', TOY, ['transformer'], 5));
    if (d.kind !== 'regression') throw new Error(`draft kind ${d.kind}`);
    expect(d.task).toBe(TOY);
    expect(d.nPoints).toBe(9);
    for (let i = 0; i < d.nPoints; i++) expect(d.ys[i]).toBeCloseTo(3 * d.xs[i * d.dim], 5);
    const moved = moveExample(d, 0, 2);
    if (moved.kind !== 'regression') throw new Error('kind changed');
    expect(moved.xs[0]).toBeCloseTo(2, 5);
    expect(moved.ys[0]).toBeCloseTo(evaluateHidden(moved.fn, moved.xs, 0, moved.dim), 5);
    expect(moved.ys[0]).toBeCloseTo(6, 4);
  });

  it('has a gallery card, CLI parameters and a share link', async () => {
    const { buildGallery } = await import('./app/stores/gallery');
    const card = buildGallery(3).find((c) => c.name === TOY);
    expect(card?.sketch?.kind).toBe('scatter');
    const { parseTaskParams, requireTaskName } = await import('./cli/task-args');
    expect(requireTaskName('toy-echo')).toBe(TOY);
    expect(parseTaskParams(TOY, { scale: '-2', d: '5' })).toEqual({ d: 5, nPoints: 12, scale: -2 });
    expect(() => parseTaskParams(TOY, { scale: '9' })).toThrow(/--scale/);
    const { presetExperiment } = await import('./train/presets');
    const { decodeShareFragment, encodeShareFragment } = await import('./formats/share-link');
    const e = presetExperiment('classroom', TOY, ['mamba'], 2);
    const back = decodeShareFragment(encodeShareFragment(e));
    expect(back?.experiment.task).toEqual(e.task);
    expect(back?.experiment.steps).toBe(321);
    expect(back?.warnings).toEqual([]);
  });
});
