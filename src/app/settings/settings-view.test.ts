import { describe, expect, it } from 'vitest';
import { ARCHITECTURES, modelFields } from '../../schema/architecture';
import { experimentShape } from '../../schema/experiment';
import { innerSchema, numberBounds, schemaAt } from '../../schema/field-bounds';
import { TASKS } from '../../tasks';
import { createExperimentStore, defaultDraft, type ExperimentState } from '../stores/experiment-store';
import type { ExperimentDraft, ModelScope } from './experiment-draft';
import { type NumberSettingView, type SettingView, settingsView } from './settings-view';

function viewOf(
  s: ExperimentState,
  scope: ModelScope = 'all',
  lock: Parameters<typeof settingsView>[0]['classroom'] = null,
) {
  return settingsView({ ...s, scope, classroom: lock });
}

function store(draft: Partial<ExperimentDraft> = {}) {
  return createExperimentStore({ ...defaultDraft(), ...draft });
}

const fields = (v: ReturnType<typeof viewOf>): SettingView[] => v.groups.flatMap((g) => g.fields);
const field = (v: ReturnType<typeof viewOf>, id: string) => {
  const f = fields(v).find((x) => x.id === id);
  if (!f)
    throw new Error(
      `no field ${id} (have ${fields(v)
        .map((x) => x.id)
        .join(', ')})`,
    );
  return f;
};
const num = (v: ReturnType<typeof viewOf>, id: string) => field(v, id) as NumberSettingView;

const keysOf = (schema: unknown) =>
  Object.keys((innerSchema(schema as never) as unknown as { shape: object }).shape);

