import { describe, expect, it } from 'vitest';
import type { ReplayIndexEntry } from '../../formats/replay';
import { missingRecordingText, recordedTasks, taskTitle } from './recorded-tasks';

const entry = (file: string, task: string): ReplayIndexEntry => ({
  file,
  task,
  title: `hand-written ${task}`,
  models: ['transformer'],
  steps: 10,
  seed: 0,
  preset: 'classroom',
  backend: 'wasm',
  shows: '',
  bytes: 1,
});

describe('recorded tasks', () => {
  it('names tasks by their registry title', () => {
    expect(taskTitle('sparse-parity')).toBe('Sparse parity');
    expect(taskTitle('not-a-task')).toBe('not-a-task');
    expect(missingRecordingText('decision-tree')).toBe('No recording of Decision tree yet.');
  });

  it('lists each task with a recording once, its first file, in the index order', () => {
    const index = [
      entry('b.iclreplay', 'token-mqar'),
      entry('a.iclreplay', 'linear-regression'),
      entry('c.iclreplay', 'token-mqar'),
    ];
    expect(recordedTasks(index)).toEqual([
      { task: 'token-mqar', title: 'Token MQAR', file: 'b.iclreplay' },
      { task: 'linear-regression', title: 'Linear regression', file: 'a.iclreplay' },
    ]);
    expect(recordedTasks([])).toEqual([]);
  });
});
