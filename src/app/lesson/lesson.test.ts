import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModelOutcome } from '../../eval/caption';
import type { Mark, Verdict } from '../../eval/verdict';
import { decodeReplay, parseReplayIndex, type ReplayIndexEntry } from '../../formats/replay';
import type { Table1, Table1Cell } from '../../formats/table1';
import {
  buildLesson,
  clampStep,
  listWords,
  lookForSentence,
  MAMBA_LESSON,
  type MeasuredRun,
  measureReplay,
  stepSentence,
  summarySentence,
  table1Sentence,
} from './lesson';

const entry = (task: string, file = `${task}.iclreplay`): ReplayIndexEntry =>
  ({
    file,
    task,
    title: task,
    models: ['transformer'],
    steps: 10,
    seed: 0,
    preset: 'classroom',
    backend: 'wasm',
    shows: '',
    bytes: 1,
  }) as ReplayIndexEntry;

function outcome(label: string, mark: Mark, value: number, kind: Verdict['kind'] = 'accuracy'): ModelOutcome {
  return {
    label,
    step: 4000,
    since: null,
    verdict: {
      mark,
      value,
      gapClosed: 0,
      trivial: kind === 'accuracy' ? 0.5 : 1,
      reference: kind === 'accuracy' ? 1 : 0.05,
      referenceLabel: kind === 'accuracy' ? 'perfect predictor' : 'Least squares',
      kind,
      regime: [8, 15],
    },
  };
}

const cell = (task: string, arch: string, mark: Mark | null, agreeing = 2): Table1Cell => ({
  task,
  arch,
  paper: 'unknown',
  mark,
  agreeing,
  seeds: [0, 1, 2].map((seed) => ({
    seed,
    run: 'r',
    mark,
    gapClosed: 0,
    value: 0,
    reference: '',
    lastStep: 1,
    stepsToVerdict: null,
  })),
});

describe('lesson steps from data', () => {
  it('keeps the steps that have a recording or Table 1 marks, then a summary over the recordings', () => {
    // token MQAR (not in the paper's Table 1) is no step of this lesson
    const index = [entry('vector-mqar'), entry('linear-regression'), entry('token-mqar')];
    const lesson = buildLesson(MAMBA_LESSON, index, null);
    expect(lesson.steps.map((s) => s.task)).toEqual(['linear-regression', 'vector-mqar', null]);
    const summary = lesson.steps[2];
    expect(summary.compares.map((r) => r.task)).toEqual(['linear-regression', 'vector-mqar']);
    expect(summary.recording?.task).toBe('vector-mqar');
    // Table 1 brings in sparse parity (no recording), unmarked cells do not
    const table1 = {
      cells: [cell('sparse-parity', 'transformer', 'fails'), cell('icl-tree', 'mamba', null)],
    } as Table1;
    const withTable = buildLesson(MAMBA_LESSON, index, table1);
    expect(withTable.steps.map((s) => s.task)).toEqual([
      'linear-regression',
      'sparse-parity',
      'vector-mqar',
      null,
    ]);
    expect(withTable.steps[1].recording).toBeNull();
    // one recording: no summary to make
    expect(buildLesson(MAMBA_LESSON, [entry('linear-regression')], null).steps).toHaveLength(1);
    expect(buildLesson(MAMBA_LESSON, [], null).steps).toHaveLength(0);
  });

  it('clamps step numbers', () => {
    const lesson = buildLesson(MAMBA_LESSON, [entry('linear-regression'), entry('vector-mqar')], null);
    expect([
      clampStep(lesson, -3),
      clampStep(lesson, 1.7),
      clampStep(lesson, 99),
      clampStep(lesson, Number.NaN),
    ]).toEqual([0, 1, 2, 0]);
  });
});

describe('measured sentences', () => {
  it('groups the models by their computed mark, with their levels and the references', () => {
    expect(listWords(['A', 'B', 'C'])).toBe('A, B and C');
    expect(
      lookForSentence([
        outcome('Transformer', 'learns', 1),
        outcome('Mamba', 'fails', 0.3123),
        outcome('MambaFormer', 'learns', 0.991),
      ]),
    ).toBe(
      'Look at the accuracy over 8-15 examples at step 4000: Transformer (1.00) and MambaFormer (0.99) learn; Mamba (0.31) fails; chance 0.50, perfect 1.',
    );
    expect(lookForSentence([outcome('Mamba', 'partial', 0.5, 'error')])).toBe(
      'Look at the error over 8-15 examples at step 4000: Mamba (0.50) partly learns; predict 0: 1.00, least squares: 0.05.',
    );
    expect(lookForSentence([])).toBe('');
  });

  it('summarises several recordings per model, most learned first', () => {
    const runs: MeasuredRun[] = [
      {
        title: 'Linear regression',
        outcomes: [outcome('Mamba', 'learns', 1), outcome('MambaFormer', 'learns', 1)],
      },
      {
        title: 'Vector MQAR',
        outcomes: [outcome('Mamba', 'fails', 0.1), outcome('MambaFormer', 'learns', 1)],
      },
    ];
    expect(summarySentence(runs)).toBe(
      'Across 2 recordings: MambaFormer learns 2 of 2 (Linear regression and Vector MQAR), Mamba 1 of 2 (Linear regression).',
    );
    expect(summarySentence(runs.slice(0, 1))).toBe('');
  });

  it('says what Table 1 measured', () => {
    expect(
      table1Sentence([
        cell('sparse-parity', 'transformer', 'fails', 3),
        cell('sparse-parity', 'mamba', 'learns', 2),
      ]),
    ).toBe('Table 1 runs: Transformer fails (3 of 3 seeds), Mamba learns (2 of 3 seeds).');
  });

  it('builds every step sentence of the installed recordings from their curves', () => {
    const dir = new URL('../../../public/replays/', import.meta.url);
    const index = parseReplayIndex(JSON.parse(readFileSync(new URL('index.json', dir), 'utf8')));
    if (!index.ok) throw new Error(index.error);
    const lesson = buildLesson(MAMBA_LESSON, index.index.replays, null);
    const measured = new Map<string, MeasuredRun>();
    const first = lesson.steps[0];
    expect(stepSentence(first, measured)).toBeNull(); // not measured yet
    for (const r of index.index.replays) {
      const read = decodeReplay(new Uint8Array(readFileSync(new URL(r.file, dir))));
      if (!read.ok) throw new Error(read.error);
      measured.set(r.file, measureReplay(r.title, read.replay));
    }
    for (const step of lesson.steps) {
      const sentence = stepSentence(step, measured) ?? '';
      expect(sentence.length, step.title).toBeGreaterThan(20);
      // every model of the recording is named with a computed level
      for (const run of step.compares.length ? [] : [measured.get(step.recording!.file)!]) {
        for (const o of run.outcomes) expect(sentence).toContain(`${o.label} (`);
      }
    }
    const compared = lesson.steps[lesson.steps.length - 1].compares.length;
    expect(compared).toBeGreaterThan(1);
    expect(stepSentence(lesson.steps[lesson.steps.length - 1], measured)).toMatch(
      new RegExp(`^Across ${compared} recordings: `),
    );
  });
});