describe('settings view', () => {
  it('groups the settings as Task, Models, Optimiser, Curriculum, Schedule, Evaluation', () => {
    const v = viewOf(store().getState());
    expect(v.groups.map((g) => g.title)).toEqual([
      'Task parameters',
      'Models',
      'Optimiser',
      'Curriculum',
      'Schedule',
      'Evaluation',
    ]);
    expect(v.scopes.map((s) => s.title)).toEqual(['All models', 'Transformer', 'Mamba', 'MambaFormer']);
  });

  it('has a field for every field of the experiment schema', () => {
    const s = store({ archs: [...ARCHITECTURES] }).getState();
    const ids = new Set(fields(viewOf(s)).map((f) => f.id));
    const wanted: string[] = [];
    for (const key of keysOf(experimentShape)) {
      if (key === 'version' || key === 'task' || key === 'models') continue;
      if (key === 'clip') wanted.push('clip.on', 'clip.maxNorm');
      else if (key === 'curriculum')
        for (const part of keysOf(schemaAt(experimentShape, ['curriculum'])))
          for (const k of keysOf(schemaAt(experimentShape, ['curriculum', part])))
            wanted.push(`curriculum.${part}.${k}`);
      else if (key === 'optimizer' || key === 'evaluation')
        for (const k of keysOf(schemaAt(experimentShape, [key]))) wanted.push(`${key}.${k}`);
      else wanted.push(key);
    }
    for (const k of keysOf(modelFields)) if (k !== 'arch') wanted.push(`models.all.${k}`);
    for (const k of ['d', 'nPoints']) wanted.push(`task.params.${k}`);
    for (const id of wanted) expect(ids, id).toContain(id);
  });

  it('takes the limits and whole-number steps from the schema', () => {
    const v = viewOf(store().getState());
    const batch = num(v, 'batchSize');
    expect([batch.min, batch.max, batch.step]).toEqual([1, 1024, 1]);
    const beta2 = num(v, 'optimizer.beta2');
    const b = numberBounds(schemaAt(experimentShape, ['optimizer', 'beta2']));
    expect([beta2.min, beta2.max, beta2.step]).toEqual([b.min, b.max, 'any']);
    const width = num(v, 'models.all.dModel');
    expect([width.min, width.max]).toEqual([4, 1024]);
    const d = num(v, 'task.params.d');
    expect([d.min, d.max]).toEqual([1, 64]);
    expect(width.check(2000)).toBe('must be at most 1024');
    expect(num(v, 'evaluation.prompts').check(8)).toBe('must be at least 16');
    expect(num(v, 'steps').check(10.5)).toBe('must be a whole number');
    expect(width.check(64)).toBeNull();
  });

  it('explains each field with the paper’s value and the preset’s', () => {
    const v = viewOf(store().getState());
    expect(field(v, 'models.all.dModel').about).toMatch(
      /residual stream.*The paper: 128\. This preset: 64\./,
    );
    expect(field(v, 'models.all.nLayer').about).toMatch(/The paper: Transformer 2, Mamba 4, MambaFormer 4\./);
    expect(field(v, 'clip.maxNorm').about).toMatch(/The paper: 10\./);
    expect(field(v, 'task.params.d').about).toMatch(/dimension of x.*The paper: 20\. This preset: 5\./);
    expect(field(v, 'seed').about).toMatch(/Default: 0\./);
    for (const f of fields(v)) expect(f.about.length, f.id).toBeGreaterThan(20);
  });

  it('shows the preset as placeholder and marks what differs from it', () => {
    const s = store();
    let v = viewOf(s.getState());
    expect(num(v, 'models.all.dModel')).toMatchObject({
      value: undefined,
      placeholder: '64',
      changed: false,
    });
    // the lesson preset of linear regression: 3 GPT-2 layers (the Transformer 3, Mamba's 6 blocks)
    expect(num(v, 'models.all.nLayer').placeholder).toBe('3–6');
    s.getState().setSetting('models.all.dModel', 64);
    expect(num(viewOf(s.getState()), 'models.all.dModel').changed).toBe(false);
    s.getState().setSetting('models.all.dModel', 16);
    s.getState().setSetting('curriculum.points.interval', 10);
    v = viewOf(s.getState());
    expect(field(v, 'models.all.dModel')).toMatchObject({
      changed: true,
      changedNote: 'Changed (preset 64)',
    });
    expect(field(v, 'curriculum.points.interval')).toMatchObject({
      changed: true,
      changedNote: 'Changed (preset 2000)',
    });
    expect(v.groups.filter((g) => g.changed).map((g) => g.group)).toEqual(['models', 'curriculum']);
    expect(v.changed).toBe(true);
    s.getState().resetGroup('models');
    expect(
      viewOf(s.getState())
        .groups.filter((g) => g.changed)
        .map((g) => g.group),
    ).toEqual(['curriculum']);
    s.getState().resetAll();
    expect(viewOf(s.getState()).changed).toBe(false);
  });

  it('shows one model’s own settings in its scope, only those it has', () => {
    const s = store();
    s.getState().setSetting('models.mamba.dState', 8);
    const mamba = viewOf(s.getState(), 'mamba');
    expect(mamba.scope).toBe('mamba');
    const ids = fields(mamba)
      .filter((f) => f.id.startsWith('models.'))
      .map((f) => f.id);
    expect(ids).toEqual([
      'models.mamba.dModel',
      'models.mamba.nLayer',
      'models.mamba.dState',
      'models.mamba.dConv',
      'models.mamba.expand',
    ]);
    expect(num(mamba, 'models.mamba.dState')).toMatchObject({ value: 8, placeholder: '16', changed: true });
    const t = viewOf(s.getState(), 'transformer');
    expect(fields(t).map((f) => f.id)).toContain('models.transformer.positionEmbedding');
    expect(fields(t).map((f) => f.id)).not.toContain('models.transformer.dState');
    expect(field(t, 'models.transformer.positionEmbedding')).toMatchObject({ kind: 'switch', checked: true });
    // the models group still offers a reset from the all-models scope
    expect(viewOf(s.getState()).groups.find((g) => g.group === 'models')!.changed).toBe(true);
    // a scope whose model is no longer chosen falls back to all models
    s.getState().toggleArch('mamba', false);
    expect(viewOf(s.getState(), 'mamba').scope).toBe('all');
  });

  it('puts cross-field problems beside the fields they concern', () => {
    const s = store();
    s.getState().setSetting('models.all.nHead', 5);
    let v = viewOf(s.getState());
    expect(field(v, 'models.all.nHead').errors).toEqual([
      'Transformer: the width 64 must be a multiple of the number of heads 5 (got 5)',
      'MambaFormer: the width 64 must be a multiple of the number of heads 5 (got 5)',
    ]);
    expect(field(viewOf(s.getState(), 'transformer'), 'models.transformer.nHead').errors).toHaveLength(1);
    s.getState().resetAll();
    s.getState().setSetting('curriculum.dims.end', 8);
    v = viewOf(s.getState());
    expect(field(v, 'curriculum.dims.end').errors[0]).toMatch(/cannot grow x past the task's dimension 5/);
    expect(s.getState().experiment).toBeNull();
  });

  it('shows the curriculum only for tasks that grow one, and disables the norm while the clip is off', () => {
    const fixed = viewOf(store({ task: 'vector-mqar' }).getState());
    const curriculum = fixed.groups.find((g) => g.group === 'curriculum')!;
    expect(curriculum.fields).toEqual([]);
    expect(curriculum.note).toMatch(/no curriculum/);
    const cot = viewOf(store({ task: 'chain-of-thought' }).getState());
    expect(
      fields(cot)
        .filter((f) => f.id.startsWith('curriculum.'))
        .map((f) => f.id),
    ).toEqual([
      'curriculum.points.start',
      'curriculum.points.end',
      'curriculum.points.inc',
      'curriculum.points.interval',
    ]);
    expect(field(cot, 'clip.on')).toMatchObject({ checked: false });
    expect(field(cot, 'clip.maxNorm')).toMatchObject({ disabled: true });
    const s = store({ task: 'chain-of-thought' });
    s.getState().setSetting('clip.on', true);
    expect(field(viewOf(s.getState()), 'clip.maxNorm')).toMatchObject({ disabled: false, placeholder: '10' });
  });

  it('disables what a classroom link locks, and the resets of those groups', () => {
    const v = viewOf(store().getState(), 'all', { lock: ['sizes', 'curriculum'], hide: [] });
    expect(field(v, 'models.all.dModel').disabled).toBe(true);
    expect(field(v, 'curriculum.points.end').disabled).toBe(true);
    expect(field(v, 'optimizer.beta1').disabled).toBe(false);
    expect(v.groups.filter((g) => g.locked).map((g) => g.group)).toEqual(['models', 'curriculum']);
    expect(v.locked).toBe(true);
  });

  it('offers the task’s switches too', () => {
    const s = store({ task: 'sparse-parity' });
    const f = field(viewOf(s.getState()), 'task.params.subsetPerPrompt');
    expect(f).toMatchObject({ kind: 'switch', checked: true, changed: false });
    s.getState().setSetting('task.params.subsetPerPrompt', false);
    expect(s.getState().experiment!.task.params.subsetPerPrompt).toBe(false);
    expect(field(viewOf(s.getState()), 'task.params.subsetPerPrompt')).toMatchObject({
      checked: false,
      changed: true,
    });
  });

  it('builds for every task with every model, each field with its limits and explanation', () => {
    for (const t of TASKS) {
      const v = viewOf(store({ task: t.name, archs: [...ARCHITECTURES] }).getState());
      const all = fields(v);
      expect(all.filter((f) => f.id.startsWith('task.params.')).length, t.name).toBeGreaterThan(0);
      for (const f of all) {
        expect(f.about, `${t.name} ${f.id}`).not.toBe('');
        // a label for people, never a raw schema key such as "subsetPerPrompt"
        expect(f.label, `${t.name} ${f.id}`).not.toMatch(/^[a-z]+[A-Z]/);
        if (f.kind === 'number') expect(f.min, `${t.name} ${f.id}`).toBeTypeOf('number');
      }
      for (const a of ARCHITECTURES)
        expect(() => viewOf(store({ task: t.name, archs: [...ARCHITECTURES] }).getState(), a)).not.toThrow();
    }
  });
});
