import { describe, expect, it } from 'vitest';
import { ARCHITECTURES } from '../../schema/architecture';
import { parseExperiment } from '../../schema/experiment';
import { presetExperiment } from '../../train/presets';
import {
  applySetting,
  buildExperiment,
  DEFAULT_CLIP_NORM,
  DEFAULT_EXPERIMENT_SEED,
  defaultDraft,
  draftOf,
  draftValue,
  type ExperimentDraft,
  resetGroup,
  SETTINGS_GROUPS,
  type SettingId,
  settingOfIssue,
} from './experiment-draft';

const built = (d: ExperimentDraft) => {
  const b = buildExperiment(d);
  if (!b.experiment) throw new Error(b.errors.join('\n'));
  return b.experiment;
};

const set = (d: ExperimentDraft, ...changes: Array<[SettingId, number | boolean | undefined]>) =>
  changes.reduce((acc, [id, v]) => applySetting(acc, id, v), d);

describe('draft settings', () => {
  it('reads back every kind of setting it writes, and undefined returns to the preset', () => {
    const cases: Array<[SettingId, number | boolean]> = [
      ['task.params.d', 3],
      ['models.all.dModel', 16],
      ['models.mamba.dState', 8],
      ['models.transformer.positionEmbedding', false],
      ['models.all.positionEmbedding', false],
      ['optimizer.lr', 3e-4],
      ['optimizer.beta1', 0.8],
      ['optimizer.eps', 1e-6],
      ['clip.on', false],
      ['clip.maxNorm', 2],
      ['curriculum.points.interval', 50],
      ['batchSize', 32],
      ['steps', 900],
      ['seed', 42],
      ['evaluation.bootstrap', 0],
      ['evaluation.everySteps', 100],
    ];
    for (const [id, v] of cases) {
      const d = applySetting(defaultDraft(), id, v);
      expect(draftValue(d, id), id).toBe(v);
      const back = applySetting(d, id, undefined);
      expect(draftValue(back, id), id).toBe(id === 'seed' ? DEFAULT_EXPERIMENT_SEED : undefined);
    }
  });

  it('ignores a value of the wrong kind', () => {
    const d = defaultDraft();
    expect(applySetting(d, 'clip.on', 3)).toBe(d);
    expect(applySetting(d, 'batchSize', true)).toBe(d);
    expect(applySetting(d, 'steps', Number.NaN)).toBe(d);
  });

  it('applies an all-models value where it means something; a model’s own value wins', () => {
    const archs = [...ARCHITECTURES];
    let d: ExperimentDraft = { ...defaultDraft(), archs };
    d = set(d, ['models.all.nHead', 2], ['models.all.dState', 8], ['models.s4.dState', 4]);
    const e = built(d);
    const by = (a: string) => e.models.find((m) => m.arch === a)!;
    expect(by('transformer').nHead).toBe(2);
    expect(by('hybrid').nHead).toBe(2);
    expect(by('mamba').nHead).toBe(4); // the classroom preset's: Mamba has no heads
    expect(by('transformer').dState).toBe(16); // the schema's default: the Transformer has no state
    expect(by('mamba').dState).toBe(8);
    expect(by('s4').dState).toBe(4);
    // a new all-models value replaces the models' own
    d = applySetting(d, 'models.all.dState', 6);
    expect(d.models.s4).toBeUndefined();
    expect(built(d).models.find((m) => m.arch === 's4')!.dState).toBe(6);
  });

  it('switches the position embedding of the models that have one', () => {
    const d = set({ ...defaultDraft(), archs: ['transformer', 'mamba', 'hybrid'] }, [
      'models.all.positionEmbedding',
      false,
    ]);
    expect(built(d).models.map((m) => m.positionEmbedding)).toEqual([false, false, false]);
    const on = set(defaultDraft(), ['models.mamba.positionEmbedding', true]);
    expect(built(on).models.map((m) => [m.arch, m.positionEmbedding])).toEqual([
      ['transformer', true],
      ['mamba', true],
      ['mambaformer', false],
    ]);
  });

  it('maps the optimiser, batch, steps, seed and evaluation into the experiment', () => {
    const d = set(
      defaultDraft(),
      ['optimizer.lr', 5e-4],
      ['optimizer.beta1', 0.85],
      ['optimizer.beta2', 0.99],
      ['optimizer.eps', 1e-7],
      ['optimizer.warmupSteps', 150],
      ['batchSize', 24],
      ['steps', 1234],
      ['seed', 77],
      ['evaluation.prompts', 64],
      ['evaluation.everySteps', 50],
      ['evaluation.bootstrap', 10],
    );
    const e = built(d);
    expect(e.optimizer).toEqual({ lr: 5e-4, beta1: 0.85, beta2: 0.99, eps: 1e-7, warmupSteps: 150 });
    expect(draftValue(d, 'optimizer.warmupSteps')).toBe(150);
    expect(settingOfIssue('optimizer.warmupSteps', [])).toBe('optimizer.warmupSteps');
    expect(built(applySetting(d, 'optimizer.warmupSteps', undefined)).optimizer.warmupSteps).toBe(0);
    expect([e.batchSize, e.steps, e.seed]).toEqual([24, 1234, 77]);
    expect(e.evaluation).toEqual({ prompts: 64, everySteps: 50, bootstrap: 10 });
  });

  it('turns the clip off, on at the preset’s norm, or on at a chosen norm', () => {
    expect(built(defaultDraft()).clip).toBe(10);
    expect(built(set(defaultDraft(), ['clip.on', false])).clip).toBeNull();
    expect(built(set(defaultDraft(), ['clip.maxNorm', 2.5])).clip).toBe(2.5);
    // chain of thought has no clip in the paper: turning it on uses the default norm
    const cot = defaultDraft('chain-of-thought');
    expect(built(cot).clip).toBeNull();
    expect(built(set(cot, ['clip.on', true])).clip).toBe(DEFAULT_CLIP_NORM);
    // off wins over a norm typed earlier
    expect(built(set(defaultDraft(), ['clip.maxNorm', 3], ['clip.on', false])).clip).toBeNull();
  });

  it('lays curriculum changes over the task’s curriculum, and reports one past the task', () => {
    const base = built(defaultDraft()).curriculum;
    const e = built(set(defaultDraft(), ['curriculum.points.start', 5], ['curriculum.dims.interval', 40]));
    expect(e.curriculum.points).toEqual({ ...base.points, start: 5 });
    expect(e.curriculum.dims).toEqual({ ...base.dims, interval: 40 });
    // the curriculum follows the task's parameters until changed
    expect(built(set(defaultDraft(), ['task.params.d', 3])).curriculum.dims.end).toBe(3);
    const bad = buildExperiment(set(defaultDraft(), ['curriculum.dims.end', 9]));
    expect(bad.experiment).toBeNull();
    expect(bad.issues).toContainEqual({
      path: 'curriculum.dims.end',
      message: expect.stringMatching(/dimension 5/),
    });
    const inverted = buildExperiment(
      set(defaultDraft(), ['curriculum.points.start', 11], ['curriculum.points.end', 6]),
    );
    expect(inverted.issues.map((i) => i.path)).toContain('curriculum.points.start');
  });

  it('names the setting of each problem (models by architecture)', () => {
    const d = set(defaultDraft(), ['models.mambaformer.nHead', 3]);
    const b = buildExperiment(d);
    expect(b.issues).toHaveLength(1);
    expect(settingOfIssue(b.issues[0].path, d.archs)).toBe('models.mambaformer.nHead');
    expect(settingOfIssue('task.params.k', d.archs)).toBe('task.params.k');
    expect(settingOfIssue('clip', d.archs)).toBe('clip.maxNorm');
    expect(settingOfIssue('evaluation.prompts', d.archs)).toBe('evaluation.prompts');
    expect(settingOfIssue('models.7.dModel', d.archs)).toBeNull();
    expect(settingOfIssue('version', d.archs)).toBeNull();
  });

  it('resets one group and leaves the others', () => {
    const all = set(
      defaultDraft(),
      ['task.params.d', 3],
      ['models.all.dModel', 16],
      ['models.mamba.nLayer', 2],
      ['optimizer.beta1', 0.8],
      ['clip.on', false],
      ['curriculum.points.inc', 1],
      ['batchSize', 8],
      ['seed', 5],
      ['evaluation.prompts', 32],
    );
    const ids: Record<string, SettingId[]> = {
      task: ['task.params.d'],
      models: ['models.all.dModel', 'models.mamba.nLayer'],
      optimizer: ['optimizer.beta1', 'clip.on'],
      curriculum: ['curriculum.points.inc'],
      schedule: ['batchSize'],
      evaluation: ['evaluation.prompts'],
    };
    for (const group of SETTINGS_GROUPS) {
      const r = resetGroup(all, group);
      for (const [g, list] of Object.entries(ids)) {
        for (const id of list) {
          if (g === group) expect(draftValue(r, id), `${group}: ${id}`).toBeUndefined();
          else expect(draftValue(r, id), `${group}: ${id}`).toBe(draftValue(all, id));
        }
      }
    }
    expect(resetGroup(all, 'schedule').seed).toBe(DEFAULT_EXPERIMENT_SEED);
  });
});

