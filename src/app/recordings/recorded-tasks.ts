/**
 * Which tasks have a recorded run (public/replays/index.json), by task: what the page offers when
 * the task asked for has none ("No recording of <task> yet", then the tasks that have one).
 */
import type { ReplayIndexEntry } from '../../formats/replay';
import { TASKS } from '../../tasks';

/** A task's display name ("Sparse parity"); an unknown name as it is. */
export function taskTitle(task: string): string {
  return TASKS.find((t) => t.name === task)?.title ?? task;
}

/** The sentence for a task without a recording. */
export function missingRecordingText(task: string): string {
  return `No recording of ${taskTitle(task)} yet.`;
}

export interface RecordedTask {
  task: string;
  title: string;
  /** the task's first recording in the index */
  file: string;
}

/** Each task with a recording once (its first in the index), in the index's order. */
export function recordedTasks(index: readonly ReplayIndexEntry[]): RecordedTask[] {
  const seen = new Set<string>();
  const out: RecordedTask[] = [];
  for (const r of index) {
    if (seen.has(r.task)) continue;
    seen.add(r.task);
    out.push({ task: r.task, title: taskTitle(r.task), file: r.file });
  }
  return out;
}
