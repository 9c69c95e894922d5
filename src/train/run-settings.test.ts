import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../schema/experiment';
import { presetExperiment } from './presets';
import { isLessonRun, lessonSettingsNote, settingsKey, settingsLabel } from './run-settings';

describe('run settings', () => {
  it('a run of the lesson preset matches it whatever its seed, steps and evaluation', () => {
    const lesson = presetExperiment('classroom', 'linear-regression', ['transformer', 'mamba'], 4, {
      steps: 123,
      evaluation: { prompts: 64, everySteps: 5, bootstrap: 0 },
    });
    expect(isLessonRun(lesson, 0)).toBe(true);
    expect(isLessonRun(lesson, 1)).toBe(true);
    expect(lessonSettingsNote(lesson)).toBeNull();
    expect(settingsLabel(lesson, 0)).toBe('D 64 · 3 layers, 4 heads · batch 256 · LR 1e-3 · d 5, nPoints 11');
    expect(settingsLabel(lesson, 1)).toMatch(/^D 64 · 6 layers/);
  });

  it('another batch, learning rate, width or task parameter is another setting', () => {
    const lesson = presetExperiment('classroom', 'vector-mqar', ['transformer']);
    const variants = [
      { batchSize: 256 },
      { optimizer: { lr: 3e-4, warmupSteps: 250 } },
      { models: [{ ...lesson.models[0], dModel: 32 }] },
    ];
    for (const v of variants) {
      const parsed = parseExperiment({ ...lesson, ...v });
      if (!parsed.ok) throw new Error(parsed.errors.join('; '));
      expect(settingsKey(parsed.experiment, 0)).not.toBe(settingsKey(lesson, 0));
      expect(isLessonRun(parsed.experiment, 0)).toBe(false);
    }
    // a task parameter (the curriculum follows it)
    const old = presetExperiment('classroom', 'vector-mqar', ['transformer'], 0, {
      task: { name: 'vector-mqar', params: { d: 8, pairs: 32 } },
    });
    expect(isLessonRun(old, 0)).toBe(false);
    expect(lessonSettingsNote(old)).toBe(
      `Recorded at ${settingsLabel(old, 0)}; this task's lesson preset is ${settingsLabel(lesson, 0)}.`,
    );
    expect(settingsLabel(old, 0)).toContain('d 8, pairs 32');
    expect(settingsLabel(lesson, 0)).toContain('d 16, pairs 32');
  });
});