describe('draftOf: a stored experiment builds again exactly', () => {
  const cases = {
    'the classroom default': () => built(defaultDraft()),
    'the paper preset with every architecture': () =>
      presetExperiment('paper', 'decision-tree', [...ARCHITECTURES], 3),
    // (models in the toggles' order: the draft keeps them so)
    'a hand-made experiment': () => {
      const r = parseExperiment({
        version: 1,
        task: { name: 'sparse-parity', params: { d: 6, nPoints: 30, k: 2, subsetPerPrompt: false } },
        models: [
          { arch: 'transformer', dModel: 24, nHead: 3, nLayer: 1, positionEmbedding: false },
          { arch: 'hybrid', dModel: 24, nHead: 6, nLayer: 2, dConv: 3, expand: 1 },
          { arch: 's4', dModel: 24, nLayer: 3, dState: 6 },
        ],
        optimizer: { lr: 2e-3, beta1: 0.7, beta2: 0.95, eps: 1e-6 },
        clip: null,
        batchSize: 12,
        curriculum: {
          dims: { start: 6, end: 6, inc: 0, interval: 1 },
          points: { start: 10, end: 30, inc: 4, interval: 25 },
        },
        steps: 321,
        seed: 99,
        evaluation: { prompts: 48, everySteps: 40, bootstrap: 5 },
      });
      if (!r.ok) throw new Error(r.errors.join('\n'));
      return r.experiment;
    },
  };
  for (const [name, make] of Object.entries(cases)) {
    it(name, () => {
      const e = make();
      expect(built(draftOf(e))).toEqual(e);
    });
  }

  it('keeps the curriculum following the parameters when it is the derived one', () => {
    const d = draftOf(built(defaultDraft()));
    expect(d.curriculum).toEqual({});
    expect(d.clip).toEqual({});
  });
});
