/**
 * "A setting is one zod field": the schema is extended in a copy (a new optimiser field, a new
 * top-level number, a new evaluation field, a new model field, each with a label) and the panel
 * lists them, in their section's group, with their bounds, and the draft writes and reads them,
 * with no edit of the settings code.
 */
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

vi.mock('../../schema/experiment', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../schema/experiment')>();
  const shape = real.experimentShape.shape;
  const optimizer = shape.optimizer.unwrap().extend({
    lookahead: z.number().int().min(0).max(9).default(0).meta({ label: 'Lookahead', about: 'A test field.' }),
  });
  const evaluation = shape.evaluation.unwrap().extend({
    repeats: z.number().int().min(1).max(5).default(1).meta({ label: 'Repeats' }),
  });
  const experimentShape = real.experimentShape.extend({
    optimizer: optimizer.prefault({}),
    evaluation: evaluation.prefault({}),
    warmRestarts: z.number().int().min(0).max(3).default(0).meta({ label: 'Warm restarts' }),
  });
  return { ...real, experimentShape };
});

vi.mock('../../schema/architecture', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../schema/architecture')>();
  const modelFields = real.modelFields.extend({
    dropout: z.number().min(0).max(0.5).default(0).meta({ label: 'Dropout' }),
  });
  return { ...real, modelFields };
});

const { createExperimentStore } = await import('../stores/experiment-store');
const { applySetting, defaultDraft, draftValue, groupOf, resetGroup } = await import('./experiment-draft');
const { settingsView } = await import('./settings-view');

function view(draft = defaultDraft()) {
  const s = createExperimentStore(draft).getState();
  return settingsView({ ...s, scope: 'all', classroom: null });
}

const byLabel = (v: ReturnType<typeof view>, label: string) => {
  for (const g of v.groups) {
    const f = g.fields.find((x) => x.label === label);
    if (f) return { group: g.group, field: f };
  }
  throw new Error(`no field labelled ${label}`);
};

describe('a new zod field is a setting', () => {
  it('appears in its section’s group with the schema’s bounds and label', () => {
    const v = view();
    const cases = [
      ['Lookahead', 'optimizer', 'optimizer.lookahead', 0, 9],
      ['Repeats', 'evaluation', 'evaluation.repeats', 1, 5],
      ['Warm restarts', 'schedule', 'warmRestarts', 0, 3],
      ['Dropout', 'models', 'models.all.dropout', 0, 0.5],
    ] as const;
    for (const [label, group, id, min, max] of cases) {
      const { group: g, field } = byLabel(v, label);
      expect(g, label).toBe(group);
      expect(field.id, label).toBe(id);
      if (field.kind !== 'number') throw new Error(`${label} is not a number field`);
      expect([field.min, field.max], label).toEqual([min, max]);
      expect(field.check(max + 1), label).toBe(`must be at most ${max}`);
    }
    // the fields the settings code always had are still there, in their order
    expect(byLabel(v, 'Adam learning rate').field.id).toBe('optimizer.lr');
    expect(byLabel(v, 'Warm-up steps').group).toBe('optimizer');
  });

  it('is written, read, grouped and reset by the draft', () => {
    const cases = [
      ['Lookahead', 3],
      ['Repeats', 2],
      ['Warm restarts', 1],
      ['Dropout', 0.25],
    ] as const;
    for (const [label, value] of cases) {
      const { group, field } = byLabel(view(), label);
      const d = applySetting(defaultDraft(), field.id, value);
      expect(draftValue(d, field.id), label).toBe(value);
      expect(groupOf(field.id), label).toBe(group);
      const shown = byLabel(view(d), label).field;
      expect(shown.kind === 'number' && shown.value, label).toBe(value);
      expect(draftValue(resetGroup(d, group), field.id), label).toBeUndefined();
      // a value of the wrong kind is refused like any other number setting's
      expect(applySetting(d, field.id, true), label).toBe(d);
    }
  });
});
